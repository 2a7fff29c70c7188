"""The kabupaten's own pages (read-only, every OPD): the overview and the recaps."""

from __future__ import annotations

import re
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..deps import Portal, portal_of, route
from ..errors import error
from ..templating import render
from .perencana import matrix
from .shared import report_files, serve_report, when_asked

RECAP_NAME = re.compile(r"^(rekap-\d{4}(-Q[1-4])?\.(html|xlsx|json|pdf)|lakip-kabupaten-\d{4}\.(xlsx|json))$")


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
                counts=matrix(unit, year, as_of)["counts"] if covered else None,
            )
        )
    return rows


@route("/kabupaten", "kabupaten")
async def kabupaten(request: Request) -> Response:
    portal = portal_of(request)
    when = when_asked(request, portal.years, portal.tz)
    if isinstance(when, Response):
        return when
    year, as_of, as_of_text = when
    rows = await run_in_threadpool(_overview, portal, year, as_of)
    recaps = await run_in_threadpool(
        report_files, lambda y: portal.res.output_dir / str(y), portal.years, RECAP_NAME
    )
    return render(
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
    portal = portal_of(request)
    name, year = request.path_params["recap"], request.path_params["year"]
    if not RECAP_NAME.match(name) or year not in portal.years:
        return error(request, 404, "Laporan tidak ditemukan.")
    return await run_in_threadpool(serve_report, request, portal.res.output_dir / str(year) / name)
