"""One headless Chromium driven over the DevTools protocol (CDP), for printing
many reports without starting a browser per report, and for the browser tests
(tests/browser.py).

The protocol runs over a pipe (`--remote-debugging-pipe`: the browser reads
commands on its fd 3 and answers on its fd 4, one JSON message per NUL byte), not
a TCP port: no other local user can drive the browser (which reads our files),
and no port is taken. Chromium runs in a process group of its own, so its
helpers (zygote, renderers, utilities) all go with it: `close()` asks it to
quit, then kills whatever of the group is left, then removes the temporary
profile; `Browser` is a context manager and closes on every exit (exceptions,
KeyboardInterrupt). If this process is killed outright (SIGKILL), the browser
reads the end of its pipe and quits by itself; only its profile folder
(iku-chromium-* in the temporary folder) is left then."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any

# Headless Chromium as the reports and the browser tests run it: no sandbox
# (root in CI), no GPU, no network chatter of Chromium's own.
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
START_TIMEOUT_SECONDS = 30
# The pipe on the browser's fds 3 (commands) and 4 (answers), set by the shell
# between fork and exec: Python's preexec_fn is not safe with threads (Prefect runs some).
_PIPE_SHIM = 'exec 3<&0 4>&1 0</dev/null 1>/dev/null; exec "$@"'


class ChromiumGone(Exception):
    """The browser exited, closed its pipe or stopped answering in time."""


class CdpError(Exception):
    """The browser answered a command with an error (the browser itself is fine)."""


class Browser:
    """A headless Chromium and its DevTools pipe: `call` a method, `wait_for` an event.

    Use as a context manager, or call `start()` and `close()` (idempotent)."""

    def __init__(self, exe: str, flags: list[str] | None = None) -> None:
        self.exe = exe
        self.flags = list(HEADLESS_FLAGS if flags is None else flags)
        self.proc: subprocess.Popen[bytes] | None = None
        self.profile: str | None = None
        self._send_fd = self._recv_fd = -1
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}

    def __enter__(self) -> Browser:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        """Running and its pipe open. The browser is reaped by close() only, so
        its pid (its process group's id) stays its own until then."""
        if self.proc is None or self._send_fd < 0 or self.proc.returncode is not None:
            return False
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:
            return False

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start the browser and wait until it answers; ChromiumGone if it does not."""
        try:
            self._launch()
            self.call("Browser.getVersion", timeout=timeout)
        except BaseException:
            self.close()
            raise

    def _launch(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="iku-chromium-")
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [
                    "/bin/sh",
                    "-c",
                    _PIPE_SHIM,
                    "sh",
                    self.exe,
                    *self.flags,
                    f"--user-data-dir={self.profile}",
                    "--remote-debugging-pipe",
                    "about:blank",
                ],
                stdin=to_browser_r,
                stdout=from_browser_w,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: every helper is killed with it
            )
        except BaseException:
            for fd in (to_browser_w, from_browser_r):
                os.close(fd)
            raise
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._send_fd, self._recv_fd = to_browser_w, from_browser_r

    # -- the protocol -------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        """Send a command without waiting; its id, for `reply`."""
        if self._send_fd < 0:
            raise ChromiumGone("chromium is not running")
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._send_fd, data) :]
        except OSError as exc:  # EPIPE: the browser is gone
            raise ChromiumGone(f"chromium closed its pipe ({exc.strerror})") from None
        return self._next_id

    def reply(self, msg_id: int, timeout: float = 30) -> dict[str, Any]:
        """The answer to command `msg_id`; events read meanwhile are kept in `events`."""
        deadline = time.monotonic() + timeout
        msg = self._replies.pop(msg_id, None)
        while msg is None:
            got = self._receive(deadline)
            if "method" in got:
                self.events.append(got)
            elif got.get("id") == msg_id:
                msg = got
            elif "id" in got:  # the answer to another command sent before
                self._replies[got["id"]] = got
        if "error" in msg:
            raise CdpError(msg["error"].get("message") or str(msg["error"]))
        result: dict[str, Any] = msg.get("result", {})
        return result

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        return self.reply(self.send(method, params, session), timeout)

    def wait_for(self, method: str, session: str | None = None, timeout: float = 30) -> dict[str, Any]:
        """The first event `method` (of `session`, when given), kept or still to come."""
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and (session is None or ev.get("sessionId") == session):
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            ev = self._receive(deadline)
            if ev.get("method") == method and (session is None or ev.get("sessionId") == session):
                return ev
            if "method" in ev:
                self.events.append(ev)
            elif "id" in ev:
                self._replies[ev["id"]] = ev

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if self._recv_fd < 0:
                raise ChromiumGone("chromium is not running")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumGone("chromium did not answer in time")
            ready, _, _ = select.select([self._recv_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._recv_fd, 1 << 20)
            if not chunk:
                raise ChromiumGone("chromium exited")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        msg: dict[str, Any] = json.loads(raw)
        return msg

    # -- the end ------------------------------------------------------------

    def close(self) -> None:
        """Quit the browser, kill what is left of its process group, remove the profile."""
        proc, self.proc = self.proc, None
        try:
            if proc is not None:
                if self._send_fd >= 0:
                    with contextlib.suppress(ChromiumGone, CdpError, OSError, ValueError):
                        self.send("Browser.close")
                self._close_pipe()  # the browser also quits on the end of its pipe
                _end_group(proc)
        finally:
            self._close_pipe()
            if self.profile is not None:
                # a helper that outlived the kill may still write there: ignore it
                shutil.rmtree(self.profile, ignore_errors=True)
                self.profile = None
            self._buffer, self.events, self._replies = b"", [], {}

    def kill(self) -> None:
        """Kill the browser's process group now, from any thread (its user then
        reads ChromiumGone); `close()` still has to follow."""
        proc = self.proc
        if proc is not None and proc.returncode is None:
            # not reaped yet (only close() waits for it), so its pid is still the group's
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    def _close_pipe(self) -> None:
        for fd in (self._send_fd, self._recv_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._send_fd = self._recv_fd = -1


def _end_group(proc: subprocess.Popen[bytes], grace: float = 5) -> None:
    """Wait up to `grace` s for the browser to quit, then kill its whole process
    group. The browser is left a zombie until then (waitid WNOWAIT), so its pid,
    the group's id, cannot be taken by another process before the kill."""
    deadline = time.monotonic() + grace
    try:
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                break
            time.sleep(0.02)
    except ChildProcessError:  # already reaped
        pass
    finally:
        if proc.returncode is None:  # not reaped: the group's id is still its own
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)


def find_chromium(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None
