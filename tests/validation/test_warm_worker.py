"""The GX worker kept warm between runs: a real worker process on its socket,
answering exactly what an in-process validation answers; refusing strangers,
making way for new code, stopping on request and when idle."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from procs import gone
from warmkit import groups as _groups
from warmkit import wait as _wait
from warmkit import worker_pid as _pid

from iku.validation import gx_runner, warm_worker, wire, worker


def _started(home: Path, monkeypatch, idle: str = "300"):
    monkeypatch.setenv("IKU_GX_WORKER_IDLE", idle)
    warm_worker.start(home)
    conn = None

    def ready() -> bool:
        nonlocal conn
        conn = warm_worker.connect(home)
        return conn is not None

    _wait(ready)
    return conn


@pytest.mark.slow
def test_the_warm_worker_answers_as_the_run_itself_would(tmp_path, monkeypatch):
    home = tmp_path / "prefect"
    conn = _started(home, monkeypatch)
    pid = _pid(home)
    try:
        assert (home / warm_worker.KEY_FILE).stat().st_mode & 0o077 == 0  # this user's runs only
        groups = _groups()
        conn.send(wire.validate_request(groups, None))
        answer = warm_worker.receive(conn)
        assert answer.status == "ok"
        remote = wire.problems_of(answer)
        assert remote == gx_runner.validate(groups)  # the same problems, row for row
        assert remote[0] == [] and [(p.row, p.column) for p in remote[1]] == [(2, "realisasi")]
        conn.close()

        # only the validation calls are served: anything else ends the session unanswered
        conn = warm_worker.connect(home)
        wire.send_bytes(conn.sock, b'{"call": "os.system", "args": ["true"]}')
        with pytest.raises(EOFError):
            wire.recv_answer(conn.sock)
        conn.close()
        assert "refused a message" in (home / warm_worker.LOG_FILE).read_text()

        # a run through iku.validation.worker uses it, Data Docs included (this
        # test process may run Prefect's test server: the managed server's folder
        # is named here; which Prefect means "managed" is tested apart, below)
        monkeypatch.setattr(worker, "_managed_home", lambda: home)
        monkeypatch.setattr(worker, "_warm", None)
        monkeypatch.setattr(worker, "_pool", None)
        found = worker.validate(groups, tmp_path / "docs")
        assert worker._pool is None  # no GX of its own
        assert found == remote
        # a second call (a batch halved) while the Data Docs are still due on the same line
        assert worker.validate(groups[:1]) == remote
        found = worker.validate(groups, tmp_path / "docs")
        assert worker.docs_done() == tmp_path / "docs" / "index.html"
        assert (tmp_path / "docs" / "index.html").is_file()
        # a run that fails between sending its sheets and reading the answer
        # (it drafts its records meanwhile) leaves no answer for the next call:
        # the Pending took the line with it, and the next call opens its own
        abandoned = worker.submit(groups)
        assert worker._warm is None
        del abandoned
        second_only = [dataclasses.replace(groups[0], sheets={1: groups[0].sheets[1]})]
        assert worker.validate(second_only) == {1: remote[1]}
        assert worker._pool is None and worker._warm is not None
        worker._drop_warm()
        assert "validate: ok" in (home / warm_worker.LOG_FILE).read_text()

        # another user's key (or none) is refused, and the worker lives on
        (home / warm_worker.KEY_FILE).rename(home / "real.key")
        (home / warm_worker.KEY_FILE).write_text("0" * 64)
        assert warm_worker.connect(home) is None
        (home / "real.key").replace(home / warm_worker.KEY_FILE)
        assert not gone(pid)

        # a second worker for the same folder makes way for the first
        second = warm_worker.start(home)
        assert second is not None
        _wait(lambda: gone(second), 120)  # it imported GX, found the first listening, and left
        assert len(re.findall("ready", (home / warm_worker.LOG_FILE).read_text())) == 1

        assert warm_worker.stop(home) is True
        _wait(lambda: gone(pid), 30)
        assert warm_worker.connect(home) is None
    finally:
        warm_worker.stop(home)


@pytest.mark.slow
def test_a_warm_worker_lost_mid_run_costs_only_time(tmp_path, monkeypatch):
    """Killed between two calls of a run (out of memory, a reboot of it): the
    run validates in its own worker, with the same answer."""
    home = tmp_path / "prefect"
    _started(home, monkeypatch).close()
    monkeypatch.setattr(worker, "_managed_home", lambda: home)
    monkeypatch.setattr(worker, "_warm", None)
    monkeypatch.setattr(worker, "_pool", None)
    groups = _groups()
    first = worker.validate(groups)
    assert worker._warm is not None and worker._pool is None
    os.kill(_pid(home), signal.SIGKILL)
    try:
        assert worker.validate(groups) == first
        assert worker._warm is None and worker._pool is not None  # its own worker took over
    finally:
        worker._pool.shutdown(cancel_futures=True)


@pytest.mark.slow
def test_a_hung_warm_worker_costs_a_run_seconds_not_the_run_and_new_code_replaces_it(tmp_path, monkeypatch):
    """One worker for both (a worker costs a GX import): hung twice, then told
    it runs old code."""
    home = tmp_path / "prefect"
    _started(home, monkeypatch).close()
    pid = _pid(home)
    os.kill(pid, signal.SIGSTOP)
    try:
        began = time.monotonic()
        assert warm_worker.connect(home, timeout=1.0) is None
        assert time.monotonic() - began < 10
    finally:
        os.kill(pid, signal.SIGCONT)
    conn = warm_worker.connect(home)  # answering again
    assert conn is not None
    conn.send(wire.validate_request(_groups(), None))
    os.kill(pid, signal.SIGSTOP)  # hung in the middle of a run's call
    try:
        with pytest.raises(OSError):
            warm_worker.receive(conn, timeout=1.0)
    finally:
        os.kill(pid, signal.SIGCONT)
        conn.close()
    try:
        # new code or suites replace it; first answering again (the hung call done)
        _wait(lambda: _closed(warm_worker.connect(home)))
        monkeypatch.setattr(warm_worker, "fingerprint", lambda: "after an upgrade")
        assert warm_worker.connect(home) is None  # not used for the new code...
        _wait(lambda: gone(pid), 30)  # ...and gone, so the next run starts a new one
    finally:
        warm_worker.stop(home)


def _closed(conn) -> bool:
    if conn is not None:
        conn.close()
    return conn is not None


@pytest.mark.slow
def test_an_idle_warm_worker_exits(tmp_path, monkeypatch):
    home = tmp_path / "prefect"
    _started(home, monkeypatch, idle="1").close()
    pid = _pid(home)
    _wait(lambda: gone(pid), 30)


def test_no_warm_worker_without_the_managed_server_or_when_turned_off(tmp_path):
    """Only the embedded default keeps one (a Prefect server of one's own, a
    work pool: their runs validate in their own worker); IKU_GX_WORKER_IDLE=0
    turns it off. In a fresh process: this one may have Prefect's settings."""
    probe = "from iku.validation import worker; print(worker._managed_home())"

    def home(**env: str) -> str:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "IKU_GX"))}
        base.update(IKU_PREFECT_HOME=str(tmp_path), **env)
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=base)
        return out.stdout.strip() or out.stderr

    assert home() == str(tmp_path)
    assert home(PREFECT_API_URL="http://127.0.0.1:9/api") == "None"
    assert home(IKU_GX_WORKER_IDLE="0") == "None"
