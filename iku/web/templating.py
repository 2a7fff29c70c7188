"""The portal's pages: the Jinja2 environment over templates/web/ and the one
function that renders a page with what every page shows (account, CSRF token,
OPD, time zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from iku import formatting
from iku.domain.periods import month_name
from iku.shipped import shipped

from .security import csrf_token

TEMPLATES = shipped("templates") / "web"

STATUS_LABEL = {
    "on_time": "tepat waktu",
    "late": "terlambat",
    "invalid": "tidak valid",
    "missing": "belum masuk",
    "pending": "menunggu",
}
FILE_STATUS_LABEL = {"valid": "diterima", "invalid": "tidak valid", "unreadable": "tidak terbaca"}


def local_stamp(tz: str):
    """`stamp` in the installation's zone (WIB): the warehouse and the job runner
    keep UTC (naive from SQLite, aware from PostgreSQL), a page shows local time."""

    def stamp(value: datetime | None) -> str:
        if value is None:
            return formatting.stamp(None)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return formatting.stamp(value.astimezone(ZoneInfo(tz)))

    return stamp


def environment(tz: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    env.filters.update(num=formatting.num, stamp=local_stamp(tz), day=formatting.day)
    env.globals.update(month_name=month_name, STATUS_LABEL=STATUS_LABEL, FILE_STATUS_LABEL=FILE_STATUS_LABEL)
    return env


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    portal = request.app.state.portal
    account = getattr(request.state, "account", None)
    unit = getattr(request.state, "unit", None)
    if unit is None and account is not None and account.role != "kabupaten":
        unit = portal.units.get(account.opd_code)
    if unit is None and not portal.res.multi:
        unit = portal.res
    html = portal.env.get_template(template).render(
        account=account,
        csrf=csrf_token(request.session),
        opd=unit.config.catalogue.opd if unit else None,
        o=f"/opd/{unit.opd}" if unit else "",  # the prefix of this OPD's pages
        kabupaten=portal.res.kabupaten_name,
        tz=formatting.tz_label(portal.tz),
        **ctx,
    )
    return HTMLResponse(html, status_code=status)
