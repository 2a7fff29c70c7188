"""On a work pool, a kabupaten's scheduled consolidation fans out: one flow run
of the deployment per OPD with work, each holding the Prefect global
concurrency limit of its OPD (issue 21). The runs are executed as a process
worker does (`prefect flow-run execute`, a process each, the deployment's
pool and id in their context) against the test Prefect server; one OPD's run
is held inside its lock (iku.testhook) while the other OPD's run completes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kabupatenkit import SEED, TWIN, kabupaten_config
from sheetkit import sheet_rows, write_xlsx
from sqlalchemy import create_engine, text

from iku.config import load_config
from iku.orchestration.deployments import build_deployments, deployment_specs

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


async def _pool() -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))


def _deploy(config):
    """The consolidation deployment as `iku deploy --pool` registers it."""
    asyncio.run(_pool())
    (consolidate,) = [d for d in build_deployments(config, job_env={}) if d.name == "consolidate"]
    return consolidate.apply(work_pool_name=POOL)


async def _runs(deployment_id, parent_id) -> dict:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
        )
    return {r.parameters.get("opd"): r for r in runs if r.id != parent_id}


async def _slots(name: str) -> int:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return (await client.read_global_concurrency_limit_by_name(name)).active_slots


def test_a_kabupatens_consolidation_fans_out_per_opd(prefect_api_url, iku_env, pg_url, tmp_path, monkeypatch):
    from prefect.deployments import run_deployment

    config_dir = kabupaten_config(tmp_path / "config")  # three OPD; only two have sheets
    for opd in (SEED, TWIN):
        write_xlsx(iku_env / "inbox" / opd / "perumahan" / "01.xlsx", sheet_rows(month=1))
    env = {
        **os.environ,
        "IKU_CONFIG_DIR": str(config_dir),
        "IKU_WAREHOUSE_URL": pg_url,
        "PREFECT_API_URL": prefect_api_url,
    }
    # deployed from an empty folder, as `iku deploy` on a server: a run copies
    # the folder a deployment was made in (here not the whole worktree)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    deployment_id = _deploy(load_config(config_dir))
    parent = run_deployment(deployment_id, timeout=0)
    assert parent.parameters == {"per_opd": True}
    _done(_execute(parent.id, env))
    children = asyncio.run(_runs(deployment_id, parent.id))
    assert sorted(children) == sorted([SEED, TWIN])  # no run for the OPD without work

    # the seed's run held inside its lock; the twin's runs to its end meanwhile
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    held = _execute(children[SEED].id, {**env, "IKU_TEST_PAUSE_AT": f"sheet-read@{hooks}"})
    _wait_for(hooks / "sheet-read.reached", held)
    assert asyncio.run(_slots(f"consolidate-{SEED}")) == 1  # the seed's Prefect slot is taken
    _done(_execute(children[TWIN].id, env))
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        loaded = dict(conn.execute(text("SELECT opd_code, count(*) FROM submission GROUP BY opd_code")).all())
    assert loaded == {TWIN: 1}  # loaded while the seed's run held its OPD
    (hooks / "sheet-read.go").touch()
    _done(held)
    with engine.connect() as conn:
        loaded = dict(conn.execute(text("SELECT opd_code, count(*) FROM submission GROUP BY opd_code")).all())
    engine.dispose()
    assert loaded == {SEED: 1, TWIN: 1}
    assert asyncio.run(_slots(f"consolidate-{SEED}")) == 0
