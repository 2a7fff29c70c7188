"""The flow behind the scheduled report deployments. The deployments themselves
(for `iku serve` and for work pools alike) are defined once, in
iku/orchestration/deployments.py."""

from __future__ import annotations

from typing import Literal

from prefect import flow, get_run_logger

from iku.domain.periods import Period
from iku.domain.schedule import as_of_datetime, last_finished_quarter, last_finished_year
from iku.reports.pdf import pdf_printer

ReportKind = Literal["quarterly", "annual", "lakip"]
KIND_WORDS = {"quarterly": "triwulanan", "annual": "tahunan"}


@flow(name="iku-scheduled-report", log_prints=False)
def scheduled_report_flow(
    kind: ReportKind = "quarterly", period: str | None = None, as_of: str | None = None, recap: bool = False
) -> list[str]:
    """The report whose time has come. Without `period`: the last quarter (or
    year) whose final month's deadline had passed at `as_of` (default: now),
    never an empty future one; `lakip` for the last finished year. `period`
    (YYYY-Qn for quarterly, YYYY otherwise) names one explicitly. With `recap`
    (an installation of several OPD), after every OPD's report the kabupaten
    recap of the same period, sent to the kabupaten."""
    from flows.pipeline import lakip_all, recap_all, report_all
    from iku.resources import build_resources
    from tasks import reports as report_tasks

    if kind not in ("quarterly", "annual", "lakip"):
        raise ValueError(f"kind must be quarterly, annual or lakip, not {kind!r}")
    res = build_resources()  # once, for choosing the period and for the reports
    pipe = res.config.pipeline
    logger = get_run_logger()
    if period is not None:
        chosen = Period.parse(str(period))
        if (kind == "quarterly") != (chosen.quarter is not None):
            raise ValueError(f"period {period!r} does not fit kind {kind!r} (YYYY-Qn or YYYY)")
        why = "sesuai permintaan"
    else:
        when = as_of_datetime(as_of, pipe.timezone)
        if kind == "quarterly":
            chosen = last_finished_quarter(when, pipe.deadline_day, pipe.timezone)
        else:
            chosen = Period.parse(str(last_finished_year(when, pipe.deadline_day, pipe.timezone)))
        why = f"yang terakhir dengan batas waktu terlewati pada {when:%Y-%m-%d}"
    # the compositions of the report flows, their steps as this run's own tasks
    # (a subflow run each would cost its start and end, about 0.8 s each)
    if kind == "lakip":
        logger.info("bahan LAKIP %d (%s)", chosen.year, why)
        paths = lakip_all(res, chosen.year, steps=report_tasks)
    else:
        logger.info("laporan %s %s (%s)", KIND_WORDS[kind], chosen.slug, why)
        now = as_of_datetime(None, pipe.timezone)  # as_of picks the period; the data is today's
        # one printer for every OPD's PDF and the recap's; the recap is written
        # while the OPD's PDFs still print
        then = (lambda: recap_all(res, chosen, now, send=True, steps=report_tasks)) if recap else None
        with pdf_printer():
            paths = report_all(res, chosen, now, steps=report_tasks, and_then=then)
    return [str(p) for p in paths]
