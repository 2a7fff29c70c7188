"""The portal's routes, one module per audience (sign-in, bidang, perencana,
kepala, finance, kabupaten, API) and the pages every audience shares. `ROUTES` is the route
table app.py assembles; each route's access rule is declared beside it."""

from __future__ import annotations

from starlette.routing import Route

from . import anggaran, api, bidang, kabupaten, kepala, perencana, shared, signin

ROUTES: list[Route] = [
    fn.route
    for module in (signin, shared, bidang, perencana, kepala, anggaran, kabupaten, api)
    for fn in vars(module).values()
    if callable(fn) and isinstance(getattr(fn, "route", None), Route)
]
