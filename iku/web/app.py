"""The portal (CONTRACT §10), assembled: middleware, the route table and what
starts with it. Server-rendered with Starlette and the Jinja2 templates in
templates/web/; no JavaScript anywhere.

Where things are: who may see and do what in deps.py (the access rules, the
session, CSRF); the routes per audience in routes/ (signin, shared, bidang,
perencana, kabupaten, api); error pages in errors.py; rendering in
templating.py; headers, body limits and throttles in security.py.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from iku.resources import Resources
from iku.warehouse.accounts import Accounts
from iku.warehouse.sakip import MAX_EVIDENCE_BYTES

from . import intake
from .deps import ALLOW, Portal
from .form_sheet import form_to_xlsx
from .jobs import JobRunner
from .quota import UploadQuota
from .routes import ROUTES
from .routes.shared import not_found
from .security import BodyLimit, Revocations, SecurityHeaders, SignInThrottle
from .server import server_options
from .settings import WebSettings, revoked_file, session_secret
from .templating import environment

__all__ = ["ALLOW", "create_app", "warm_up"]

# how the portal must be served (`iku web`, tests, the bench): see iku/web/server.py
SERVER_OPTIONS: dict[str, Any] = server_options(WebSettings.model_fields["request_timeout"].default)
FORM_LIMIT = 256_000  # bytes of a request that is not a file upload
MULTIPART_OVERHEAD = 64_000


def create_app(
    res: Resources, settings: WebSettings | None = None, job_env: dict[str, str] | None = None
) -> Starlette:
    settings = settings or WebSettings()
    limits = res.config.pipeline.limits

    def limit_for(path: str) -> int:
        if path == "/api/submissions" or path.endswith("/unggah"):
            return limits.max_file_bytes + MULTIPART_OVERHEAD
        if path == "/api/evidence" or path.endswith("/bukti"):
            return MAX_EVIDENCE_BYTES + MULTIPART_OVERHEAD
        return FORM_LIMIT

    proxies = [a.strip() for a in (settings.trusted_proxy or "").split(",") if a.strip()]
    app = Starlette(
        routes=ROUTES,
        middleware=[
            *([Middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)] if proxies else []),
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
        env=environment(res.config.pipeline.timezone),
        user_throttle=SignInThrottle(free=3),
        account_throttle=SignInThrottle(free=10),
        ip_throttle=SignInThrottle(free=20),
        units={u.opd: u for u in res.units()},
        revocations=Revocations(revoked_file(settings), settings.session_hours * 3600),
        quota=UploadQuota(
            settings.uploads_per_hour,
            settings.upload_bytes_per_day,
            settings.opd_uploads_per_hour,
            settings.opd_upload_bytes_per_day,
        ),
    )
    return app


def warm_up(res: Resources) -> None:
    """Start the GX worker and run one validation in the background, so the
    first receipt does not wait for GX's import and context."""
    import threading

    def run() -> None:
        bidang = res.config.catalogue.bidang[0].code
        year = res.config.catalogue.opd.years[0]
        try:
            intake.check(res, bidang, form_to_xlsx(res.config, bidang, year, 1, {}), ".xlsx")
        except Exception:  # e.g. the portal stopped meanwhile: it costs the first receipt's speed only
            logging.getLogger(__name__).debug("warm-up failed", exc_info=True)

    threading.Thread(target=run, daemon=True, name="iku-web-warm-up").start()
