"""Row heights for wrapped Excel cells, computed by hand."""

import pytest

from iku.excel_layout import lines_needed, row_height


def test_lines_wrap_word_by_word():
    # a 8-wide column holds 7 characters a line: "aaa bbb" | "ccc"
    assert lines_needed("aaa bbb ccc", 8) == 2
    assert lines_needed("aaa\nbbb", 40) == 2  # a line break is a line
    assert lines_needed("x" * 20, 8) == 3  # a long word breaks by itself: 7 + 7 + 6
    assert lines_needed(None, 10) == 1 and lines_needed("", 10) == 1


def test_row_height_follows_the_tallest_cell_and_the_font():
    assert row_height("aaa bbb ccc", width=8) == 2 * 15 + 3
    assert row_height(("a", 10), ("aaa bbb ccc", 8), minimum=0) == 33
    # 9 pt fits 11/9 as much per width unit: "aaa bbb" in one 7-wide line, 12.27 pt a line
    assert row_height("aaa bbb", width=7, font_size=9, minimum=0) == pytest.approx(15 * 9 / 11 + 3)
    assert row_height("kata " * 2000, width=10) == 409  # Excel's limit
