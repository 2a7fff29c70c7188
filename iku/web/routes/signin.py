"""Signing in and out (every audience)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import passwords
from ..deps import password_version, portal_of, route
from ..templating import render


@route("/masuk", "anyone")
async def sign_in_page(request: Request) -> Response:
    if request.state.account is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "masuk.html.j2", failed=None)


@route("/masuk", "anyone", ("POST",))
async def sign_in(request: Request) -> Response:
    portal = portal_of(request)
    form = request.state.form
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    ip = request.client.host if request.client else "?"
    keys = (f"user:{username.lower()}",)
    wait = max(portal.user_throttle.wait_seconds(*keys), portal.ip_throttle.wait_seconds(f"ip:{ip}"))
    if wait > 0:
        return render(
            request,
            "masuk.html.j2",
            status=429,
            failed=f"Terlalu banyak percobaan yang gagal. Coba lagi dalam {int(wait) + 1} detik.",
        )
    account = await run_in_threadpool(portal.accounts.get, username)
    if account is None:
        await run_in_threadpool(passwords.burn_time, password)
        ok = False
    else:
        ok = await run_in_threadpool(passwords.verify_password, password, account.password_hash)
    if not ok or account is None:
        portal.user_throttle.failed(*keys)
        portal.ip_throttle.failed(f"ip:{ip}")
        return render(request, "masuk.html.j2", status=401, failed="Nama pengguna atau kata sandi salah.")
    portal.user_throttle.succeeded(keys[0])
    request.session.clear()  # a fresh session (and CSRF token) after signing in
    request.session.update(uid=account.id, pv=password_version(account))
    return RedirectResponse("/", status_code=303)


@route("/keluar", "signed_in", ("POST",))
async def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)
