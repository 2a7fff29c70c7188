"""How uvicorn serves the portal (issue 17 L2, L4): a request must arrive whole,
headers and body, within IKU_WEB_REQUEST_TIMEOUT seconds of its first byte (or
of the connection). uvicorn has no such deadline: a client that sends half a
request and then waits held its connection for ever, and 1,100 of them held
1,100 sockets. Behind nginx its own client timeouts apply first; this one holds
when uvicorn is reached directly."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMEOUT_BODY = b"Permintaan tidak selesai dikirim dalam batas waktu; kirim ulang."
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(TIMEOUT_BODY)).encode() + b"\r\n\r\n" + TIMEOUT_BODY
)


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on reading each request."""

    request_timeout: float = 60.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is held no longer than a slow one

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the next request on a kept-alive connection begins
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()  # the request is read (or broken, and answered by uvicorn)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # an idle kept-alive connection: uvicorn's keep-alive timeout
        if self.conn.their_state is h11.SEND_BODY:
            self._arm()  # a pipelined request is being read

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()  # the app, if waiting for the body, is told the client left


def server_options(request_timeout: float) -> dict[str, Any]:
    """uvicorn.run / uvicorn.Config keywords for the portal: the deadline, and
    no proxy handling of uvicorn's own (it believes X-Forwarded-For from any
    loopback client; the app applies IKU_WEB_TRUSTED_PROXY itself, L2)."""
    protocol = type("PortalH11Protocol", (DeadlineH11Protocol,), {"request_timeout": float(request_timeout)})
    return {"proxy_headers": False, "server_header": False, "http": protocol}
