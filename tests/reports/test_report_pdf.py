"""The signable PDF: printed by headless Chromium, checked page by page with
poppler (pdftotext for the text, pdftoppm for a page image)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from browser import browser_required, chromium_path
from report_seed import AS_OF, add_factors

from iku.config import Pengesahan
from iku.domain.periods import Period
from iku.reports import load_report_data, render_report, write_pdf

pytestmark = pytest.mark.browser
HEADINGS = (
    "Ringkasan Predikat Capaian",
    "Capaian Indikator Kinerja Utama",
    "Rata-rata Capaian",
    "Faktor Pendorong, Faktor Penghambat dan Tindak Lanjut",
    "Tren Bulanan terhadap Laju Target",
    "Status Penyampaian Data per Bidang",
    "Sumber Data",
)


@pytest.fixture(scope="module")
def tools():
    missing = [t for t in ("pdftotext", "pdftoppm", "pdfinfo") if shutil.which(t) is None]
    if chromium_path() is None or missing:
        if browser_required():
            pytest.fail(f"chromium and poppler-utils are required in CI; missing: {missing or 'chromium'}")
        pytest.skip("chromium or poppler-utils not installed")


def _signed(res):
    cfg, cat = res.config, res.config.catalogue
    sign = Pengesahan(
        place="Kuala Tungkal",
        title="Kepala Dinas Perumahan dan Kawasan Permukiman",
        name="Ir. Nama Kepala Dinas, M.T.",
        rank="Pembina Utama Muda (IV/c)",
        nip="19700101 199503 1 001",
    )
    opd = cat.opd.model_copy(update={"pengesahan": sign})
    res.config = cfg.model_copy(update={"catalogue": cat.model_copy(update={"opd": opd})})
    return res


def _pages(pdf: Path, mode: str = "-layout") -> list[str]:
    text = subprocess.run(["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")[:-1]


def _dark_share(pdf: Path, page: int, tmp: Path) -> float:
    """Share of dark pixels on a page rendered by pdftoppm (greyscale PGM)."""
    subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", "30", "-gray", str(pdf), str(tmp / "page")],
        check=True,
    )
    data = next(tmp.glob("page-*.pgm")).read_bytes()
    for f in tmp.glob("page-*.pgm"):
        f.unlink()
    magic, width, height, maxval, pixels = re.match(
        rb"(P5)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", data, re.S
    ).groups()
    assert magic == b"P5" and int(maxval) == 255
    pixels = pixels[: int(width) * int(height)]
    return sum(p < 128 for p in pixels) / len(pixels)


def test_quarterly_pdf_pages(tools, seeded_res, tmp_path):
    res = _signed(seeded_res)
    add_factors(res.warehouse)
    html = render_report(load_report_data(res, Period(2023, 2), AS_OF), tmp_path)[0]
    pdf = write_pdf(html)
    assert pdf == tmp_path / "iku-2023-Q2.pdf" and pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+841\.\d+ x 59[45]\.\d+ pts \(A4\)", info), info  # A4 landscape
    pages = _pages(pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        # page numbers at every foot
        assert lines[-1].endswith(f"Halaman {n} dari {len(pages)}"), lines[-1]
        # a heading is never the last thing on a page
        body = lines[:-1]
        if body and n < len(pages):
            assert body[-1] not in HEADINGS and not body[-1].startswith("Sasaran:"), (n, body[-1])
    text = "\n".join(pages)
    assert "Laporan Evaluasi Kinerja Triwulan II Tahun 2023" in pages[0]
    assert "37,33 %" in text and "89,60 %" in text and "sementara" in text
    assert "Swadaya masyarakat tinggi" in text and "Pekerjaan dilanjutkan Juli" in text
    # the pengesahan block closes the report, whole, on one page; the appendix (sources) follows it
    signed = [n for n, page in enumerate(pages) if "Ir. Nama Kepala Dinas" in page]
    assert len(signed) == 1 and "Sumber Data" not in pages[signed[0]]
    assert any("Lampiran" in page and "Sumber Data" in page for page in pages[signed[0] + 1 :])
    last = pages[signed[0]]
    for line in (
        "Kuala Tungkal,",
        "Kepala Dinas Perumahan dan Kawasan Permukiman",
        "Ir. Nama Kepala Dinas, M.T.",
        "Pembina Utama Muda (IV/c)",
        "NIP. 19700101 199503 1 001",
    ):
        assert line in last, line
    assert last.index("Ir. Nama Kepala Dinas") > last.index("Kuala Tungkal,")
    # page images: the first page carries the tables, the last is not blank
    assert 0.01 < _dark_share(pdf, 1, tmp_path) < 0.6
    assert _dark_share(pdf, len(pages), tmp_path) > 0.001


def test_annual_pdf_has_the_quarters(tools, seeded_res, tmp_path):
    html = render_report(load_report_data(seeded_res, Period(2023), AS_OF), tmp_path)[0]
    text = " ".join(" ".join(_pages(write_pdf(html), "-raw")).split())
    assert "Laporan Pengukuran Kinerja Tahunan 2023" in text
    for q in ("I", "II", "III", "IV"):
        assert f"Realisasi Triwulan {q} " in text, q
    assert "Rata-rata tingkat capaian kinerja 2023" in text


def test_without_chromium_the_pdf_is_skipped_with_one_line(seeded_res, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("IKU_CHROMIUM", "")
    paths = render_report(load_report_data(seeded_res, Period(2023, 1), AS_OF), tmp_path)
    with caplog.at_level(logging.INFO, logger="iku.reports.pdf"):
        assert write_pdf(paths[0]) is None
    assert [r.getMessage() for r in caplog.records] == [
        "PDF tidak dibuat (dimatikan: IKU_CHROMIUM kosong): iku-2023-Q1.pdf"
    ]
    assert all(p.exists() for p in paths) and not (tmp_path / "iku-2023-Q1.pdf").exists()


def test_annual_pdf_notes_every_month_do_not_take_a_page_per_indicator(tools, seeded_res, tmp_path):
    """Issue 17 N4: a 2,000-character note every month on every indicator; the
    report up to its signature is hardly longer than with no notes at all."""
    from dataclasses import replace

    from iku.reports.model import Note

    res = _signed(seeded_res)

    def pages_to_signature(with_notes: bool) -> int:
        data = load_report_data(res, Period(2023), AS_OF)
        note = "pekerjaan fisik berjalan, menunggu pencairan termin berikutnya " * 32  # ~2,000 characters
        notes = tuple(Note(m, "perumahan", f"{m}: {note}", f"f{m}.xlsx") for m in range(1, 13))
        data.groups = [
            replace(g, rows=tuple(replace(r, notes=notes if with_notes else ()) for r in g.rows))
            for g in data.groups
        ]
        folder = tmp_path / str(with_notes)
        pages = _pages(write_pdf(render_report(data, folder)[0]))
        return next(n for n, page in enumerate(pages, start=1) if "Nama Kepala Dinas" in page)

    assert pages_to_signature(True) <= pages_to_signature(False) + 1
