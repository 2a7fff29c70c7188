"""`iku web`: serve the portal; `iku web add-user` / `users` / `remove-user` /
`set-password` / `add-token` manage its accounts (CONTRACT §5, §10)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import typer

from iku.cli.common import choose_opd, log_level, resources
from iku.cli.errors import fail, guarded

PORTAL = "iku web"  # the portal's commands begin their one line with it
web_app = typer.Typer(add_completion=False, help="Portal penyampaian (iku web) dan akun-akunnya.")


def _read_password() -> str:
    """Prompted twice on a terminal; one line from standard input otherwise (scripts)."""
    from iku.web.passwords import check_strength

    if sys.stdin.isatty():
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    check_strength(password)
    return password


def _check_address(host: str, port: int) -> None:
    """A busy or wrong address is a configuration fault: one line, exit 3."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise fail(
            f"IKU_WEB_HOST/IKU_WEB_PORT: {host}:{port} tidak dapat dipakai ({exc.strerror or exc})", 3, PORTAL
        ) from exc


@web_app.callback(invoke_without_command=True)
@guarded(who=PORTAL)
def web(ctx: typer.Context) -> None:
    """Jalankan portal di IKU_WEB_HOST:IKU_WEB_PORT (bawaan 127.0.0.1:8040)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from iku.web.app import create_app, warm_up
    from iku.web.server import server_options
    from iku.web.settings import WebSettings

    settings = WebSettings()
    _check_address(settings.host, settings.port)
    res = resources()
    app = create_app(res, settings)
    warm_up(res)
    # uvicorn's English start, stop and access lines are the engineers' (IKU_LOG_LEVEL=DEBUG);
    # its warnings and errors always show (issue 17 M9)
    engineer = log_level() == "DEBUG"
    typer.echo(f"Portal IKU: http://{settings.host}:{settings.port}/ (hentikan dengan Ctrl-C)")
    with _stopped_by_signal():
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info" if engineer else "warning",
            access_log=engineer,
            **server_options(settings.request_timeout),
        )
    typer.echo("Portal IKU dihentikan.")


class _Stopped(Exception):
    pass


@contextmanager
def _stopped_by_signal():
    """uvicorn shuts down gracefully on SIGTERM or Ctrl-C, then raises the
    signal again with the handler it found: here one that lets the command say
    it stopped and end with 0, instead of dying silently by the signal."""
    import signal

    def stop(*_: object) -> None:
        raise _Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _account_opd(res, role: str, opd: str | None, bidang: str | None) -> str:
    """The OPD a new account belongs to: --opd, or the only OPD there is. A
    bidang must be one of that OPD's. The kabupaten role sees every OPD; its
    row keeps the OPD given (or the first) only because every account has one."""
    inst = res.installation
    if opd is not None:
        opd = inst.check(opd)  # an unknown OPD: exit 2
    elif role == "kabupaten" or len(inst.codes) == 1:
        opd = res.opd
    else:
        raise ValueError(choose_opd(inst.codes))
    if bidang is not None and bidang not in {b.code for b in res.unit(opd).config.catalogue.bidang}:
        raise ValueError(f"bidang '{bidang}' tidak dikenal di OPD {opd}")
    return opd


def _check_username(username: str) -> None:
    if not username.replace("-", "").replace("_", "").replace(".", "").isalnum() or len(username) > 64:
        raise ValueError("nama pengguna: hanya huruf, angka, '.', '-' dan '_' (paling panjang 64)")


def _no_such_user(username: str) -> ValueError:
    return ValueError(f"pengguna '{username}' tidak ada")


@web_app.command("add-user")
@guarded(who=PORTAL)
def add_user(
    username: str = typer.Argument(..., help="Nama pengguna"),
    role: str = typer.Option(..., "--role", help="bidang | perencana | kepala | keuangan | kabupaten"),
    bidang: str | None = typer.Option(None, "--bidang", help="Kode bidang (peran bidang saja)"),
    opd: str | None = typer.Option(
        None,
        "--opd",
        help="Kode OPD akun ini; wajib bila ada lebih dari satu OPD (peran kabupaten melihat semua OPD).",
    ),
) -> None:
    """Buat akun; kata sandi ditanyakan (atau dibaca satu baris dari masukan standar)."""
    from iku.warehouse.accounts import ROLES, Accounts
    from iku.web.passwords import hash_password

    if role not in ROLES:  # before the password is asked for
        raise ValueError(f"peran '{role}' tidak dikenal (pilih salah satu: {', '.join(ROLES)})")
    res = resources()
    opd = _account_opd(res, role, opd, bidang)
    _check_username(username)
    Accounts(res.warehouse).add(
        opd=opd, username=username, role=role, bidang=bidang, password_hash=hash_password(_read_password())
    )
    where = "semua OPD, baca saja" if role == "kabupaten" else f"OPD {opd}"
    typer.echo(f"akun {username} dibuat ({role}{' ' + bidang if bidang else ''}, {where}).")


@web_app.command("users")
@guarded(who=PORTAL)
def users(
    opd: str | None = typer.Option(None, "--opd", help="Hanya akun OPD ini; bawaan: semua akun."),
) -> None:
    """Daftar akun portal: nama, peran, OPD, bidang (tanpa kata sandi)."""
    from iku.warehouse.accounts import Accounts

    res = resources()
    if opd is not None:
        res.installation.check(opd)
    shown = [
        a for a in Accounts(res.warehouse).all() if opd is None or a.opd_code == opd or a.role == "kabupaten"
    ]
    for a in shown:
        where = "semua OPD" if a.role == "kabupaten" else a.opd_code
        typer.echo(f"{a.username}\t{a.role}\t{where}\t{a.bidang or '-'}")
    typer.echo(f"{len(shown)} akun.")


@web_app.command("remove-user")
@guarded(who=PORTAL)
def remove_user(username: str = typer.Argument(...)) -> None:
    """Hapus akun beserta token API-nya (sesinya berakhir seketika)."""
    from iku.warehouse.accounts import Accounts

    if not Accounts(resources().warehouse).remove(username):
        raise _no_such_user(username)
    typer.echo(f"akun {username} dihapus.")


@web_app.command("set-password")
@guarded(who=PORTAL)
def set_password(username: str = typer.Argument(...)) -> None:
    """Ganti kata sandi akun (sesi yang terbuka berakhir)."""
    from iku.warehouse.accounts import Accounts
    from iku.web.passwords import hash_password

    res = resources()
    if not Accounts(res.warehouse).set_password(username, hash_password(_read_password())):
        raise _no_such_user(username)
    typer.echo(f"kata sandi {username} diganti.")


@web_app.command("add-token")
@guarded(who=PORTAL)
def add_token(
    username: str = typer.Argument(...),
    label: str | None = typer.Option(None, "--label", help="Untuk apa token ini"),
) -> None:
    """Buat token API untuk akun bidang; dicetak sekali, disimpan hanya sebagai hash."""
    from iku.warehouse.accounts import Accounts
    from iku.web.passwords import new_token

    accounts = Accounts(resources().warehouse)
    account = accounts.get(username)
    if account is None:
        raise _no_such_user(username)
    if account.role != "bidang":
        raise ValueError("token API hanya untuk akun bidang (token menentukan bidangnya)")
    token, key_id, secret_hash = new_token()
    accounts.add_token(account, key_id, secret_hash, label)
    typer.echo(token)
