"""Free text is bounded per cell (issue 17, L6): a 32,000-character note once made a
2,865-page PDF. A longer cell is a problem of its row, naming the column and the limit."""

from __future__ import annotations

from iku.config import Limits
from iku.domain.sheet import parse_sheet

HEADER = ["bidang", "tahun", "bulan", "kode_indikator", "realisasi", "keterangan", "faktor_penghambat"]


def _sheet(note: str, factor: str = ""):
    cells = [HEADER, ["perkim", 2023, 4, "IKU-04", 3, note, factor]]
    return parse_sheet(cells, {"realisasi"}, Limits(max_text_chars=50))


def test_a_note_within_the_limit_is_no_problem():
    sheet = _sheet("x" * 50)
    assert not sheet.row_problems


def test_a_note_over_the_limit_is_a_problem_of_its_row_naming_column_and_limit():
    sheet = _sheet("x" * 51, "y" * 200)
    found = {(p.row, p.column) for p in sheet.row_problems}
    assert found == {(2, "keterangan"), (2, "faktor_penghambat")}
    message = next(p.message for p in sheet.row_problems if p.column == "faktor_penghambat")
    assert "200 karakter" in message and "batas 50" in message
