"""`iku serve` (CONTRACT §5): every schedule as a Prefect deployment, served from
one long-running process. Crons come from config/pipeline.yaml through
iku.domain.schedule, in the pipeline's timezone (Asia/Jakarta).

Stopping the process does not pause the schedules (pause_on_shutdown=False):
runs that fall due while it is down wait as Scheduled (late) runs and start
when it comes back. The same deployments can run on workers: prefect.yaml.
"""

from __future__ import annotations

from typing import Literal

from prefect import flow, get_run_logger
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from iku.config import Config, load_config
from iku.domain.schedule import as_of_datetime, derive_schedules, last_finished_quarter, last_finished_year
from iku.settings import Settings

ReportKind = Literal["quarterly", "annual", "lakip"]


@flow(name="iku-scheduled-report", log_prints=False)
def scheduled_report_flow(kind: ReportKind = "quarterly", as_of: str | None = None) -> list[str]:
    """The report whose time has come, worked out at run time: the last quarter
    (or year) whose final month's deadline has passed; `lakip` for the last year."""
    from iku.flows.reports import lakip_flow, report_flow

    config = load_config(Settings().config_dir)
    pipe = config.pipeline
    when = as_of_datetime(as_of, pipe.timezone)
    logger = get_run_logger()
    if kind == "quarterly":
        period = last_finished_quarter(when, pipe.deadline_day, pipe.timezone).slug
        logger.info("quarterly report for %s", period)
        paths = report_flow(period)
    elif kind == "annual":
        period = str(last_finished_year(when, pipe.deadline_day, pipe.timezone))
        logger.info("annual report for %s", period)
        paths = report_flow(period)
    elif kind == "lakip":
        year = last_finished_year(when, pipe.deadline_day, pipe.timezone)
        logger.info("LAKIP feed for %d", year)
        paths = lakip_flow(year)
    else:
        raise ValueError(f"kind must be quarterly, annual or lakip, not {kind!r}")
    return [str(p) for p in paths]


def _flows() -> dict:
    from iku.flows.alerts import check_missing_flow, reminder_flow
    from iku.flows.consolidate import consolidate_flow

    return {
        "consolidate": (consolidate_flow, {}),
        "reminders": (reminder_flow, {}),
        "check-missing": (check_missing_flow, {}),
        "quarterly-report": (scheduled_report_flow, {"kind": "quarterly"}),
        "annual-report": (scheduled_report_flow, {"kind": "annual"}),
        "lakip": (scheduled_report_flow, {"kind": "lakip"}),
    }


def build_deployments(config: Config | None = None) -> list[RunnerDeployment]:
    """One deployment per schedule, in the order of iku.domain.schedule."""
    config = config or load_config(Settings().config_dir)
    specs = derive_schedules(config.pipeline)
    flows = _flows()
    deployments = []
    for name, spec in specs.items():
        fl, params = flows[name]
        deployments.append(
            fl.to_deployment(
                name=name,
                schedules=[Cron(spec.cron, timezone=spec.timezone)],
                parameters=params,
                description=spec.description,
                tags=["iku", config.catalogue.opd.code],
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments


def serve_all(limit: int | None = None) -> None:
    """Serve every deployment from this process until stopped (Ctrl-C / SIGTERM)."""
    from prefect import serve

    config = load_config(Settings().config_dir)
    specs = derive_schedules(config.pipeline)
    deployments = build_deployments(config)
    print(f"iku serve: {len(deployments)} schedules ({config.pipeline.timezone})", flush=True)
    for spec in specs.values():
        print(f"  {spec.name:<17} {spec.cron:<22} {spec.description}", flush=True)
    serve(*deployments, pause_on_shutdown=False, limit=limit)
