"""How a command ends (CONTRACT §9): one line on stderr and a documented exit code.

0 done (also with invalid or missing sheets: those are findings), 1 an
unexpected error, 2 bad arguments (also a year outside the Renstra), 3 bad
configuration, 4 warehouse unreachable, 5 an output or archive folder that
cannot be written, 6 the Prefect server cannot be reached. A traceback only
with `iku --debug ...`. The mapping lives in one place (`App.__call__`), so
every command registered on the app gets it.
"""

from __future__ import annotations

import gc
import re
import sys
import traceback
from dataclasses import dataclass
from functools import wraps

import typer
from typer import _click as click  # Typer vendors Click: its exceptions are these

from iku.cli.indonesian import indonesian_help
from iku.config import ConfigError, UnknownOpd
from iku.locations import Unwritable
from iku.orchestration import local_server
from iku.warehouse import WarehouseUnavailable


class BadArgument(Exception):
    """An argument the command cannot use (exit 2); the message is one line."""


@dataclass
class _State:
    debug: bool = False


STATE = _State()


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def fail(message: str, code: int, who: str = "iku") -> typer.Exit:
    """Say `message` as `who`'s one line on stderr; raise the returned Exit."""
    typer.echo(f"{who}: {one_line(message)}", err=True)  # one line, never wrapped
    return typer.Exit(code)


def _database_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import InterfaceError, InternalError, OperationalError, ProgrammingError

    return isinstance(exc, (OperationalError, ProgrammingError, InterfaceError, InternalError))


def exit_for(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line for an exception that ended a command."""
    if isinstance(exc, (BadArgument, UnknownOpd)):
        return 2, str(exc)
    if isinstance(exc, ConfigError):
        return 3, f"konfigurasi tidak valid: {exc}"
    if isinstance(exc, WarehouseUnavailable):
        return 4, str(exc)
    if _database_error(exc):
        orig = getattr(exc, "orig", None) or exc
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return 4, f"gudang data tidak dapat dipakai: {type(orig).__name__}: {first}"
    if isinstance(exc, Unwritable):
        return 5, str(exc)
    if isinstance(exc, local_server.PrefectServerError):
        return local_server.EXIT_CODE, str(exc)
    if isinstance(exc, click.exceptions.ClickException):
        return 2, _usage_message(exc)
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)):
        return 130, "dihentikan."
    return 1, (
        f"kesalahan tak terduga: {type(exc).__name__}: {exc}. "
        "Jalankan ulang dengan `iku --debug ...` untuk melihat traceback."
    )


def _usage_message(exc: click.exceptions.ClickException) -> str:
    hint = ""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        hint = f" (lihat `{ctx.command_path} --help`)"
    if isinstance(exc, click.exceptions.MissingParameter) and exc.param is not None:
        if exc.param.param_type_name == "argument":
            return f"argumen {exc.param.name} wajib diisi{hint}"
        names = "/".join(exc.param.opts) or exc.param.name
        return f"opsi {names} wajib diisi{hint}"
    if isinstance(exc, click.exceptions.NoSuchOption):
        return f"opsi tidak dikenal: {exc.option_name}{hint}"
    if isinstance(exc, click.exceptions.BadParameter):
        names = "/".join(exc.param.opts) if exc.param is not None else "argumen"
        if "integer" in exc.message:
            return f"{names}: harus bilangan bulat{hint}"
        return f"nilai {names} tidak valid: {exc.message}{hint}"
    message = exc.format_message()
    if message.startswith("No such command"):
        return f"perintah tidak dikenal: {message.split(' ', 3)[-1].strip(chr(39) + '.')}{hint}"
    needs_value = re.match(r"Option '([^']+)' requires (?:an argument|\d+ arguments)", message)
    if needs_value:
        return f"opsi {needs_value.group(1)} perlu nilai{hint}"
    if message.startswith("Got unexpected extra argument"):
        return f"argumen berlebih: {message.rpartition('(')[2].rstrip(')')}{hint}"
    return f"argumen tidak valid: {message}{hint}"


def _refusal(exc: Exception) -> tuple[int, str] | None:
    """The exit code and line of a failure a command of the portal expects; None for the rest."""
    if isinstance(exc, (ConfigError, WarehouseUnavailable)):
        return exit_for(exc)
    if isinstance(exc, OSError):
        return 5, f"{exc.strerror or exc}: {exc.filename or ''}"
    if isinstance(exc, ValueError):
        return exit_for(BadArgument(str(exc)))
    return None


def guarded(fn=None, *, who: str | None = None):
    """For commands whose ValueError means a refused input (exit 2); every other
    exception is mapped by App.__call__. With `who` (the portal's commands, whose
    lines begin 'iku web:'), bad configuration (3), the warehouse (4), a file (5)
    and a refused input (2) end the command here with `who`'s line."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                ending = _ending(exc, who)
                if ending is None:
                    raise
                raise ending from exc

        return wrapper

    return decorate if fn is None else decorate(fn)


def _ending(exc: Exception, who: str | None) -> Exception | None:
    """What a guarded command raises instead of `exc`; None to let it through."""
    if who is None:
        return BadArgument(str(exc)) if isinstance(exc, ValueError) else None
    refused = _refusal(exc)
    return None if refused is None else fail(refused[1], refused[0], who)


def parse_arg(parse, *values):
    """Parse a command-line value; a ValueError is a bad argument (exit 2)."""
    try:
        return parse(*values)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None


class App(typer.Typer):
    """The `iku` Typer app: help screens in Indonesian, and every command ends
    with one line and its exit code."""

    def __call__(self, args: list[str] | None = None, prog_name: str = "iku"):
        command = typer.main.get_command(self)
        indonesian_help(command)
        try:
            code = command.main(args=args, prog_name=prog_name, standalone_mode=False)
        except typer.Exit as exc:  # raised before a command started (e.g. by a callback)
            code = exc.exit_code
        except click.exceptions.NoArgsIsHelpError:
            code = 0  # `iku` alone: the help is already printed
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            code, message = exit_for(exc)
            if STATE.debug:
                traceback.print_exception(exc)
            typer.echo(f"iku: {one_line(message)}", err=True)
        else:
            if code == 130:  # Ctrl-C: Typer ends the command with 130 itself, and silently
                typer.echo(f"iku: {exit_for(KeyboardInterrupt())[1]}", err=True)
        # The exit handlers still run (Prefect's log and event flushes, the GX
        # worker's shutdown); only the interpreter's last garbage collections over
        # every object Prefect created are skipped: 0.7 s of a command's exit.
        gc.freeze()
        sys.exit(code if isinstance(code, int) else 0)
