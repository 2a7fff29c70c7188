"""Signing in and out (every audience)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import passwords
from ..deps import password_version, portal_of, route
from ..security import Revocations
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
    # Lock-out that nobody can turn against an account (issue 17 M2): failures
    # count per (account, address), so a guesser locks out only its own address;
    # the right password from an address that has not failed for this account is
    # never held back. Against a guesser spread over many addresses, the
    # account's own count (more than 10 failures) holds back every address that
    # has failed for it, and the per-address count (20) every account it tries.
    user, pair = f"user:{username.lower()}", f"user:{username.lower()}|ip:{ip}"
    waits = [portal.user_throttle.wait_seconds(pair), portal.ip_throttle.wait_seconds(f"ip:{ip}")]
    if portal.user_throttle.failures(pair):
        waits.append(portal.account_throttle.wait_seconds(user))
    wait = max(waits)
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
        portal.user_throttle.failed(pair)
        portal.account_throttle.failed(user)
        portal.ip_throttle.failed(f"ip:{ip}")
        return render(request, "masuk.html.j2", status=401, failed="Nama pengguna atau kata sandi salah.")
    portal.user_throttle.succeeded(pair)
    portal.account_throttle.succeeded(user)
    request.session.clear()  # a fresh session (and CSRF token) after signing in
    request.session.update(uid=account.id, pv=password_version(account), sid=Revocations.new_id())
    return RedirectResponse("/", status_code=303)


@route("/keluar", "signed_in", ("POST",))
async def sign_out(request: Request) -> Response:
    # ended on the server too: a copy of this cookie no longer opens anything
    await run_in_threadpool(portal_of(request).revocations.end, request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)
