"""The Kepala Dinas's actions: approving a quarter of the OPD (it is then
locked) and unlocking it with a reason. The kepala reads every page of its OPD
as the planning team does (rule "planner"); the quarters are on the matrix."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from iku.domain.verification import TransitionRefused

from .. import cycle
from ..deps import OPD, route, unit_of
from ..errors import error, sentence

QUARTER = OPD + "/triwulan/{year:int}/{quarter:int}"


@route(QUARTER + "/setujui", "kepala", ("POST",))
async def approve_quarter(request: Request) -> Response:
    unit, account = unit_of(request), request.state.account
    year, quarter = request.path_params["year"], request.path_params["quarter"]
    expected = [b.code for b in unit.config.catalogue.bidang]  # every bidang reports every month
    try:
        await run_in_threadpool(
            lambda: cycle.sakip_of(unit).approve(
                unit.opd, year, quarter, expected, actor=account.username, role=account.role
            )
        )
    except TransitionRefused as refused:
        return error(request, 409, sentence(str(refused)))
    return RedirectResponse(f"/opd/{unit.opd}/perencana?tahun={year}#triwulan", status_code=303)


@route(QUARTER + "/buka", "kepala", ("POST",))
async def unlock_quarter(request: Request) -> Response:
    unit, account = unit_of(request), request.state.account
    year, quarter = request.path_params["year"], request.path_params["quarter"]
    reason = str(request.state.form.get("alasan") or "").strip()[:2000]
    try:
        changed = await run_in_threadpool(
            lambda: cycle.sakip_of(unit).unlock(
                unit.opd, year, quarter, reason, actor=account.username, role=account.role
            )
        )
    except TransitionRefused as refused:
        return error(request, 409, sentence(str(refused)))
    portal = request.app.state.portal
    if changed and portal.settings.consolidate_now:
        portal.jobs.consolidate(unit.opd)  # reports and alerts follow the data now current
    return RedirectResponse(f"/opd/{unit.opd}/perencana?tahun={year}#triwulan", status_code=303)
