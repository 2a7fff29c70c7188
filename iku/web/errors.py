"""The portal's refusals, in Indonesian: an error page for a person, a JSON
detail for the API."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from .templating import render

NOT_ALLOWED = "Anda tidak berhak membuka halaman ini."


def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    page = render(request, "galat.html.j2", status=status, message=message, code=status)
    page.headers.update(headers or {})
    return page


def api_error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def sentence(text: str) -> str:
    """A rule's reason (one Indonesian line, lower case) as a sentence on a page,
    without the command-line hints the rules give operators ("(iku unlock)")."""
    text = re.sub(r" \((?:iku [a-z-]+|--[a-z-]+)\)", "", text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
