"""Every Excel file the reports write, opened and printed by LibreOffice
headless (as an office without Excel would): converted without error, its
pages counted, Tabel E.81 on F4 landscape with no type below 7 pt, one page
image checked. Needs LibreOffice Calc, poppler-utils and the Carlito font
(metric-compatible with Calibri, the workbooks' default font, whose width sets
the columns'); `make browser` installs them. Skipped without them, except in
CI, where they must be there."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from browser import browser_required
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

# Liberation Sans (LibreOffice's Arial) draws a line of type ascent + descent =
# 0.905 + 0.212 = 1.117 em high: a word's box in the PDF that is lower than
# 7 pt x 1.117 was set below 7 pt.
LINE_EM = 1.117
F4_LANDSCAPE_PT = (936.0, 612.0)  # 330.2 x 215.9 mm


def _has_carlito() -> bool:
    fc = shutil.which("fc-list")
    if fc is None:
        return False
    return "carlito" in subprocess.run([fc], capture_output=True, text=True, check=False).stdout.lower()


@pytest.fixture
def office():
    missing = [t for t in ("soffice", "pdfinfo", "pdftoppm", "pdftotext") if shutil.which(t) is None]
    if not _has_carlito():
        missing.append("fonts-crosextra-carlito")
    if missing:
        if browser_required():
            pytest.fail(f"LibreOffice, poppler-utils and Carlito are required in CI; missing: {missing}")
        pytest.skip(f"not installed: {', '.join(missing)}")
    return shutil.which("soffice")


def print_pdf(soffice: str, xlsx: Path, out: Path) -> Path:
    """Print `xlsx` to PDF with LibreOffice headless, in a profile of its own
    (parallel runs must not share one)."""
    profile = out / "lo-profile"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    pdf = out / f"{xlsx.stem}.pdf"
    assert done.returncode == 0 and pdf.is_file(), (done.stdout, done.stderr)
    return pdf


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]


def smallest_word(pdf: Path, page: int) -> float:
    """The height (pt) of the lowest word box on `page`."""
    xml = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    heights = [
        float(y2) - float(y1)
        for y1, y2 in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">', xml)
    ]
    assert heights, "no text on the page"
    return min(heights)


def ink_share(pdf: Path, page: int, tmp: Path) -> float:
    """The share of a page image (grey, 40 dpi) that is not white."""
    subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", "40", "-gray", str(pdf), str(tmp / "page")],
        check=True,
    )
    pgm = next(tmp.glob("page*.pgm")).read_bytes()
    # P5 header: magic, width, height, maxval, then one byte per pixel
    magic, width, height, maxval, pixels = pgm.split(maxsplit=4)
    assert magic == b"P5" and int(maxval) == 255
    body = pixels[: int(width) * int(height)]
    return sum(1 for b in body if b < 200) / len(body)


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
