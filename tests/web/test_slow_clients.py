"""Issue 17 L4, a hostile client: requests sent half (headers or body) and then
held open must not hold the portal's sockets for ever when uvicorn is reached
directly. Real sockets against the real portal on a real uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import httpx
import uvicorn
from webkit import free_port, make_resources

from iku.web.app import create_app
from iku.web.server import server_options
from iku.web.settings import WebSettings

DEADLINE = 1.0  # the portal's request timeout in this test (IKU_WEB_REQUEST_TIMEOUT)
PATIENCE = 30  # how long the test waits for the server to give up (far beyond DEADLINE)


@contextmanager
def portal_with_deadline(tmp_path):
    res = make_resources(tmp_path, f"sqlite:///{tmp_path / 'wh.sqlite'}")
    settings = WebSettings(
        secret="uji-" + "x" * 40, secret_file=tmp_path / "secret", request_timeout=DEADLINE
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(res, settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        **server_options(DEADLINE),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = time.monotonic()
    while not server.started:
        assert time.monotonic() - started < PATIENCE, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port, server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def held_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout
    here means it never did)."""
    sock.settimeout(PATIENCE)
    got = b""
    while chunk := sock.recv(4096):
        got += chunk
    return got


def test_half_sent_requests_are_answered_408_and_closed(tmp_path):
    with portal_with_deadline(tmp_path) as (port, _):
        half = [
            b"GET /masuk HTTP/1.1\r\nHost: x\r\nUser-Ag",  # headers never finished
            b"POST /masuk HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\ncsrf=",  # body never finished
            b"",  # a connection that never sends a byte
        ]
        socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
        for i, s in enumerate(socks):
            s.sendall(half[i % 3])
        answers = [held_until_closed(s) for s in socks]
        for s in socks:
            s.close()
        for i, answer in enumerate(answers):
            assert answer.startswith(b"HTTP/1.1 408"), (i, answer[:80])
            assert b"kirim ulang" in answer
        # the portal serves whole requests as before, over a kept-alive connection too
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            assert c.get("/masuk").status_code == 200
            assert c.get("/masuk").status_code == 200


def test_a_slow_but_whole_request_within_the_deadline_is_served(tmp_path):
    """Headers in two parts, the second before the deadline: served normally."""
    with portal_with_deadline(tmp_path) as (port, _), socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /masuk HTTP/1.1\r\nHost: x\r\n")
        s.sendall(b"Connection: close\r\n\r\n")
        assert held_until_closed(s).startswith(b"HTTP/1.1 200")
