"""The planning team's pages: the submission matrix with each month's
verification and each quarter's approval, verifying and returning a month, the
audit log, the "perlu dicek" list, the reports, run now and the alert log (read
by the kepala and the kabupaten too; run now, verify and return are the team's only)."""

from __future__ import annotations

import re
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from iku.domain.periods import Period
from iku.domain.verification import TransitionRefused
from iku.resources import Resources

from .. import cycle
from ..deps import OPD, Portal, portal_of, route, unit_of
from ..errors import error, sentence
from ..jobs import Busy
from ..templating import STATUS_LABEL, render
from .shared import MONTH, report_files, serve_report, when_asked, year_asked, year_from_text

REPORT_NAME = re.compile(
    r"^(iku|lakip|pohon-kinerja|perjanjian-kinerja)-\d{4}(-Q[1-4])?\.(html|xlsx|json|pdf)$"
)


def matrix(unit: Resources, year: int, as_of: datetime) -> dict:
    from iku.queries import submission_matrix

    cells = submission_matrix(unit, year, 12, as_of)
    rows = [(b, [c for c in cells if c.bidang == b.code]) for b in unit.config.catalogue.bidang]
    return dict(rows=rows, counts={s: sum(c.status == s for c in cells) for s in STATUS_LABEL})


def _jobs(portal: Portal, unit: Resources) -> list:
    """The jobs started from the portal for this OPD (never another's)."""
    return portal.jobs.of(unit.opd)


@route(OPD + "/perencana", "planner")
async def planner(request: Request) -> Response:
    portal, unit = portal_of(request), unit_of(request)
    years = unit.config.catalogue.opd.years
    when = when_asked(request, years, portal.tz)
    if isinstance(when, Response):
        return when
    year, as_of, as_of_text = when
    ctx = await run_in_threadpool(matrix, unit, year, as_of)
    states = await run_in_threadpool(cycle.cells, unit, year)
    quarters = await run_in_threadpool(cycle.quarters, unit, year)
    return render(
        request,
        "perencana.html.j2",
        year=year,
        years=years,
        as_of=as_of,
        as_of_text=as_of_text,
        jobs=_jobs(portal, unit),
        states=states,
        quarters=quarters,
        STATE_LABELS=cycle.STATE_LABELS,
        **ctx,
    )


async def _month_action(request: Request, action: str) -> Response:
    """Verify or return a bidang-month (the perencana), then back to its page;
    a transition the rules refuse is answered with their Indonesian reason."""
    unit, account = unit_of(request), request.state.account
    p = request.path_params
    bidang, year, month = p["bidang"], p["year"], p["month"]
    sakip = cycle.sakip_of(unit)
    note = str(request.state.form.get("catatan") or "").strip()[:2000]
    try:
        if action == "verify":
            await run_in_threadpool(
                lambda: sakip.verify(unit.opd, bidang, year, month, actor=account.username, role=account.role)
            )
        else:
            view = await run_in_threadpool(
                lambda: sakip.return_month(
                    unit.opd, bidang, year, month, note, actor=account.username, role=account.role
                )
            )
            await run_in_threadpool(cycle.alert_returned, unit, view, note)
    except TransitionRefused as refused:
        return error(request, 409, sentence(str(refused)))
    portal = portal_of(request)
    if action == "return" and portal.settings.consolidate_now:
        portal.jobs.consolidate(unit.opd)  # its run delivers the alert now
    return RedirectResponse(f"/opd/{unit.opd}/bidang/{bidang}/{year}/{month}", status_code=303)


@route(MONTH + "/verifikasi", "perencana", ("POST",))
async def verify_month(request: Request) -> Response:
    return await _month_action(request, "verify")


@route(MONTH + "/kembalikan", "perencana", ("POST",))
async def return_month(request: Request) -> Response:
    return await _month_action(request, "return")


@route(OPD + "/audit", "planner")
async def audit_page(request: Request) -> Response:
    unit, account = unit_of(request), request.state.account
    entries = await run_in_threadpool(lambda: cycle.sakip_of(unit).audit(unit.opd, role=account.role))
    entries.reverse()  # newest first
    return render(request, "audit.html.j2", entries=entries, ACTION_LABELS=cycle.AUDIT_ACTION_LABELS)


@route(OPD + "/perlu-dicek", "planner")
async def follow_up_page(request: Request) -> Response:
    portal, unit = portal_of(request), unit_of(request)
    years = unit.config.catalogue.opd.years
    year = year_asked(request, years, portal.tz)
    if year is None:
        return error(request, 404, "Tahun di luar periode Renstra.")
    found = await run_in_threadpool(cycle.follow_up, unit, year)
    names = {b.code: b.name for b in unit.config.catalogue.bidang}
    return render(request, "perlu_dicek.html.j2", year=year, years=years, warnings=found, names=names)


@route(OPD + "/laporan", "planner")
async def reports(request: Request) -> Response:
    portal, unit = portal_of(request), unit_of(request)
    found = await run_in_threadpool(
        report_files, unit.report_dir, unit.config.catalogue.opd.years, REPORT_NAME
    )
    return render(request, "laporan.html.j2", reports=found, jobs=_jobs(portal, unit))


@route(OPD + "/laporan/{year:int}/{name}", "planner")
async def report_file(request: Request) -> Response:
    name, year = request.path_params["name"], request.path_params["year"]
    # only names a report can have, in this OPD's folder of the year: nothing else is served
    if not REPORT_NAME.match(name):
        return error(request, 404, "Laporan tidak ditemukan.")
    return await run_in_threadpool(serve_report, request, unit_of(request).report_dir(year) / name)


@route(OPD + "/jalankan", "perencana", ("POST",))
async def run_now(request: Request) -> Response:
    portal, unit = portal_of(request), unit_of(request)
    form = request.state.form
    task = form.get("tugas")
    years = unit.config.catalogue.opd.years
    opd = ["--opd", unit.opd]
    try:
        refused = _start(portal, unit.opd, task, form, years, opd)
    except Busy:
        return error(
            request,
            429,
            f"Sudah ada {portal.jobs.per_opd} tugas OPD ini yang berjalan. Tunggu salah satunya selesai.",
            {"retry-after": "60"},
        )
    if refused is not None:
        return error(request, 400, refused)
    back = "laporan" if task != "konsolidasi" else "perencana"
    return RedirectResponse(f"/opd/{unit.opd}/{back}", status_code=303)


def _start(portal: Portal, code: str, task: object, form, years: list[int], opd: list[str]) -> str | None:
    """Start the task asked for (at most `per_opd` of an OPD at once); the
    reason it cannot be, else None."""
    if task == "konsolidasi":
        portal.jobs.consolidate(code)
    elif task == "laporan":
        try:
            period = Period.parse(str(form.get("periode") or ""))
        except ValueError:
            return "Periode laporan harus TTTT atau TTTT-Tn, misalnya 2024-Q2."
        if period.year not in years:
            return "Tahun di luar periode Renstra."
        argv = ["report", "--period", period.slug, *opd]
        portal.jobs.start(f"laporan {period.slug}", argv, code, capped=True)
    elif task == "lakip":
        year = year_from_text(str(form.get("tahun") or ""), years)
        if year is None:
            return "Tahun di luar periode Renstra."
        portal.jobs.start(f"LAKIP {year}", ["lakip", "--year", str(year), *opd], code, capped=True)
    else:
        return "Tugas tidak dikenal."
    return None


@route(OPD + "/peringatan", "planner")
async def alert_log(request: Request) -> Response:
    unit = unit_of(request)
    alerts = await run_in_threadpool(unit.warehouse.alerts, unit.opd)
    alerts.sort(key=lambda a: a["id"], reverse=True)
    from iku.alerts.dispatch import channels

    return render(
        request,
        "peringatan.html.j2",
        alerts=alerts[:500],
        total=len(alerts),
        channels=await run_in_threadpool(channels, unit),
    )
