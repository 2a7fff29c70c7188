"""A bidang's pages: its year, one month, the template, the upload, the form,
and an archived file (also read by the planning team and the kabupaten)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from iku import formatting, storage
from iku.domain.periods import deadline, quarter_of
from iku.domain.verification import TransitionRefused
from iku.resources import Resources
from iku.storage import Remote
from iku.warehouse.accounts import Account
from iku.warehouse.files import file_by_hash, files_of_month
from iku.warehouse.sakip import EVIDENCE_TYPES, MAX_EVIDENCE_BYTES, Evidence, EvidenceRefused, sniff

from .. import cycle, intake
from ..deps import OPD, Portal, may, portal_of, route, unit_of
from ..errors import error, sentence
from ..form_sheet import TEXT_COLUMNS, field_name, form_to_xlsx, number_fields, number_hints
from ..quota import Refusal
from ..security import REPORT_CSP
from ..templating import render
from .shared import MEDIA, MONTH, admit, receive_and_trigger, upload_bytes, year_asked


def _months_of(unit: Resources, tz: str, bidang: str, year: int) -> list:
    from iku.queries import submission_matrix

    now = datetime.now(ZoneInfo(tz))
    return [c for c in submission_matrix(unit, year, 12, now) if c.bidang == bidang]


@route(OPD + "/bidang/{bidang}", "read_bidang")
async def bidang_year(request: Request) -> Response:
    portal, unit = portal_of(request), unit_of(request)
    years = unit.config.catalogue.opd.years
    year = year_asked(request, years, portal.tz)
    if year is None:
        return error(request, 404, "Tahun di luar periode Renstra.")
    bidang = request.path_params["bidang"]
    cells = await run_in_threadpool(_months_of, unit, portal.tz, bidang, year)
    pending = await run_in_threadpool(intake.pending_files, unit, bidang)
    states = await run_in_threadpool(lambda: cycle.sakip_of(unit).states(unit.opd, year, bidang=[bidang]))
    return render(
        request,
        "bidang.html.j2",
        bidang=unit.config.catalogue.bidang_by_code(bidang),
        year=year,
        years=years,
        cells=cells,
        pending=pending,
        states=states,
        STATE_LABELS=cycle.STATE_LABELS,
    )


def _month_context(unit: Resources, bidang: str, year: int, month: int) -> dict:
    pipe = unit.config.pipeline
    from iku.domain.status import month_status

    logs = [s for s in unit.warehouse.submission_logs(unit.opd, year) if s.month == month]
    now = datetime.now(ZoneInfo(pipe.timezone))
    sakip = cycle.sakip_of(unit)
    indicators = unit.config.catalogue.indicators_of(bidang)
    files = sakip.evidence(unit.opd, year, month=month, bidang=bidang)
    return dict(
        bidang=unit.config.catalogue.bidang_by_code(bidang),
        year=year,
        month=month,
        cell=month_status(logs, bidang, year, month, now, pipe.deadline_day, pipe.timezone),
        due=formatting.local_datetime(deadline(year, month, pipe.deadline_day, pipe.timezone), pipe.timezone),
        files=files_of_month(unit.warehouse, unit.opd, bidang, year, month),
        pending=[n for n in intake.pending_files(unit, bidang) if f"-{year}-{month:02d}-" in n],
        view=sakip.states(unit.opd, year, bidang=[bidang])[(bidang, month)],
        quarter=sakip.quarter(unit.opd, year, quarter_of(month)),
        indicators=indicators,
        evidence={i.code: [e for e in files if e.indicator_code == i.code] for i in indicators},
        warnings=[w for w in cycle.follow_up(unit, year) if (w["bidang"], w["month"]) == (bidang, month)],
        STATE_LABELS=cycle.STATE_LABELS,
    )


def _period(request: Request) -> tuple[Resources, str, int, int]:
    """The OPD, bidang, year and month of a route under /opd/{opd}/bidang/{bidang}/{year}/{month}
    (all checked by the guard)."""
    p = request.path_params
    return unit_of(request), p["bidang"], p["year"], p["month"]


@route(MONTH, "read_bidang")
async def month_page(request: Request) -> Response:
    ctx = await run_in_threadpool(_month_context, *_period(request))
    return render(request, "bulan.html.j2", **ctx)


def take_evidence(
    portal: Portal,
    unit: Resources,
    account: Account,
    bidang: str,
    indicator: str,
    year: int,
    month: int,
    name: str,
    data: bytes,
) -> Evidence | Refusal:
    """A bukti dukung file, by the portal's and the API's one road: checked
    (size, type), counted in the upload quota, archived under its SHA-256 and
    recorded (Sakip.record_evidence, which writes the audit log)."""
    if indicator not in {i.code for i in unit.config.catalogue.indicators_of(bidang)}:
        return Refusal(400, f"Indikator {indicator or '(kosong)'} bukan indikator bidang {bidang}.", 0)
    if not data:
        return Refusal(400, "Berkas bukti dukung kosong.", 0)
    if len(data) > MAX_EVIDENCE_BYTES:
        return Refusal(413, f"Berkas bukti dukung melebihi batas {MAX_EVIDENCE_BYTES // 1_000_000} MB.", 0)
    if sniff(data) is None:
        return Refusal(415, "Jenis berkas tidak diterima; bukti dukung berupa PDF, JPG, PNG atau XLSX.", 0)
    refusal = admit(portal, unit, account, bidang, len(data))
    if refusal is not None:
        return refusal
    try:
        return cycle.sakip_of(unit).record_evidence(
            unit.opd,
            bidang,
            indicator,
            year,
            month,
            name or "bukti",
            data,
            archive_root=unit.settings.archive_dir,
            actor=account.username,
            role=account.role,
            actor_bidang=account.bidang,
        )
    except (EvidenceRefused, TransitionRefused) as refused:
        return Refusal(400, sentence(str(refused)), 0)


@route(MONTH + "/bukti", "evidence", ("POST",))
async def evidence_upload(request: Request) -> Response:
    unit, bidang, year, month = _period(request)
    form = request.state.form
    sent = form.get("berkas")
    if not isinstance(sent, UploadFile):
        return error(request, 400, "Pilih berkas bukti dukung yang akan dikirim.")
    data = await upload_bytes(sent, MAX_EVIDENCE_BYTES)
    if data is None:
        return error(
            request, 413, f"Berkas bukti dukung melebihi batas {MAX_EVIDENCE_BYTES // 1_000_000} MB."
        )
    name = intake.clean_name(sent.filename)
    taken = await run_in_threadpool(
        take_evidence,
        portal_of(request),
        unit,
        request.state.account,
        bidang,
        str(form.get("indikator") or ""),
        year,
        month,
        name,
        data,
    )
    if isinstance(taken, Refusal):
        extra = {"retry-after": str(taken.retry_after)} if taken.retry_after else None
        return error(request, taken.status, taken.message, extra)
    return RedirectResponse(f"/opd/{unit.opd}/bidang/{bidang}/{year}/{month}#bukti", status_code=303)


def _evidence_file(unit: Resources, account: Account, sha: str) -> Evidence | None:
    """The evidence file with this SHA-256 in this OPD that the account may read."""
    sakip = cycle.sakip_of(unit)
    for year in unit.config.catalogue.opd.years:
        for found in sakip.evidence(unit.opd, year, sha256=sha):
            if may(account, "read_bidang", found.bidang):
                return found
    return None


@route(OPD + "/bukti/{sha256}", "signed_in")
async def evidence_file(request: Request) -> Response:
    """A bukti dukung file, for those who may read its bidang (a download, never shown inline)."""
    unit = unit_of(request)
    sha = request.path_params["sha256"]
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        return error(request, 404, "Berkas tidak ditemukan.")
    found = await run_in_threadpool(_evidence_file, unit, request.state.account, sha)
    if found is None:
        return error(request, 404, "Berkas tidak ditemukan.")
    path = storage.location(found.archive_path)
    try:
        data = await run_in_threadpool(storage.read_bytes, path)
    except (OSError, storage.Unwritable):
        return error(request, 404, "Berkas tidak ada lagi di arsip.")
    ext = EVIDENCE_TYPES[found.content_type]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", found.file_name.rsplit(".", 1)[0])[:80] or "bukti"
    headers = {
        "content-disposition": f'attachment; filename="{stem}{ext}"',
        "content-security-policy": REPORT_CSP,
    }
    return Response(data, media_type=found.content_type, headers=headers)


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


async def _receipt(request: Request, data: bytes, name: str, form_values: dict | None = None) -> Response:
    """Receive a sheet from the page of one month and answer with its receipt;
    a form that is not valid comes back filled in, with its problems."""
    portal = portal_of(request)
    unit, bidang, year, month = _period(request)
    refusal = await run_in_threadpool(admit, portal, unit, request.state.account, bidang, len(data))
    if refusal is not None:
        return error(request, refusal.status, refusal.message, {"retry-after": str(refusal.retry_after)})
    receipt = await run_in_threadpool(receive_and_trigger, portal, unit, bidang, data, name)
    if form_values is not None and receipt.status != "valid":
        return _form_page(request, form_values, receipt=receipt, status=422)
    return render(
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
        return error(request, 400, "Pilih berkas lembar kerja yang akan dikirim.")
    data = await upload_bytes(sent, unit_of(request).config.pipeline.limits.max_file_bytes)
    if data is None:
        return error(request, 413, "Berkas terlalu besar untuk diterima.")
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


def _form_problems(indicators: list, problems: list) -> tuple[list[dict], dict[str, str]]:
    """A form's problems told by indicator (code and name) and field, not by the
    rows of a sheet the clerk never sees (issue 17 M7): form_to_xlsx writes one
    indicator per row from row 2 on. Returns the problems and, per field name,
    the message that marks that field."""
    by_row = dict(enumerate(indicators, start=2))
    told: list[dict] = []
    marked: dict[str, str] = {}
    for p in problems:
        ind = by_row.get(p.row) if p.row is not None else None
        columns = (*number_fields(ind), *TEXT_COLUMNS) if ind else ()
        name = field_name(p.column, ind.code) if ind and p.column in columns else None
        if name:
            marked.setdefault(name, p.message)
        told.append(dict(indicator=ind, field=name, column=p.column, message=p.message))
    return told, marked


def _form_page(request: Request, values: dict, receipt=None, status=200) -> Response:
    unit, bidang, year, month = _period(request)
    indicators = unit.config.catalogue.indicators_of(bidang)
    problems, marked = _form_problems(indicators, receipt.problems if receipt else [])
    fields = [
        dict(
            indicator=ind,
            numbers=[(c, field_name(c, ind.code)) for c in number_fields(ind)],
            hints=number_hints(ind),
            texts=[(c, field_name(c, ind.code)) for c in TEXT_COLUMNS],
        )
        for ind in indicators
    ]
    return render(
        request,
        "isian.html.j2",
        problems=problems,
        marked=marked,
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
    unit = unit_of(request)
    sha = request.path_params["sha256"]
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        return error(request, 404, "Berkas tidak ditemukan.")
    row = await run_in_threadpool(file_by_hash, unit.warehouse, unit.opd, sha)
    if row is None or not may(request.state.account, "read_bidang", row["bidang"]):
        return error(request, 404, "Berkas tidak ditemukan.")
    path = storage.location(row["archive_path"])
    filename = f"{row['bidang']}-{sha[:12]}{path.suffix}"
    if isinstance(path, Remote):  # the archive is a shared store (s3://, sftp://)
        try:
            data = await run_in_threadpool(storage.read_bytes, path)
        except storage.Unwritable:
            return error(request, 404, "Berkas tidak ada lagi di arsip.")
        disposition = {"content-disposition": f'attachment; filename="{filename}"'}
        return Response(data, media_type="application/octet-stream", headers=disposition)
    if not path.is_file():
        return error(request, 404, "Berkas tidak ada lagi di arsip.")
    return FileResponse(path, media_type="application/octet-stream", filename=filename)
