"""The portal's routes, one module per audience (sign-in, bidang, perencana,
kabupaten, API) and the pages every audience shares. `ROUTES` is the route
table app.py assembles; each route's access rule is declared beside it."""

from __future__ import annotations

from starlette.routing import Route

from . import api, bidang, kabupaten, perencana, shared, signin

ROUTES: list[Route] = [
    fn.route
    for module in (signin, shared, bidang, perencana, kabupaten, api)
    for fn in vars(module).values()
    if callable(fn) and isinstance(getattr(fn, "route", None), Route)
]
