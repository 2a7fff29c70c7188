"""Fixtures of the report tests: a seeded warehouse behind Resources."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from browser import browser_required
from budgetkit import sipd_rows, with_programs, write_sheet
from report_seed import seed

from iku.budget_import import import_budget
from iku.resources import build_resources
from iku.settings import Settings


@pytest.fixture
def seeded_res(iku_env):
    """Resources over the private environment, its SQLite warehouse seeded."""
    res = build_resources(Settings())
    seed(res.settings.warehouse_url)
    return res


@pytest.fixture
def seeded_res_any(iku_env, warehouse_url):
    """The same, once on SQLite and once on PostgreSQL."""
    res = build_resources(Settings(warehouse_url=warehouse_url))
    seed(warehouse_url)
    return res


PK_YAML = """
perjanjian_kinerja:
  2023:
    - {date: 2023-01-31, label: "PK awal", targets: {IKU-02: 160, IKU-04: 10}}
    - {date: 2023-08-15, label: "PK perubahan", targets: {IKU-02: 140}}
"""


def _december(year: int, scale: float) -> list[list]:
    """The LRA through December: June's rows, realisasi scaled, the title row saying December."""
    rows = sipd_rows(month=6, year=year, scale=scale)
    rows[3] = [f"Periode: 1 Januari s.d. 31 Desember {year}"]
    return rows


@pytest.fixture
def budget_res(iku_env, config_copy, monkeypatch, tmp_path):
    """The seeded warehouse with programs, a Perjanjian Kinerja for 2023 and budget
    sheets imported as a finance office sends them: December 2022 (realisasi x 2),
    March 2023 (x 1) and June 2023 (x 1.5). Hand figures (tests/budgetkit.py):
    program 1.04.02 pagu 1.250.000.000, realisasi 400 juta in March, 600 juta in June,
    800 juta in December 2022; program 1.04.03 pagu 500 juta, realisasi 150 juta in
    March, 225 juta in June, 300 juta in December 2022."""
    cfg = with_programs(config_copy)
    text = (cfg / "opd.yaml").read_text(encoding="utf-8") + PK_YAML
    # an anggaran kas for 2023 too: 150, 400, 600 and 750 juta through each triwulan
    text = text.replace(
        "anggaran_kas: {2024:", "anggaran_kas: {2023: [150000000, 400000000, 600000000, 750000000], 2024:"
    )
    (cfg / "opd.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("IKU_CONFIG_DIR", str(cfg))
    res = build_resources(Settings())
    seed(res.settings.warehouse_url)
    sheets = [
        ("lra-2022-12.xlsx", _december(2022, 2), (2022, 12)),
        ("lra-2023-03.xlsx", sipd_rows(month=3, year=2023), (2023, 3)),
        ("lra-2023-06.xlsx", sipd_rows(month=6, year=2023, scale=1.5), (2023, 6)),
    ]
    for name, rows, period in sheets:
        done = import_budget(res, write_sheet(tmp_path / "lra" / name, rows), period)
        assert done.status == "loaded", done.problems
    return res


# -- LibreOffice headless, printing the workbooks (tests/reports/test_office_print.py) --

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
