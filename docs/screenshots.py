"""Regenerate the report screenshots in docs/ (run from the repository root):

    .venv/bin/python docs/screenshots.py

Renders the quarterly (with a Rencana Aksi for IKU-02) and annual reports of the
test warehouse (tests/report_seed.py, with its faktor revisions and a
pengesahan), then: the HTML in headless Chromium, the PDF's first and last page
with pdftoppm, and Tabel E.81 of the Excel through LibreOffice (skipped, and
said, when `soffice` is not installed: `apt-get install libreoffice-calc-nogui`).
Prints how long each PDF took."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from browser import load_page  # noqa: E402
from report_seed import AS_OF, add_factors, seed  # noqa: E402

from iku.config import Pengesahan, load_config  # noqa: E402
from iku.domain.periods import Period  # noqa: E402
from iku.domain.status import status_matrix  # noqa: E402
from iku.reports import build_report_data, render_report, write_pdf  # noqa: E402

DOCS = REPO / "docs"


def config():
    cfg = load_config(REPO / "config")
    cat = cfg.catalogue
    sign = Pengesahan(
        place="Kuala Tungkal",
        title="Kepala Dinas Perumahan dan Kawasan Permukiman",
        name="Nama Kepala Dinas",
        rank="Pembina Utama Muda (IV/c)",
        nip="19700101 199503 1 001",
    )
    plan = {2023: (30.0, 70.0, 110.0, 150.0)}
    inds = [i.model_copy(update={"rencana_aksi": plan}) if i.code == "IKU-02" else i for i in cat.indicators]
    opd = cat.opd.model_copy(update={"pengesahan": sign})
    return cfg.model_copy(update={"catalogue": cat.model_copy(update={"opd": opd, "indicators": inds})})


def page_png(
    pdf: Path, page: int, dest: Path, dpi: int = 70, crop: tuple[int, int, int, int] | None = None
) -> None:
    """One page as PNG; `crop` = (x, y, width, height) in pixels at `dpi`."""
    box = ["-x", str(crop[0]), "-y", str(crop[1]), "-W", str(crop[2]), "-H", str(crop[3])] if crop else []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                *box,
                str(pdf),
                f"{tmp}/p",
            ],
            check=True,
        )
        shutil.move(next(Path(tmp).glob("p-*.png")), dest)


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def main() -> None:
    cfg = config()
    with tempfile.TemporaryDirectory(prefix="iku-docs-") as tmp:
        work = Path(tmp)
        wh = seed(f"sqlite:///{work / 'w.sqlite'}")
        add_factors(wh)
        values = wh.current_values(cfg.catalogue.opd.code, None)
        logs = wh.submission_logs(cfg.catalogue.opd.code, 2023)
        for period, name in ((Period(2023, 2), "quarterly"), (Period(2023), "annual")):
            subs = status_matrix(
                logs,
                [b.code for b in cfg.catalogue.bidang],
                2023,
                period.end_month,
                AS_OF,
                10,
                "Asia/Jakarta",
            )
            data = build_report_data(cfg, values, subs, period, AS_OF)
            html, xlsx, _ = render_report(data, work)
            (DOCS / f"report-{name}-html.png").write_bytes(load_page(html).screenshot)
            start = time.perf_counter()
            pdf = write_pdf(html)
            print(f"{pdf.name}: {pages(pdf)} pages in {time.perf_counter() - start:.2f} s")
            page_png(pdf, 1, DOCS / f"report-{name}-pdf-page1.png")
            if name == "quarterly":
                page_png(pdf, pages(pdf), DOCS / "report-quarterly-pdf-last.png")
                soffice = shutil.which("soffice")
                if soffice is None:
                    print("Excel image skipped: LibreOffice (soffice) is not installed")
                    continue
                subprocess.run(
                    [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(work / "xlsx"), str(xlsx)],
                    check=True,
                    capture_output=True,
                )
                # the left part of Tabel E.81 at a readable size (the sheet prints one page wide)
                e81 = work / "xlsx" / f"{xlsx.stem}.pdf"
                page_png(e81, 1, DOCS / "report-quarterly-excel-e81.png", dpi=160, crop=(0, 60, 1250, 720))
    print("written:", ", ".join(sorted(p.name for p in DOCS.glob("report-*.png"))))


if __name__ == "__main__":
    main()
