"""The one definition of the deployments, for both ways of running them.

`iku serve` serves them from one process; `iku deploy --pool NAME` registers
the very same ones on a process work pool for workers. Same names, module
entrypoints (the installed package, so no install path), parameters and cron
schedules; only where they run differs, and so does the consolidation's
concurrency: served, one run at a time (concurrency limit 1); on a pool, a
kabupaten's scheduled run fans out into one flow run per lane (`per_opd`),
limited per OPD by Prefect global concurrency limits (flows/consolidate.py),
so several workers consolidate several OPD at once. Workers get the IKU_*
settings as job variables, paths made absolute. Crons come from
config/pipeline.yaml through iku.domain.schedule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from iku.config import Config, load_config
from iku.domain.schedule import derive_schedules
from iku.orchestration.stopping import Stopped, why
from iku.settings import Settings, environment

# deployment name -> (flow object path, parameters)
FLOWS: dict[str, tuple[str, dict[str, Any]]] = {
    "consolidate": ("flows.consolidate:consolidate_flow", {}),
    "reminders": ("flows.alerts:reminder_flow", {}),
    "check-missing": ("flows.alerts:check_missing_flow", {}),
    "quarterly-report": ("flows.serve:scheduled_report_flow", {"kind": "quarterly"}),
    "annual-report": ("flows.serve:scheduled_report_flow", {"kind": "annual"}),
    "lakip": ("flows.serve:scheduled_report_flow", {"kind": "lakip"}),
}
# served from one process: two consolidations at once would only queue on the
# warehouse's locks (on a pool: per OPD instead, see deployment_specs)
CONCURRENCY = {"consolidate": 1}

# Never written into a deployment (readable by anyone with the Prefect UI):
# workers take them from their own environment file (README: work pools).
SECRET_VARS = {"IKU_SMTP_PASSWORD", "IKU_SMTP_USER", "IKU_ALERT_WEBHOOK_URL"}
PATH_VARS = ("config_dir", "inbox_dir", "output_dir", "archive_dir")


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    flow: str
    parameters: dict[str, Any]
    cron: str
    timezone: str
    description: str
    tags: list[str]
    concurrency_limit: int | None = None
    job_env: dict[str, str] = field(default_factory=dict)


# With several OPD, the quarterly and annual reports end with the kabupaten recap
# of the same period (sent to pipeline.yaml kabupaten.email).
RECAP_AFTER = ("quarterly-report", "annual-report")
RECAP_NOTE = " Lalu rekap kabupaten periode yang sama, dikirim ke alamat kabupaten."


def installation_tag(config: Config) -> str:
    """The deployments' tag: the OPD's code with one OPD; with several, the
    installation's (pipeline.yaml kabupaten.code, default `kabupaten`), since
    one set of deployments covers every OPD."""
    if config.multi:
        return config.pipeline.kabupaten.code or "kabupaten"
    return config.catalogue.opd.code


def deployment_specs(config: Config, pool: bool = False) -> list[DeploymentSpec]:
    """Every deployment, in the order of iku.domain.schedule (no Prefect needed);
    `pool`: for a work pool, where a kabupaten's consolidation fans out per OPD
    and has no deployment-wide concurrency limit (one per OPD instead)."""
    specs = []
    for name, sched in derive_schedules(config.pipeline).items():
        flow_path, params = FLOWS[name]
        parameters = dict(params)
        if config.multi and name in RECAP_AFTER:
            parameters["recap"] = True
        limit = CONCURRENCY.get(name)
        if pool and name == "consolidate":
            limit = None
            if config.multi:
                parameters["per_opd"] = True
        specs.append(
            DeploymentSpec(
                name=name,
                flow=flow_path,
                parameters=parameters,
                cron=sched.cron,
                timezone=sched.timezone,
                description=sched.description + (RECAP_NOTE if parameters.get("recap") else ""),
                tags=["iku", installation_tag(config)],
                concurrency_limit=limit,
            )
        )
    return specs


def job_environment(environ: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """The IKU_* settings a worker's flow runs need, as this machine sees them:
    folders as absolute paths (a worker runs in a temporary folder), the
    warehouse URL unless it holds a password. Returns (env, withheld names)."""
    environ = environment() if environ is None else dict(environ)
    settings = Settings()
    env = {k: v for k, v in environ.items() if k.startswith("IKU_") and k not in SECRET_VARS}
    withheld = sorted(k for k in environ if k in SECRET_VARS)
    for attr in PATH_VARS:
        env[f"IKU_{attr.upper()}"] = str(getattr(settings, attr).resolve())
    env["IKU_WAREHOUSE_URL"] = _absolute_sqlite(settings.warehouse_url)
    if _has_password(settings.warehouse_url):
        env.pop("IKU_WAREHOUSE_URL")
        withheld.append("IKU_WAREHOUSE_URL")
    for key in ("IKU_PREFECT_HOME", "IKU_PREFECT_PORT", "IKU_PREFECT_START_TIMEOUT"):
        env.pop(key, None)  # the local server's knobs mean nothing on a worker
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    return dict(sorted(env.items())), withheld


def _absolute_sqlite(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return u.set(database=str(os.path.abspath(u.database))).render_as_string(hide_password=False)
    return url


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    return bool(make_url(url).password)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _load(flow_path: str):
    import importlib

    module, _, attr = flow_path.partition(":")
    return getattr(importlib.import_module(module), attr)


def build_deployments(config: Config | None = None, job_env: dict[str, str] | None = None) -> list:
    """The deployments as Prefect RunnerDeployments; with `job_env`, for a work pool."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    config = config or load_config(Settings().config_dir)
    out = []
    for spec in deployment_specs(config, pool=job_env is not None):
        extra: dict[str, Any] = {"job_variables": {"env": job_env}} if job_env is not None else {}
        out.append(
            _load(spec.flow).to_deployment(
                name=spec.name,
                schedules=[Cron(spec.cron, timezone=spec.timezone)],
                parameters=spec.parameters,
                description=spec.description,
                tags=spec.tags,
                concurrency_limit=spec.concurrency_limit,
                entrypoint_type=EntrypointType.MODULE_PATH,
                **extra,
            )
        )
    return out


def serve_all(limit: int | None = None) -> None:
    """Serve every deployment from this process until stopped (Ctrl-C / SIGTERM).
    Stopping does not pause the schedules: late runs wait for the next start.

    Prefect's own `serve()` is not used: it prints an English table ("Your
    deployments are being served…") and, on SIGTERM, calls the runner's stop
    from inside its event loop, leaving "coroutine 'Runner.astop' was never
    awaited" on the console (issue 17 M9). Here SIGTERM ends the loop as Ctrl-C
    does, and every line is Indonesian."""
    import asyncio
    import signal

    config = load_config(Settings().config_dir)
    deployments = build_deployments(config)
    print(f"iku serve: {len(deployments)} jadwal ({config.pipeline.timezone})", flush=True)
    for spec in deployment_specs(config):
        print(f"  {spec.name:<17} {spec.cron:<22} {spec.description}", flush=True)
    runner = _runner(limit)
    for deployment in deployments:
        runner.add_deployment(deployment)
    print("iku serve berjalan; hentikan dengan Ctrl-C atau SIGTERM.", flush=True)
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt as exc:
        print(f"iku serve dihentikan ({why(exc)}); jadwal tetap aktif untuk start berikutnya.", flush=True)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _runner(limit: int | None):
    from prefect.runner import Runner

    class QuietRunner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            raise Stopped  # the runner's loop unwinds as on Ctrl-C

    # pause_on_shutdown=False: stopping the service must not pause the schedules
    return QuietRunner(pause_on_shutdown=False, limit=limit)


def deploy_to_pool(pool: str, config: Config | None = None) -> tuple[list[str], list[str]]:
    """Register every deployment on process work pool `pool` (created when
    missing). Returns (deployment names, settings withheld from the deployment)."""
    import asyncio

    config = config or load_config(Settings().config_dir)
    env, withheld = job_environment()
    asyncio.run(_ensure_pool(pool))
    names = []
    for deployment in build_deployments(config, job_env=env):
        deployment.apply(work_pool_name=pool)
        names.append(f"{deployment.flow_name}/{deployment.name}")
    return names, withheld


async def _ensure_pool(pool: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        try:
            existing = await client.read_work_pool(pool)
        except ObjectNotFound:
            await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            return
        if existing.type != "process":
            raise ValueError(f"work pool '{pool}' bertipe {existing.type}, bukan process")
