"""Prefect tasks for the reports: the plain steps of report_steps (which
`iku report`, `iku recap` and `iku lakip` run without Prefect), coarse (one
per step, not per indicator) to keep the engine's overhead small, with
retries. Inputs hold a live warehouse engine: nothing to hash, nothing worth
caching. With the kabupaten recap's sending task, this module is the `steps`
the report flows compose."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.tasks import report_steps as plain
from iku.tasks.alerts import send_kabupaten_recap

__all__ = ["send_kabupaten_recap"]


def _step(name: str, fn):
    return task(name=name, retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)(fn)


load_report = _step("load-report-data", plain.load_report)
write_report = _step("render-report", plain.write_report)
write_report_pdf = _step("print-report-pdf", plain.write_report_pdf)
update_index = _step("update-report-index", plain.update_index)
load_lakip = _step("load-lakip-data", plain.load_lakip)
write_lakip = _step("render-lakip", plain.write_lakip)
load_recap = _step("load-recap-data", plain.load_recap)
write_recap = _step("render-recap", plain.write_recap)
