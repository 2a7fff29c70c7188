"""Flows for the quarterly/annual report (`iku report`) and the LAKIP feed
(`iku lakip`). The schedules live in flows/serve.py and call these."""

from __future__ import annotations

from prefect import flow

from iku.domain.periods import Period, parse_as_of
from iku.reports.pdf import pdf_printer
from iku.resources import build_resources
from iku.storage import Where
from iku.tasks import reports as report_tasks
from iku.tasks.alerts import send_kabupaten_recap
from iku.tasks.report_steps import report_all
from iku.tasks.reports import (
    load_lakip,
    load_recap,
    update_index,
    write_lakip,
    write_recap,
    write_report_pdf,
)


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
    res = build_resources(opd=opd)
    paths: list[Where] = []
    for unit in res.units():
        data = load_lakip(unit, int(year))
        paths += write_lakip(data, unit.report_dir(int(year)), unit)
    update_index(res)
    return paths


@flow(name="iku-recap", log_prints=False)
def recap_flow(period: str, as_of: str | None = None, send: bool = False) -> list[Where]:
    """The kabupaten recap of every OPD for a quarter (YYYY-Qn) or year (YYYY):
    rekap-<period>.html/.xlsx/.json and the PDF beside the HTML under
    $IKU_OUTPUT_DIR/<year>/; with `send`, e-mailed (files attached) to the
    kabupaten (pipeline.yaml kabupaten.email) and posted to the webhook."""
    parsed = Period.parse(period)
    res = build_resources()
    when = parse_as_of(as_of, res.config.pipeline.timezone)
    # the same A4 print as the OPD reports, by the run's Chromium when the
    # scheduled report opened one for every OPD's report and this recap; else
    # one started now, while the recap is loaded and written
    with pdf_printer() as printer:
        printer.warm_up()
        data = load_recap(res, parsed, when)
        paths = write_recap(data, res.output_dir / str(parsed.year), res)
        pdf = write_report_pdf(paths[0], res)
    paths = [*paths, pdf] if pdf is not None else paths
    update_index(res)
    if send:
        send_kabupaten_recap(res, data, paths)
    return paths
