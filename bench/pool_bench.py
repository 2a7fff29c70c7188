"""The kabupaten's year (40 OPD, 2,400 sheets) consolidated on a Prefect work
pool, by one process worker and by two (issue 21): the scheduled `consolidate`
deployment as `iku deploy --pool` registers it fans out into one flow run per
lane (the pool's online workers: none with one worker, two with two), each
holding the Prefect global concurrency limits of its group of OPD.

Against the bench's local Prefect server, a PostgreSQL warehouse of its own
per measurement (a pool refuses SQLite), deployed from an empty folder. Wall
time: from the first flow run's start to the last one's end (the server's
times). Each worker runs as many flow runs at once as the machine has cores
(`--limit`). CPU: the workers and every flow run process they started (their
children, reaped: /proc's cutime), beside the Prefect server's.

    .venv/bin/python bench/pool_bench.py [--opd 40] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from consolidate_bench import BIN, _tree_cpu, server_pid

WORKER_LIMIT = os.cpu_count() or 1


@dataclass
class PoolRun:
    workers: int
    lane_runs: int  # flow runs the scheduled run started (0: it consolidated itself)
    seconds: float
    cpu_s: float  # the workers and their flow run processes
    server_cpu_s: float
    loaded: int  # submissions in the warehouse afterwards

    @property
    def shown(self) -> str:
        return (
            f"{self.seconds:.1f} s (CPU {self.cpu_s:.1f} s + server {self.server_cpu_s:.1f} s), "
            f"{self.lane_runs} lane runs, {self.loaded} sheets"
        )


def _own_cpu(pid: int) -> float:
    """utime + stime + the reaped children's (cutime + cstime) of `pid`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _reaped(workers: list[int], seconds: float = 120) -> None:
    """Wait until no worker has a child left: a finished flow run's process goes
    on shutting down for seconds, and its CPU reaches the worker's only when the
    worker reaps it (a fixed 2 s wait left the one-worker run's CPU uncounted)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        children = 0
        for pid in workers:
            with contextlib.suppress(OSError):
                children += sum(
                    len(Path(f"/proc/{pid}/task/{task}/children").read_text().split())
                    for task in os.listdir(f"/proc/{pid}/task")
                )
        if not children:
            return
        time.sleep(0.2)


async def _trigger_and_wait(api: str, opd_count: int, timeout: float = 3600) -> tuple[float, int]:
    """Start the consolidate deployment; wait for it and its lane runs. (seconds, lane runs)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}):
        parent = await run_deployment("iku-consolidate/consolidate", timeout=0)
        end = time.monotonic() + timeout
        async with get_client() as client:
            while True:
                runs = await client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[parent.deployment_id])),
                    limit=opd_count + 10,
                )
                # this trigger's runs only (the deployment keeps its id across pools)
                runs = [r for r in runs if r.created and parent.created and r.created >= parent.created]
                children = [r for r in runs if r.id != parent.id]
                mine = [r for r in runs if r.id == parent.id]
                done = mine and mine[0].state and mine[0].state.is_final()
                # the lane runs exist once the parent ended (it starts them); none with one lane
                if done and all(r.state and r.state.is_final() for r in children):
                    break
                if time.monotonic() > end:
                    raise RuntimeError(f"the pool's runs did not finish: {[r.state_name for r in runs]}")
                await asyncio.sleep(0.5)
        failed = [
            f"{r.parameters.get('opds')}: {r.state_name} {r.state.message}"
            for r in runs
            if not r.state.is_completed()
        ]
        if failed:
            raise RuntimeError(f"flow runs not completed: {failed}")
        start = min(r.start_time for r in runs if r.start_time)
        last = max(r.end_time for r in runs if r.end_time)
        return (last - start).total_seconds(), len(children)


def measure_pool(env: dict, tmp: Path, workers: int, opd_count: int, pg_url: str, echo) -> PoolRun:
    """The year on a pool of `workers` process workers (a fresh warehouse at `pg_url`)."""
    from sqlalchemy import create_engine, text

    from iku.orchestration.local_server import read_state

    os.environ["IKU_PREFECT_HOME"] = env["IKU_PREFECT_HOME"]
    api = read_state().api_url
    pool = f"bench-{workers}"
    work = tmp / pool
    work.mkdir()
    out = {**env, "IKU_WAREHOUSE_URL": pg_url, "IKU_OUTPUT_DIR": str(work / "out"), "PREFECT_API_URL": api}
    out = {k: v for k, v in out.items() if k not in ("IKU_PREFECT_HOME", "IKU_PREFECT_PORT")}
    deploy = subprocess.run(
        [str(BIN / "iku"), "deploy", "--pool", pool], env=out, cwd=work, capture_output=True, text=True
    )
    if deploy.returncode:
        raise RuntimeError(f"iku deploy --pool {pool} failed:\n{deploy.stdout}{deploy.stderr}")
    worker_env = {
        **{k: v for k, v in out.items() if not k.startswith("IKU_")},
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
    }
    procs = []
    for n in range(workers):
        log = (work / f"worker{n + 1}.log").open("w")
        procs.append(
            subprocess.Popen(
                # as many flow runs at once as the machine has cores: a fanned-out
                # consolidation would otherwise start every OPD's run at once
                [str(BIN / "iku"), "worker", "--pool", pool, "--name", f"w{n + 1}"]
                + ["--limit", str(WORKER_LIMIT)],
                env=worker_env,
                cwd=work,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        time.sleep(5)  # the workers' start (Prefect's import) is not the run's
        server = server_pid(env)
        cpu_before = sum(_own_cpu(p.pid) for p in procs)
        server_before = _tree_cpu(server)
        seconds, lane_runs = asyncio.run(_trigger_and_wait(api, opd_count))
        _reaped([p.pid for p in procs])  # a flow run process counts once its worker reaped it
        cpu = sum(_own_cpu(p.pid) for p in procs) - cpu_before
        server_cpu = _tree_cpu(server) - server_before
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        loaded = conn.scalar(text("SELECT count(*) FROM submission"))
    engine.dispose()
    run = PoolRun(workers, lane_runs, seconds, cpu, server_cpu, loaded)
    echo(f"  {opd_count}-OPD year on a pool, {workers} worker(s): {run.shown}, load {os.getloadavg()[0]:.1f}")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opd", type=int, default=40)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    import kabupaten_bench

    f = kabupaten_bench.measure(args.opd, keep=args.keep, pool=True, reports=False)
    for p in f.pools:
        print(f"the year of {args.opd} OPD on a work pool, {p.workers} worker(s): {p.shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
