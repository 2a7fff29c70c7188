"""Flows for the quarterly/annual report (`iku report`), the kabupaten recap
(`iku recap`) and the LAKIP feed (`iku lakip`): the compositions of
flows/pipeline.py with the steps as tasks. The schedules live in
flows/serve.py and call these."""

from __future__ import annotations

from prefect import flow

from flows.pipeline import lakip_all, recap_all, report_all
from iku.domain.periods import Period, parse_as_of
from iku.resources import build_resources
from iku.storage import Where
from tasks import reports as report_tasks


@flow(name="iku-report", log_prints=False)
def report_flow(period: str, as_of: str | None = None, opd: str | None = None) -> list[Where]:
    """Quarterly (YYYY-Qn) or annual (YYYY) report: iku-<period>.html/.xlsx/.json
    and the PDF beside the HTML under $IKU_OUTPUT_DIR/<year>/ (with several OPD:
    <year>/<opd>/, one per OPD, or only OPD `opd`), then the output index."""
    res = build_resources(opd=opd)
    when = parse_as_of(as_of, res.config.pipeline.timezone)
    return report_all(res, Period.parse(period), when, steps=report_tasks)


@flow(name="iku-lakip", log_prints=False)
def lakip_flow(year: int, opd: str | None = None) -> list[Where]:
    """Year-end LAKIP/LKjIP feed: lakip-<year>.xlsx/.json under $IKU_OUTPUT_DIR/<year>/
    (with several OPD: <year>/<opd>/, for each OPD or only `opd`)."""
    return lakip_all(build_resources(opd=opd), int(year), steps=report_tasks)


@flow(name="iku-recap", log_prints=False)
def recap_flow(period: str, as_of: str | None = None, send: bool = False) -> list[Where]:
    """The kabupaten recap of every OPD for a quarter (YYYY-Qn) or year (YYYY):
    rekap-<period>.html/.xlsx/.json and the PDF beside the HTML under
    $IKU_OUTPUT_DIR/<year>/; with `send`, e-mailed (files attached) to the
    kabupaten (pipeline.yaml kabupaten.email) and posted to the webhook."""
    res = build_resources()
    when = parse_as_of(as_of, res.config.pipeline.timezone)
    return recap_all(res, Period.parse(period), when, send=send, steps=report_tasks)
