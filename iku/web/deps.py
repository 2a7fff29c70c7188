"""Who may see and do what in the portal: the one place of its access rules.

Who may use a route is declared next to it (`@route(path, rule)`), recorded in
`ALLOW` and checked here (`_guard`); tests/web/test_access.py tries every route
of the app's route table as every role, and tests/web/test_opd_isolation.py as
an account of another OPD, so a route without a rule fails them.

One portal serves every OPD of the installation. Everything about one OPD's data
lives under /opd/{opd}/...: the guard admits an account to its own OPD only
(the kabupaten role: to every OPD, read-only) and hands the handler that OPD's
Resources (`request.state.unit`); no handler looks at another OPD. The
kabupaten's own pages (/kabupaten...) are for the kabupaten role only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from iku.resources import Resources
from iku.warehouse.accounts import Account, Accounts

from .errors import NOT_ALLOWED, error
from .jobs import JobRunner
from .quota import UploadQuota
from .security import BodyTooLarge, Revocations, SignInThrottle, csrf_ok
from .settings import WebSettings

OPD = "/opd/{opd}"  # the prefix of every route about one OPD's data

# Who may use a route:
#   anyone         no session needed
#   signed_in      any account (the handler narrows further)
#   read_bidang    that bidang, the planning team, the kepala, the kabupaten
#   write_bidang   that bidang only (its sheets)
#   evidence       that bidang and the planning team (bukti dukung)
#   planner        the planning team, the kepala and the kabupaten (reading the OPD's pages)
#   perencana      the planning team only (run now, verify, return)
#   kepala         the Kepala Dinas only (approve, unlock a quarter)
#   budget_read    the planning team, the kepala, the finance office, the kabupaten
#   budget_write   the planning team and the finance office (budget sheets)
#   kabupaten      the kabupaten role only
#   token          an API token: checked by the handler
# Routes under /opd/{opd} admit, on top, only accounts of that OPD and the
# kabupaten role. Keys: "METHOD /path" as in the route table.
ALLOW: dict[str, str] = {}
RULES = (
    "anyone",
    "signed_in",
    "read_bidang",
    "write_bidang",
    "evidence",
    "planner",
    "perencana",
    "kepala",
    "budget_read",
    "budget_write",
    "kabupaten",
    "token",
)
READERS = ("perencana", "kepala", "kabupaten")  # read every bidang of the OPD (the kabupaten: of every OPD)

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Portal:
    res: Resources
    settings: WebSettings
    accounts: Accounts
    jobs: JobRunner
    env: Environment
    user_throttle: SignInThrottle  # per (account, client address)
    account_throttle: SignInThrottle  # per account, held against addresses that failed for it
    ip_throttle: SignInThrottle
    units: dict[str, Resources]  # every OPD served, by code
    quota: UploadQuota
    revocations: Revocations

    @property
    def tz(self) -> str:
        return self.res.config.pipeline.timezone

    @property
    def years(self) -> list[int]:
        """Every year of any OPD's Renstra (the kabupaten's pages)."""
        return sorted({y for u in self.units.values() for y in u.config.catalogue.opd.years})


def portal_of(request: Request) -> Portal:
    return request.app.state.portal


def unit_of(request: Request) -> Resources:
    """The OPD a handler under /opd/{opd} works on (set by the guard)."""
    return request.state.unit


def password_version(account: Account) -> str:
    return account.password_hash[-12:]


def session_account(request: Request) -> Account | None:
    """The signed-in account; a changed password and signing out end older
    sessions (a copy of an ended session's cookie opens nothing)."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    portal = portal_of(request)
    if portal.revocations.ended(request.session.get("sid")):
        request.session.clear()
        return None
    account = portal.accounts.by_id(uid)
    if account is None or request.session.get("pv") != password_version(account):
        request.session.pop("uid", None)
        return None
    return account


def served(account: Account, portal: Portal) -> bool:
    """An account of an OPD this installation serves (or the kabupaten role)."""
    return account.role == "kabupaten" or account.opd_code in portal.units


def may(account: Account | None, rule: str, bidang: str | None = None) -> bool:
    if rule == "anyone":
        return True
    if account is None:
        return False
    role = account.role
    allowed = {
        "signed_in": True,
        "kabupaten": role == "kabupaten",
        "planner": role in READERS,
        "perencana": role == "perencana",
        "kepala": role == "kepala",
        "budget_read": role in (*READERS, "keuangan"),
        "budget_write": role in ("perencana", "keuangan"),
        "read_bidang": role in READERS or (role == "bidang" and account.bidang == bidang),
        "write_bidang": role == "bidang" and account.bidang == bidang,
        "evidence": role == "perencana" or (role == "bidang" and account.bidang == bidang),
    }
    return allowed.get(rule, False)


def route(path: str, rule: str, methods: tuple[str, ...] = ("GET",), guarded: bool = True):
    """Declare a route with who may use it. `guarded=False` for the few routes
    that need no session (the stylesheet, the API's own token check)."""
    assert rule in RULES, rule

    def wrap(fn: Handler) -> Handler:
        ALLOW[f"{','.join(methods)} {path}"] = rule
        endpoint = _guard(fn, rule) if guarded else fn
        fn.route = Route(path, endpoint, methods=list(methods))  # type: ignore[attr-defined]
        return fn

    return wrap


def _guard(fn: Handler, rule: str) -> Handler:
    async def endpoint(request: Request) -> Response:
        account = await run_in_threadpool(session_account, request)
        request.state.account = account
        request.state.unit = None
        refused = _check(request, account, rule)
        if refused is not None:
            return refused
        if request.method == "POST":
            form = await read_form(request)
            if isinstance(form, Response):
                return form
            if not csrf_ok(request.session, form.get("csrf")):
                return error(request, 403, "Formulir kedaluwarsa. Muat ulang halaman lalu kirim lagi.")
            request.state.form = form
        return await fn(request)

    return endpoint


def _check(request: Request, account: Account | None, rule: str) -> Response | None:
    """None when `account` may use this route with these path parameters; the
    refusal otherwise. Another OPD's pages are refused before anything of that
    OPD is looked at (whether it exists, its bidang, its years)."""
    portal = portal_of(request)
    params = request.path_params
    if rule != "anyone" and (account is None or not served(account, portal)):
        if account is None and request.method == "GET":
            return RedirectResponse("/masuk", status_code=303)
        return error(request, 403 if account else 401, NOT_ALLOWED)
    if "opd" in params:
        assert account is not None  # no route under /opd/{opd} is open to anyone
        if account.role != "kabupaten" and account.opd_code != params["opd"]:
            return error(request, 403, NOT_ALLOWED)
        unit = portal.units.get(params["opd"])
        if unit is None:
            return error(request, 404, "OPD tidak dikenal.")
        request.state.unit = unit
        catalogue = unit.config.catalogue
        if "bidang" in params and params["bidang"] not in {b.code for b in catalogue.bidang}:
            return error(request, 404, "Bidang tidak dikenal.")
        if (
            ("year" in params and params["year"] not in catalogue.opd.years)
            or ("month" in params and not 1 <= params["month"] <= 12)
            or ("quarter" in params and not 1 <= params["quarter"] <= 4)
        ):
            return error(request, 404, "Periode tidak dikenal.")
    if not may(account, rule, params.get("bidang")):
        return error(request, 403, NOT_ALLOWED)
    return None


async def read_form(request: Request) -> Any:
    try:
        return await request.form(max_files=1, max_fields=400)
    except BodyTooLarge:
        raise  # answered 413 by BodyLimit
    except Exception:
        return error(request, 400, "Isian formulir tidak dapat dibaca.")
