"""The local Prefect server `iku` manages when PREFECT_API_URL is unset.

Prefect's own default starts a temporary server inside every process that runs
a flow (10-60 s on a busy machine, and it times out at 20 s). Instead, the first
command that needs Prefect starts one real server in the background, on
loopback, with its state under the data folder, and every later command reuses
it. This module imports no Prefect (commands that do not run a flow stay fast):
it starts `prefect server start` as a detached process and speaks HTTP to it
with the standard library.

Settings (environment, read by iku.settings.ServerSettings):
  IKU_PREFECT_HOME            state folder (database, log, pid), default data/prefect
  IKU_PREFECT_PORT            port on 127.0.0.1, default 4200 (a free one if taken)
  IKU_PREFECT_START_TIMEOUT   seconds to wait for the start, default 300
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from iku.settings import ServerSettings, environment, set_library_env

HOST = "127.0.0.1"
STATE_FILE = "iku-server.json"
LOG_FILE = "server.log"
EXIT_CODE = 6  # CONTRACT §9: the Prefect server cannot be reached or started

# Every process iku starts or runs a flow in: no phoning home, and never
# Prefect's per-process temporary server (it would hide a missing server).
QUIET_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
    "DO_NOT_TRACK": "1",
}


class PrefectServerError(RuntimeError):
    """The Prefect server cannot be reached or started; the message is one line."""


@dataclass(frozen=True)
class ServerInfo:
    url: str  # the UI address; the API is url + "/api"
    pid: int
    home: Path

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"


def prefect_home() -> Path:
    return ServerSettings().resolved_home


def start_timeout() -> float:
    raw = ServerSettings().start_timeout
    try:
        return max(1.0, float(raw))
    except ValueError:
        raise PrefectServerError(f"IKU_PREFECT_START_TIMEOUT={raw!r} bukan angka detik") from None


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _alive(pid: int) -> bool:
    """The pid runs a Prefect server (after a reboot the recorded pid may be anyone's)."""
    if not _exists(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the signal check
    return b"prefect" in cmdline and b"server" in cmdline


def _exists(pid: int) -> bool:
    """The process has not ended yet. Not `_alive`: an exiting process has already
    dropped its command line, and "stopped" must mean ended (a zombie counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return not Path("/proc/self").exists()  # no /proc: trust the signal check
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def read_state(home: Path | None = None) -> ServerInfo | None:
    """The server this data folder started, if its process still lives."""
    home = home or prefect_home()
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        info = ServerInfo(str(data["url"]), int(data["pid"]), home)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if _alive(info.pid) else None


def running(home: Path | None = None) -> ServerInfo | None:
    """The managed server when it is up and answering."""
    info = read_state(home)
    return info if info and healthy(info.api_url) else None


@contextlib.contextmanager
def _start_lock(home: Path) -> Iterator[None]:
    # two commands started at once must not start two servers
    home.mkdir(parents=True, exist_ok=True)
    with (home / "iku-server.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _choose_port(say: Callable[[str], None]) -> int:
    raw = ServerSettings().port
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise PrefectServerError(f"IKU_PREFECT_PORT={raw!r} bukan nomor port (1-65535)")
    wanted = int(raw)
    if _port_free(wanted):
        return wanted
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port = int(s.getsockname()[1])
    say(f"Port {wanted} sudah dipakai program lain; server Prefect lokal memakai port {port}.")
    return port


def server_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in environment().items() if k != "PREFECT_API_URL"}
    env.update(QUIET_ENV)
    env["PREFECT_HOME"] = str(home)
    env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    return env


def _prefect_executable() -> str:
    candidate = Path(sys.executable).with_name("prefect")
    return str(candidate) if candidate.exists() else "prefect"


def start(say: Callable[[str], None] = lambda _m: None, timeout: float | None = None) -> ServerInfo:
    """Start the managed server unless it runs already; wait until it answers."""
    home = prefect_home()
    timeout = start_timeout() if timeout is None else timeout
    with _start_lock(home):
        info = read_state(home)
        if info is None:
            port = _choose_port(say)
            url = f"http://{HOST}:{port}"
            log = (home / LOG_FILE).open("ab")
            proc = subprocess.Popen(
                [_prefect_executable(), "server", "start", "--host", HOST, "--port", str(port)],
                env=server_env(home),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives this command; Ctrl-C here does not stop it
                cwd=home,
            )
            log.close()
            info = ServerInfo(url, proc.pid, home)
            (home / STATE_FILE).write_text(json.dumps({"url": url, "pid": proc.pid}), encoding="utf-8")
        elif healthy(info.api_url):
            return info
        say(
            f"Menyalakan server Prefect lokal di {info.url} (sekali saja; perintah berikutnya "
            f"memakainya lagi). Menunggu paling lama {timeout:.0f} detik..."
        )
        begun = time.monotonic()
        while not healthy(info.api_url):
            if not _alive(info.pid):
                (home / STATE_FILE).unlink(missing_ok=True)
                raise PrefectServerError(
                    f"server Prefect lokal berhenti saat dinyalakan; lihat {home / LOG_FILE}"
                )
            if time.monotonic() - begun > timeout:
                raise PrefectServerError(
                    f"server Prefect lokal belum menjawab setelah {timeout:.0f} detik "
                    f"(naikkan IKU_PREFECT_START_TIMEOUT; log: {home / LOG_FILE})"
                )
            time.sleep(0.25)
        say(f"Server Prefect lokal siap ({time.monotonic() - begun:.0f} detik). UI: {info.url}")
        return info


def stop(timeout: float = 30.0) -> ServerInfo | None:
    """Stop the managed server; returns what was stopped, None when none ran."""
    home = prefect_home()
    with _start_lock(home):
        info = read_state(home)
        if info is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(info.pid, signal.SIGTERM)
            end = time.monotonic() + timeout
            while _exists(info.pid) and time.monotonic() < end:
                _reap(info.pid)
                time.sleep(0.2)
            if _exists(info.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(info.pid, signal.SIGKILL)
                while _exists(info.pid) and time.monotonic() < end + 5:
                    _reap(info.pid)
                    time.sleep(0.1)
        (home / STATE_FILE).unlink(missing_ok=True)
        return info


def _reap(pid: int) -> None:
    # when this very process started the server, collect it so it does not linger as a zombie
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def configured_api_url() -> str | None:
    """A Prefect API the caller chose: PREFECT_API_URL in the environment, or a
    setting already active in this process (Prefect's test harness)."""
    return ServerSettings().chosen_api_url()


def use_prefect(say: Callable[[str], None] | None = None) -> str:
    """Make sure this process talks to a real Prefect server before a flow runs:
    the one PREFECT_API_URL names (checked), else the managed local one (started
    when needed). Returns the API URL. Call it before importing flows."""
    say = say or _stderr
    set_library_env(QUIET_ENV)
    url = configured_api_url()
    if url:
        if "prefect.settings" not in sys.modules and not healthy(url, timeout=10):
            raise PrefectServerError(f"server Prefect di PREFECT_API_URL={url} tidak menjawab")
        return url
    info = running() or start(say)
    set_library_env({"PREFECT_API_URL": info.api_url}, override=True)
    set_library_env({"PREFECT_HOME": str(info.home)})
    return info.api_url


def _stderr(message: str) -> None:
    print(f"iku: {message}", file=sys.stderr, flush=True)
