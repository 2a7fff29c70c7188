"""Issue 7, crash safety: `kill -9` the consolidation (the real `iku consolidate`
process and its children, a real SIGKILL) at several points, then run it again.
Every file is recorded exactly once, every invalid or unreadable file alerted
exactly once (loopback SMTP and webhook), and the archive holds every file.

The kill points are deterministic: iku.testhook pauses the process at a named
point and announces it with a file; the test kills it there (no sleeps)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clikit import iku
from loopback import SmtpReceiver, WebhookReceiver
from procs import gone, running
from sheetkit import sheet_rows, write_csv, write_xlsx

from iku.warehouse import Warehouse

pytestmark = [pytest.mark.prefect, pytest.mark.slow]
IKU = str(Path(sys.executable).with_name("iku"))
OPD = "disperkim-tjb"


def _inbox(inbox: Path) -> dict[str, Path]:
    """Seven files, oldest first: the two oldest (one invalid) form the first batch."""
    files = {}
    neg = sheet_rows(month=1)
    neg[2][4] = -5
    files["invalid-jan"] = write_xlsx(inbox / "perumahan" / "januari.xlsx", neg)
    files["valid-feb"] = write_xlsx(inbox / "perumahan" / "februari.xlsx", sheet_rows(month=2))
    files["valid-mar"] = write_csv(inbox / "perumahan" / "maret.csv", sheet_rows(month=3))
    files["invalid-perkim"] = write_xlsx(inbox / "perkim" / "april.xlsx", sheet_rows("perkim", pembilang=200))
    files["valid-perkim"] = write_xlsx(inbox / "perkim" / "mei.xlsx", sheet_rows("perkim", month=5))
    broken = inbox / "perkim" / "rusak.xlsx"
    broken.write_bytes(b"PK\x03\x04 bukan excel")
    files["unreadable"] = broken
    files["valid-apr"] = write_xlsx(inbox / "perumahan" / "april.xlsx", sheet_rows(month=4))
    start = datetime(2023, 2, 1, tzinfo=UTC)
    for i, path in enumerate(files.values()):
        when = (start + timedelta(days=i)).timestamp()
        os.utime(path, (when, when))
    return files


@pytest.fixture
def crash_env(iku_env, config_copy, prefect_api_url, tmp_path):
    pipeline = config_copy / "pipeline.yaml"
    text = pipeline.read_text(encoding="utf-8").replace("gx_data_docs: true", "gx_data_docs: false")
    pipeline.write_text(text + "\nload_batch_files: 2\n", encoding="utf-8")
    env = {
        **os.environ,
        "IKU_CONFIG_DIR": str(config_copy),
        "PREFECT_API_URL": prefect_api_url,
        "IKU_SMTP_STARTTLS": "false",
        "IKU_ALERT_EMAIL_FROM": "iku@disperkim.example",
        "IKU_ALERT_EMAIL_TO": "perencanaan@disperkim.example",
    }
    return env


def _consolidate(env: dict, pause_at: str | None, hooks: Path) -> None:
    """Run `iku consolidate`; with `pause_at`, SIGKILL the real process (and its
    children) there. The runs after a kill are the recovery under test, not the
    process: they run in-process (tests/clikit.py), sharing this process's GX worker."""
    if pause_at is None:
        done = iku("consolidate", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        return
    proc = _start_paused(env, pause_at, hooks, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    _none_left(proc.pid)
    (hooks / f"{pause_at}.reached").unlink()


def _none_left(group: int) -> None:
    """Every process of the killed run is gone (and its locks with it): an
    in-process rerun would otherwise wait on them for ever instead of failing."""
    end = time.monotonic() + 15
    while [p for p in running() if p.pgrp == group]:
        assert time.monotonic() < end, "a process of the killed run outlived it"
        time.sleep(0.05)


def _start_paused(env: dict, point: str, hooks: Path, **popen) -> subprocess.Popen:
    """Start `iku consolidate` in a process group of its own (so the whole run can be
    signalled) and return once iku.testhook holds it at `point`."""
    proc = subprocess.Popen(
        [IKU, "consolidate"],
        env={**env, "IKU_TEST_PAUSE_AT": f"{point}@{hooks}"},
        start_new_session=True,
        **popen,
    )
    deadline = time.monotonic() + 600
    while not (hooks / f"{point}.reached").exists():
        if proc.poll() is not None:
            pytest.fail(f"iku consolidate ended before {point}:\n{proc.communicate()}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"{point} never reached")
        time.sleep(0.05)
    return proc


def _every_file_loaded_once(iku_env: Path, files: dict[str, Path]) -> None:
    wh = Warehouse(f"sqlite:///{iku_env / 'data' / 'iku.sqlite'}")
    shas = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in files.values())
    assert sorted(s.sha256 for s in wh.submission_logs(OPD)) == shas
    wh.engine.dispose()


@pytest.mark.parametrize("point", ["sheet-read", "validated", "batch-committed", "alert-delivered"])
def test_killed_at_any_point_then_rerun_loses_and_repeats_nothing(crash_env, iku_env, tmp_path, point):
    _crash_and_rerun(crash_env, iku_env, tmp_path, point, f"sqlite:///{iku_env / 'data' / 'iku.sqlite'}")


@pytest.mark.postgres
def test_killed_after_the_first_batch_on_postgres(crash_env, iku_env, tmp_path, pg_url):
    _crash_and_rerun({**crash_env, "IKU_WAREHOUSE_URL": pg_url}, iku_env, tmp_path, "batch-committed", pg_url)


def _crash_and_rerun(env: dict, iku_env: Path, tmp_path: Path, point: str, url: str) -> None:
    files = _inbox(iku_env / "inbox")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        env = {
            **env,
            "IKU_SMTP_HOST": "127.0.0.1",
            "IKU_SMTP_PORT": str(smtp.port),
            "IKU_ALERT_WEBHOOK_URL": hook.url,
        }
        _consolidate(env, point, hooks)
        _consolidate(env, None, hooks)
        _consolidate(env, None, hooks)  # a third run finds nothing new and repeats nothing

    wh = Warehouse(url)
    logs = wh.submission_logs(OPD)
    shas = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}
    assert sorted(s.sha256 for s in logs) == sorted(shas.values())  # every file exactly once
    status = {s.sha256: s.status for s in logs}
    bad = {shas[n] for n in ("invalid-jan", "invalid-perkim", "unreadable")}
    assert {sha for sha, st in status.items() if st != "valid"} == bad

    alerted = [b for b in hook.bodies if b["kind"] in ("invalid_submission", "unreadable_file")]
    assert sorted(b["file"] for b in alerted) == ["april.xlsx", "januari.xlsx", "rusak.xlsx"]  # once each
    mails = [m for m in smtp.mails if m.message["X-IKU-Alert"].split(":")[0] in ("invalid", "unreadable")]
    assert sorted(m.message["X-IKU-Alert"].split(":")[1] for m in mails) == sorted(bad)
    assert all(r["delivered_at"] is not None for r in wh.alerts(OPD))

    archived = {p.name.split(".")[0] for p in (iku_env / "archive").rglob("*") if p.is_file()}
    assert set(shas.values()) <= archived  # every file that could be read is archived
    wh.engine.dispose()


@pytest.mark.postgres
def test_warehouse_dropped_mid_run_exits_4_with_one_line(crash_env, iku_env, tmp_path, pg_url):
    from urllib.parse import unquote

    from sqlalchemy import create_engine, text

    _inbox(iku_env / "inbox")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    proc = subprocess.Popen(
        [IKU, "consolidate"],
        env={**crash_env, "IKU_WAREHOUSE_URL": pg_url, "IKU_TEST_PAUSE_AT": f"validated@{hooks}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while not (hooks / "validated.reached").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        schema = unquote(pg_url).rpartition("search_path=")[2]
        admin = create_engine(pg_url.partition("?")[0])
        with admin.begin() as conn:  # the warehouse disappears while the run holds its data
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))  # empty: the fixture drops it again
        admin.dispose()
        (hooks / "validated.go").touch()
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 4, out + err
    assert err.strip().splitlines()[-1].startswith("iku: gudang data tidak dapat dipakai")
    assert "Traceback" not in err


def test_ctrl_c_mid_run_ends_with_one_line_and_the_rerun_loads_everything(crash_env, iku_env, tmp_path):
    """SIGINT (Ctrl-C) while the sheets are validated: exit 130 with one line, no
    traceback, no GX worker left; the next run loads every file exactly once."""
    files = _inbox(iku_env / "inbox")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    proc = _start_paused(
        crash_env,
        "validated",
        hooks,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as a terminal delivers it: not ignored, as it is in a shell's background job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        os.killpg(proc.pid, signal.SIGINT)  # the terminal's whole foreground group
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == "iku: dihentikan." and "Traceback" not in err
    _none_left(proc.pid)  # nothing of the run is left
    _consolidate(crash_env, None, hooks)
    _every_file_loaded_once(iku_env, files)


def test_a_command_killed_alone_takes_its_gx_worker_along(crash_env, iku_env, tmp_path):
    """`kill -9` of the command only (the OOM killer, systemd's KillMode=process):
    its forked GX worker held the run lock and waited for ever, so every later
    run hung. It now dies with the command; the next run loads every file."""
    files = _inbox(iku_env / "inbox")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    proc = _start_paused(crash_env, "sheet-read", hooks, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers = [p.pid for p in running() if p.ppid == proc.pid]
        assert workers, "no GX worker was started"
        os.kill(proc.pid, signal.SIGKILL)  # the command alone, not its process group
        proc.wait(timeout=60)
        end = time.monotonic() + 15
        while not all(gone(w) for w in workers):
            assert time.monotonic() < end, "the GX worker outlived the killed command"
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    _none_left(proc.pid)
    (hooks / "sheet-read.reached").unlink()
    _consolidate(crash_env, None, hooks)  # not waiting on a lock held by an orphan
    _every_file_loaded_once(iku_env, files)
