"""Every Excel file the reports write, opened and printed by LibreOffice
headless (as an office without Excel would): converted without error, its
pages counted, Tabel E.81 on F4 landscape with no type below 7 pt, one page
image checked. Needs LibreOffice Calc, poppler-utils and the Carlito font
(metric-compatible with Calibri, the workbooks' default font, whose width sets
the columns'); `make browser` installs them. Skipped without them, except in
CI, where they must be there."""

from __future__ import annotations

import pytest
from report_seed import AS_OF

from iku.domain.periods import Period
from iku.reports import (
    load_lakip_data,
    load_recap_data,
    load_report_data,
    render_lakip,
    render_recap,
    render_report,
)
from iku.reports.e81 import MIN_POINTS

from .conftest import F4_LANDSCAPE_PT, LINE_EM, ink_share, page_sizes, print_pdf, smallest_word

pytestmark = pytest.mark.browser  # the fast loop (make test-fast) leaves them out, like Chromium


def test_the_report_workbook_prints_e81_on_f4(office, budget_res, tmp_path):
    paths = render_report(load_report_data(budget_res, Period(2023, 2), AS_OF), tmp_path)
    pdf = print_pdf(office, paths[1], tmp_path)
    sizes = page_sizes(pdf)
    # E.81 first, on F4 landscape (the paper index 14 LibreOffice reads as 936 x 612 pt);
    # the other sheets on A4 landscape
    e81_pages = [i for i, s in enumerate(sizes, start=1) if s == F4_LANDSCAPE_PT]
    assert e81_pages and e81_pages[0] == 1 and e81_pages == list(range(1, len(e81_pages) + 1))
    assert len(sizes) > len(e81_pages)
    for page in e81_pages:
        assert smallest_word(pdf, page) >= MIN_POINTS * LINE_EM
    # the first page is the table: ink, but not a black page (a broken print fills or empties it)
    assert 0.01 < ink_share(pdf, 1, tmp_path) < 0.5


def test_the_a3_paper_prints_on_a3(office, budget_res, tmp_path):
    pipe = budget_res.config.pipeline
    reports = pipe.reports.model_copy(update={"e81_paper": "a3"})
    budget_res.config = budget_res.config.model_copy(
        update={"pipeline": pipe.model_copy(update={"reports": reports})}
    )
    paths = render_report(load_report_data(budget_res, Period(2023), AS_OF), tmp_path)
    pdf = print_pdf(office, paths[1], tmp_path)
    width, height = page_sizes(pdf)[0]
    assert (round(width), round(height)) == (1191, 842)  # A3 landscape, 420 x 297 mm
    assert smallest_word(pdf, 1) >= MIN_POINTS * LINE_EM


def test_the_lakip_and_the_recap_print(office, budget_res, tmp_path):
    lakip = render_lakip(load_lakip_data(budget_res, 2023), tmp_path)
    recap = render_recap(load_recap_data(budget_res, Period(2023, 2), AS_OF), tmp_path)
    for xlsx, sheets in ((lakip[0], 10), (recap[1], 3)):
        pdf = print_pdf(office, xlsx, tmp_path)
        sizes = page_sizes(pdf)
        # at least a page per sheet, A4 landscape throughout
        assert len(sizes) >= sheets and all(s == sizes[0] for s in sizes)
        assert (round(sizes[0][0]), round(sizes[0][1])) == (842, 595)
        images = tmp_path / xlsx.stem
        images.mkdir()
        assert 0.002 < ink_share(pdf, 1, images) < 0.5
