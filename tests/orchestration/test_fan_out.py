"""On a work pool, a kabupaten's scheduled consolidation fans out into at most
one flow run per lane (IKU_CONSOLIDATE_LANES, else the pool's online workers),
each consolidating a group of OPD and holding the Prefect global concurrency
limit of each of its OPD; with one lane it fans out not at all (issue 21). The
runs are executed as a process worker does (`prefect flow-run execute`, a
process each, the deployment's pool and id in their context) against the test
Prefect server; one group's run is held inside its lock (iku.testhook) while
the other group's run completes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import pytest
from kabupatenkit import DINKES, SEED, TWIN, dinkes_rows, kabupaten_config
from sheetkit import sheet_rows, write_xlsx
from sqlalchemy import create_engine, text

from flows.consolidate import lane_count, lanes_of
from iku.config import load_config
from iku.orchestration.deployments import build_deployments, deployment_specs
from iku.settings import Settings

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.slow]
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "iku-fan-out"


def test_the_pool_deployment_fans_out_without_a_global_limit(tmp_path):
    kab = load_config(kabupaten_config(tmp_path / "kab"))
    pool = {s.name: s for s in deployment_specs(kab, pool=True)}
    served = {s.name: s for s in deployment_specs(kab)}
    assert (
        pool["consolidate"].parameters == {"per_opd": True} and pool["consolidate"].concurrency_limit is None
    )
    assert served["consolidate"].parameters == {} and served["consolidate"].concurrency_limit == 1


def _execute(run_id, env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [PREFECT, "flow-run", "execute", str(run_id)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    """A guard against a hang, no timing: the process reached its pause point."""
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() < end, f"{path.name} not reached"
        time.sleep(0.1)


def _done(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return out


async def _pool(name: str = POOL) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with get_client() as client:
        with suppress(ObjectAlreadyExists):  # one Prefect server for the session
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def _deploy(config):
    """The consolidation deployment as `iku deploy --pool` registers it."""
    asyncio.run(_pool())
    (consolidate,) = [d for d in build_deployments(config, job_env={}) if d.name == "consolidate"]
    return consolidate.apply(work_pool_name=POOL)


async def _children(parent_id) -> dict:
    """The flow runs a parent started, by the OPD of each (its `opds`)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id]))
        )
    return {tuple(r.parameters["opds"]): r for r in runs}


async def _slots(name: str) -> int:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return (await client.read_global_concurrency_limit_by_name(name)).active_slots


def test_lanes_split_the_opd_balanced_by_their_new_files():
    work = {"a": 5, "b": 3, "c": 2, "d": 1, "e": 0}
    assert lanes_of(work, 2) == [["a", "d"], ["b", "c", "e"]]  # 6 files and 5
    assert lanes_of(work, 1) == [["a", "b", "c", "d", "e"]]
    assert lanes_of({"a": 1}, 4) == [["a"]]  # never an empty lane
    assert lanes_of({}, 2) == []


def test_the_lanes_are_the_pools_online_workers(prefect_api_url):
    from prefect.client.orchestration import get_client

    asyncio.run(_pool("iku-lanes"))
    assert lane_count(Settings(), "iku-lanes") == 1  # no worker yet: the run itself
    with get_client(sync_client=True) as client:
        for worker in ("one", "two"):
            client.send_worker_heartbeat("iku-lanes", worker, heartbeat_interval_seconds=600)
    assert lane_count(Settings(), "iku-lanes") == 2
    assert lane_count(Settings(consolidate_lanes=3), "iku-lanes") == 3  # IKU_CONSOLIDATE_LANES


def _kabupaten(iku_env, pg_url, prefect_api_url, tmp_path, monkeypatch, lanes: int) -> tuple[dict, object]:
    """The kabupaten's deployment on the pool and the environment of its runs."""
    config_dir = kabupaten_config(tmp_path / "config")
    env = {
        **os.environ,
        "IKU_CONFIG_DIR": str(config_dir),
        "IKU_WAREHOUSE_URL": pg_url,
        "PREFECT_API_URL": prefect_api_url,
        "IKU_CONSOLIDATE_LANES": str(lanes),
    }
    # deployed from an empty folder, as `iku deploy` on a server: a run copies
    # the folder a deployment was made in (here not the whole worktree)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return env, _deploy(load_config(config_dir))


def _loaded(pg_url) -> dict:
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        loaded = dict(conn.execute(text("SELECT opd_code, count(*) FROM submission GROUP BY opd_code")).all())
    engine.dispose()
    return loaded


def _scheduled_run(deployment_id, env: dict) -> object:
    """The deployment's run as its schedule starts it, executed to its end."""
    from prefect.deployments import run_deployment

    parent = run_deployment(deployment_id, timeout=0)
    assert parent.parameters == {"per_opd": True}
    _done(_execute(parent.id, env))
    return parent


def test_two_lanes_consolidate_two_groups_of_opd(prefect_api_url, iku_env, pg_url, tmp_path, monkeypatch):
    env, deployment_id = _kabupaten(iku_env, pg_url, prefect_api_url, tmp_path, monkeypatch, lanes=2)
    for month in (1, 2):  # the seed: two new files, the twin and dinkes one each
        write_xlsx(iku_env / "inbox" / SEED / "perumahan" / f"{month:02}.xlsx", sheet_rows(month=month))
    write_xlsx(iku_env / "inbox" / TWIN / "perumahan" / "01.xlsx", sheet_rows(month=1))
    write_xlsx(iku_env / "inbox" / DINKES / "kesmas" / "01.xlsx", dinkes_rows(month=1))
    parent = _scheduled_run(deployment_id, env)
    children = asyncio.run(_children(parent.id))
    # two flow runs for three OPD, balanced by files (2 | 1 + 1); each OPD in one group
    assert set(children) == {(SEED,), (DINKES, TWIN)}
    assert _loaded(pg_url) == {}  # the parent loaded nothing itself

    # the seed's run held inside its lock; the other group's runs to its end meanwhile
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    held = _execute(children[(SEED,)].id, {**env, "IKU_TEST_PAUSE_AT": f"sheet-read@{hooks}"})
    _wait_for(hooks / "sheet-read.reached", held)
    assert asyncio.run(_slots(f"consolidate-{SEED}")) == 1  # the seed's Prefect slot is taken
    _done(_execute(children[(DINKES, TWIN)].id, env))
    assert _loaded(pg_url) == {TWIN: 1, DINKES: 1}  # loaded while the seed's run held its OPD
    (hooks / "sheet-read.go").touch()
    _done(held)
    assert _loaded(pg_url) == {SEED: 2, TWIN: 1, DINKES: 1}
    for opd in (SEED, TWIN, DINKES):
        assert asyncio.run(_slots(f"consolidate-{opd}")) == 0


def test_one_lane_consolidates_in_the_scheduled_run(prefect_api_url, iku_env, pg_url, tmp_path, monkeypatch):
    env, deployment_id = _kabupaten(iku_env, pg_url, prefect_api_url, tmp_path, monkeypatch, lanes=1)
    for opd in (SEED, TWIN):
        write_xlsx(iku_env / "inbox" / opd / "perumahan" / "01.xlsx", sheet_rows(month=1))
    parent = _scheduled_run(deployment_id, env)
    assert asyncio.run(_children(parent.id)) == {}  # no flow run of its own per OPD or group
    assert _loaded(pg_url) == {SEED: 1, TWIN: 1}

    # two lanes, but the work of one group: no flow run for it either
    write_xlsx(iku_env / "inbox" / SEED / "perumahan" / "02.xlsx", sheet_rows(month=2))
    parent = _scheduled_run(deployment_id, {**env, "IKU_CONSOLIDATE_LANES": "2"})
    assert asyncio.run(_children(parent.id)) == {}
    assert _loaded(pg_url) == {SEED: 2, TWIN: 1}
