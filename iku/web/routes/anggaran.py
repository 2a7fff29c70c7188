"""Budget realisation sheets (CONTRACT §11) from the planning team and the
finance office (keuangan): the page, the template of a month, and the upload
answered with its receipt. Loaded by import_budget, the body of `iku
import-budget`: a file with problems is refused whole, warnings never refuse,
programs the catalogue does not list are named and left out.

No API route: API tokens are for bidang accounts only (`iku web add-token`)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from iku.budget_import import BudgetImport, import_budget
from iku.resources import Resources
from iku.warehouse.accounts import Account
from iku.warehouse.budget import budget_files

from .. import intake
from ..deps import OPD, portal_of, route, unit_of
from ..errors import error
from ..templating import render
from .shared import MEDIA, admit, upload_bytes

PERIOD = re.compile(r"^(\d{4})-(\d{1,2})$")


def _page(unit: Resources) -> dict:
    return dict(
        programs=unit.config.catalogue.budget_programs,
        files=budget_files(unit.warehouse, unit.opd)[:50],
        years=unit.config.catalogue.opd.years,
    )


@route(OPD + "/anggaran", "budget_read")
async def budget_page(request: Request) -> Response:
    ctx = await run_in_threadpool(_page, unit_of(request))
    return render(request, "anggaran.html.j2", **ctx)


@route(OPD + "/anggaran/templat/{year:int}/{month:int}", "budget_read")
async def budget_template(request: Request) -> Response:
    from iku.budget_template import budget_template_bytes

    unit = unit_of(request)
    year, month = request.path_params["year"], request.path_params["month"]
    if not unit.config.catalogue.budget_programs:
        return error(
            request, 404, "Katalog OPD belum mendaftar program; templat anggaran belum dapat dibuat."
        )
    data = await run_in_threadpool(budget_template_bytes, unit.config, year, month)
    name = f"anggaran-{unit.opd}-{year}-{month:02d}.xlsx"
    return Response(
        data, media_type=MEDIA[".xlsx"], headers={"content-disposition": f'attachment; filename="{name}"'}
    )


def _period(text: str, years: list[int]) -> tuple[int, int] | str | None:
    """The period asked for (Y-MM), None when left empty (the file names it), or the reason it cannot be."""
    if not text:
        return None
    found = PERIOD.match(text)
    if found is None or not 1 <= int(found.group(2)) <= 12:
        return "Periode harus berbentuk TTTT-BB, misalnya 2024-03, atau dikosongkan."
    if int(found.group(1)) not in years:
        return "Tahun di luar periode Renstra."
    return int(found.group(1)), int(found.group(2))


def _load(unit: Resources, account: Account, name: str, data: bytes, period) -> BudgetImport:
    """import_budget reads a file: the upload is written under the sender's
    (cleaned) name in a private temporary folder, recorded as sent through the portal."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(intake.clean_name(name)).stem)[:80] or "anggaran"
    with tempfile.TemporaryDirectory(prefix="iku-anggaran-") as folder:
        path = Path(folder) / f"{stem}{intake.safe_extension(name)}"
        path.write_bytes(data)
        return import_budget(unit, path, period, source_path=f"portal:{account.username}")


@route(OPD + "/anggaran/unggah", "budget_write", ("POST",))
async def budget_upload(request: Request) -> Response:
    portal, unit, account = portal_of(request), unit_of(request), request.state.account
    form = request.state.form
    sent = form.get("berkas")
    if not isinstance(sent, UploadFile):
        return error(request, 400, "Pilih berkas realisasi anggaran yang akan dikirim.")
    period = _period(str(form.get("periode") or "").strip(), unit.config.catalogue.opd.years)
    if isinstance(period, str):
        return error(request, 400, period)
    data = await upload_bytes(sent, unit.config.pipeline.limits.max_file_bytes)
    if data is None:
        return error(request, 413, "Berkas terlalu besar untuk diterima.")
    refusal = await run_in_threadpool(admit, portal, unit, account, None, len(data))
    if refusal is not None:
        return error(request, refusal.status, refusal.message, {"retry-after": str(refusal.retry_after)})
    done = await run_in_threadpool(_load, unit, account, sent.filename or "", data, period)
    return render(
        request,
        "anggaran_terima.html.j2",
        status=422 if done.refused else 200,
        result=done,
    )
