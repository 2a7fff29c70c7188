"""What every audience shares: the start page, the stylesheet, old addresses,
the year and as-of date asked for, report files, and the one road of every
sheet sent (upload, form, API)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from iku import storage
from iku.domain.periods import parse_as_of
from iku.resources import Resources
from iku.shipped import shipped
from iku.storage import Remote, Where
from iku.warehouse.accounts import Account

from .. import intake
from ..deps import Portal, portal_of, route, session_account
from ..errors import error
from ..quota import Refusal, room_refusal
from ..security import REPORT_CSP
from ..templating import TEMPLATES, render

MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

MONTH = "/opd/{opd}/bidang/{bidang}/{year:int}/{month:int}"  # one bidang-month's pages

# the one-OPD portal's addresses, which now live under /opd/<code>/
MOVED = ("bidang", "berkas", "perencana", "laporan", "peringatan")


@route("/", "signed_in")
async def home(request: Request) -> Response:
    account = request.state.account
    if account.role == "bidang":
        return RedirectResponse(f"/opd/{account.opd_code}/bidang/{account.bidang}", status_code=303)
    if account.role == "kabupaten":
        return RedirectResponse("/kabupaten", status_code=303)
    if account.role == "keuangan":
        return RedirectResponse(f"/opd/{account.opd_code}/anggaran", status_code=303)
    return RedirectResponse(f"/opd/{account.opd_code}/perencana", status_code=303)


@route("/static/portal.css", "anyone", guarded=False)
async def stylesheet(request: Request) -> Response:
    return FileResponse(
        TEMPLATES / "portal.css", media_type="text/css", headers={"cache-control": "max-age=3600"}
    )


def _moved(request: Request) -> str | None:
    """Where an old address (a bookmark: /bidang/..., /perencana ...) is now:
    under the signed-in account's own OPD, never another's (the guard then
    checks it as always). None: not an old address."""
    path = request.url.path
    if request.method != "GET" or path.split("/")[1] not in MOVED:
        return None
    account = session_account(request)
    if account is None:
        return "/masuk"
    portal = portal_of(request)
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


def year_asked(request: Request, years: list[int], tz: str) -> int | None:
    """The year asked for (?tahun=), else this year or the last one there is."""
    text = request.query_params.get("tahun")
    if not text:
        now = datetime.now(ZoneInfo(tz)).year
        return now if now in years else years[-1]
    return year_from_text(text, years)


def year_from_text(text: str, years: list[int]) -> int | None:
    try:
        year = int(text)
    except (TypeError, ValueError):
        return None
    return year if year in years else None


def when_asked(request: Request, years: list[int], tz: str) -> tuple[int, datetime, str] | Response:
    """The year (?tahun=) and as-of date (?per=YYYY-MM-DD, default now) a
    matrix is asked for, or the error page."""
    year = year_asked(request, years, tz)
    if year is None:
        return error(request, 404, "Tahun di luar periode Renstra.")
    text = request.query_params.get("per") or ""
    try:
        return year, parse_as_of(text or None, tz), text
    except ValueError:
        return error(request, 400, "Tanggal acuan harus berbentuk TTTT-BB-HH.")


def report_files(folder_of: Callable[[int], Where], years: list[int], pattern: re.Pattern) -> list:
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


def serve_report(request: Request, path: Where) -> Response:
    suffix = path.suffix
    headers = {"content-security-policy": REPORT_CSP}
    download = suffix != ".html" and request.query_params.get("unduh") != "0"
    if isinstance(path, Remote):  # the reports are in a shared store
        try:
            data = storage.read_bytes(path)
        except storage.Unwritable:
            return error(request, 404, "Laporan tidak ditemukan.")
        if download:
            headers["content-disposition"] = f'attachment; filename="{path.name}"'
        return Response(data, media_type=MEDIA[suffix], headers=headers)
    if not path.is_file():
        return error(request, 404, "Laporan tidak ditemukan.")
    if download:
        return FileResponse(path, media_type=MEDIA[suffix], filename=path.name, headers=headers)
    return FileResponse(path, media_type=MEDIA[suffix], headers=headers)


def admit(portal: Portal, unit: Resources, account: Account, bidang: str | None, size: int) -> Refusal | None:
    """Whether a file of `size` bytes may be written at all, before anything is:
    room on the inbox's (a bidang's sheet) and the archive's file systems, then
    the account's and the OPD's quota (which this upload then counts against,
    valid or not). Sheets, bukti dukung and budget sheets all count."""
    places = [*([unit.source_dir(bidang)] if bidang else []), unit.settings.archive_dir]
    refusal = room_refusal(places, size, portal.settings.min_free_bytes)
    return refusal or portal.quota.take(account.id, unit.opd, size)


def receive_and_trigger(portal: Portal, unit: Resources, bidang: str, data: bytes, name: str | None):
    """The one road of every sheet sent (upload, form, API): the receipt, the
    file in that OPD's bidang folder, then that OPD's consolidation."""
    receipt = intake.receive(unit, bidang, data, name)
    if not receipt.duplicate and portal.settings.consolidate_now:
        portal.jobs.consolidate(unit.opd)
    return receipt


async def upload_bytes(upload: UploadFile, limit: int) -> bytes | None:
    """The uploaded file, or None above the consolidation's size limit."""
    data = await upload.read(limit + 1)
    return None if len(data) > limit else data


GUIDES = {"perencana": "panduan-perencana.md", "bidang": "panduan-bidang.md"}
GUIDE_IMAGE = re.compile(r"!\[[^\]]*\]\(([a-z0-9-]+\.png)\)")


def _guide_html(name: str) -> tuple[str, str]:
    """A user guide as HTML (python-markdown, the library mkdocs renders the
    site with), its links to the other guide and its pictures pointing to the
    portal's own addresses; with its title."""
    import markdown

    text = (shipped("docs") / GUIDES[name]).read_text(encoding="utf-8")
    for other, file in GUIDES.items():
        text = text.replace(f"]({file})", f"](/panduan/{other})")
    text = GUIDE_IMAGE.sub(lambda m: m.group(0).replace(f"({m.group(1)})", f"(/panduan/{m.group(1)})"), text)
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "Panduan")
    html = markdown.markdown(text, extensions=["tables", "attr_list", "admonition", "toc"])
    return title, html


@route("/panduan/{guide}", "signed_in")
async def guide(request: Request) -> Response:
    """The Indonesian user guides (docs/panduan-*.md) and their pictures, for every account."""
    name = request.path_params["guide"]
    if name in GUIDES:
        title, html = await run_in_threadpool(_guide_html, name)
        return render(request, "panduan.html.j2", title=title, body=Markup(html))
    pictures = {
        m
        for file in GUIDES.values()
        for m in GUIDE_IMAGE.findall((shipped("docs") / file).read_text(encoding="utf-8"))
    }
    if name in pictures and (shipped("docs") / name).is_file():
        return FileResponse(
            shipped("docs") / name, media_type="image/png", headers={"cache-control": "max-age=3600"}
        )
    return error(request, 404, "Panduan tidak ditemukan.")
