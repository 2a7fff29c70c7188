"""A real work pool: a Prefect server on this machine's PostgreSQL (a database
of its own), the deployments registered by `iku deploy --pool`, two process
workers started from the project's virtualenv with no IKU_* of their own (the
settings travel with the deployments). Two consolidations at once, a quarterly
report and the LAKIP feed all complete; nothing is loaded twice; the workers
(`iku worker`) stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from loopback import free_port
from sheetkit import sheet_rows, write_xlsx
from sqlalchemy import create_engine, text

pytestmark = [
    pytest.mark.prefect,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.workers,
    pytest.mark.alone,
]

BIN = Path(sys.executable).parent
POOL = "iku-test-pool"


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}")
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _stop(
    proc: subprocess.Popen, timeout: float = 120, twice: bool = False
) -> int:  # generous: a loaded machine is slow to stop
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        if twice:  # a careless operator's second kill while it stops
            time.sleep(0.2)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    return proc.returncode


@pytest.fixture
def prefect_database():
    """A PostgreSQL database for the Prefect server alone, dropped afterwards."""
    from conftest import PG_URL

    name = f"prefect_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    url = create_engine(PG_URL).url.set(drivername="postgresql+asyncpg", database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_two_workers_share_the_runs(iku_env, pg_url, prefect_database, tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "IKU_"))}
    quiet = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
    }
    logs = []

    def start(name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        logs.append(log)
        return subprocess.Popen(
            args,
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,  # never the test process's stdin (pytest-xdist's control pipe)
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    server = start(
        "server",
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        {
            **clean,
            **quiet,
            "PREFECT_HOME": str(tmp_path / "server-home"),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database,
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        },
    )
    workers: list[subprocess.Popen] = []
    try:
        _wait(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 240, "the server", server)

        # the sheets: four months of both bidang, in a PostgreSQL warehouse
        inbox = iku_env / "inbox"
        for month in (1, 2, 3, 4):
            write_xlsx(inbox / "perumahan" / f"{month:02d}.xlsx", sheet_rows(month=month))
            write_xlsx(inbox / "perkim" / f"{month:02d}.xlsx", sheet_rows("perkim", month=month))
        iku_vars = {k: v for k, v in os.environ.items() if k.startswith("IKU_")}
        deploy = subprocess.run(
            [str(BIN / "iku"), "deploy", "--pool", POOL],
            env={**clean, **quiet, **iku_vars, "IKU_WAREHOUSE_URL": pg_url, "PREFECT_API_URL": api},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert deploy.returncode == 0, deploy.stderr
        assert f"6 deployment terdaftar di work pool '{POOL}'." in deploy.stdout

        for n in (1, 2):  # no IKU_* and another folder: what they need comes with the deployments
            home = tmp_path / f"worker{n}"
            home.mkdir()
            worker_env = {
                **clean,
                **quiet,
                "PREFECT_API_URL": api,
                "PREFECT_HOME": str(home),
                # a poll every 5 s: the runs start sooner than with production's 10 s
                "PREFECT_WORKER_QUERY_SECONDS": "5",
                "PREFECT_WORKER_PREFETCH_SECONDS": "5",
            }
            workers.append(
                start(
                    f"worker{n}",
                    [str(BIN / "iku"), "worker", "--pool", POOL, "--name", f"w{n}"],
                    worker_env,
                )
            )

        states, ids = asyncio.run(_trigger_and_wait(api, workers))
        for name, state in states.items():
            assert state.is_completed(), f"{name}: {state.type} {state.message} - see {tmp_path}/worker*.log"

        # run logs reach the server in the background: wait until both runs' totals are in
        totals: dict[str, list[str]] = {}

        def both_totals_in() -> bool:
            totals.update(asyncio.run(_totals(api, ids)))
            return all(len(lines) == 1 for lines in totals.values())

        _wait(both_totals_in, 60, "the totals line of both consolidations")
        # concurrency limit 1: one consolidation loaded all eight files, the other none
        assert sorted(totals["consolidate-a"] + totals["consolidate-b"]) == [
            "jumlah: 0 baru (0 valid, 0 tidak valid, 0 tidak terbaca), 0 diabaikan, 8 sudah dikenal",
            "jumlah: 8 baru (8 valid, 0 tidak valid, 0 tidak terbaca), 0 diabaikan, 0 sudah dikenal",
        ]
        engine = create_engine(pg_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*), count(DISTINCT sha256) FROM submission")).one()
        engine.dispose()
        assert tuple(rows) == (8, 8)
        out = iku_env / "out" / "2023"
        assert (out / "iku-2023-Q1.json").is_file() and (out / "lakip-2023.json").is_file()
    finally:
        codes = [_stop(w, twice=i == 0) for i, w in enumerate(workers)]
        _stop(server)
        for log in logs:
            log.close()
    # SIGTERM, what systemd sends (to the first worker twice), ends each worker with exit code 0 and its closing line:
    # Prefect's teardown ended, or `iku worker` ended the process after its grace period
    # (docs/testing.md: Prefect's own worker lost that cancellation in CI)
    logs_text = [(tmp_path / f"worker{n}.log").read_text() for n in (1, 2)]
    assert codes == [0, 0], [text[-2000:] for text in logs_text]
    for n, said in zip((1, 2), logs_text):
        assert f"iku worker 'w{n}' melayani work pool '{POOL}'" in said, said[-2000:]
        assert (
            f"iku worker 'w{n}' dihentikan (SIGTERM)." in said
            or f"iku worker 'w{n}' tidak selesai menutup diri" in said
        ), said[-2000:]


async def _trigger_and_wait(api: str, workers: list[subprocess.Popen]) -> tuple[dict, dict]:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}):
        runs = {
            "consolidate-a": ("iku-consolidate/consolidate", {}),
            "consolidate-b": ("iku-consolidate/consolidate", {}),
            "quarterly": ("iku-scheduled-report/quarterly-report", {"period": "2023-Q1"}),
            "lakip": ("iku-scheduled-report/lakip", {"period": "2023"}),
        }
        started = {}
        for key, (name, params) in runs.items():
            started[key] = await run_deployment(name, parameters=params, timeout=0)
        async with get_client() as client:
            end = time.monotonic() + 420
            while True:
                for w in workers:
                    assert w.poll() is None, f"a worker exited with {w.returncode}"
                states = {k: (await client.read_flow_run(r.id)).state for k, r in started.items()}
                if all(s.is_final() for s in states.values()):
                    return states, {k: r.id for k, r in started.items()}
                assert time.monotonic() < end, f"runs not finished: {states}"
                await asyncio.sleep(1)


async def _totals(api: str, ids: dict) -> dict[str, list[str]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    out = {}
    with temporary_settings({PREFECT_API_URL: api}):
        async with get_client() as client:
            for key in ("consolidate-a", "consolidate-b"):
                logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[ids[key]])))
                out[key] = [log.message for log in logs if log.message.startswith("jumlah:")]
    return out
