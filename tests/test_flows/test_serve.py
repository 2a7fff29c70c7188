"""`iku serve`: the deployments it serves, and a real run through a throw-away
Prefect server; stopping it must leave the schedules active."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from loopback import SmtpReceiver, free_port

REPO = Path(__file__).resolve().parents[2]
IKU = Path(sys.executable).parent / "iku"
PREFECT = Path(sys.executable).parent / "prefect"

EXPECTED = {  # deployment -> (flow, cron in Asia/Jakarta, parameters)
    "consolidate": ("iku-consolidate", "0 7 * * *", {}),
    "reminders": ("iku-reminders", "0 8 7,9 * *", {}),
    "check-missing": ("iku-check-missing", "30 7 11 * *", {}),
    "quarterly-report": ("iku-scheduled-report", "0 9 11 1,4,7,10 *", {"kind": "quarterly"}),
    "annual-report": ("iku-scheduled-report", "0 10 11 1 *", {"kind": "annual"}),
    "lakip": ("iku-scheduled-report", "0 11 11 1 *", {"kind": "lakip"}),
}


def test_served_deployments_load_with_cron_timezone_and_parameters(iku_env):
    from iku.orchestration.deployments import build_deployments

    deployments = build_deployments()
    got = {d.name: (d.flow_name, [s.schedule.cron for s in d.schedules], d.parameters) for d in deployments}
    assert got == {name: (flow, [cron], params) for name, (flow, cron, params) in EXPECTED.items()}
    assert {d.name: d.concurrency_limit for d in deployments if d.concurrency_limit} == {"consolidate": 1}
    for d in deployments:
        (schedule,) = d.schedules
        assert schedule.schedule.timezone == "Asia/Jakarta" and schedule.active
        # workers and the serve process import the flows as modules of the installed package
        module, _, fn = d.entrypoint.rpartition(".")
        assert getattr(__import__(module, fromlist=[fn]), fn).name == d.flow_name


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}")
        try:
            value = predicate()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 30) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.mark.prefect
@pytest.mark.slow
def test_iku_serve_runs_a_deployment_and_leaves_schedules_active(iku_env, tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    prefect_env = {
        **base_env,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }
    server_log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=prefect_env,
        stdin=subprocess.DEVNULL,  # never pytest-xdist's control pipe
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    serve = None
    try:
        _wait(
            lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200,
            120,
            "the Prefect server",
            server,
        )
        with SmtpReceiver() as smtp:
            serve_env = {
                **prefect_env,
                "PREFECT_API_URL": api,
                # the run asked for below is picked up within a second, not up to ten
                "PREFECT_RUNNER_POLL_FREQUENCY": "1",
                "IKU_SMTP_HOST": "127.0.0.1",
                "IKU_SMTP_PORT": str(smtp.port),
                "IKU_ALERT_EMAIL_FROM": "iku@disperkim.example",
                "IKU_ALERT_EMAIL_TO": "perencanaan@disperkim.example",
            }
            serve_log = (tmp_path / "serve.log").open("w")
            serve = subprocess.Popen(
                [str(IKU), "serve"],
                cwd=tmp_path,
                env=serve_env,
                stdin=subprocess.DEVNULL,
                stdout=serve_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            state = asyncio.run(_run_reminders(api, serve))
            assert state.is_completed(), f"{state} - see {tmp_path / 'serve.log'}"
            # the served run really sent the H-3 reminders: nothing was submitted for April
            assert sorted(m.subject for m in smtp.mails) == sorted(
                f"[IKU] Pengingat H-3: laporan April 2023 {b}, batas 10 Mei 2023 — Dinas Perumahan dan Kawasan Permukiman (disperkim-tjb)"
                for b in ("Bidang Perumahan", "Bidang Perumahan dan Permukiman")
            )
        _stop(serve, signal.SIGTERM)  # what systemd sends
        assert serve.returncode is not None
        deployments = asyncio.run(_read_deployments(api))
        assert set(deployments) == set(EXPECTED)
        for name, d in deployments.items():
            assert not d.paused, f"{name} was paused by the shutdown"
            assert d.schedules and all(s.active for s in d.schedules), f"{name}: schedule paused"
            assert d.schedules[0].schedule.timezone == "Asia/Jakarta"
    finally:
        if serve is not None:
            _stop(serve)
        _stop(server)
        server_log.close()
    # what the operator reads is iku's, in Indonesian; no Prefect banner, no warning on SIGTERM (M9)
    log = (tmp_path / "serve.log").read_text()
    assert "iku serve: 6 jadwal (Asia/Jakarta)" in log
    assert "iku serve dihentikan (SIGTERM)" in log and serve.returncode == 0, log
    assert "being served" not in log and "never awaited" not in log and "RuntimeWarning" not in log, log


async def _run_reminders(api: str, serve: subprocess.Popen):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}):
        async with get_client() as client:
            end = time.monotonic() + 120
            while True:  # iku serve registers its deployments when it starts
                if serve.poll() is not None:
                    raise AssertionError(f"iku serve exited with {serve.returncode}")
                try:
                    names = {d.name for d in await client.read_deployments()}
                    if set(EXPECTED) <= names:
                        break
                except Exception:
                    pass
                assert time.monotonic() < end, "iku serve did not register its deployments"
                await asyncio.sleep(0.5)
        run = await run_deployment(
            "iku-reminders/reminders", parameters={"as_of": "2023-05-07"}, timeout=180, poll_interval=1
        )
        return run.state


async def _read_deployments(api: str) -> dict:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}):
        async with get_client() as client:
            return {d.name: d for d in await client.read_deployments()}


def test_work_pool_deployments_are_the_served_ones_plus_the_workers_settings(iku_env, monkeypatch, tmp_path):
    """`iku deploy --pool` and `iku serve` build the same deployments; only the
    pool's carry the IKU_* settings, folders absolute, secrets left out."""
    from iku.orchestration.deployments import build_deployments, job_environment

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IKU_INBOX_DIR", "relative/inbox")
    monkeypatch.setenv("IKU_SMTP_HOST", "mail.example")
    monkeypatch.setenv("IKU_SMTP_PASSWORD", "rahasia")
    env, withheld = job_environment()
    assert env["IKU_INBOX_DIR"] == str(tmp_path / "relative" / "inbox")
    assert env["IKU_SMTP_HOST"] == "mail.example" and "IKU_SMTP_PASSWORD" not in env
    assert withheld == ["IKU_SMTP_PASSWORD"]
    assert all(Path(env[k]).is_absolute() for k in ("IKU_CONFIG_DIR", "IKU_OUTPUT_DIR", "IKU_ARCHIVE_DIR"))
    assert env["IKU_WAREHOUSE_URL"] == f"sqlite:///{iku_env / 'data' / 'iku.sqlite'}"
    monkeypatch.setenv("IKU_WAREHOUSE_URL", "postgresql+psycopg://iku:pw@db/iku")
    env, withheld = job_environment()
    assert "IKU_WAREHOUSE_URL" not in env and "IKU_WAREHOUSE_URL" in withheld

    def shape(d):
        return (
            d.flow_name,
            d.entrypoint,
            d.parameters,
            [(s.schedule.cron, s.schedule.timezone) for s in d.schedules],
            d.concurrency_limit,
            d.description,
            d.tags,
        )

    served = build_deployments()
    pooled = build_deployments(job_env=env)
    assert [d.name for d in pooled] == [d.name for d in served]
    # the same, but for the consolidation's limit: on a pool it is one per OPD
    # (Prefect's concurrency limit consolidate-<opd>), not one for the deployment
    pooled_consolidate = next(d for d in pooled if d.name == "consolidate")
    served_consolidate = next(d for d in served if d.name == "consolidate")
    assert pooled_consolidate.concurrency_limit is None and served_consolidate.concurrency_limit == 1
    assert [shape(d)[:4] + shape(d)[5:] for d in pooled] == [shape(d)[:4] + shape(d)[5:] for d in served]
    assert [shape(d) for d in pooled if d.name != "consolidate"] == [
        shape(d) for d in served if d.name != "consolidate"
    ]
    assert all(d.job_variables == {"env": env} for d in pooled)
    assert not any(d.job_variables for d in served)
