"""Prefect tasks for the reports: thin wrappers over iku.reports, coarse (one
per step, not per indicator) to keep the engine's overhead small."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku import reports
from iku.alerts import dispatch
from iku.domain.periods import Period
from iku.locations import Unwritable
from iku.reports import LakipData, RecapData, ReportData
from iku.reports.pdf import chromium
from iku.resources import Resources
from iku.tasks._log import run_logger


# Inputs hold a live warehouse engine: nothing to hash, nothing worth caching.
@task(name="load-report-data", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_report(res: Resources, period: Period, as_of: datetime) -> ReportData:
    data = reports.load_report_data(res, period, as_of)
    incomplete = [r.indicator.code for r in data.rows if r.achievement.months_missing]
    run_logger().info(
        "%s: %d indicators, %d source files; incomplete data: %s",
        period.slug,
        len(data.rows),
        len(data.sources),
        ", ".join(incomplete) or "none",
    )
    for r in data.at_risk():
        run_logger().warning(
            "%s berisiko: projected %.2f %% of target", r.indicator.code, r.achievement.projected_pct
        )
    return data


@task(name="render-report", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_report(data: ReportData, out_dir: Path) -> list[Path]:
    with _writing(out_dir):
        paths = reports.render_report(data, out_dir)
    for p in paths:
        run_logger().info("wrote %s", p)
    return paths


@task(name="print-report-pdf", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_report_pdf(html: Path) -> Path | None:
    """The signable PDF beside the HTML; a missing Chromium or a failed print
    costs only the PDF, never the other files."""
    if chromium() is None:  # said here, once, in the run's log
        run_logger().warning(
            "PDF skipped: chromium not found (apt-get install chromium); %s not written",
            html.with_suffix(".pdf").name,
        )
        return None
    try:
        pdf = reports.write_pdf(html)
    except reports.PdfFailed as exc:
        run_logger().warning("PDF not written: %s", exc)
        return None
    run_logger().info("wrote %s", pdf)
    return pdf


@task(name="load-lakip-data", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_lakip(res: Resources, year: int) -> LakipData:
    data = reports.load_lakip_data(res, year)
    run_logger().info("LAKIP %d: %d indicators over %s", year, len(data.rows), data.years)
    return data


@task(name="render-lakip", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_lakip(data: LakipData, out_dir: Path) -> list[Path]:
    with _writing(out_dir):
        paths = reports.render_lakip(data, out_dir)
    for p in paths:
        run_logger().info("wrote %s", p)
    return paths


@task(name="update-report-index", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def update_index(res: Resources) -> Path | None:
    """The index page is a side product: when it cannot be written, the report
    stands; the failure is logged and alerted (once a month)."""
    try:
        path = reports.write_index(res.output_dir, res.config.catalogue, res.config.pipeline.timezone)
    except OSError as exc:
        dispatch.alert_side_product(
            res, "index.html", str(res.output_dir), f"{type(exc).__name__}: {exc}", run_logger()
        )
        return None
    run_logger().info("index: %s", path)
    return path


@task(name="load-recap-data", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_recap(res: Resources, period: Period, as_of: datetime) -> RecapData:
    data = reports.load_recap_data(res, period, as_of)
    rate = data.rate
    run_logger().info(
        "recap %s: %d OPD, %d indicators; %d of %d due sheets received",
        period.slug,
        len(data.opds),
        data.indicators,
        rate.received,
        rate.expected,
    )
    return data


@task(name="render-recap", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_recap(data: RecapData, out_dir: Path) -> list[Path]:
    with _writing(out_dir):
        paths = reports.render_recap(data, out_dir)
    run_logger().info("wrote %s", ", ".join(str(p) for p in paths))
    return paths


@contextmanager
def _writing(out_dir: Path):
    """A report that cannot be written ends the command with exit 5, one line."""
    try:
        yield
    except OSError as exc:
        raise Unwritable(
            f"laporan tidak dapat ditulis ke {out_dir} ({exc.strerror or type(exc).__name__})"
        ) from None
