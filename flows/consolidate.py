"""The monthly consolidation flow (CONTRACT §3, §8): the order of
flows/pipeline.py with the steps as this flow run's tasks.

On a work pool (`iku deploy --pool`) the scheduled run of a kabupaten fans out:
one flow run of the same deployment per OPD with work to do, which any worker
of the pool takes, each holding the Prefect global concurrency limit of its
OPD (`consolidate-<opd>`, one slot) besides the warehouse's lock of that OPD.
Two workers consolidate two OPD at once; one OPD never twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from prefect import flow, get_run_logger

from flows.pipeline import consolidate_all
from iku.resources import Resources, build_resources
from iku.warehouse.store import run_lock
from tasks import consolidate as consolidate_tasks


@flow(name="iku-consolidate", log_prints=True)
def consolidate_flow(opd: str | None = None, per_opd: bool = False) -> dict:
    """Validate, archive and load every new sheet of every bidang of every OPD
    (or of OPD `opd`), then alert each OPD's own recipients: the steps of
    consolidate_all, each as a task of the flow run. `per_opd` (a deployment's
    run covering every OPD): one flow run per OPD with work instead, started
    on the deployment's pool; the summary then names them."""
    res = build_resources(opd=opd)
    if per_opd and opd is None and res.multi:
        return fan_out(res)
    with opd_slots(res):
        return consolidate_all(res, steps=consolidate_tasks)


def opds_with_work(res: Resources) -> list[str]:
    """The OPD whose run would do something: new files, alerts not delivered,
    or files a killed run recorded without alerting them."""
    from iku.alerts.dispatch import outbox
    from iku.queries import scan_units

    new = {f.opd or res.opd for f in scan_units(res).new}
    return [
        u.opd for u in res.units() if u.opd in new or res.warehouse.undelivered_alerts(u.opd) or outbox(u)
    ]


def fan_out(res: Resources) -> dict:
    """One flow run of this deployment per OPD with work (not waited for: they
    run on the pool's workers), then the kabupaten's own undelivered recap."""
    from prefect.context import FlowRunContext
    from prefect.deployments import run_deployment

    from iku.alerts import dispatch

    ctx = FlowRunContext.get()
    deployment = ctx.flow_run.deployment_id if ctx is not None and ctx.flow_run is not None else None
    if deployment is None:  # called as a plain flow: no pool to fan out to
        with opd_slots(res):
            return consolidate_all(res, steps=consolidate_tasks)
    log = get_run_logger()
    started = {}
    for code in opds_with_work(res):
        run = run_deployment(deployment, parameters={"opd": code}, timeout=0, as_subflow=True)
        started[code] = str(run.id)
    log.info("fanned out: %d OPD with work, one flow run each: %s", len(started), ", ".join(started) or "-")
    if dispatch.kabupaten_channels(res):
        dispatch.deliver_safely(res, log=log, box=dispatch.KABUPATEN_BOX)
    return {"fanned_out": started}


@contextmanager
def opd_slots(res: Resources) -> Iterator[None]:
    """On a work pool, the Prefect global concurrency limit of each OPD of the
    run (one slot, created when missing), so a worker takes another OPD's run
    instead of waiting on the warehouse's lock; elsewhere nothing (the lock
    alone keeps one OPD from loading twice)."""
    from prefect.concurrency.sync import concurrency
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None or not ctx.flow_run.work_pool_name:
        yield
        return
    names = [run_lock(u.opd) for u in res.units()]
    ensure_limits(names)
    with concurrency(names, occupy=1, strict=True):
        yield


def ensure_limits(names: list[str]) -> None:
    """Prefect's global concurrency limits `names`, one slot each, created when
    missing (a limit that does not exist would limit nothing)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        for name in names:
            # made by an earlier run (or another one just now): already there
            with suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
