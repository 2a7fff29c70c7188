"""What a public-facing service needs around every request: security headers,
a cap on request bodies, CSRF tokens and a brake on password guessing."""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The reports are self-contained HTML with inline CSS and SVG (no scripts).
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

HEADERS = {
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the headers to every response; a response's own CSP wins (reports)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for k, v in HEADERS.items():
                    if k not in present:
                        headers.append((k, v))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """413 above the limit: from Content-Length at once, and by counting the
    streamed body (a client may lie or send chunks)."""

    def __init__(self, app, limit_for):
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(scope, send)
        seen = 0
        started = False

        async def counting():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracking(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, send)


async def _too_large(scope, send):
    api = scope["path"].startswith("/api/")
    body = b'{"detail": "berkas terlalu besar"}' if api else b"Berkas terlalu besar untuk diterima."
    ctype = b"application/json" if api else b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, sent: object) -> bool:
    expected = session.get("csrf")
    return (
        isinstance(expected, str)
        and bool(expected)
        and isinstance(sent, str)
        and hmac.compare_digest(expected, sent)
    )


class SignInThrottle:
    """Failed sign-ins per account and per client address: after `free` failures
    each further one locks that key for twice as long (1 s, 2 s, 4 s ... up to
    `cap`). Kept in this process: `iku web` runs one process; a restart forgets
    the counts, which only gives a guesser a few more tries."""

    def __init__(self, free: int = 3, cap: float = 300, max_keys: int = 10_000):
        self.free, self.cap, self.max_keys = free, cap, max_keys
        self._state: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, *keys: str) -> float:
        now = time.monotonic()
        with self._lock:
            return max((self._state.get(k, (0, 0.0))[1] - now for k in keys), default=0.0)

    def failures(self, key: str) -> int:
        with self._lock:
            return self._state.get(key, (0, 0.0))[0]

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._state) > self.max_keys:
                self._state = {k: v for k, v in self._state.items() if v[1] > now}
            for k in keys:
                count = self._state.get(k, (0, 0.0))[0] + 1
                lock = 0.0 if count <= self.free else min(2 ** (count - self.free - 1), self.cap)
                self._state[k] = (count, now + lock)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)


class Revocations:
    """Sessions ended by signing out (issue 17 M1). The session cookie is
    signed, not stored, so a copy taken before signing out would still open
    pages until it expires: each session carries a random id, and signing out
    puts that id here until the cookie's own expiry. Kept in a 0600 file beside
    the session secret, so a restart does not bring ended sessions back."""

    def __init__(self, path: Path, lifetime: float):
        self.path, self.lifetime = path, lifetime
        self._lock = threading.Lock()
        self._ended: dict[str, float] = {}
        try:
            loaded = json.loads(path.read_text())
            self._ended = {str(k): float(v) for k, v in loaded.items()}
        except (OSError, ValueError, AttributeError):
            pass  # none yet (or unreadable: sessions still end by their expiry)

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(24)

    def ended(self, sid: object) -> bool:
        with self._lock:
            return not isinstance(sid, str) or sid in self._ended

    def end(self, sid: object) -> None:
        if not isinstance(sid, str):
            return
        now = time.time()
        with self._lock:
            self._ended = {k: v for k, v in self._ended.items() if v > now}
            self._ended[sid] = now + self.lifetime
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(self._ended, fh)
            os.replace(tmp, self.path)
