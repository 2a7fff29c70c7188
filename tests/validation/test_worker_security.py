"""The warm GX worker under abuse (issue 17, H2): it refuses a key file others
may know, connections of another uid, pickles, and strangers that connect and
say nothing; a run it refuses still validates. A real worker on its socket;
another uid is the real `nobody` (these tests run as root)."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Client
from pathlib import Path

import pytest
from procs import gone
from warmkit import groups as _groups
from warmkit import wait as _wait
from warmkit import worker_pid as _pid

from iku.validation import gx_runner, warm_worker, wire, worker
from iku.validation.frames import Group

NOBODY = 65534
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another uid")


def _worker_exit(home: Path) -> subprocess.CompletedProcess:
    """The worker started in the foreground: what it says, and its exit status
    (a worker that starts would run for IKU_GX_WORKER_IDLE: the timeout fails it)."""
    env = {**os.environ, "IKU_GX_WORKER_IDLE": "5"}
    return subprocess.run(
        [sys.executable, "-m", "iku.validation.warm_worker", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=home,
    )


def _key_file(home: Path, mode: int) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    key = home / warm_worker.KEY_FILE
    key.write_text("ab" * 32)
    key.chmod(mode)
    return key


def test_a_key_file_others_can_read_is_refused(tmp_path):
    home = tmp_path / "prefect"
    _key_file(home, 0o644)
    done = _worker_exit(home)
    assert done.returncode == warm_worker.EXIT_REFUSED
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "dapat dibaca pengguna lain (mode 0644, harus 0600)" in lines[0]
    assert "Hapus berkas itu" in lines[0]
    assert warm_worker.start(home) is None  # a run does not start one that would refuse
    assert warm_worker.connect(home) is None


@root_only
def test_a_key_file_of_another_owner_is_refused(tmp_path):
    home = tmp_path / "prefect"
    key = _key_file(home, 0o600)
    os.chown(key, NOBODY, NOBODY)
    done = _worker_exit(home)
    assert done.returncode == warm_worker.EXIT_REFUSED
    assert f"milik uid {NOBODY}, bukan pengguna yang menjalankan pipeline" in done.stdout
    # a symbolic link to a key of ours is not our key file either
    key.unlink()
    (home / "elsewhere.key").write_text("ab" * 32)
    (home / "elsewhere.key").chmod(0o600)
    key.symlink_to(home / "elsewhere.key")
    assert _worker_exit(home).returncode == warm_worker.EXIT_REFUSED


def test_a_run_whose_key_is_refused_validates_without_the_warm_worker(tmp_path, monkeypatch, capfd):
    """The run keeps working (slower, same answers) and says why once: a
    validation that failed because of a stray chmod would stop every OPD's
    consolidation for a speed-up."""
    home = tmp_path / "prefect"
    _key_file(home, 0o640)
    monkeypatch.setattr(worker, "_managed_home", lambda: home)
    monkeypatch.setattr(worker, "_warm", None)
    monkeypatch.setattr(worker, "_pool", None)
    groups = _groups()
    try:
        assert worker.validate(groups) == gx_runner.validate(groups)
        assert worker._warm is None and worker._pool is not None
    finally:
        worker._pool.shutdown(cancel_futures=True)
    err = capfd.readouterr().err
    assert "dapat dibaca pengguna lain (mode 0640" in err and "tanpa pekerja GX hangat" in err
    assert not (home / warm_worker.LOG_FILE).exists()  # no worker was started for the next run


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One warm worker for the tests below (its GX import is the slow part)."""
    home = tmp_path_factory.mktemp("secure") / "prefect"
    patch = pytest.MonkeyPatch()
    patch.setenv("IKU_GX_WORKER_IDLE", "300")
    try:
        warm_worker.start(home)
    finally:
        patch.undo()
    session = None

    def ready() -> bool:
        nonlocal session
        session = warm_worker.connect(home)
        return session is not None

    _wait(ready)
    session.close()
    pid = _pid(home)
    yield home
    warm_worker.stop(home)
    _wait(lambda: gone(pid), 30)


def _log(home: Path) -> str:
    return (home / warm_worker.LOG_FILE).read_text()


def _alive(home: Path) -> None:
    """The worker still answers a real run."""
    session = warm_worker.connect(home)
    assert session is not None
    with session:
        session.send(wire.validate_request(_groups(), None))
        assert wire.problems_of(warm_worker.receive(session, timeout=120)) == gx_runner.validate(_groups())


def _as_nobody(home: Path, key: bytes) -> str:
    """A client of another uid that holds the key (a copy leaked), following
    the protocol: what became of it."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        outcome = "?"
        try:
            os.close(reader)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(10)
            sock.connect(warm_worker.address(home))
            warm_worker.client_handshake(sock, key)
            wire.send(sock, wire.Hello(call="hello", fingerprint=warm_worker.fingerprint()))
            outcome = f"answered {wire.recv_answer(sock).status}"
        except BaseException as exc:
            outcome = f"refused {type(exc).__name__}"
        finally:
            os.write(writer, outcome.encode())
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as fh:
        outcome = fh.read()
    os.waitpid(pid, 0)
    return outcome


@root_only
def test_a_client_of_another_uid_is_refused_even_with_the_key(running):
    key = (running / warm_worker.KEY_FILE).read_bytes().strip()
    outcome = _as_nobody(running, key)
    # closed before the handshake: not one byte of the challenge was sent
    assert outcome in ("refused EOFError", "refused ConnectionResetError"), outcome
    assert f"refused a connection from uid {NOBODY}" in _log(running)
    _alive(running)


def test_an_idle_stranger_does_not_delay_a_run(running):
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(warm_worker.address(running))  # connects, and says nothing
    half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    half.connect(warm_worker.address(running))
    half.sendall(b"\x00\x00")  # half a frame header, then silence
    try:
        began = time.monotonic()
        session = warm_worker.connect(running, timeout=2.0)
        assert session is not None  # the handshake was not queued behind the strangers
        assert time.monotonic() - began < 2.0
        session.close()
        _alive(running)
        # and the strangers are shown the door once the handshake time is over
        for stranger in (idle, half):
            stranger.settimeout(warm_worker.HANDSHAKE_TIMEOUT + 10)
            assert len(wire.recv_bytes(stranger)) == warm_worker.NONCE  # the challenge, unanswered
            with pytest.raises(EOFError):
                wire.recv_bytes(stranger)
        assert time.monotonic() - began < warm_worker.HANDSHAKE_TIMEOUT + 10
    finally:
        idle.close()
        half.close()


class _Evil:
    """A pickle that makes a folder when it is loaded: code, not data."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_a_pickle_is_never_loaded(running, tmp_path):
    key = (running / warm_worker.KEY_FILE).read_bytes().strip()
    marker = tmp_path / "pwned"

    # the former protocol (multiprocessing's handshake, then a pickle): refused at the handshake
    with pytest.raises(Exception):  # noqa: B017 - whichever way multiprocessing gives up
        conn = Client(warm_worker.address(running), family="AF_UNIX", authkey=key)
        conn.send(_Evil(marker))
        conn.recv()

    # a pickle instead of the handshake's answer
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(warm_worker.address(running))
    wire.recv_bytes(sock)
    wire.send_bytes(sock, pickle.dumps(_Evil(marker)))
    with pytest.raises((EOFError, ConnectionResetError)):
        wire.recv_bytes(sock)
    sock.close()

    # an authenticated run sending a pickle (or JSON that is no request) gets no answer
    for body in (
        pickle.dumps(_Evil(marker)),
        b'{"call": "validate", "groups": [], "docs_dir": null, "x": 1}',
    ):
        session = warm_worker.connect(running)
        assert session is not None
        wire.send_bytes(session.sock, body)
        session.sock.settimeout(30)
        with pytest.raises((EOFError, ConnectionResetError)):
            wire.recv_answer(session.sock)
        session.close()

    assert not marker.exists()
    assert _log(running).count("refused a message") >= 2
    _alive(running)


def test_cells_travel_as_data_with_their_type():
    """What the messages show depends on a cell's type (a date typed in `bulan`
    reads 01/06/2023): the wire keeps it without pickling it."""
    from datetime import date, datetime, timedelta

    from iku.domain.formulas import UncachedFormula

    groups = _groups()
    row = groups[0].sheets[0].rows[0]
    cells = {
        "bulan": date(2023, 6, 1),
        "tahun": datetime(2024, 1, 2, 3, 4),
        "realisasi": UncachedFormula("A1+B1"),
        "pembilang": float("nan"),
        "penyebut": timedelta(days=2),
        "keterangan": "teks",
    }
    row.raw.update(cells)
    body = wire.validate_request(groups, None).model_dump_json()
    assert "pickle" not in body and "__reduce__" not in body
    back = wire.groups_of(wire.REQUEST.validate_json(body))
    got = back[0].sheets[0].rows[0].raw
    assert {k: got[k] for k in cells if k != "pembilang"} == {
        k: v for k, v in cells.items() if k != "pembilang"
    }
    assert got["pembilang"] != got["pembilang"]  # NaN
    assert back[0].catalogue == groups[0].catalogue
    with pytest.raises(TypeError):
        row.raw["realisasi"] = object()
        wire.validate_request(groups, None)


def test_groups_are_validated_alike_after_the_wire():
    groups = _groups()
    back = wire.groups_of(wire.REQUEST.validate_json(wire.validate_request(groups, None).model_dump_json()))
    assert gx_runner.validate(back) == gx_runner.validate(groups)
    assert isinstance(back[0], Group)


@root_only
def test_a_run_speaks_only_to_a_worker_of_its_own_uid(tmp_path):
    """The abstract namespace has no permissions: another user may listen on
    the worker's address first. A run then validates on its own and sends
    that listener nothing, not even the answer to a challenge."""
    home = tmp_path / "prefect"
    warm_worker._key(home, create=True)
    ready_r, ready_w = os.pipe()
    told_r, told_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the squatter, as nobody
        got = "?"
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(warm_worker.address(home))
            listener.listen(1)
            os.write(ready_w, b"1")
            listener.settimeout(20)
            conn, _ = listener.accept()
            wire.send_bytes(conn, os.urandom(warm_worker.NONCE))  # a challenge, as the worker would
            conn.settimeout(5)
            got = str(len(conn.recv(4096)))
        except BaseException as exc:
            got = type(exc).__name__
        finally:
            os.write(told_w, got.encode())
            os._exit(0)
    os.close(ready_w)
    os.close(told_w)
    try:
        assert os.read(ready_r, 1) == b"1"
        assert warm_worker.connect(home) is None
    finally:
        with os.fdopen(told_r) as fh:
            got = fh.read()
        os.waitpid(pid, 0)
        os.close(ready_r)
    # the run hung up at once, before or after the challenge: nothing sent back
    # (a run that took the challenge would have answered it: 4 + 64 bytes)
    assert got in ("0", "BrokenPipeError", "ConnectionResetError"), got
