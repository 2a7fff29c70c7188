"""The steps of the reports (quarterly or annual, the kabupaten recap, the
LAKIP feed) as plain functions (their order: flows/pipeline.py report_all,
recap_all, lakip_all): the Prefect tasks of tasks/reports.py wrap them
(with retries) for the flows and the scheduled deployments, and `iku report`,
`iku recap` and `iku lakip` run them in their own process without Prefect
(whose import alone costs about 1 s). They log through run_logger: the flow
run's log inside a flow, the `iku` logger outside one."""

from __future__ import annotations

from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from iku import reports, storage
from iku.alerts import dispatch
from iku.domain.periods import Period
from iku.locations import Unwritable
from iku.reports import LakipData, RecapData, ReportData, content
from iku.reports.content import content_of
from iku.reports.index import written_before
from iku.reports.pdf import PdfPrinter, chromium, pdf_printer, skipped
from iku.resources import Resources
from iku.storage import Where
from iku.warehouse.reports import record_reports, written_reports
from iku.warehouse.store import SITE_LOCK
from tasks._log import run_logger
from tasks.alert_steps import send_kabupaten_recap as send_kabupaten_recap  # a step of recap_all too

# an OPD's report written (the files) and its PDF printing (None without Chromium);
# with the annual report, also its companions (the pohon kinerja, the Perjanjian
# Kinerja): each HTML written and its PDF printing
PdfUnderWay = tuple[
    Resources,
    list[Where],
    "Future[Where | None] | None",
    list[tuple[Where, "Future[Where | None] | None"]],
]


def write_opd_report(unit: Resources, period: Period, as_of: datetime, printer: PdfPrinter) -> PdfUnderWay:
    """One OPD's report: its data loaded, its HTML, Excel and JSON written, its
    PDF started on `printer` (collect_pdfs waits for it). The annual report
    brings its companions: the pohon kinerja and the year's Perjanjian Kinerja."""
    data = load_report(unit, period, as_of)
    out_dir = unit.report_dir(period.year)
    written = write_report(data, out_dir, unit)
    companions = annual_companions(unit, data, out_dir) if period.quarter is None else []
    printing = start_pdf(written[0], printer, unit)
    return unit, written, printing, [(html, start_pdf(html, printer, unit)) for html in companions]


def annual_companions(unit: Resources, data: ReportData, out_dir: Where) -> list[Where]:
    """The pohon kinerja of the year (RPJMD-free: this OPD's IKU, programs and
    kegiatan) and the year's Perjanjian Kinerja, as HTML beside the annual
    report, on the record out/index.html and the portal list; their PDFs are
    printed like the report's."""
    from iku.reports.pk import load_pk_document, render_pk_html
    from iku.reports.tree import build_tree, render_tree_html, tree_budgets, tree_written

    budgets, months = tree_budgets(unit.warehouse, [data])
    tree = build_tree([data], budgets, budget_months=months)
    pk = load_pk_document(unit, data.period.year)
    with _writing(out_dir):
        tree_html = storage.write(out_dir / f"{tree.basename}.html", render_tree_html(tree))
        pk_html = storage.write(out_dir / f"{pk.basename}.html", render_pk_html(pk))
    record_reports(
        unit.warehouse, [*tree_written([tree_html], unit.opd), *reports.written([pk_html], unit.opd)]
    )
    for p in (tree_html, pk_html):
        run_logger().info("ditulis %s", p)
    return [tree_html, pk_html]


def collect_pdfs(under_way: list[PdfUnderWay]) -> list[Where]:
    """Every OPD's files and its PDF once printed (logged and recorded; a PDF
    that failed costs only itself), then its companions and theirs."""
    paths: list[Where] = []
    for unit, written, printing, companions in under_way:
        pdf = write_report_pdf(written[0], unit, unit.opd, printing)
        paths += [*written, pdf] if pdf is not None else written
        for html, its_printing in companions:
            pdf = write_report_pdf(html, unit, unit.opd, its_printing)
            paths += [html, pdf] if pdf is not None else [html]
    return paths


def load_report(res: Resources, period: Period, as_of: datetime) -> ReportData:
    data = reports.load_report_data(res, period, as_of)
    incomplete = [r.indicator.code for r in data.rows if r.achievement.months_missing]
    run_logger().info(
        "%s: %d indikator, %d berkas sumber; data belum lengkap: %s",
        period.slug,
        len(data.rows),
        len(data.sources),
        ", ".join(incomplete) or "none",
    )
    for r in data.at_risk():
        run_logger().warning(
            "%s berisiko: proyeksi %.2f %% dari target", r.indicator.code, r.achievement.projected_pct
        )
    return data


def load_lakip(res: Resources, year: int) -> LakipData:
    data = reports.load_lakip_data(res, year)
    run_logger().info("LAKIP %d: %d indikator, tahun %s", year, len(data.rows), data.years)
    return data


def write_kabupaten_tree(res: Resources, recap: RecapData) -> list[Where]:
    """The kabupaten's pohon kinerja (issue 19 item 5): its RPJMD IKU above the OPD
    IKU that feed them, down to programs and kegiatan, with every OPD's figures;
    out/<year>/ beside the recap. [] for one OPD or without config/rpjmd.yaml
    (each OPD's annual report already carries its own tree)."""
    rpjmd = res.installation.rpjmd if res.installation is not None else None
    if rpjmd is None or not rpjmd.indicators or not res.multi:
        return []
    from iku.reports.tree import build_tree, tree_budgets, write_tree

    data = [o.report for o in recap.opds]  # every OPD's report data, loaded once for the recap
    budgets, months = tree_budgets(res.warehouse, data)
    tree = build_tree(data, budgets, rpjmd, budget_months=months, heading=res.kabupaten_name, region="")
    paths = write_tree(tree, res.output_dir / str(recap.period.year), warehouse=res.warehouse, opd="")
    for p in paths:
        run_logger().info("ditulis %s", p)
    return paths


def write_kabupaten_lakip(res: Resources, lakips: dict[str, LakipData], year: int) -> list[Where]:
    """The kabupaten's own IKU year by year, from the OPD feeds just built."""
    rpjmd = res.installation.rpjmd if res.installation is not None else None
    data = reports.build_kabupaten_lakip(rpjmd, lakips, year, res.kabupaten_name) if rpjmd else None
    if data is None:
        return []
    out_dir = res.output_dir / str(year)
    with _writing(out_dir):
        paths = reports.render_kabupaten_lakip(data, out_dir)
    run_logger().info(
        "LAKIP kabupaten %d: %d IKU, tahun %s; ditulis %s",
        year,
        len(data.rows),
        data.years,
        ", ".join(str(p) for p in paths),
    )
    _record(res, paths, "")
    return paths


def write_lakip(data: LakipData, out_dir: Where, res: Resources | None = None) -> list[Where]:
    with _writing(out_dir):
        paths = reports.render_lakip(data, out_dir)
    for p in paths:
        run_logger().info("ditulis %s", p)
    _record(res, paths, data.config.catalogue.opd.code)
    return paths


def load_recap(res: Resources, period: Period, as_of: datetime) -> RecapData:
    data = reports.load_recap_data(res, period, as_of)
    rate = data.rate
    run_logger().info(
        "rekap %s: %d OPD, %d indikator; %d dari %d lembar yang jatuh tempo sudah diterima",
        period.slug,
        len(data.opds),
        data.indicators,
        rate.received,
        rate.expected,
    )
    return data


def write_recap(data: RecapData, out_dir: Where, res: Resources | None = None) -> list[Where]:
    with _writing(out_dir):
        paths = reports.render_recap(data, out_dir)
    run_logger().info("ditulis %s", ", ".join(str(p) for p in paths))
    _record(res, paths, "")
    return paths


def write_report(data: ReportData, out_dir: Where, res: Resources | None = None) -> list[Where]:
    with _writing(out_dir):
        paths = reports.render_report(data, out_dir)
    for p in paths:
        run_logger().info("ditulis %s", p)
    _record(res, paths, data.catalogue.opd.code)
    return paths


def _record(res: Resources | None, paths: list[Where], opd: str) -> None:
    """Files written go on the warehouse's record, which out/index.html is built from."""
    if res is not None:
        from iku.reports.tree import tree_written

        record_reports(res.warehouse, [*reports.written(paths, opd), *tree_written(paths, opd)])


def start_pdf(html: Where, printer: PdfPrinter, res: Resources | None = None) -> Future[Where | None] | None:
    """The PDF of `html` printing in the background (write_report_pdf collects
    it); None without Chromium. A PDF whose report says what it said when
    printed is kept: no print, no Chromium started for it."""
    if printer.exe is None:
        return None
    if printed_already(html, res) is not None:
        kept = KeptPdf()
        kept.set_result(html.with_suffix(".pdf"))
        return kept
    return printer.submit(_print_pdf, html, printer)


class KeptPdf(Future):
    """start_pdf's answer for a PDF whose report did not change: decided once
    there, so write_report_pdf does not ask the warehouse again."""


def printed_already(html: Where, res: Resources | None) -> str | None:
    """The content hash of `html` when its PDF was printed from the same content; else None."""
    return content.printed_already(html, res.warehouse if res is not None else None)


def write_report_pdf(
    html: Where, res: Resources | None = None, opd: str = "", printing: Future[Where | None] | None = None
) -> Where | None:
    """The signable PDF beside the HTML (`printing`: already under way, from
    start_pdf); a missing Chromium or a failed print costs only the PDF, never
    the other files. An HTML in a remote store is printed from a local copy and
    the PDF put beside it there. A PDF whose report did not change is kept."""
    if chromium() is None:  # said here, once, in the run's log
        skipped(html.with_suffix(".pdf").name, to=run_logger())
        return None
    if isinstance(printing, KeptPdf) or (printing is None and printed_already(html, res) is not None):
        run_logger().info("PDF tidak berubah, tetap dipakai: %s", html.with_suffix(".pdf"))
        return html.with_suffix(".pdf")
    try:
        if printing is not None:
            pdf = printing.result()
        else:
            with pdf_printer() as printer:  # the run's printer when there is one
                pdf = _print_pdf(html, printer)
    except (reports.PdfFailed, Unwritable, OSError) as exc:
        run_logger().warning("PDF tidak ditulis: %s", exc)
        return None
    if pdf is None:
        return None
    run_logger().info("ditulis %s", pdf)
    if res is not None:
        from iku.reports.tree import tree_written

        done = [*reports.written([pdf], opd), *tree_written([pdf], opd)]
        record_reports(res.warehouse, [replace(w, content_hash=content_of(html)) for w in done])
    return pdf


def _print_pdf(html: Where, printer: PdfPrinter) -> Where | None:
    if isinstance(html, Path):
        return printer.print(html)
    with storage.local_copy(html) as local:
        printed = printer.print(local)
        return storage.write(html.with_suffix(".pdf"), printed.read_bytes()) if printed else None


def update_index(res: Resources) -> Where | None:
    """out/index.html from the warehouse's record of every report written (by
    any worker, for every OPD). A side product: when it cannot be written, the
    report stands; the failure is logged and alerted (once a month)."""
    inst = res.installation
    names = (
        {code: cat.opd.name for code, cat in inst.catalogues.items()}
        if inst is not None
        else {res.opd: res.config.catalogue.opd.name}
    )
    opd = res.config.catalogue.opd
    heading, region = (res.kabupaten_name, "") if len(names) > 1 else (opd.name, opd.region)
    try:
        # read and written under the site lock: a concurrent run of another OPD
        # writes after this one and reads its records too
        with res.warehouse.exclusive(SITE_LOCK):
            path = _write_index(res, names, heading, region)
    except (OSError, Unwritable) as exc:
        dispatch.alert_side_product(
            res, "index.html", str(res.output_dir), f"{type(exc).__name__}: {exc}", run_logger()
        )
        return None
    run_logger().info("indeks: %s", path)
    return path


def _write_index(res: Resources, names: dict[str, str], heading: str, region: str) -> Where:
    recorded = written_reports(res.warehouse)
    if isinstance(res.output_dir, Path):  # reports written before the record: adopted once
        before = written_before(res.output_dir, recorded, list(names), res.opd)
        if before:
            record_reports(res.warehouse, before)
            recorded = written_reports(res.warehouse)
    return reports.write_index(res.output_dir, recorded, heading, region, names, res.config.pipeline.timezone)


@contextmanager
def _writing(out_dir: Where):
    """A report that cannot be written ends the command with exit 5, one line."""
    try:
        yield
    except OSError as exc:
        raise Unwritable(
            f"laporan tidak dapat ditulis ke {out_dir} ({exc.strerror or type(exc).__name__})"
        ) from None
