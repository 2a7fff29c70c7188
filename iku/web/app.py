"""The portal's pages and API (CONTRACT §10), server-rendered with Starlette
and the Jinja2 templates in templates/web/. No JavaScript anywhere.

Who may do what is declared next to each route (`allow`), checked in one place
(`_guard`), and tried for every route and role by tests/web/test_access.py.

One portal serves every OPD of the installation. Everything about one OPD's data
lives under /opd/{opd}/...: the guard admits an account to its own OPD only
(the kabupaten role: to every OPD, read-only) and hands the handler that OPD's
Resources (`request.state.unit`); no handler looks at another OPD. The
kabupaten's own pages (/kabupaten...) are for the kabupaten role only.
tests/web/test_opd_isolation.py tries every route as an account of another OPD.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from iku import formatting, storage
from iku.domain.periods import Period, deadline, month_name, parse_as_of
from iku.resources import Resources
from iku.shipped import shipped
from iku.storage import Remote, Where
from iku.warehouse.accounts import Account, Accounts
from iku.warehouse.files import file_by_hash, files_of_month

from . import intake, passwords
from .form_sheet import TEXT_COLUMNS, field_name, form_to_xlsx, number_fields
from .jobs import JobRunner
from .security import BodyLimit, BodyTooLarge, SecurityHeaders, SignInThrottle, csrf_ok, csrf_token
from .settings import WebSettings, session_secret

TEMPLATES = shipped("templates") / "web"
FORM_LIMIT = 256_000  # bytes of a request that is not a file upload
MULTIPART_OVERHEAD = 64_000

STATUS_LABEL = {
    "on_time": "tepat waktu",
    "late": "terlambat",
    "invalid": "tidak valid",
    "missing": "belum masuk",
    "pending": "menunggu",
}
FILE_STATUS_LABEL = {"valid": "diterima", "invalid": "tidak valid", "unreadable": "tidak terbaca"}
REPORT_NAME = re.compile(r"^(iku|lakip)-\d{4}(-Q[1-4])?\.(html|xlsx|json|pdf)$")
RECAP_NAME = re.compile(r"^(rekap-\d{4}(-Q[1-4])?\.(html|xlsx|json|pdf)|lakip-kabupaten-\d{4}\.(xlsx|json))$")
OPD = "/opd/{opd}"  # the prefix of every route about one OPD's data
NOT_ALLOWED = "Anda tidak berhak membuka halaman ini."
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Who may use a route: "anyone", "signed_in", "read_bidang" (that bidang, the
# planning team, the kabupaten), "write_bidang" (that bidang only), "planner"
# (planning team and kabupaten), "perencana" (planning team only), "kabupaten"
# (the kabupaten role only), "token". Routes under /opd/{opd} admit, on top,
# only accounts of that OPD and the kabupaten role.
ALLOW: dict[str, str] = {}


@dataclass
class Portal:
    res: Resources
    settings: WebSettings
    accounts: Accounts
    jobs: JobRunner
    env: Environment
    user_throttle: SignInThrottle
    ip_throttle: SignInThrottle
    units: dict[str, Resources]  # every OPD served, by code

    @property
    def tz(self) -> str:
        return self.res.config.pipeline.timezone

    @property
    def years(self) -> list[int]:
        """Every year of any OPD's Renstra (the kabupaten's pages)."""
        return sorted({y for u in self.units.values() for y in u.config.catalogue.opd.years})


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    env.filters.update(num=formatting.num, stamp=formatting.stamp, day=formatting.day)
    env.globals.update(month_name=month_name, STATUS_LABEL=STATUS_LABEL, FILE_STATUS_LABEL=FILE_STATUS_LABEL)
    return env


# -- helpers ---------------------------------------------------------------
def _portal(request: Request) -> Portal:
    return request.app.state.portal


def _account(request: Request) -> Account | None:
    """The signed-in account; a changed password ends older sessions."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    account = _portal(request).accounts.by_id(uid)
    if account is None or request.session.get("pv") != _password_version(account):
        request.session.pop("uid", None)
        return None
    return account


def _password_version(account: Account) -> str:
    return account.password_hash[-12:]


def _unit(request: Request) -> Resources:
    """The OPD a handler under /opd/{opd} works on (set by the guard)."""
    return request.state.unit


def _render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    portal = _portal(request)
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


def _error(request: Request, status: int, message: str) -> HTMLResponse:
    return _render(request, "galat.html.j2", status=status, message=message, code=status)


def _served(account: Account, portal: Portal) -> bool:
    """An account of an OPD this installation serves (or the kabupaten role)."""
    return account.role == "kabupaten" or account.opd_code in portal.units


def _may(account: Account | None, rule: str, bidang: str | None = None) -> bool:
    if rule == "anyone":
        return True
    if account is None:
        return False
    if rule == "signed_in":
        return True
    if rule == "kabupaten":
        return account.role == "kabupaten"
    if rule == "planner":
        return account.role in ("perencana", "kabupaten")
    if rule == "perencana":
        return account.role == "perencana"
    if rule == "read_bidang":
        return account.role in ("perencana", "kabupaten") or account.bidang == bidang
    if rule == "write_bidang":
        return account.role == "bidang" and account.bidang == bidang
    return False


def route(path: str, rule: str, methods: tuple[str, ...] = ("GET",)):
    def wrap(fn: Callable):
        ALLOW[f"{','.join(methods)} {path}"] = rule
        fn.route = Route(path, _guard(fn, rule), methods=list(methods))  # type: ignore[attr-defined]
        return fn

    return wrap


def _guard(fn: Callable, rule: str):
    async def endpoint(request: Request) -> Response:
        account = await run_in_threadpool(_account, request)
        request.state.account = account
        request.state.unit = None
        refused = _check(request, account, rule)
        if refused is not None:
            return refused
        if request.method == "POST":
            form = await _read_form(request)
            if isinstance(form, Response):
                return form
            if not csrf_ok(request.session, form.get("csrf")):
                return _error(request, 403, "Formulir kedaluwarsa. Muat ulang halaman lalu kirim lagi.")
            request.state.form = form
        return await fn(request)

    return endpoint


def _check(request: Request, account: Account | None, rule: str) -> Response | None:
    """None when `account` may use this route with these path parameters; the
    refusal otherwise. Another OPD's pages are refused before anything of that
    OPD is looked at (whether it exists, its bidang, its years)."""
    portal = _portal(request)
    params = request.path_params
    if rule != "anyone" and (account is None or not _served(account, portal)):
        if account is None and request.method == "GET":
            return RedirectResponse("/masuk", status_code=303)
        return _error(request, 403 if account else 401, NOT_ALLOWED)
    if "opd" in params:
        assert account is not None  # no route under /opd/{opd} is open to anyone
        if account.role != "kabupaten" and account.opd_code != params["opd"]:
            return _error(request, 403, NOT_ALLOWED)
        unit = portal.units.get(params["opd"])
        if unit is None:
            return _error(request, 404, "OPD tidak dikenal.")
        request.state.unit = unit
        catalogue = unit.config.catalogue
        if "bidang" in params and params["bidang"] not in {b.code for b in catalogue.bidang}:
            return _error(request, 404, "Bidang tidak dikenal.")
        if ("year" in params and params["year"] not in catalogue.opd.years) or (
            "month" in params and not 1 <= params["month"] <= 12
        ):
            return _error(request, 404, "Periode tidak dikenal.")
    if not _may(account, rule, params.get("bidang")):
        return _error(request, 403, NOT_ALLOWED)
    return None


async def _read_form(request: Request):
    try:
        return await request.form(max_files=1, max_fields=400)
    except BodyTooLarge:
        raise  # answered 413 by BodyLimit
    except Exception:
        return _error(request, 400, "Isian formulir tidak dapat dibaca.")


def _year(request: Request, years: list[int], tz: str) -> int | None:
    """The year asked for (?tahun=), else this year or the last one there is."""
    text = request.query_params.get("tahun")
    if not text:
        now = datetime.now(ZoneInfo(tz)).year
        return now if now in years else years[-1]
    try:
        year = int(text)
    except (TypeError, ValueError):
        return None
    return year if year in years else None


# -- sign-in -----------------------------------------------------------------
@route("/masuk", "anyone")
async def sign_in_page(request: Request) -> Response:
    if request.state.account is not None:
        return RedirectResponse("/", status_code=303)
    return _render(request, "masuk.html.j2", failed=None)


@route("/masuk", "anyone", ("POST",))
async def sign_in(request: Request) -> Response:
    portal = _portal(request)
    form = request.state.form
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    ip = request.client.host if request.client else "?"
    keys = (f"user:{username.lower()}",)
    wait = max(portal.user_throttle.wait_seconds(*keys), portal.ip_throttle.wait_seconds(f"ip:{ip}"))
    if wait > 0:
        return _render(
            request,
            "masuk.html.j2",
            status=429,
            failed=f"Terlalu banyak percobaan yang gagal. Coba lagi dalam {int(wait) + 1} detik.",
        )
    account = await run_in_threadpool(portal.accounts.get, username)
    if account is None:
        await run_in_threadpool(passwords.burn_time, password)
        ok = False
    else:
        ok = await run_in_threadpool(passwords.verify_password, password, account.password_hash)
    if not ok or account is None:
        portal.user_throttle.failed(*keys)
        portal.ip_throttle.failed(f"ip:{ip}")
        return _render(request, "masuk.html.j2", status=401, failed="Nama pengguna atau kata sandi salah.")
    portal.user_throttle.succeeded(keys[0])
    request.session.clear()  # a fresh session (and CSRF token) after signing in
    request.session.update(uid=account.id, pv=_password_version(account))
    return RedirectResponse("/", status_code=303)


@route("/keluar", "signed_in", ("POST",))
async def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)


@route("/", "signed_in")
async def home(request: Request) -> Response:
    account = request.state.account
    if account.role == "bidang":
        return RedirectResponse(f"/opd/{account.opd_code}/bidang/{account.bidang}", status_code=303)
    if account.role == "kabupaten":
        return RedirectResponse("/kabupaten", status_code=303)
    return RedirectResponse(f"/opd/{account.opd_code}/perencana", status_code=303)


# -- a bidang's months ------------------------------------------------------
def _months_of(unit: Resources, tz: str, bidang: str, year: int) -> list:
    from iku.queries import submission_matrix

    now = datetime.now(ZoneInfo(tz))
    return [c for c in submission_matrix(unit, year, 12, now) if c.bidang == bidang]


@route(OPD + "/bidang/{bidang}", "read_bidang")
async def bidang_year(request: Request) -> Response:
    portal, unit = _portal(request), _unit(request)
    years = unit.config.catalogue.opd.years
    year = _year(request, years, portal.tz)
    if year is None:
        return _error(request, 404, "Tahun di luar periode Renstra.")
    bidang = request.path_params["bidang"]
    cells = await run_in_threadpool(_months_of, unit, portal.tz, bidang, year)
    pending = await run_in_threadpool(intake.pending_files, unit, bidang)
    return _render(
        request,
        "bidang.html.j2",
        bidang=unit.config.catalogue.bidang_by_code(bidang),
        year=year,
        years=years,
        cells=cells,
        pending=pending,
    )


def _month_context(unit: Resources, bidang: str, year: int, month: int) -> dict:
    pipe = unit.config.pipeline
    from iku.domain.status import month_status

    logs = [s for s in unit.warehouse.submission_logs(unit.opd, year) if s.month == month]
    now = datetime.now(ZoneInfo(pipe.timezone))
    return dict(
        bidang=unit.config.catalogue.bidang_by_code(bidang),
        year=year,
        month=month,
        cell=month_status(logs, bidang, year, month, now, pipe.deadline_day, pipe.timezone),
        due=formatting.local_datetime(deadline(year, month, pipe.deadline_day, pipe.timezone), pipe.timezone),
        files=files_of_month(unit.warehouse, unit.opd, bidang, year, month),
        pending=[n for n in intake.pending_files(unit, bidang) if f"-{year}-{month:02d}-" in n],
    )


def _period(request: Request) -> tuple[Resources, str, int, int]:
    """The OPD, bidang, year and month of a route under /opd/{opd}/bidang/{bidang}/{year}/{month}
    (all checked by the guard)."""
    p = request.path_params
    return _unit(request), p["bidang"], p["year"], p["month"]


MONTH = OPD + "/bidang/{bidang}/{year:int}/{month:int}"


@route(MONTH, "read_bidang")
async def month_page(request: Request) -> Response:
    ctx = await run_in_threadpool(_month_context, *_period(request))
    return _render(request, "bulan.html.j2", **ctx)


@route(MONTH + "/templat", "read_bidang")
async def template_download(request: Request) -> Response:
    from iku.sheet_template import template_bytes

    unit, bidang, year, month = _period(request)
    name = f"realisasi-{bidang}-{year}-{month:02d}.xlsx"
    data = await run_in_threadpool(template_bytes, unit.config, bidang, year, month)
    return Response(
        data,
        media_type=MEDIA[".xlsx"],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _receive_and_trigger(portal: Portal, unit: Resources, bidang: str, data: bytes, name: str | None):
    """The one road of every sheet sent (upload, form, API): the receipt, the
    file in that OPD's bidang folder, then that OPD's consolidation."""
    receipt = intake.receive(unit, bidang, data, name)
    if not receipt.duplicate and portal.settings.consolidate_now:
        portal.jobs.consolidate(unit.opd)
    return receipt


async def _upload_bytes(upload: UploadFile, limit: int) -> bytes | None:
    """The uploaded file, or None above the consolidation's size limit."""
    data = await upload.read(limit + 1)
    return None if len(data) > limit else data


async def _receipt(request: Request, data: bytes, name: str, form_values: dict | None = None) -> Response:
    """Receive a sheet from the page of one month and answer with its receipt;
    a form that is not valid comes back filled in, with its problems."""
    portal = _portal(request)
    unit, bidang, year, month = _period(request)
    receipt = await run_in_threadpool(_receive_and_trigger, portal, unit, bidang, data, name)
    if form_values is not None and receipt.status != "valid":
        return _form_page(request, form_values, receipt=receipt, status=422)
    return _render(
        request,
        "tanda_terima.html.j2",
        receipt=receipt,
        bidang=unit.config.catalogue.bidang_by_code(bidang),
        year=year,
        month=month,
        indicators={i.code: i for i in unit.config.catalogue.indicators_of(bidang)},
        other_period=receipt.year is not None and (receipt.year, receipt.month) != (year, month),
    )


@route(MONTH + "/unggah", "write_bidang", ("POST",))
async def upload(request: Request) -> Response:
    sent = request.state.form.get("berkas")
    if not isinstance(sent, UploadFile):
        return _error(request, 400, "Pilih berkas lembar kerja yang akan dikirim.")
    data = await _upload_bytes(sent, _unit(request).config.pipeline.limits.max_file_bytes)
    if data is None:
        return _error(request, 413, "Berkas terlalu besar untuk diterima.")
    return await _receipt(request, data, sent.filename or "")


def _current_form_values(unit: Resources, bidang: str, year: int, month: int) -> dict[str, str]:
    values = {}
    for v in unit.warehouse.current_values(unit.opd, year):
        if v.bidang == bidang and v.month == month:
            for column, number in (
                ("realisasi", v.realisation),
                ("pembilang", v.numerator),
                ("penyebut", v.denominator),
            ):
                if number is not None:
                    values[field_name(column, v.indicator)] = formatting.num(number, 4)
            if v.note:
                values[field_name("keterangan", v.indicator)] = v.note
    return values


def _form_page(request: Request, values: dict, receipt=None, status=200) -> Response:
    unit, bidang, year, month = _period(request)
    fields = [
        dict(
            indicator=ind,
            numbers=[(c, field_name(c, ind.code)) for c in number_fields(ind)],
            texts=[(c, field_name(c, ind.code)) for c in TEXT_COLUMNS],
        )
        for ind in unit.config.catalogue.indicators_of(bidang)
    ]
    return _render(
        request,
        "isian.html.j2",
        status=status,
        bidang=unit.config.catalogue.bidang_by_code(bidang),
        year=year,
        month=month,
        fields=fields,
        values=values,
        receipt=receipt,
    )


@route(MONTH + "/isian", "write_bidang")
async def form_page(request: Request) -> Response:
    values = await run_in_threadpool(_current_form_values, *_period(request))
    return _form_page(request, values)


@route(MONTH + "/isian", "write_bidang", ("POST",))
async def form_submit(request: Request) -> Response:
    unit, bidang, year, month = _period(request)
    values = {k: str(v)[:2000] for k, v in request.state.form.items() if "__" in k and isinstance(v, str)}
    data = form_to_xlsx(unit.config, bidang, year, month, values)
    return await _receipt(request, data, "isian.xlsx", form_values=values)


@route(OPD + "/berkas/{sha256}", "signed_in")
async def archived_file(request: Request) -> Response:
    """The file as received, from the archive (for its bidang and the planners)."""
    unit = _unit(request)
    sha = request.path_params["sha256"]
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        return _error(request, 404, "Berkas tidak ditemukan.")
    row = await run_in_threadpool(file_by_hash, unit.warehouse, unit.opd, sha)
    if row is None or not _may(request.state.account, "read_bidang", row["bidang"]):
        return _error(request, 404, "Berkas tidak ditemukan.")
    path = storage.location(row["archive_path"])
    filename = f"{row['bidang']}-{sha[:12]}{path.suffix}"
    if isinstance(path, Remote):  # the archive is a shared store (s3://, sftp://)
        try:
            data = await run_in_threadpool(storage.read_bytes, path)
        except storage.Unwritable:
            return _error(request, 404, "Berkas tidak ada lagi di arsip.")
        disposition = {"content-disposition": f'attachment; filename="{filename}"'}
        return Response(data, media_type="application/octet-stream", headers=disposition)
    if not path.is_file():
        return _error(request, 404, "Berkas tidak ada lagi di arsip.")
    return FileResponse(path, media_type="application/octet-stream", filename=filename)


# -- the planning team -------------------------------------------------------
def _matrix(unit: Resources, year: int, as_of: datetime) -> dict:
    from iku.queries import submission_matrix

    cells = submission_matrix(unit, year, 12, as_of)
    rows = [(b, [c for c in cells if c.bidang == b.code]) for b in unit.config.catalogue.bidang]
    return dict(rows=rows, counts={s: sum(c.status == s for c in cells) for s in STATUS_LABEL})


def _when(request: Request, years: list[int], tz: str) -> tuple[int, datetime, str] | Response:
    """The year (?tahun=) and as-of date (?per=YYYY-MM-DD, default now) a
    matrix is asked for, or the error page."""
    year = _year(request, years, tz)
    if year is None:
        return _error(request, 404, "Tahun di luar periode Renstra.")
    text = request.query_params.get("per") or ""
    try:
        return year, parse_as_of(text or None, tz), text
    except ValueError:
        return _error(request, 400, "Tanggal acuan harus berbentuk TTTT-BB-HH.")


def _jobs(portal: Portal, unit: Resources) -> list:
    """The jobs started from the portal for this OPD (never another's)."""
    return [j for j in portal.jobs.history if j.opd == unit.opd]


@route(OPD + "/perencana", "planner")
async def planner(request: Request) -> Response:
    portal, unit = _portal(request), _unit(request)
    years = unit.config.catalogue.opd.years
    when = _when(request, years, portal.tz)
    if isinstance(when, Response):
        return when
    year, as_of, as_of_text = when
    ctx = await run_in_threadpool(_matrix, unit, year, as_of)
    return _render(
        request,
        "perencana.html.j2",
        year=year,
        years=years,
        as_of=as_of,
        as_of_text=as_of_text,
        jobs=_jobs(portal, unit),
        **ctx,
    )


def _report_files(folder_of: Callable[[int], Where], years: list[int], pattern: re.Pattern) -> list:
    """The report files of each year, in a local folder or a shared store (s3://, sftp://)."""
    found = []
    for year in years:
        folder = folder_of(year)
        try:
            names = storage.file_names(folder) if storage.is_dir(folder) else []
        except (OSError, storage.Unwritable):
            names = []
        files = sorted(folder / name for name in names if pattern.match(name))
        if files:
            found.append((year, files))
    return found


def _serve_report(request: Request, path: Where) -> Response:
    suffix = path.suffix
    headers = {
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    }
    download = suffix != ".html" and request.query_params.get("unduh") != "0"
    if isinstance(path, Remote):  # the reports are in a shared store
        try:
            data = storage.read_bytes(path)
        except storage.Unwritable:
            return _error(request, 404, "Laporan tidak ditemukan.")
        if download:
            headers["content-disposition"] = f'attachment; filename="{path.name}"'
        return Response(data, media_type=MEDIA[suffix], headers=headers)
    if not path.is_file():
        return _error(request, 404, "Laporan tidak ditemukan.")
    if download:
        return FileResponse(path, media_type=MEDIA[suffix], filename=path.name, headers=headers)
    return FileResponse(path, media_type=MEDIA[suffix], headers=headers)


@route(OPD + "/laporan", "planner")
async def reports(request: Request) -> Response:
    portal, unit = _portal(request), _unit(request)
    found = await run_in_threadpool(
        _report_files, unit.report_dir, unit.config.catalogue.opd.years, REPORT_NAME
    )
    return _render(request, "laporan.html.j2", reports=found, jobs=_jobs(portal, unit))


@route(OPD + "/laporan/{year:int}/{name}", "planner")
async def report_file(request: Request) -> Response:
    name, year = request.path_params["name"], request.path_params["year"]
    # only names a report can have, in this OPD's folder of the year: nothing else is served
    if not REPORT_NAME.match(name):
        return _error(request, 404, "Laporan tidak ditemukan.")
    return await run_in_threadpool(_serve_report, request, _unit(request).report_dir(year) / name)


@route(OPD + "/jalankan", "perencana", ("POST",))
async def run_now(request: Request) -> Response:
    portal, unit = _portal(request), _unit(request)
    form = request.state.form
    task = form.get("tugas")
    years = unit.config.catalogue.opd.years
    opd = ["--opd", unit.opd]
    if task == "konsolidasi":
        portal.jobs.consolidate(unit.opd)
    elif task == "laporan":
        try:
            period = Period.parse(str(form.get("periode") or ""))
        except ValueError:
            return _error(request, 400, "Periode laporan harus TTTT atau TTTT-Tn, misalnya 2024-Q2.")
        if period.year not in years:
            return _error(request, 400, "Tahun di luar periode Renstra.")
        portal.jobs.start(f"laporan {period.slug}", ["report", "--period", period.slug, *opd], unit.opd)
    elif task == "lakip":
        year = _year_from_text(str(form.get("tahun") or ""), years)
        if year is None:
            return _error(request, 400, "Tahun di luar periode Renstra.")
        portal.jobs.start(f"LAKIP {year}", ["lakip", "--year", str(year), *opd], unit.opd)
    else:
        return _error(request, 400, "Tugas tidak dikenal.")
    back = "laporan" if task != "konsolidasi" else "perencana"
    return RedirectResponse(f"/opd/{unit.opd}/{back}", status_code=303)


def _year_from_text(text: str, years: list[int]) -> int | None:
    try:
        year = int(text)
    except ValueError:
        return None
    return year if year in years else None


@route(OPD + "/peringatan", "planner")
async def alert_log(request: Request) -> Response:
    unit = _unit(request)
    alerts = await run_in_threadpool(unit.warehouse.alerts, unit.opd)
    alerts.sort(key=lambda a: a["id"], reverse=True)
    return _render(request, "peringatan.html.j2", alerts=alerts[:500], total=len(alerts))


# -- the kabupaten (read-only, every OPD) -----------------------------------
def _overview(portal: Portal, year: int, as_of: datetime) -> list[dict]:
    """Each OPD's submission counts of `year` as of `as_of` (OPD whose Renstra
    does not cover the year are listed without counts)."""
    rows = []
    for unit in portal.units.values():
        covered = year in unit.config.catalogue.opd.years
        rows.append(
            dict(
                code=unit.opd,
                opd=unit.config.catalogue.opd,
                counts=_matrix(unit, year, as_of)["counts"] if covered else None,
            )
        )
    return rows


@route("/kabupaten", "kabupaten")
async def kabupaten(request: Request) -> Response:
    portal = _portal(request)
    when = _when(request, portal.years, portal.tz)
    if isinstance(when, Response):
        return when
    year, as_of, as_of_text = when
    rows = await run_in_threadpool(_overview, portal, year, as_of)
    recaps = await run_in_threadpool(
        _report_files, lambda y: portal.res.output_dir / str(y), portal.years, RECAP_NAME
    )
    return _render(
        request,
        "kabupaten.html.j2",
        year=year,
        years=portal.years,
        as_of=as_of,
        as_of_text=as_of_text,
        rows=rows,
        recaps=recaps,
    )


@route("/kabupaten/rekap/{year:int}/{recap}", "kabupaten")
async def recap_file(request: Request) -> Response:
    portal = _portal(request)
    name, year = request.path_params["recap"], request.path_params["year"]
    if not RECAP_NAME.match(name) or year not in portal.years:
        return _error(request, 404, "Laporan tidak ditemukan.")
    return await run_in_threadpool(_serve_report, request, portal.res.output_dir / str(year) / name)


# -- API ---------------------------------------------------------------------
def _token_account(portal: Portal, header: str | None) -> Account | None:
    if not header or not header.startswith("Bearer "):
        return None
    parts = passwords.split_token(header[7:].strip())
    if parts is None:
        return None
    found = portal.accounts.token(parts[0])
    if found is None:
        return None
    account, stored = found
    if not passwords.verify_token_secret(parts[1], stored) or account.role != "bidang":
        return None
    if account.opd_code not in portal.units:  # an OPD this installation does not serve
        return None
    portal.accounts.touch_token(parts[0])
    return account


async def api_submissions(request: Request) -> Response:
    portal = _portal(request)
    account = await run_in_threadpool(_token_account, portal, request.headers.get("authorization"))
    if account is None:
        return JSONResponse(
            {"detail": "token tidak sah"}, status_code=401, headers={"www-authenticate": "Bearer"}
        )
    try:
        form = await request.form(max_files=1, max_fields=10)
    except BodyTooLarge:
        raise  # answered 413 by BodyLimit
    except Exception:
        return JSONResponse({"detail": "isian multipart tidak dapat dibaca"}, status_code=400)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return JSONResponse({"detail": "field 'file' wajib"}, status_code=400)
    unit = portal.units[account.opd_code]
    data = await _upload_bytes(upload, unit.config.pipeline.limits.max_file_bytes)
    if data is None:
        return JSONResponse({"detail": "berkas terlalu besar"}, status_code=413)
    assert account.bidang is not None  # _token_account admits bidang accounts only
    receipt = await run_in_threadpool(
        _receive_and_trigger, portal, unit, account.bidang, data, upload.filename
    )
    return JSONResponse(receipt.as_json())


ALLOW["POST /api/submissions"] = "token"


async def stylesheet(request: Request) -> Response:
    return FileResponse(
        TEMPLATES / "portal.css", media_type="text/css", headers={"cache-control": "max-age=3600"}
    )


ALLOW["GET /static/portal.css"] = "anyone"


# the one-OPD portal's addresses, which now live under /opd/<code>/
MOVED = ("bidang", "berkas", "perencana", "laporan", "peringatan")


def _moved(request: Request) -> str | None:
    """Where an old address (a bookmark: /bidang/..., /perencana ...) is now:
    under the signed-in account's own OPD, never another's (the guard then
    checks it as always). None: not an old address."""
    path = request.url.path
    if request.method != "GET" or path.split("/")[1] not in MOVED:
        return None
    account = _account(request)
    if account is None:
        return "/masuk"
    portal = _portal(request)
    opd = (
        account.opd_code
        if account.role != "kabupaten"
        else (portal.res.opd if len(portal.units) == 1 else None)
    )
    if opd is None:
        return "/kabupaten"
    return f"/opd/{opd}{path}" + (f"?{request.url.query}" if request.url.query else "")


async def not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "tidak ditemukan"}, status_code=404)
    moved = await run_in_threadpool(_moved, request)
    if moved is not None:
        return RedirectResponse(moved, status_code=303)
    return HTMLResponse("Halaman tidak ditemukan.", status_code=404)


PAGES = [
    sign_in_page,
    sign_in,
    sign_out,
    home,
    bidang_year,
    month_page,
    template_download,
    upload,
    form_page,
    form_submit,
    archived_file,
    planner,
    reports,
    report_file,
    run_now,
    alert_log,
    kabupaten,
    recap_file,
]


def create_app(
    res: Resources, settings: WebSettings | None = None, job_env: dict[str, str] | None = None
) -> Starlette:
    settings = settings or WebSettings()
    limits = res.config.pipeline.limits

    def limit_for(path: str) -> int:
        if path == "/api/submissions" or path.endswith("/unggah"):
            return limits.max_file_bytes + MULTIPART_OVERHEAD
        return FORM_LIMIT

    app = Starlette(
        routes=[
            *(p.route for p in PAGES),
            Route("/api/submissions", api_submissions, methods=["POST"]),
            Route("/static/portal.css", stylesheet),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyLimit, limit_for=limit_for),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(settings),
                session_cookie="iku_sesi",
                max_age=settings.session_hours * 3600,
                same_site="lax",
                https_only=settings.secure_cookie,
            ),
        ],
        exception_handlers={404: not_found},
    )
    app.state.portal = Portal(
        res=res,
        settings=settings,
        accounts=Accounts(res.warehouse),
        jobs=JobRunner(job_env),
        env=_environment(),
        user_throttle=SignInThrottle(free=3),
        ip_throttle=SignInThrottle(free=20),
        units={u.opd: u for u in res.units()},
    )
    return app


def warm_up(res: Resources) -> None:
    """Start the GX worker and run one validation in the background, so the
    first receipt does not wait for GX's import and context."""
    import threading

    def run() -> None:
        bidang = res.config.catalogue.bidang[0].code
        year = res.config.catalogue.opd.years[0]
        intake.check(res, bidang, form_to_xlsx(res.config, bidang, year, 1, {}), ".xlsx")

    threading.Thread(target=run, daemon=True, name="iku-web-warm-up").start()
