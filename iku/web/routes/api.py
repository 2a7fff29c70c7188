"""The API for a bidang's own tools, by an API token: one sheet per POST, and
one bukti dukung file per POST."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iku.warehouse.accounts import Account
from iku.warehouse.sakip import MAX_EVIDENCE_BYTES

from .. import passwords
from ..deps import Portal, portal_of, route
from ..errors import api_error
from ..quota import Refusal
from ..security import BodyTooLarge
from .shared import admit, receive_and_trigger, upload_bytes

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def token_account(portal: Portal, header: str | None) -> Account | None:
    scheme, _, credentials = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":  # the scheme is case-insensitive (RFC 9110 11.1)
        return None
    parts = passwords.split_token(credentials.strip())
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


# the token is checked here, not by the session guard
@route("/api/submissions", "token", ("POST",), guarded=False)
async def api_submissions(request: Request) -> Response:
    portal = portal_of(request)
    account = await run_in_threadpool(token_account, portal, request.headers.get("authorization"))
    if account is None:
        return api_error(401, "token tidak sah", {"www-authenticate": "Bearer"})
    try:
        form = await request.form(max_files=1, max_fields=10)
    except BodyTooLarge:
        raise  # answered 413 by BodyLimit
    except Exception:
        return api_error(400, "isian multipart tidak dapat dibaca")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return api_error(400, "field 'file' wajib")
    unit = portal.units[account.opd_code]
    data = await upload_bytes(upload, unit.config.pipeline.limits.max_file_bytes)
    if data is None:
        return api_error(413, "berkas terlalu besar")
    assert account.bidang is not None  # token_account admits bidang accounts only
    refusal = await run_in_threadpool(admit, portal, unit, account, account.bidang, len(data))
    if refusal is not None:
        return api_error(refusal.status, refusal.message, {"retry-after": str(refusal.retry_after)})
    receipt = await run_in_threadpool(
        receive_and_trigger, portal, unit, account.bidang, data, upload.filename
    )
    return JSONResponse(receipt.as_json())


@route("/api/evidence", "token", ("POST",), guarded=False)
async def api_evidence(request: Request) -> Response:
    """A bukti dukung file of one of the token's bidang's indicators for a month:
    multipart `file`, fields `indicator` and `period` (Y-MM)."""
    from .bidang import take_evidence

    portal = portal_of(request)
    account = await run_in_threadpool(token_account, portal, request.headers.get("authorization"))
    if account is None:
        return api_error(401, "token tidak sah", {"www-authenticate": "Bearer"})
    try:
        form = await request.form(max_files=1, max_fields=10)
    except BodyTooLarge:
        raise  # answered 413 by BodyLimit
    except Exception:
        return api_error(400, "isian multipart tidak dapat dibaca")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return api_error(400, "field 'file' wajib")
    unit = portal.units[account.opd_code]
    found = PERIOD.match(str(form.get("period") or ""))
    if found is None or not 1 <= int(found.group(2)) <= 12:
        return api_error(400, "field 'period' wajib berbentuk TTTT-BB, misalnya 2023-04")
    year, month = int(found.group(1)), int(found.group(2))
    if year not in unit.config.catalogue.opd.years:
        return api_error(400, "tahun di luar periode Renstra")
    data = await upload_bytes(upload, MAX_EVIDENCE_BYTES)
    if data is None:
        return api_error(413, "berkas terlalu besar")
    assert account.bidang is not None  # token_account admits bidang accounts only
    taken = await run_in_threadpool(
        take_evidence,
        portal,
        unit,
        account,
        account.bidang,
        str(form.get("indicator") or ""),
        year,
        month,
        upload.filename or "bukti",
        data,
    )
    if isinstance(taken, Refusal):
        headers = {"retry-after": str(taken.retry_after)} if taken.retry_after else None
        return api_error(taken.status, taken.message, headers)
    return JSONResponse(
        {
            "sha256": taken.sha256,
            "bidang": taken.bidang,
            "indicator": taken.indicator_code,
            "year": taken.year,
            "month": taken.month,
            "size": taken.size_bytes,
            "content_type": taken.content_type,
        }
    )
