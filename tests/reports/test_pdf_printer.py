"""Many PDFs from one headless Chromium (pdf_printer): the same PDFs as the
one-process print, a failed file costs only its PDF, a Chromium that dies is
started again, and no Chromium process or profile outlives the printer."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from browser import browser_required, chromium_path
from procs import running
from report_seed import AS_OF

from iku.domain.periods import Period
from iku.reports import load_report_data, render_report, write_pdf
from iku.reports.pdf import LANES, PdfFailed, PdfPrinter, chromium, pdf_printer

pytestmark = pytest.mark.browser

# A page Chromium cannot print within a short timeout: 60,000 table rows.
# (A looping script no longer hangs it: the printer writes the HTML into the
# tab, and that runs no script; the reports have none.)
HANGS = "<!doctype html><title>hangs</title><table>{}</table>".format(
    "".join(f"<tr><td>{i}</td><td>baris panjang {i}</td></tr>" for i in range(60_000))
)


@pytest.fixture(scope="module")
def tools():
    missing = [t for t in ("pdftotext", "pdfinfo") if shutil.which(t) is None]
    if chromium_path() is None or missing:
        if browser_required():
            pytest.fail(f"chromium and poppler-utils are required in CI; missing: {missing or 'chromium'}")
        pytest.skip("chromium or poppler-utils not installed")


@pytest.fixture
def reports(seeded_res, tmp_path) -> list[Path]:
    """Three real reports: two quarters and the year."""
    out = tmp_path / "out"
    return [
        render_report(load_report_data(seeded_res, p, AS_OF), out)[0]
        for p in (Period(2023, 1), Period(2023, 2), Period(2023))
    ]


def _page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group `pgid`."""
    return [p.pid for p in running() if p.pgrp == pgid]


def _chromium_children() -> list[int]:
    """Processes of ours (children of this test process) that run Chromium."""
    return [p.pid for p in running() if p.ppid == os.getpid() and b"chromium" in p.cmdline]


def _browsers(printer: PdfPrinter) -> list:
    return [lane.browser for lane in printer._all_lanes if lane.browser is not None]


def test_one_chromium_prints_every_report_like_the_one_process_print(tools, reports, tmp_path):
    single = tmp_path / "single"
    single.mkdir()
    with pdf_printer() as printer:
        pdfs = [printer.print(html) for html in reports]
        (browser,) = _browsers(printer)
        pgid, profile = browser.proc.pid, Path(browser.profile)
        assert _group(pgid) and profile.is_dir()
    assert printer.starts == 1
    for html, pdf in zip(reports, pdfs, strict=True):
        assert pdf == html.with_suffix(".pdf") and pdf.read_bytes().startswith(b"%PDF")
        alone = write_pdf(html, single / pdf.name)
        # the same pages and the same text as `chromium --print-to-pdf --no-pdf-header-footer`
        assert _page_count(pdf) == _page_count(alone) >= 2
        assert _text(pdf) == _text(alone)
    assert "Halaman 1 dari" in _text(pdfs[0])
    # nothing left: no process of its group, no profile, no temporary file
    assert _group(pgid) == [] and _chromium_children() == []
    assert not profile.exists()
    assert not [p for p in reports[0].parent.iterdir() if p.name.endswith(".tmp")]


def test_a_bad_file_in_the_middle_costs_only_its_pdf(tools, reports, tmp_path):
    hangs = tmp_path / "hangs.html"
    hangs.write_text(HANGS)
    missing = tmp_path / "missing.html"
    printer = PdfPrinter(chromium(), timeout=3)
    try:
        assert printer.print(reports[0]) is not None
        with pytest.raises(PdfFailed, match=r"missing\.html tidak ditemukan"):
            printer.print(missing)
        latin = tmp_path / "latin.html"
        latin.write_bytes(b"<!doctype html><p>Rp 1.000 \xb1 5</p>")  # not UTF-8: not one of ours
        with pytest.raises(PdfFailed, match=r"latin\.html bukan HTML UTF-8"):
            printer.print(latin)
        assert printer.starts == 1  # a missing or foreign file is no reason to restart
        started = time.monotonic()
        with pytest.raises(PdfFailed, match=r"hangs\.html"):
            printer.print(hangs)  # too big: the page's timeout, then a new Chromium
        assert time.monotonic() - started < 30
        assert printer.print(reports[1]).read_bytes().startswith(b"%PDF")
        assert printer.starts == 2
    finally:
        printer.close()
    assert not any((tmp_path / f"{n}.pdf").exists() for n in ("missing", "hangs", "latin"))
    assert not list(tmp_path.rglob("*.tmp"))
    assert _chromium_children() == []


def test_a_chromium_killed_mid_batch_is_started_again(tools, reports, caplog):
    with pdf_printer() as printer:
        assert printer.print(reports[0]) is not None
        (first,) = _browsers(printer)
        first_pgid, first_profile = first.proc.pid, Path(first.profile)
        os.killpg(first_pgid, signal.SIGKILL)  # as the OOM killer would
        with caplog.at_level(logging.INFO, logger="iku.reports.pdf"):
            second = printer.print(reports[1])
        assert second is not None and second.read_bytes().startswith(b"%PDF")
        assert printer.starts == 2 and not first_profile.exists()
        assert any("dijalankan lagi" in r.getMessage() for r in caplog.records)
        (now,) = _browsers(printer)
        pgid = now.proc.pid
    assert _group(first_pgid) == [] and _group(pgid) == [] and _chromium_children() == []


def test_too_many_deaths_print_the_rest_one_process_each(tools, reports):
    with pdf_printer() as printer:
        for _ in range(5):
            assert printer.print(reports[0]) is not None
            for browser in _browsers(printer):
                browser.kill()
        assert printer.one_process
        assert printer.print(reports[1]).read_bytes().startswith(b"%PDF")  # `chromium --print-to-pdf`
    assert _chromium_children() == []


def test_background_prints_in_order_and_an_exception_leaves_nothing_behind(tools, reports, tmp_path):
    hangs = tmp_path / "hangs.html"
    hangs.write_text(HANGS)
    with pytest.raises(KeyboardInterrupt), pdf_printer() as printer:
        jobs = [printer.submit(printer.print, html) for html in reports]
        assert [job.result(timeout=120) for job in jobs] == [h.with_suffix(".pdf") for h in reports]
        printer.submit(printer.print, hangs)  # under way when the run is interrupted
        time.sleep(1)
        browsers = [(b.proc.pid, Path(b.profile)) for b in _browsers(printer)]
        started = time.monotonic()
        raise KeyboardInterrupt
    assert time.monotonic() - started < 15  # the print under way is not waited for
    assert browsers and _chromium_children() == []
    assert all(_group(pgid) == [] and not profile.exists() for pgid, profile in browsers)
    assert not hangs.with_suffix(".pdf").exists()


def test_nested_printers_share_one_chromium(tools, reports):
    with pdf_printer() as outer:
        outer.warm_up()  # Chromium starts in the background; the print takes it over
        outer.print(reports[0])
        with pdf_printer() as inner:
            assert inner is outer
            inner.print(reports[1])
        assert _browsers(outer)  # the inner one's end did not close it
    assert outer.starts == 1


def test_without_chromium_nothing_starts(reports, monkeypatch, caplog):
    monkeypatch.setenv("IKU_CHROMIUM", "")
    with caplog.at_level(logging.INFO, logger="iku.reports.pdf"), pdf_printer() as printer:
        assert printer.print(reports[0]) is None
    assert printer.starts == 0
    assert [r.getMessage() for r in caplog.records] == [
        "PDF tidak dibuat (dimatikan: IKU_CHROMIUM kosong): iku-2023-Q1.pdf"
    ]


def test_a_chromium_that_is_not_there_is_a_warning_naming_the_fix(reports, monkeypatch, caplog):
    monkeypatch.setenv("IKU_CHROMIUM", "/nonexistent/chromium")
    with caplog.at_level(logging.INFO, logger="iku.reports.pdf"), pdf_printer() as printer:
        assert printer.print(reports[0]) is None
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            logging.WARNING,
            "PDF tidak dibuat: Chromium tidak ditemukan (apt-get install chromium): iku-2023-Q1.pdf",
        )
    ]


def test_every_opd_from_one_chromium_and_a_failed_opd_keeps_the_earlier_pdfs(tools, tmp_path, caplog):
    """iku report for a kabupaten (report_all): one Chromium for every OPD; when a
    later OPD's report fails, the earlier OPD keep their PDFs, logged and recorded."""
    from types import SimpleNamespace

    from kabupatenkit import DINKES, SEED, TWIN, kabupaten_config

    from flows import pipeline
    from iku.resources import build_resources
    from iku.settings import Settings
    from iku.warehouse.reports import written_reports
    from tasks import report_steps

    settings = Settings(
        config_dir=kabupaten_config(tmp_path / "config"),
        warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}",
        inbox_dir=tmp_path / "inbox",
        output_dir=tmp_path / "out",
        archive_dir=tmp_path / "archive",
    )
    res = build_resources(settings)
    with pdf_printer() as printer:  # report_all's own printer is this one
        paths = pipeline.report_all(res, Period(2023, 1), AS_OF)
    assert 1 <= printer.starts <= LANES  # two print at once on two cores
    pdfs = [p for p in paths if p.suffix == ".pdf"]
    assert [p.parent.name for p in pdfs] == [DINKES, SEED, TWIN]
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)

    def write_opd_report(unit, period, as_of, printer):
        if unit.opd == TWIN:
            raise RuntimeError("the warehouse went away")
        return report_steps.write_opd_report(unit, period, as_of, printer)

    steps = SimpleNamespace(**{n: getattr(report_steps, n) for n in ("collect_pdfs", "update_index")})
    steps.write_opd_report = write_opd_report
    with caplog.at_level(logging.INFO, logger="iku"), pytest.raises(RuntimeError, match="went away"):
        pipeline.report_all(res, Period(2023, 2), AS_OF, steps=steps)
    out = tmp_path / "out" / "2023"
    assert (out / DINKES / "iku-2023-Q2.pdf").exists() and (out / SEED / "iku-2023-Q2.pdf").exists()
    assert not (out / TWIN / "iku-2023-Q2.html").exists()
    recorded = {(r.opd, r.period, r.format) for r in written_reports(res.warehouse)}
    assert {(DINKES, "2023-Q2", "pdf"), (SEED, "2023-Q2", "pdf")} <= recorded
    assert _chromium_children() == []


def test_the_printed_pages_load_nothing_beside_them():
    """The printer writes each report's HTML into its tab (no navigation, so no
    folder to resolve against): the reports and the recap must stay self-contained."""
    from conftest import REPO

    for template in ("report.html.j2", "recap.html.j2", "partials/style.css"):
        text = (REPO / "templates" / template).read_text(encoding="utf-8")
        for loads in ("src=", "<link", "url(", "@import"):
            assert loads not in text, f"templates/{template} loads a file ({loads})"
