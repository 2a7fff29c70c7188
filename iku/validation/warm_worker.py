"""A GX worker kept warm between runs, beside the managed local Prefect server.

Importing GX costs 3-5 s, more than everything else a run with one new sheet
does. With the embedded default (no PREFECT_API_URL) the first `iku
consolidate` that validates starts this worker in the background, and the
next runs hand it their sheets instead of importing GX again. It listens on a
local socket (Linux's abstract namespace: nothing on disk to go stale), and
exits after IKU_GX_WORKER_IDLE seconds without a run (default 1800; 0 turns
it off), on `iku server stop`, or when a run brings other code or other
suites than it was started with. A run that cannot use it validates in its
own worker, as before: the warm worker saves time, never correctness.

Who may use it (issue 17, H2): only processes of the worker's own uid (the
kernel's SO_PEERCRED, checked before a byte is read; the abstract namespace
itself has no permissions), holding the key in the state folder, which must be
a regular file of that uid, mode 0600, or the worker refuses to start (exit 3,
one line) and runs validate without it. Both sides prove the key (HMAC of a
fresh challenge) within HANDSHAKE_TIMEOUT; every connection has a thread of
its own, so a stranger that connects and says nothing delays no run. What
travels is data, never pickles (iku.validation.wire).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn

from pydantic import BaseModel

from iku.collector import few_gc_passes, freeze_what_is_loaded

from . import gx_runner, wire
from .suites import EXPECTATIONS_DIR
from .wire import Answer, BuildDocs, Hello, ProtocolError, Stop, Validate

IDLE_DEFAULT = 1800.0
KEY_FILE = "gx-worker.key"
LOG_FILE = "gx-worker.log"
CALL_TIMEOUT = 900.0  # one validation of a whole kabupaten's month takes seconds; a hung worker, forever
# A connection must prove the key and say hello within this: an idle or slow
# stranger is dropped, and never holds up a run (each has a thread of its own).
HANDSHAKE_TIMEOUT = 5.0
NONCE = 32
PACKAGE = Path(__file__).resolve().parents[1]  # the iku package: its code is what the worker runs
EXIT_REFUSED = 3  # the key file is not this user's alone: a configuration fault (CONTRACT §9)


class KeyRefused(Exception):
    """The key file may be known to someone else; the message is one line for the operator."""


class AuthFailed(Exception):
    """The peer does not hold the key."""


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


def _read_key(path: Path) -> bytes | None:
    """The key, if the file is this user's alone (a regular file, owned by this
    uid, mode 0600 or stricter); KeyRefused otherwise; None when there is none.
    Opened once, checked on the open file: no swap between check and read."""
    fix = "Hapus berkas itu; run berikutnya membuat kunci baru (mode 0600)."
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError:  # a symbolic link (ELOOP) or unreadable
        raise KeyRefused(
            f"Kunci pekerja GX {path} tidak dapat dibuka sebagai berkas biasa: pekerja GX hangat tidak dijalankan. {fix}"
        ) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise KeyRefused(
                f"Kunci pekerja GX {path} bukan berkas biasa: pekerja GX hangat tidak dijalankan. {fix}"
            )
        if st.st_uid != os.geteuid():
            raise KeyRefused(
                f"Kunci pekerja GX {path} milik uid {st.st_uid}, bukan pengguna yang menjalankan pipeline "
                f"(uid {os.geteuid()}): pekerja GX hangat tidak dijalankan. {fix}"
            )
        if st.st_mode & 0o077:
            raise KeyRefused(
                f"Kunci pekerja GX {path} dapat dibaca pengguna lain (mode {stat.S_IMODE(st.st_mode):04o}, "
                f"harus 0600): pekerja GX hangat tidak dijalankan. {fix}"
            )
        return fh.read().strip() or None


def key_problem(home: Path) -> str | None:
    """Why the key of `home` cannot be trusted (one line), or None."""
    try:
        _read_key(home / KEY_FILE)
    except KeyRefused as exc:
        return str(exc)
    return None


def _key(home: Path, create: bool) -> bytes | None:
    """KeyRefused when the key file is not this user's alone."""
    path = home / KEY_FILE
    if create and not path.exists():
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
    return _read_key(path)


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (SO_PEERCRED:
    told by the kernel, not by the peer)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _mac(key: bytes, role: bytes, nonce: bytes) -> bytes:
    return hmac.new(key, role + nonce, hashlib.sha256).digest()


def client_handshake(sock: socket.socket, key: bytes) -> None:
    """Both sides prove the key: the worker's challenge answered, then ours."""
    challenge = wire.recv_bytes(sock, limit=NONCE)
    mine = secrets.token_bytes(NONCE)
    wire.send_bytes(sock, _mac(key, b"client", challenge) + mine)
    if not hmac.compare_digest(wire.recv_bytes(sock, limit=NONCE), _mac(key, b"worker", mine)):
        raise AuthFailed("the worker does not hold the key")


def _server_handshake(sock: socket.socket, key: bytes) -> None:
    challenge = secrets.token_bytes(NONCE)
    wire.send_bytes(sock, challenge)
    reply = wire.recv_bytes(sock, limit=2 * NONCE)
    if len(reply) != 2 * NONCE or not hmac.compare_digest(reply[:NONCE], _mac(key, b"client", challenge)):
        raise AuthFailed("the client does not hold the key")
    wire.send_bytes(sock, _mac(key, b"worker", reply[NONCE:]))


class Session:
    """A run's connection to the warm worker, past the handshake."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def send(self, request: BaseModel) -> None:
        self.sock.settimeout(CALL_TIMEOUT)  # a hung worker whose buffer is full must not hang the run
        wire.send(self.sock, request)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(home: Path, timeout: float = 2.0) -> Session | None:
    """A session with the warm worker of `home`, or None when there is none
    (or it runs other code: it is told to stop, and a new one is started)."""
    try:
        key = _key(home, create=False)
    except KeyRefused:  # said by worker.warm_up; the run validates without it
        return None
    if key is None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # every step bounded: a worker that does not answer (stopped, hung) costs
    # this run `timeout` seconds, never the run itself
    sock.settimeout(timeout)
    try:
        sock.connect(address(home))
        # the abstract namespace has no permissions: anyone may listen there
        # first; our sheets go only to a worker of our own uid
        if peer_uid(sock) == os.geteuid():
            client_handshake(sock, key)
            wire.send(sock, Hello(call="hello", fingerprint=fingerprint()))
            if wire.recv_answer(sock).status == "ok":
                return Session(sock)
    except (OSError, EOFError, AuthFailed, ProtocolError):  # none listening, a wrong key, gone mid-handshake
        pass
    sock.close()
    return None


def receive(session: Session, timeout: float = CALL_TIMEOUT) -> Answer:
    """The worker's answer; OSError when none comes in time (a hung worker)."""
    session.sock.settimeout(timeout)
    try:
        return wire.recv_answer(session.sock)
    except TimeoutError:
        raise OSError(f"the warm GX worker did not answer in {timeout:.0f} s") from None


def start(home: Path) -> int | None:
    """Start a warm worker for `home` in the background (it outlives this
    command); its pid. A second one for the same folder exits once it has
    imported GX and found the first listening. A worker that cannot be started
    (or would refuse its key) is no fault of the run (it goes without one): None."""
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
    except (OSError, KeyRefused):
        return None


def stop(home: Path) -> bool:
    """Ask the warm worker of `home` to exit; False when none answered."""
    session = connect(home)
    if session is None:
        return False
    with contextlib.closing(session):
        session.send(Stop(call="stop"))
    return True


def serve(home: Path, idle: float) -> int:
    """The worker's loop: every connection in a thread of its own (a stranger
    that connects and says nothing holds up no one), every run's calls one at
    a time (GX is not thread-safe); a run that finds the worker busy waits for
    the other's call, not for the other run to end. Its exit status."""
    try:
        key = _key(home, create=False)
    except KeyRefused as exc:  # before GX's import: refused at once
        _log(str(exc))
        return EXIT_REFUSED
    if key is None:
        _log(f"Kunci pekerja GX {home / KEY_FILE} tidak ada: pekerja GX hangat tidak dijalankan.")
        return EXIT_REFUSED
    gx_runner.import_gx()  # before listening: a run that comes meanwhile uses its own worker
    freeze_what_is_loaded()  # the collector's passes during a run walk the run's objects only
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address(home))
        listener.listen(64)
    except OSError:  # another worker for this folder listens already
        return 0
    worker = _Worker(fingerprint(), key)
    _log(f"ready (pid {os.getpid()}); exits after {idle:.0f} s without a run")

    def watch() -> None:  # an idle worker gives its memory back
        while not worker.stopping.wait(min(idle, 30.0)):
            if not worker.busy and time.monotonic() - worker.last > idle:
                break
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    _accept_forever(listener, worker)


def _accept_forever(listener: socket.socket, worker: _Worker) -> NoReturn:
    """Hand every connection of this worker's own user to a thread of its own;
    another user's is closed before its first byte is read."""
    me = os.geteuid()
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            continue
        try:
            uid = peer_uid(sock)
        except OSError:
            uid = -1
        if uid != me:  # another user: no handshake, not one byte read
            _log(f"refused a connection from uid {uid}")
            sock.close()
            continue
        threading.Thread(target=worker.session, args=(sock,), daemon=True).start()


def _log(message: str) -> None:  # to gx-worker.log in the state folder (its stdout)
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", flush=True)


class _Worker:
    def __init__(self, mine: str, key: bytes):
        self.mine, self.key = mine, key
        self.lock, self.counting = threading.Lock(), threading.Lock()
        self.stopping = threading.Event()
        self.sessions, self.last = 0, time.monotonic()

    @property
    def busy(self) -> bool:
        return self.sessions > 0

    def session(self, sock: socket.socket) -> None:
        """One connection: the handshake in time, then one run's calls, in
        order, until it closes the connection."""
        counted = False
        # closed after the except clauses: a refusal is logged before the client sees the end
        with contextlib.closing(sock):
            try:
                sock.settimeout(HANDSHAKE_TIMEOUT)
                _server_handshake(sock, self.key)
                hello = wire.recv_request(sock)
                if not isinstance(hello, Hello):
                    raise ProtocolError(f"{hello.call} before hello")
                if hello.fingerprint != self.mine:
                    _log("a run with other code or suites: stopping, a new worker takes over")
                    wire.send(sock, Answer(status="stale"))
                    self.stopping.set()  # other code or suites now: make way for a new worker
                    return
                with self.counting:
                    self.sessions += 1
                counted = True
                wire.send(sock, Answer(status="ok"))
                sock.settimeout(None)  # a run may take its time between calls (it archives, loads)
                while True:
                    request = wire.recv_request(sock)
                    if isinstance(request, Stop):
                        _log("stopped (iku server stop)")
                        self.stopping.set()
                        return
                    wire.send(sock, self._call(request))
            except AuthFailed:
                _log("refused a connection: wrong key")
            except ProtocolError as exc:
                _log(f"refused a message: {exc}")
            except TimeoutError:
                _log(f"dropped a connection silent for {HANDSHAKE_TIMEOUT:.0f} s before its handshake")
            except (EOFError, OSError):  # the run ended (or died)
                pass
            finally:
                if counted:
                    with self.counting:
                        self.sessions -= 1
                        self.last = time.monotonic()

    def _call(self, request: Hello | Validate | BuildDocs) -> Answer:
        if isinstance(request, Hello):
            return Answer(status="error", message="hello twice")
        with self.lock, few_gc_passes():  # thousands of sheets read off the wire
            if not gx_runner._pending_docs:
                # no run waits for its Data Docs: a fresh GX context, so the
                # results of earlier runs do not pile up in memory
                gx_runner._context.cache_clear()
            began = time.perf_counter()
            try:
                if isinstance(request, Validate):
                    docs = None if request.docs_dir is None else Path(request.docs_dir)
                    answer = wire.problems_answer(gx_runner.validate(wire.groups_of(request), docs))
                else:
                    answer = Answer(status="ok", index=str(gx_runner.build_docs(Path(request.docs_dir))))
            except Exception as exc:  # the client decides what a failed validation means
                answer = Answer(status="error", message=f"{type(exc).__name__}: {exc}")
        _log(f"{request.call}: {answer.status} in {time.perf_counter() - began:.2f} s")
        return answer


if __name__ == "__main__":
    from iku.settings import set_library_env

    set_library_env({"GX_ANALYTICS_ENABLED": "false"})
    sys.exit(serve(Path(sys.argv[1]), idle_seconds() or IDLE_DEFAULT))
