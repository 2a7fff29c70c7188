"""The local Prefect server `iku` manages when PREFECT_API_URL is unset: started
once in the background, reused by later commands, stopped on request; and the
commands that run no flow never import Prefect."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback import free_port
from procs import gone
from sheetkit import sheet_rows, write_xlsx

IKU = str(Path(sys.executable).with_name("iku"))

# Runs the CLI in-process and reports whether Prefect got imported.
PROBE = """
import sys
from typer.testing import CliRunner
from iku.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
print("EXIT", result.exit_code, "PREFECT", any(m == "prefect" or m.startswith("prefect.") for m in sys.modules))
"""

# The same for several commands in one process, each line of arguments in turn:
# Prefect, once imported, stays in sys.modules, so the first command that
# imports it is the one named (a process each cost about a second apiece).
PROBE_EACH = """
import json, sys
from typer.testing import CliRunner
from iku.cli import app
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, args)
    prefect = any(m == "prefect" or m.startswith("prefect.") for m in sys.modules)
    print("PROBE", json.dumps([args, result.exit_code, prefect]))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(extra)
    return env


def test_commands_without_a_flow_never_import_prefect(iku_env, tmp_path):
    commands = [
        ["--help"],
        ["status", "--year", "2023", "--as-of", "2023-05-11"],
        ["template", "--bidang", "perumahan", "--period", "2023-04", "--out", f"{tmp_path}/t.xlsx"],
        ["report", "--period", "2023-Q9"],  # a usage error
        ["lakip"],  # a missing option
        ["server", "status"],
        ["deploy", "--pool", "p"],  # refused: an SQLite warehouse (exit 2)
        # the manual runs of the report steps (a flow run only with --prefect)
        ["report", "--period", "2023-Q1"],
        ["recap", "--period", "2023-Q1"],
        ["lakip", "--year", "2023"],
    ]
    out = subprocess.run(
        [sys.executable, "-c", PROBE_EACH, json.dumps(commands)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    answers = [json.loads(line[6:]) for line in out.stdout.splitlines() if line.startswith("PROBE ")]
    assert [args for args, _, _ in answers] == commands, out.stdout
    assert [(args, prefect) for args, _, prefect in answers] == [(args, False) for args in commands]


def test_consolidate_loads_new_sheets_without_prefect_unless_asked(iku_env, tmp_path):
    """A manual run composes the same steps in its own process; --prefect makes it a flow run."""
    write_xlsx(iku_env / "inbox" / "perumahan" / "april.xlsx", sheet_rows(month=4))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "consolidate"], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert "EXIT 0 PREFECT False" in out.stdout, out.stdout + out.stderr
    status = subprocess.run(
        [IKU, "status", "--year", "2023", "--json"], capture_output=True, text=True, env=_env(), timeout=120
    )
    april = [c for c in json.loads(status.stdout)["submissions"] if c["month"] == 4]
    assert [c["status"] for c in april] == ["late", "missing"]  # loaded; perkim sent nothing
    dead = f"http://127.0.0.1:{free_port()}/api"
    write_xlsx(iku_env / "inbox" / "perumahan" / "mei.xlsx", sheet_rows(month=5))
    flow = subprocess.run(
        [IKU, "consolidate", "--prefect"],
        capture_output=True,
        text=True,
        env=_env(PREFECT_API_URL=dead),
        timeout=120,
    )
    assert flow.returncode == 6 and "tidak menjawab" in flow.stderr  # it asked Prefect for a flow run


def test_a_work_pool_with_an_sqlite_warehouse_is_refused_in_one_line(iku_env):
    result = subprocess.run(
        [IKU, "deploy", "--pool", "p"], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "work pool menolak gudang data SQLite" in result.stderr


def test_a_flow_command_with_an_unreachable_prefect_api_says_so_in_one_line(iku_env):
    dead = f"http://127.0.0.1:{free_port()}/api"
    result = subprocess.run(
        [IKU, "report", "--period", "2023-Q2", "--prefect"],  # a flow run: needs the API
        capture_output=True,
        text=True,
        env=_env(PREFECT_API_URL=dead),
        timeout=120,
    )
    assert result.returncode == 6
    assert result.stderr.strip() == f"iku: server Prefect di PREFECT_API_URL={dead} tidak menjawab"


@pytest.mark.prefect
@pytest.mark.slow
@pytest.mark.alone
def test_the_managed_server_starts_once_is_reused_and_stops(iku_env, tmp_path):
    home = tmp_path / "prefect"
    env = _env(IKU_PREFECT_HOME=str(home), IKU_PREFECT_PORT=str(free_port()), IKU_GX_WORKER_IDLE="300")

    def iku(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([IKU, *args], capture_output=True, text=True, env=env, timeout=600)

    worker_pid = None
    try:
        first = iku("report", "--period", "2023-Q2", "--prefect")  # a flow run
        assert first.returncode == 0, first.stderr
        assert "Menyalakan server Prefect lokal" in first.stderr and "siap" in first.stderr
        assert (iku_env / "out" / "2023" / "iku-2023-Q2.json").is_file()
        state = json.loads((home / "iku-server.json").read_text())
        assert state["url"] == f"http://127.0.0.1:{env['IKU_PREFECT_PORT']}"
        assert (home / "prefect.db").is_file()  # its state lives under the data folder

        second = iku("lakip", "--year", "2023", "--prefect")
        assert second.returncode == 0, second.stderr
        assert "Menyalakan" not in second.stderr  # reused, not started again
        assert json.loads((home / "iku-server.json").read_text())["pid"] == state["pid"]

        # the first run with new sheets validates in its own worker and leaves one
        # warm for the next runs (iku.validation.warm_worker), which stops with the server
        write_xlsx(iku_env / "inbox" / "perumahan" / "april.xlsx", sheet_rows(month=4))
        loaded = iku("consolidate")
        assert loaded.returncode == 0 and "1 berkas baru: 1 valid" in loaded.stdout, loaded.stderr
        worker_log = home / "gx-worker.log"
        end = time.monotonic() + 120
        while "ready" not in (worker_log.read_text() if worker_log.exists() else ""):
            assert time.monotonic() < end, "no warm GX worker"
            time.sleep(0.5)
        worker_pid = int(re.findall(r"ready \(pid (\d+)\)", worker_log.read_text())[0])
        bad = sheet_rows(month=5)
        bad[1][4] = -5
        write_xlsx(iku_env / "inbox" / "perumahan" / "mei.xlsx", bad)
        checked = iku("consolidate")
        assert checked.returncode == 0 and "1 tidak valid" in checked.stdout, checked.stderr
        assert "realisasi" in checked.stdout  # the problem, found by the warm worker
        assert "validate: ok" in worker_log.read_text()

        status = iku("server", "status")
        assert status.returncode == 0 and f"UI: {state['url']}" in status.stdout
        log = (home / "server.log").read_text(errors="replace")
        assert "telemetry" not in log.lower()
    finally:
        stopped = iku("server", "stop")
    assert stopped.returncode == 0 and f"pid {state['pid']}" in stopped.stdout
    assert gone(state["pid"])
    end = time.monotonic() + 30
    while worker_pid is not None and not gone(worker_pid):
        assert time.monotonic() < end, "the warm GX worker outlived iku server stop"
        time.sleep(0.2)
    assert "tidak berjalan" in iku("server", "status").stdout


def test_a_recorded_pid_that_is_no_prefect_server_counts_as_stopped(tmp_path, monkeypatch):
    """After a reboot the recorded pid may belong to another program: never wait on it."""
    from iku.orchestration import local_server

    monkeypatch.setenv("IKU_PREFECT_HOME", str(tmp_path))
    other = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / local_server.STATE_FILE).write_text(
            json.dumps({"url": "http://127.0.0.1:9", "pid": other.pid})
        )
        assert local_server.read_state() is None
        assert local_server.stop() is None and not (tmp_path / local_server.STATE_FILE).exists()
        assert other.poll() is None  # and it was left alone
    finally:
        other.kill()
        other.wait()
