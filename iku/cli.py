"""The `iku` command line (CONTRACT §5), in Indonesian. Thin: parse arguments,
call a flow or a query, print.

Every command ends with one line and a documented exit code (CONTRACT §9):
0 done (also with invalid or missing sheets: those are findings), 1 an
unexpected error, 2 bad arguments (also a year outside the Renstra), 3 bad
configuration, 4 warehouse unreachable, 5 an output or archive folder that
cannot be written. A traceback only with `iku --debug ...`. The mapping lives
in one place (`_App.__call__`), so commands registered by other modules get it
too.
"""

from __future__ import annotations

import gc
import json
import logging
import re
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

import typer
import typer.rich_utils
from rich.console import Console
from typer import _click as click  # Typer vendors Click: its exceptions are these

from iku.config import ConfigError, UnknownOpd
from iku.console import count, problems_table, status_table
from iku.domain.periods import parse_as_of
from iku.locations import Unwritable, ensure_writable
from iku.orchestration.commands import deploy, needs_prefect, server_app
from iku.warehouse import WarehouseUnavailable

console = Console()
err_console = Console(stderr=True)

# Typer's own words in the help screens
typer.rich_utils.OPTIONS_PANEL_TITLE = "Opsi"
typer.rich_utils.COMMANDS_PANEL_TITLE = "Perintah"
typer.rich_utils.ARGUMENTS_PANEL_TITLE = "Argumen"
typer.rich_utils.REQUIRED_LONG_STRING = "[wajib]"
typer.rich_utils.DEFAULT_STRING = "[bawaan: {}]"
HELP_TEXT = "Tampilkan bantuan ini lalu keluar."
USAGE_PREFIX = "Pemakaian: "
# Typer shows each option's Python type (<str>, <int>, <path>); flags show none
TYPE_LABELS = {"str": "<teks>", "int": "<angka>", "float": "<angka>", "Path": "<jalur>", "bool": ""}


class BadArgument(Exception):
    """An argument the command cannot use (exit 2); the message is one line."""


@dataclass
class _State:
    debug: bool = False


STATE = _State()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"iku: {_one_line(message)}", err=True)  # one line, never wrapped
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


def _indonesian_help(command: click.Command) -> None:
    """Click and Typer's own words in a help screen, in Indonesian: the --help
    option ('Show this message and exit.'), 'Usage:' and the type of each option."""
    original = command.get_help_option

    def get_help_option(ctx: click.Context):
        option = original(ctx)
        if option is not None:
            option.help = HELP_TEXT
            option.metavar = ""
        return option

    def format_usage(ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = " ".join(command.collect_usage_pieces(ctx))
        formatter.write_usage(ctx.command_path, pieces, prefix=USAGE_PREFIX)

    command.get_help_option = get_help_option  # type: ignore[method-assign]
    command.format_usage = format_usage  # type: ignore[method-assign]
    command.options_metavar = "[OPSI]"
    if hasattr(command, "subcommand_metavar"):
        command.subcommand_metavar = "PERINTAH [ARGUMEN]..."
    for param in command.params:
        shown = TYPE_LABELS.get(param.bare_type()) if hasattr(param, "bare_type") else None
        if shown is None:
            continue
        if param.param_type_name == "argument":  # its type is shown beside its name
            param.display_type_rich = lambda ctx, shown=shown: shown  # type: ignore[attr-defined]
        elif param.metavar is None:
            param.metavar = "" if getattr(param, "is_flag", False) else shown
    for sub in getattr(command, "commands", {}).values():
        _indonesian_help(sub)


class _App(typer.Typer):
    def __call__(self, args: list[str] | None = None, prog_name: str = "iku"):
        command = typer.main.get_command(self)
        _indonesian_help(command)
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
            typer.echo(f"iku: {_one_line(message)}", err=True)
        else:
            if code == 130:  # Ctrl-C: Typer ends the command with 130 itself, and silently
                typer.echo(f"iku: {exit_for(KeyboardInterrupt())[1]}", err=True)
        # The exit handlers still run (Prefect's log and event flushes, the GX
        # worker's shutdown); only the interpreter's last garbage collections over
        # every object Prefect created are skipped: 0.7 s of a command's exit.
        gc.freeze()
        sys.exit(code if isinstance(code, int) else 0)


app = _App(
    add_completion=False,
    no_args_is_help=True,
    help="Pipeline konsolidasi IKU: lembar bulanan bidang menjadi laporan triwulan, tahunan dan LAKIP.",
)
app.add_typer(server_app, name="server")
app.command("deploy")(deploy)


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Tampilkan traceback lengkap bila perintah gagal."),
) -> None:
    STATE.debug = debug


def guarded(fn):
    """For commands whose ValueError means a refused input (exit 2); every other
    exception is mapped by _App.__call__."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError as exc:
            raise BadArgument(str(exc)) from exc

    return wrapper


class _NoTraceback(logging.Filter):
    """On the console, Prefect logs a failed task with its traceback; the command
    ends with its own one line instead (`--debug` keeps the tracebacks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not STATE.debug:
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_tracebacks() -> None:
    """Call after importing iku.flows (Prefect has set up its console handler then)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not any(
            isinstance(f, _NoTraceback) for f in handler.filters
        ):
            handler.addFilter(_NoTraceback())


def _arg(parse, *values):
    """Parse a command-line value; a ValueError is a bad argument (exit 2)."""
    try:
        return parse(*values)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None


def _config(opd: str | None = None):
    """The configuration of OPD `opd` (the first OPD when None: for the shared pipeline settings)."""
    return _installation().config(opd)


def _installation():
    from iku.config import load_installation
    from iku.settings import load_settings

    return load_installation(load_settings().config_dir)


OPD_ALL = "Kode OPD (berkas config/opd/<kode>.yaml); bawaan: semua OPD."
# the manual commands run their steps in-process: a flow run costs more than the work
VIA_PREFECT = "Jalankan sebagai flow Prefect (tercatat di UI Prefect), bukan langsung."
OPD_ONE = "Kode OPD (berkas config/opd/<kode>.yaml); wajib bila ada lebih dari satu OPD."


def _one_opd(opd: str | None):
    """The one OPD a command works on: `opd`, or the only one there is."""
    inst = _installation()
    if opd is None and len(inst.codes) > 1:
        raise BadArgument(f"ada {len(inst.codes)} OPD; pilih satu dengan --opd ({', '.join(inst.codes)})")
    return inst.config(opd)


def _renstra_all(opd: str | None, year: int, what: str = "tahun") -> None:
    """renstra_year for OPD `opd`, or for every OPD when None."""
    for config in _installation().configs(opd):
        renstra_year(config, year, what)


def renstra_year(config, year: int, what: str = "tahun") -> int:
    """Refuse a year outside the Renstra period (CONTRACT §5): exit 2."""
    start, end = config.catalogue.opd.renstra_period
    if not start <= year <= end:
        raise BadArgument(f"{what} {year} di luar periode Renstra {start}–{end}")
    return year


def _resources(opd: str | None = None):
    from iku.resources import build_resources

    return build_resources(opd=opd)


@app.command()
def consolidate(
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Proses setiap berkas baru semua bidang (validasi, arsip, muat), lalu kirim peringatan yang jatuh tempo."""
    from iku.consolidation import summarise
    from iku.queries import scan_units
    from iku.testhook import checkpoint

    res = _resources(opd)
    checkpoint("consolidate-start")
    ensure_writable(res.settings.archive_dir, "folder arsip")
    # Nothing new and nothing left to deliver: answer at once (a cron that
    # polls often should cost well under a second).
    scan = scan_units(res)
    waiting = any(res.warehouse.undelivered_alerts(u.opd) for u in res.units())
    if not (scan.new or waiting or _outbox_waiting(res)):
        summary = summarise([], scan.known, scan.skipped)
    elif via_prefect:
        if scan.new:
            from iku.validation.worker import warm_up

            warm_up()  # the warm GX worker, or this run's own importing GX while Prefect starts
        needs_prefect()
        from iku.flows.consolidate import consolidate_flow
        from iku.resources import provided

        _quiet_tracebacks()
        with provided(res):  # the flow runs on this command's resources, not a second set
            summary = consolidate_flow(opd=opd)
    else:
        # In this process, without a Prefect flow (Prefect's import and a flow
        # run cost more than a run with one new sheet): the same steps, run
        # lock and log lines as the flow the scheduled deployments run.
        from iku.flows.pipeline import consolidate_all

        with _step_log():
            summary = consolidate_all(res, scan=scan)  # the inbox listed once per run
    for line in summary.get("ignored_files", []):
        console.print(f"diabaikan: {line}", markup=False, highlight=False, soft_wrap=True)
    for line in _unread_places(res, scan):
        console.print(f"peringatan: {line}", markup=False, highlight=False, soft_wrap=True)
    table = problems_table(summary.get("problem_files", []))
    if table is not None:
        console.print(table)
    console.print(
        f"{count(summary['new_files'])} berkas baru: {count(summary['valid'])} valid, "
        f"{count(summary['invalid'])} tidak valid, {count(summary['unreadable'])} tidak terbaca; "
        f"{count(summary['known_files'])} sudah pernah diproses; {count(summary.get('ignored', 0))} diabaikan.",
        highlight=False,
        soft_wrap=True,  # one line, however narrow the terminal
    )


def _unread_places(res, scan) -> list[str]:
    """Where files would never be read: a mistyped inbox, a missing bidang folder,
    a file or folder beside the bidang folders. Said on every run, so a typo in
    IKU_INBOX_DIR never passes for a month in which nobody sent anything."""
    from iku import storage

    inbox = res.settings.inbox_dir
    try:
        present = storage.is_dir(inbox)
    except storage.Unwritable as exc:  # a shared store that stopped answering after the scan
        return [str(exc)]
    if not present:
        return [
            f"kotak masuk {inbox} tidak ada atau bukan folder (IKU_INBOX_DIR): tidak ada berkas yang dibaca"
        ]
    absent = [f"folder sumber bidang {b} tidak ada: {folder}" for b, folder in scan.absent_folders.items()]
    return absent + scan.strays


def _outbox_waiting(res) -> bool:
    """Invalid files recorded by a run that was killed before it alerted."""
    from iku.alerts.dispatch import outbox

    return bool(outbox(res))


@app.command()
def status(
    year: int = typer.Option(..., "--year", help="Tahun (dalam periode Renstra)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Keadaan per tanggal ini (YYYY-MM-DD); bawaan: sekarang."
    ),
    as_json: bool = typer.Option(False, "--json", help="Cetak JSON (CONTRACT §7)."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
) -> None:
    """Matriks penyampaian bidang × bulan."""
    from dataclasses import replace

    from iku.queries import submission_matrix

    _renstra_all(opd, year)
    when = _arg(parse_as_of, as_of, _config(opd).pipeline.timezone)
    res = _resources(opd)
    units = res.units()
    several = len(units) > 1 or res.multi  # with several OPD every cell names its OPD
    cells = [
        replace(c, opd=u.opd) if several else c for u in units for c in submission_matrix(u, year, 12, when)
    ]
    if as_json:
        print(json.dumps({"year": year, "submissions": [c.as_json() for c in cells]}, ensure_ascii=False))
        return
    for u in units:
        if several:
            console.print(f"[bold]{u.config.catalogue.opd.name}[/] ({u.opd})")
        mine = [c for c in cells if c.opd in ("", u.opd)]
        bidang = [b.code for b in u.config.catalogue.bidang]
        console.print(status_table(mine, bidang, year, when, wide=console.width >= 185))
    late = sum(c.status in ("late", "missing", "invalid") for c in cells)
    console.print(f"{count(len(cells))} bidang-bulan; {count(late)} terlambat, tidak valid atau belum masuk.")


@app.command()
def report(
    period: str = typer.Option(..., "--period", help="YYYY-Qn (triwulan) atau YYYY (tahunan)."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Tulis laporan triwulan (YYYY-Qn) atau tahunan (YYYY): HTML, Excel dan JSON."""
    from iku.domain.periods import Period
    from iku.settings import load_settings

    parsed = _arg(Period.parse, period)  # bad input fails before Prefect starts
    _renstra_all(opd, parsed.year)
    ensure_writable(load_settings().output_dir / str(parsed.year), "folder laporan")
    if via_prefect:
        needs_prefect()
        from iku.flows.reports import report_flow

        _quiet_tracebacks()
        paths = report_flow(period, opd=opd)
    else:
        # In this process, without a Prefect flow (Prefect's import and a flow
        # run cost more than the report): the same steps and log lines as the
        # flow the scheduled deployments run.
        from iku.flows.pipeline import report_all

        res = _resources(opd)
        with _step_log():
            paths = report_all(res, parsed, _arg(parse_as_of, None, res.config.pipeline.timezone))
    for path in paths:  # one path a line, never wrapped, so a script can read them
        console.print(str(path), soft_wrap=True, highlight=False, markup=False)


@contextmanager
def _step_log():
    """The `iku` logger's INFO lines on stderr while steps run outside Prefect,
    as a flow run prints them (time | level | message)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(message)s", "%H:%M:%S")
    )
    log = logging.getLogger("iku")
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


@app.command()
def recap(
    period: str = typer.Option(..., "--period", help="YYYY-Qn (triwulan) atau YYYY (tahunan)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Keadaan per tanggal ini (YYYY-MM-DD); bawaan: sekarang."
    ),
    send: bool = typer.Option(
        False,
        "--send",
        help="Kirim juga ke alamat kabupaten (pipeline.yaml kabupaten.email) dengan berkas terlampir.",
    ),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Rekap kabupaten: IKU, predikat, rata-rata dan penyampaian setiap OPD (HTML, Excel, JSON)."""
    from iku.domain.periods import Period
    from iku.settings import load_settings

    parsed = _arg(Period.parse, period)
    _renstra_all(None, parsed.year)
    when = _arg(parse_as_of, as_of, _config().pipeline.timezone)
    ensure_writable(load_settings().output_dir / str(parsed.year), "folder laporan")
    if via_prefect:
        needs_prefect()
        from iku.flows.reports import recap_flow

        _quiet_tracebacks()
        paths = recap_flow(period, as_of=as_of, send=send)
    else:  # the flow's steps in this process, as `iku report` runs
        from iku.flows.pipeline import recap_all

        res = _resources()
        with _step_log():
            paths = recap_all(res, parsed, when, send=send)
    for path in paths:
        console.print(str(path), soft_wrap=True, highlight=False, markup=False)


@app.command()
def lakip(
    year: int = typer.Option(..., "--year", help="Tahun (dalam periode Renstra)."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Tulis bahan LAKIP akhir tahun (lakip-Y.xlsx, lakip-Y.json); untuk semua OPD dengan rpjmd.yaml juga lakip-kabupaten-Y."""
    from iku.settings import load_settings

    _renstra_all(opd, year)
    ensure_writable(load_settings().output_dir / str(year), "folder laporan")
    if via_prefect:
        needs_prefect()
        from iku.flows.reports import lakip_flow

        _quiet_tracebacks()
        paths = lakip_flow(year, opd=opd)
    else:  # the flow's steps in this process, as `iku report` runs
        from iku.flows.pipeline import lakip_all

        with _step_log():
            paths = lakip_all(_resources(opd), year)
    for path in paths:
        console.print(str(path), soft_wrap=True, highlight=False, markup=False)


@app.command("import-history")
@guarded
def import_history(
    file: Path = typer.Option(..., "--file", help=".xlsx, .xls, .ods atau .csv"),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
) -> None:
    """Muat realisasi tahun-tahun sebelum pipeline berjalan (dari LKjIP terdahulu), ditandai sebagai data historis."""
    from iku.history import import_and_print

    _one_opd(opd)
    import_and_print(_resources(opd), file, console)


@app.command()
def template(
    bidang: str = typer.Option(..., "--bidang", help="Kode bidang, mis. perumahan."),
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    out: Path = typer.Option(..., "--out", help="Berkas .xlsx yang ditulis."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
) -> None:
    """Tulis lembar isian yang sudah terisi untuk satu bidang dan satu bulan."""
    from iku.domain.periods import parse_month_period
    from iku.sheet_template import write_template

    config = _one_opd(opd)
    year, month = _arg(parse_month_period, period)
    renstra_year(config, year)
    codes = [b.code for b in config.catalogue.bidang]
    if bidang not in codes:
        raise BadArgument(f"bidang '{bidang}' tidak dikenal; yang ada: {', '.join(codes)}")
    ensure_writable(out.parent if str(out.parent) else Path("."), "folder tujuan")
    write_template(config, bidang, year, month, out)
    console.print(str(out))


@app.command("check-missing")
def check_missing(
    period: str | None = typer.Option(
        None, "--period", help="YYYY-MM; bawaan: setiap bulan yang sudah lewat tenggatnya."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Tanggal acuan (YYYY-MM-DD); bawaan: sekarang."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
) -> None:
    """Peringatan untuk setiap bidang yang belum menyampaikan setelah tenggat."""
    from iku.domain.periods import parse_month_period

    if period:
        _renstra_all(opd, _arg(parse_month_period, period)[0])
    when = _arg(parse_as_of, as_of, _config(opd).pipeline.timezone)
    for config in _installation().configs(opd):
        start, end = config.catalogue.opd.renstra_period
        if not start <= when.year <= end + 1:  # January after the last year still checks its December
            raise BadArgument(f"tanggal acuan {when:%Y-%m-%d} di luar periode Renstra {start}–{end}")
    needs_prefect()
    from iku.flows.alerts import check_missing_flow

    _quiet_tracebacks()

    found = check_missing_flow(period=period, as_of=as_of, opd=opd)
    for item in found:
        who = f"{item['opd']}/" if item.get("opd") else ""
        console.print(f"belum masuk: {who}{item['bidang']} {item['year']}-{item['month']:02d}")
    console.print(f"{len(found)} penyampaian belum masuk.")


@app.command()
def serve() -> None:
    """Jalankan jadwal tanpa penjagaan (deployment Prefect dilayani dari proses ini)."""
    needs_prefect()
    from iku.orchestration.deployments import serve_all

    serve_all()


@app.command()
def demo(
    year: int = typer.Option(2023, "--year", help="Tahun contoh (dalam periode Renstra)."),
    workdir: Path | None = typer.Option(
        None,
        "--workdir",
        help="Folder kerja demo; bawaan: kotak masuk dan folder keluaran yang dikonfigurasi.",
    ),
    kabupaten: bool = typer.Option(
        False, "--kabupaten", help="Tiga OPD dalam satu instalasi, dengan rekap kabupaten (iku recap)."
    ),
) -> None:
    """Seluruh pipeline pada data contoh, lalu cetak letak laporannya."""
    from iku.app.demo import run_demo

    renstra_year(_config(), year)
    try:
        run_demo(year=year, workdir=workdir, console=console, kabupaten=kabupaten)
    except ValueError as exc:  # the demo refuses unsafe places with a reason
        raise BadArgument(str(exc)) from None


from iku.web.cli import web_app  # noqa: E402  (the portal: iku web ...)

app.add_typer(web_app, name="web")


if __name__ == "__main__":  # pragma: no cover
    app()
