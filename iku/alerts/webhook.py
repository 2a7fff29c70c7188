"""Alerts as JSON POSTs (CONTRACT §8) with httpx.

The webhook URL often carries a secret token in its path or query, so it is
never logged or stored whole: `redact_url` keeps scheme, host and port only.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

# httpx logs every request's full URL at INFO: that would put the webhook's
# secret token in the logs. Its warnings and errors still come through.
_HTTPX_LOG = logging.getLogger("httpx")


class WebhookError(Exception):
    """Delivery failed; the message is safe to log and store (no URL). `permanent`:
    the receiver refused this body (4xx other than 408/429): retrying is useless."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def redact_url(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    tail = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def post_webhook(url: str, body: dict, *, timeout: float = 20, headers: dict[str, str] | None = None) -> int:
    """POST `body` as UTF-8 JSON. Returns the HTTP status; raises WebhookError
    unless the receiver answers 2xx."""
    import httpx  # here: the commands that send nothing (a poll that finds nothing new) skip its 0.1 s import

    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    hdrs = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "iku-pipeline"}
    hdrs.update(headers or {})
    if _HTTPX_LOG.getEffectiveLevel() < logging.WARNING:
        _HTTPX_LOG.setLevel(logging.WARNING)
    try:
        response = httpx.post(url, content=data, headers=hdrs, timeout=timeout)
    except httpx.HTTPError as exc:
        raise WebhookError(f"webhook {redact_url(url)}: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        code = response.status_code
        raise WebhookError(
            f"webhook {redact_url(url)} answered HTTP {code}",
            permanent=400 <= code < 500 and code not in (408, 429),
        )
    return response.status_code
