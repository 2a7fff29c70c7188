"""A GX worker kept warm between runs, beside the managed local Prefect server.

Importing GX costs 3-5 s, more than everything else a run with one new sheet
does. With the embedded default (no PREFECT_API_URL) the first `iku
consolidate` that validates starts this worker in the background, and the
next runs hand it their sheets instead of importing GX again. It serves one
run at a time on a local socket (Linux's abstract namespace: nothing on disk
to go stale; the key in the state folder, mode 0600, admits only this user's
runs), and exits after IKU_GX_WORKER_IDLE seconds without a run (default
1800; 0 turns it off), on `iku server stop`, or when a run brings other code
or other suites than it was started with. A run that cannot use it validates
in its own worker, as before: the warm worker saves time, never correctness.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

from . import gx_runner
from .suites import EXPECTATIONS_DIR

IDLE_DEFAULT = 1800.0
KEY_FILE = "gx-worker.key"
LOG_FILE = "gx-worker.log"
CALL_TIMEOUT = 900.0  # one validation of a whole kabupaten's month takes seconds; a hung worker, forever
PACKAGE = Path(__file__).resolve().parents[1]  # the iku package: its code is what the worker runs

# What the worker runs for a client; anything else is refused.
CALLS: dict[str, Callable[..., Any]] = {"validate": gx_runner.validate, "build_docs": gx_runner.build_docs}


def idle_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("IKU_GX_WORKER_IDLE", IDLE_DEFAULT)))
    except ValueError:
        return IDLE_DEFAULT


def address(home: Path) -> str:
    """One worker per state folder (one per installation on a machine)."""
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:20]
    return f"\0iku-gx-{digest}"


def fingerprint() -> str:
    """The code and suites a worker validates with: a worker started before an
    upgrade or a changed suite must not answer for the new ones."""
    h = hashlib.sha256()
    files = sorted([*PACKAGE.rglob("*.py"), *EXPECTATIONS_DIR.glob("*.json")])
    for path in files:
        st = path.stat()
        h.update(f"{path}:{st.st_mtime_ns}:{st.st_size}\n".encode())
    return h.hexdigest()


def _key(home: Path, create: bool) -> bytes | None:
    path = home / KEY_FILE
    if not path.exists():
        if not create:
            return None
        home.mkdir(parents=True, exist_ok=True)
        # written whole under another name, then linked: a run starting at the
        # same moment never reads half a key, and the first one written stays
        tmp = home / f".{KEY_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_text().strip().encode() or None


def connect(home: Path, timeout: float = 2.0) -> Connection | None:
    """A session with the warm worker of `home`, or None when there is none
    (or it runs other code: it is told to stop, and a new one is started)."""
    key = _key(home, create=False)
    if key is None:
        return None
    try:
        conn = Client(address(home), family="AF_UNIX")  # connected; the handshake follows
    except OSError:  # none listening
        return None
    try:
        # the handshake by hand, so a worker that does not answer (stopped,
        # hung) costs this run `timeout` seconds, never the run itself
        if conn.poll(timeout):
            answer_challenge(conn, key)
            deliver_challenge(conn, key)
            conn.send(("hello", fingerprint()))
            if conn.poll(timeout) and conn.recv() == ("ok",):
                return conn
    except (OSError, EOFError, AuthenticationError):  # a wrong key, gone mid-handshake
        pass
    conn.close()
    return None


def receive(conn: Connection, timeout: float = CALL_TIMEOUT) -> object:
    """The worker's answer; OSError when none comes in time (a hung worker)."""
    if not conn.poll(timeout):
        raise OSError(f"the warm GX worker did not answer in {timeout:.0f} s")
    return conn.recv()


def start(home: Path) -> int | None:
    """Start a warm worker for `home` in the background (it outlives this
    command); its pid. A second one for the same folder exits once it has
    imported GX and found the first listening. A worker that cannot be started
    is no fault of the run (it goes without one): None."""
    try:
        _key(home, create=True)
        with (home / LOG_FILE).open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "iku.validation.warm_worker", str(home)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=home,
            ).pid
    except OSError:
        return None


def stop(home: Path) -> bool:
    """Ask the warm worker of `home` to exit; False when none answered."""
    conn = connect(home)
    if conn is None:
        return False
    with contextlib.closing(conn):
        conn.send(("stop", ()))
    return True


def serve(home: Path, idle: float) -> None:
    """The worker's loop: every run (connection) in a thread of its own, their
    calls one at a time (GX is not thread-safe); a run that finds the worker
    busy waits for the other's call, not for the other run to end."""
    key = _key(home, create=False)
    if key is None:
        return
    gx_runner.import_gx()  # before listening: a run that comes meanwhile uses its own worker
    try:
        listener = Listener(address(home), family="AF_UNIX", authkey=key)
    except OSError:  # another worker for this folder listens already
        return
    worker = _Worker(fingerprint())
    _log(f"ready (pid {os.getpid()}); exits after {idle:.0f} s without a run")

    def watch() -> None:  # an idle worker gives its memory back
        while not worker.stopping.wait(min(idle, 30.0)):
            if not worker.busy and time.monotonic() - worker.last > idle:
                break
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    while True:
        try:
            conn = listener.accept()
        except Exception:  # a wrong key or a client gone mid-handshake: not our concern
            continue
        threading.Thread(target=worker.session, args=(conn,), daemon=True).start()


def _log(message: str) -> None:  # to gx-worker.log in the state folder (its stdout)
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", flush=True)


class _Worker:
    def __init__(self, mine: str):
        self.mine, self.lock, self.counting = mine, threading.Lock(), threading.Lock()
        self.stopping = threading.Event()
        self.sessions, self.last = 0, time.monotonic()

    @property
    def busy(self) -> bool:
        return self.sessions > 0

    def session(self, conn: Connection) -> None:
        """One run's calls, in order, until it closes the connection."""
        with self.counting:
            self.sessions += 1
        try:
            with contextlib.closing(conn):
                if conn.recv() != ("hello", self.mine):
                    _log("a run with other code or suites: stopping, a new worker takes over")
                    conn.send(("stale",))
                    self.stopping.set()  # other code or suites now: make way for a new worker
                    return
                conn.send(("ok",))
                while True:
                    name, args = conn.recv()
                    if name == "stop":
                        _log("stopped (iku server stop)")
                        self.stopping.set()
                        return
                    conn.send(self._call(name, args))
        except (EOFError, OSError):  # the run ended (or died)
            pass
        finally:
            with self.counting:
                self.sessions -= 1
                self.last = time.monotonic()

    def _call(self, name: str, args: tuple) -> tuple:
        if name not in CALLS:
            return ("error", ValueError(f"unknown call {name!r}"))
        with self.lock:
            if not gx_runner._pending_docs:
                # no run waits for its Data Docs: a fresh GX context, so the
                # results of earlier runs do not pile up in memory
                gx_runner._context.cache_clear()
            began = time.perf_counter()
            try:
                answer: tuple = ("ok", CALLS[name](*args))
            except Exception as exc:  # the client decides what a failed validation means
                answer = ("error", exc)
        _log(f"{name}: {answer[0]} in {time.perf_counter() - began:.2f} s")
        try:
            pickle.dumps(answer)
        except Exception as exc:  # an answer that does not travel is told as text
            answer = ("error", RuntimeError(f"{type(answer[1]).__name__}: {exc}"))
        return answer


if __name__ == "__main__":
    from iku.settings import set_library_env

    set_library_env({"GX_ANALYTICS_ENABLED": "false"})
    serve(Path(sys.argv[1]), idle_seconds() or IDLE_DEFAULT)
