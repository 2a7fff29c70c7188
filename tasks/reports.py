"""Prefect tasks for the reports: thin wrappers over iku.reports, coarse (one
per step, not per indicator) to keep the engine's overhead small."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku import reports
from iku.domain.periods import Period
from iku.reports import LakipData, RecapData
from iku.resources import Resources
from iku.storage import Where
from iku.tasks import report_steps
from iku.tasks._log import run_logger
from iku.tasks.report_steps import _record, _writing

# The steps of a quarterly or annual report are plain functions in
# report_steps (so `iku report` runs them without importing Prefect); as tasks
# they get retries. Inputs hold a live warehouse engine: nothing to hash,
# nothing worth caching.
load_report = task(name="load-report-data", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)(
    report_steps.load_report
)
write_report = task(name="render-report", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)(
    report_steps.write_report
)
write_report_pdf = task(
    name="print-report-pdf", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE
)(report_steps.write_report_pdf)
update_index = task(
    name="update-report-index", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE
)(report_steps.update_index)


@task(name="load-lakip-data", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_lakip(res: Resources, year: int) -> LakipData:
    data = reports.load_lakip_data(res, year)
    run_logger().info("LAKIP %d: %d indicators over %s", year, len(data.rows), data.years)
    return data


@task(name="render-lakip", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_lakip(data: LakipData, out_dir: Where, res: Resources | None = None) -> list[Where]:
    with _writing(out_dir):
        paths = reports.render_lakip(data, out_dir)
    for p in paths:
        run_logger().info("wrote %s", p)
    _record(res, paths, data.config.catalogue.opd.code)
    return paths


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
def write_recap(data: RecapData, out_dir: Where, res: Resources | None = None) -> list[Where]:
    with _writing(out_dir):
        paths = reports.render_recap(data, out_dir)
    run_logger().info("wrote %s", ", ".join(str(p) for p in paths))
    _record(res, paths, "")
    return paths
