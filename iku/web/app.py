"""The portal's pages and API (CONTRACT §10), server-rendered with Starlette
and the Jinja2 templates in templates/web/. No JavaScript anywhere.

Who may do what is declared next to each route (`allow`), checked in one place
(`_guard`), and tried for every route and role by tests/web/test_access.py.
Every query is scoped by the OPD of the signed-in account.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
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

from iku import formatting
from iku.domain.periods import Period, deadline, month_name, parse_as_of
from iku.resources import Resources
from iku.shipped import shipped
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
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Who may use a route: "anyone", "signed_in", "read_bidang" (that bidang, the
# planning team, the kabupaten), "write_bidang" (that bidang only), "planner"
# (planning team and kabupaten), "perencana" (planning team only), "token".
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

    @property
    def tz(self) -> str:
        return self.res.config.pipeline.timezone


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


def _render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    portal = _portal(request)
    html = portal.env.get_template(template).render(
        account=getattr(request.state, "account", None),
        csrf=csrf_token(request.session),
        opd=portal.res.config.catalogue.opd,
        tz=formatting.tz_label(portal.tz),
        **ctx,
    )
    return HTMLResponse(html, status_code=status)


def _error(request: Request, status: int, message: str) -> HTMLResponse:
    return _render(request, "galat.html.j2", status=status, message=message, code=status)


def _opd_of(account: Account, portal: Portal) -> str | None:
    """The OPD an account may see here: its own (bidang, perencana); any served
    OPD (kabupaten, read-only). None: this installation does not serve it."""
    if account.role == "kabupaten" or account.opd_code == portal.res.opd:
        return portal.res.opd
    return None


def _may(account: Account | None, rule: str, portal: Portal, bidang: str | None = None) -> bool:
    if rule == "anyone":
        return True
    if account is None or _opd_of(account, portal) is None:
        return False
    if rule == "signed_in":
        return True
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
        portal = _portal(request)
        account = await run_in_threadpool(_account, request)
        request.state.account = account
        bidang = request.path_params.get("bidang")
        if bidang is not None and bidang not in {b.code for b in portal.res.config.catalogue.bidang}:
            return _error(request, 404, "Bidang tidak dikenal.")
        if not _may(account, rule, portal, bidang):
            if account is None and request.method == "GET":
                return RedirectResponse("/masuk", status_code=303)
            return _error(request, 403 if account else 401, "Anda tidak berhak membuka halaman ini.")
        if request.method == "POST":
            form = await _read_form(request)
            if isinstance(form, Response):
                return form
            if not csrf_ok(request.session, form.get("csrf")):
                return _error(request, 403, "Formulir kedaluwarsa. Muat ulang halaman lalu kirim lagi.")
            request.state.form = form
        return await fn(request)

    return endpoint


async def _read_form(request: Request):
    try:
        return await request.form(max_files=1, max_fields=400)
    except BodyTooLarge:
        raise  # answered 413 by BodyLimit
    except Exception:
        return _error(request, 400, "Isian formulir tidak dapat dibaca.")


def _year(request: Request, portal: Portal) -> int | None:
    text = request.path_params.get("year") or request.query_params.get("tahun")
    years = portal.res.config.catalogue.opd.years
    if not text:
        now = datetime.now(ZoneInfo(portal.tz)).year
        return now if now in years else years[-1]
    try:
        year = int(text)
    except (TypeError, ValueError):
        return None
    return year if year in years else None


def _month(request: Request) -> int | None:
    month = request.path_params.get("month")
    return month if isinstance(month, int) and 1 <= month <= 12 else None


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
        return RedirectResponse(f"/bidang/{account.bidang}", status_code=303)
    return RedirectResponse("/perencana", status_code=303)


# -- a bidang's months ------------------------------------------------------
def _months_of(portal: Portal, bidang: str, year: int) -> list:
    from iku.queries import submission_matrix

    now = datetime.now(ZoneInfo(portal.tz))
    return [c for c in submission_matrix(portal.res, year, 12, now) if c.bidang == bidang]


@route("/bidang/{bidang}", "read_bidang")
async def bidang_year(request: Request) -> Response:
    portal = _portal(request)
    year = _year(request, portal)
    if year is None:
        return _error(request, 404, "Tahun di luar periode Renstra.")
    bidang = request.path_params["bidang"]
    cells = await run_in_threadpool(_months_of, portal, bidang, year)
    pending = await run_in_threadpool(intake.pending_files, portal.res, bidang)
    return _render(
        request,
        "bidang.html.j2",
        bidang=portal.res.config.catalogue.bidang_by_code(bidang),
        year=year,
        years=portal.res.config.catalogue.opd.years,
        cells=cells,
        pending=pending,
    )


def _month_context(portal: Portal, bidang: str, year: int, month: int) -> dict:
    pipe = portal.res.config.pipeline
    from iku.domain.status import month_status

    logs = [s for s in portal.res.warehouse.submission_logs(portal.res.opd, year) if s.month == month]
    now = datetime.now(ZoneInfo(portal.tz))
    return dict(
        bidang=portal.res.config.catalogue.bidang_by_code(bidang),
        year=year,
        month=month,
        cell=month_status(logs, bidang, year, month, now, pipe.deadline_day, pipe.timezone),
        due=formatting.local_datetime(deadline(year, month, pipe.deadline_day, pipe.timezone), pipe.timezone),
        files=files_of_month(portal.res.warehouse, portal.res.opd, bidang, year, month),
        pending=[n for n in intake.pending_files(portal.res, bidang) if f"-{year}-{month:02d}-" in n],
    )


@route("/bidang/{bidang}/{year:int}/{month:int}", "read_bidang")
async def month_page(request: Request) -> Response:
    portal = _portal(request)
    year, month = _year(request, portal), _month(request)
    if year is None or month is None:
        return _error(request, 404, "Periode tidak dikenal.")
    ctx = await run_in_threadpool(_month_context, portal, request.path_params["bidang"], year, month)
    return _render(request, "bulan.html.j2", **ctx)


@route("/bidang/{bidang}/{year:int}/{month:int}/templat", "read_bidang")
async def template_download(request: Request) -> Response:
    from iku.sheet_template import write_template

    portal = _portal(request)
    year, month = _year(request, portal), _month(request)
    if year is None or month is None:
        return _error(request, 404, "Periode tidak dikenal.")
    bidang = request.path_params["bidang"]
    name = f"realisasi-{bidang}-{year}-{month:02d}.xlsx"

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return write_template(portal.res.config, bidang, year, month, Path(tmp) / name).read_bytes()

    data = await run_in_threadpool(build)
    return Response(
        data,
        media_type=MEDIA[".xlsx"],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _receive_and_trigger(portal: Portal, bidang: str, data: bytes, name: str | None) -> intake.Receipt:
    receipt = intake.receive(portal.res, bidang, data, name)
    if not receipt.duplicate and portal.settings.consolidate_now:
        portal.jobs.consolidate()
    return receipt


def _receipt_page(request: Request, receipt: intake.Receipt, bidang: str, year: int, month: int) -> Response:
    portal = _portal(request)
    names = {i.code: i for i in portal.res.config.catalogue.indicators_of(bidang)}
    return _render(
        request,
        "tanda_terima.html.j2",
        receipt=receipt,
        bidang=portal.res.config.catalogue.bidang_by_code(bidang),
        year=year,
        month=month,
        indicators=names,
        other_period=receipt.year is not None and (receipt.year, receipt.month) != (year, month),
    )


@route("/bidang/{bidang}/{year:int}/{month:int}/unggah", "write_bidang", ("POST",))
async def upload(request: Request) -> Response:
    portal = _portal(request)
    year, month = _year(request, portal), _month(request)
    if year is None or month is None:
        return _error(request, 404, "Periode tidak dikenal.")
    upload = request.state.form.get("berkas")
    if not isinstance(upload, UploadFile):
        return _error(request, 400, "Pilih berkas lembar kerja yang akan dikirim.")
    data = await upload.read(portal.res.config.pipeline.limits.max_file_bytes + 1)
    if len(data) > portal.res.config.pipeline.limits.max_file_bytes:
        return _error(request, 413, "Berkas terlalu besar untuk diterima.")
    bidang = request.path_params["bidang"]
    receipt = await run_in_threadpool(_receive_and_trigger, portal, bidang, data, upload.filename)
    return _receipt_page(request, receipt, bidang, year, month)


def _current_form_values(portal: Portal, bidang: str, year: int, month: int) -> dict[str, str]:
    values = {}
    for v in portal.res.warehouse.current_values(portal.res.opd, year):
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


def _form_page(request: Request, bidang: str, year: int, month: int, values: dict, receipt=None, status=200):
    portal = _portal(request)
    fields = [
        dict(
            indicator=ind,
            numbers=[(c, field_name(c, ind.code)) for c in number_fields(ind)],
            texts=[(c, field_name(c, ind.code)) for c in TEXT_COLUMNS],
        )
        for ind in portal.res.config.catalogue.indicators_of(bidang)
    ]
    return _render(
        request,
        "isian.html.j2",
        status=status,
        bidang=portal.res.config.catalogue.bidang_by_code(bidang),
        year=year,
        month=month,
        fields=fields,
        values=values,
        receipt=receipt,
    )


@route("/bidang/{bidang}/{year:int}/{month:int}/isian", "write_bidang")
async def form_page(request: Request) -> Response:
    portal = _portal(request)
    year, month = _year(request, portal), _month(request)
    if year is None or month is None:
        return _error(request, 404, "Periode tidak dikenal.")
    bidang = request.path_params["bidang"]
    values = await run_in_threadpool(_current_form_values, portal, bidang, year, month)
    return _form_page(request, bidang, year, month, values)


@route("/bidang/{bidang}/{year:int}/{month:int}/isian", "write_bidang", ("POST",))
async def form_submit(request: Request) -> Response:
    portal = _portal(request)
    year, month = _year(request, portal), _month(request)
    if year is None or month is None:
        return _error(request, 404, "Periode tidak dikenal.")
    bidang = request.path_params["bidang"]
    values = {k: str(v)[:2000] for k, v in request.state.form.items() if "__" in k and isinstance(v, str)}
    data = form_to_xlsx(portal.res.config, bidang, year, month, values)
    receipt = await run_in_threadpool(_receive_and_trigger, portal, bidang, data, "isian.xlsx")
    if receipt.status != "valid":
        return _form_page(request, bidang, year, month, values, receipt=receipt, status=422)
    return _receipt_page(request, receipt, bidang, year, month)


@route("/berkas/{sha256}", "signed_in")
async def archived_file(request: Request) -> Response:
    """The file as received, from the archive (for its bidang and the planners)."""
    portal = _portal(request)
    sha = request.path_params["sha256"]
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        return _error(request, 404, "Berkas tidak ditemukan.")
    row = await run_in_threadpool(file_by_hash, portal.res.warehouse, portal.res.opd, sha)
    if row is None or not _may(request.state.account, "read_bidang", portal, row["bidang"]):
        return _error(request, 404, "Berkas tidak ditemukan.")
    path = Path(row["archive_path"])
    if not path.is_file():
        return _error(request, 404, "Berkas tidak ada lagi di arsip.")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=f"{row['bidang']}-{sha[:12]}{path.suffix}",
    )


# -- the planning team -------------------------------------------------------
def _matrix(portal: Portal, year: int, as_of: datetime) -> dict:
    from iku.queries import submission_matrix

    cells = submission_matrix(portal.res, year, 12, as_of)
    rows = [(b, [c for c in cells if c.bidang == b.code]) for b in portal.res.config.catalogue.bidang]
    return dict(rows=rows, counts={s: sum(c.status == s for c in cells) for s in STATUS_LABEL})


@route("/perencana", "planner")
async def planner(request: Request) -> Response:
    portal = _portal(request)
    year = _year(request, portal)
    if year is None:
        return _error(request, 404, "Tahun di luar periode Renstra.")
    as_of_text = request.query_params.get("per") or ""
    try:
        as_of = parse_as_of(as_of_text or None, portal.tz)
    except ValueError:
        return _error(request, 400, "Tanggal acuan harus berbentuk TTTT-BB-HH.")
    ctx = await run_in_threadpool(_matrix, portal, year, as_of)
    return _render(
        request,
        "perencana.html.j2",
        year=year,
        years=portal.res.config.catalogue.opd.years,
        as_of=as_of,
        as_of_text=as_of_text,
        jobs=list(portal.jobs.history),
        **ctx,
    )


def _reports(portal: Portal) -> list[tuple[int, list[Path]]]:
    out = portal.res.output_dir
    found = []
    for year in portal.res.config.catalogue.opd.years:
        folder = out / str(year)
        if folder.is_dir():
            files = sorted(p for p in folder.iterdir() if p.is_file() and REPORT_NAME.match(p.name))
            if files:
                found.append((year, files))
    return found


@route("/laporan", "planner")
async def reports(request: Request) -> Response:
    portal = _portal(request)
    found = await run_in_threadpool(_reports, portal)
    return _render(request, "laporan.html.j2", reports=found, jobs=list(portal.jobs.history))


@route("/laporan/{year:int}/{name}", "planner")
async def report_file(request: Request) -> Response:
    portal = _portal(request)
    name, year = request.path_params["name"], request.path_params["year"]
    # only names a report can have, in the year's folder: nothing else is served
    if not REPORT_NAME.match(name) or year not in portal.res.config.catalogue.opd.years:
        return _error(request, 404, "Laporan tidak ditemukan.")
    path = portal.res.output_dir / str(year) / name
    if not path.is_file():
        return _error(request, 404, "Laporan tidak ditemukan.")
    suffix = path.suffix
    headers = {
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    }
    if suffix != ".html" and request.query_params.get("unduh") != "0":
        return FileResponse(path, media_type=MEDIA[suffix], filename=name, headers=headers)
    return FileResponse(path, media_type=MEDIA[suffix], headers=headers)


@route("/jalankan", "perencana", ("POST",))
async def run_now(request: Request) -> Response:
    portal = _portal(request)
    form = request.state.form
    task = form.get("tugas")
    if task == "konsolidasi":
        portal.jobs.consolidate()
    elif task == "laporan":
        try:
            period = Period.parse(str(form.get("periode") or ""))
        except ValueError:
            return _error(request, 400, "Periode laporan harus TTTT atau TTTT-Tn, misalnya 2024-Q2.")
        if period.year not in portal.res.config.catalogue.opd.years:
            return _error(request, 400, "Tahun di luar periode Renstra.")
        portal.jobs.start(f"laporan {period.slug}", ["report", "--period", period.slug])
    elif task == "lakip":
        year = _year_from_text(str(form.get("tahun") or ""), portal)
        if year is None:
            return _error(request, 400, "Tahun di luar periode Renstra.")
        portal.jobs.start(f"LAKIP {year}", ["lakip", "--year", str(year)])
    else:
        return _error(request, 400, "Tugas tidak dikenal.")
    back = "/laporan" if task != "konsolidasi" else "/perencana"
    return RedirectResponse(back, status_code=303)


def _year_from_text(text: str, portal: Portal) -> int | None:
    try:
        year = int(text)
    except ValueError:
        return None
    return year if year in portal.res.config.catalogue.opd.years else None


@route("/peringatan", "planner")
async def alert_log(request: Request) -> Response:
    portal = _portal(request)
    alerts = await run_in_threadpool(portal.res.warehouse.alerts, portal.res.opd)
    alerts.sort(key=lambda a: a["id"], reverse=True)
    return _render(request, "peringatan.html.j2", alerts=alerts[:500], total=len(alerts))


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
    if account.opd_code != portal.res.opd:
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
    limit = portal.res.config.pipeline.limits.max_file_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return JSONResponse({"detail": "berkas terlalu besar"}, status_code=413)
    assert account.bidang is not None  # _token_account admits bidang accounts only
    receipt = await run_in_threadpool(_receive_and_trigger, portal, account.bidang, data, upload.filename)
    return JSONResponse(receipt.as_json())


ALLOW["POST /api/submissions"] = "token"


async def stylesheet(request: Request) -> Response:
    return FileResponse(
        TEMPLATES / "portal.css", media_type="text/css", headers={"cache-control": "max-age=3600"}
    )


ALLOW["GET /static/portal.css"] = "anyone"


async def not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "tidak ditemukan"}, status_code=404)
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
