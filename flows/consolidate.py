"""The monthly consolidation flow (CONTRACT §3, §8): the order of
flows/pipeline.py with the steps as this flow run's tasks.

On a work pool (`iku deploy --pool`) the scheduled run of a kabupaten fans out
into at most one flow run per lane (IKU_CONSOLIDATE_LANES, else the pool's
online workers), each consolidating a group of the OPD with work, balanced by
their new files, and holding the Prefect global concurrency limit of each of
its OPD (`consolidate-<opd>`, one slot) besides the warehouse's lock of each.
Two workers consolidate two groups at once; one OPD never twice. With one lane
the run consolidates everything itself: each flow run costs about 12 s of CPU
of its own (a process, Prefect, a GX worker), a whole year of 40 OPD in one
run about 10 s (docs/performance.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from uuid import UUID

from prefect import flow, get_run_logger

from flows.pipeline import consolidate_all
from iku.resources import Resources, build_resources
from iku.settings import Settings
from iku.warehouse.store import run_lock
from tasks import consolidate as consolidate_tasks


@flow(name="iku-consolidate", log_prints=True)
def consolidate_flow(opd: str | None = None, per_opd: bool = False, opds: list[str] | None = None) -> dict:
    """Validate, archive and load every new sheet of every bidang of every OPD
    (or of OPD `opd`, or of the OPD `opds`: a lane of a fanned-out run), then
    alert each OPD's own recipients: the steps of consolidate_all, each as a
    task of the flow run. `per_opd` (a deployment's run covering every OPD):
    on a pool of several lanes, one flow run per lane instead, started on the
    deployment's pool; the summary then names them."""
    res = build_resources(opd=opd)
    if opds:
        res = res.select_group(opds)
    elif per_opd and opd is None and res.multi:
        return fan_out(res)
    return consolidate_here(res)


def consolidate_here(res: Resources) -> dict:
    with opd_slots(res):
        return consolidate_all(res, steps=consolidate_tasks)


def opds_with_work(res: Resources) -> dict[str, int]:
    """The OPD whose run would do something, with their new files: new files,
    alerts not delivered, or files a killed run recorded without alerting them
    (those weigh 0)."""
    from iku.alerts.dispatch import outbox
    from iku.queries import scan_units

    new = Counter(f.opd or res.opd for f in scan_units(res).new)
    return {
        u.opd: new[u.opd]
        for u in res.units()
        if new[u.opd] or res.warehouse.undelivered_alerts(u.opd) or outbox(u)
    }


def lanes_of(work: dict[str, int], lanes: int) -> list[list[str]]:
    """The OPD of `work` (OPD -> new files) in at most `lanes` groups, each OPD
    in one: the largest first, each to the group with the fewest files so far
    (ties: the one with fewer OPD, then the first)."""
    groups: list[tuple[list[int], list[str]]] = [([0], []) for _ in range(min(lanes, len(work)))]
    for code in sorted(work, key=lambda c: (-work[c], c)):
        files, codes = min(groups, key=lambda g: (g[0][0], len(g[1])))
        files[0] += work[code]
        codes.append(code)
    return [codes for _, codes in groups]


def lane_count(settings: Settings, pool: str) -> int:
    """IKU_CONSOLIDATE_LANES, else the workers of `pool` online now (at least 1)."""
    if settings.consolidate_lanes:
        return settings.consolidate_lanes
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import WorkerStatus

    with get_client(sync_client=True) as client:
        workers = client.read_workers_for_work_pool(pool)
    return max(1, sum(w.status == WorkerStatus.ONLINE for w in workers))


def fan_out(res: Resources) -> dict:
    """One flow run of this deployment per lane with work (not waited for: they
    run on the pool's workers), then the kabupaten's own undelivered recap. One
    lane, or the work of one group: consolidated here, no flow run started."""
    from prefect.context import FlowRunContext

    from iku.alerts import dispatch

    ctx = FlowRunContext.get()
    run = ctx.flow_run if ctx is not None else None
    if run is None or run.deployment_id is None or not run.work_pool_name:
        return consolidate_here(res)  # called as a plain flow: no pool to fan out to
    log = get_run_logger()
    lanes = lane_count(res.settings, run.work_pool_name)
    if lanes == 1:
        log.info("1 jalur: seluruh OPD dikonsolidasikan dalam run ini")
        return consolidate_here(res)
    groups = lanes_of(opds_with_work(res), lanes)
    if len(groups) == 1:  # a flow run of its own would cost more than the work
        summary = consolidate_here(res.select_group(groups[0]))
    else:
        summary = {"fanned_out": start_lanes(run.deployment_id, groups)}
    if dispatch.kabupaten_channels(res):
        dispatch.deliver_safely(res, log=log, box=dispatch.KABUPATEN_BOX)
    return summary


def start_lanes(deployment: UUID, groups: list[list[str]]) -> dict[str, str]:
    """A flow run of `deployment` per group (`opds`); each OPD -> its run's id."""
    from prefect.deployments import run_deployment

    started = {}
    for group in groups:
        child = run_deployment(deployment, parameters={"opds": group}, timeout=0, as_subflow=True)
        started.update(dict.fromkeys(group, str(child.id)))
    get_run_logger().info(
        "dipecah: %d OPD yang berisi pekerjaan ke %d flow run: %s",
        len(started),
        len(groups),
        "; ".join(", ".join(group) for group in groups),
    )
    return started


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
