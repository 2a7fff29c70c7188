"""What the command modules share: the console, the meaning of the common
options, the installation and its Renstra period, the step log and the guard
before Prefect."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from iku.cli.errors import STATE, BadArgument, fail
from iku.orchestration import local_server

console = Console()

OPD_ALL = "Kode OPD (berkas config/opd/<kode>.yaml); bawaan: semua OPD."
# the manual commands run their steps in-process: a flow run costs more than the work
VIA_PREFECT = "Jalankan sebagai flow Prefect (tercatat di UI Prefect), bukan langsung."
OPD_ONE = "Kode OPD (berkas config/opd/<kode>.yaml); wajib bila ada lebih dari satu OPD."
YEAR = "Tahun (dalam periode Renstra)."
PERIOD = "YYYY-Qn (triwulan) atau YYYY (tahunan)."
AS_OF = "Keadaan per tanggal ini (YYYY-MM-DD); bawaan: sekarang."


def installation():
    from iku.config import load_installation
    from iku.settings import load_settings

    return load_installation(load_settings().config_dir)


def config(opd: str | None = None):
    """The configuration of OPD `opd` (the first OPD when None: for the shared pipeline settings)."""
    return installation().config(opd)


def one_opd(opd: str | None):
    """The one OPD a command works on: `opd`, or the only one there is."""
    inst = installation()
    if opd is None and len(inst.codes) > 1:
        raise BadArgument(choose_opd(inst.codes))
    return inst.config(opd)


def choose_opd(codes: Sequence[str]) -> str:
    """What a command that needs one OPD says when --opd is missing and there are several."""
    return f"ada {len(codes)} OPD; pilih satu dengan --opd ({', '.join(codes)})"


def renstra_all(opd: str | None, year: int, what: str = "tahun") -> None:
    """renstra_year for OPD `opd`, or for every OPD when None."""
    for each in installation().configs(opd):
        renstra_year(each, year, what)


def renstra_year(config, year: int, what: str = "tahun") -> int:
    """Refuse a year outside the Renstra period (CONTRACT §5): exit 2."""
    start, end = config.catalogue.opd.renstra_period
    if not start <= year <= end:
        raise BadArgument(f"{what} {year} di luar periode Renstra {start}–{end}")
    return year


def resources(opd: str | None = None):
    from iku.resources import build_resources

    return build_resources(opd=opd)


def print_paths(paths: Iterable[Path]) -> None:
    """One path a line, never wrapped, so a script can read them."""
    for path in paths:
        console.print(str(path), soft_wrap=True, highlight=False, markup=False)


def log_level() -> str:
    """IKU_LOG_LEVEL: INFO by default; DEBUG shows the engineers' lines too."""
    from iku.settings import Settings

    return Settings().log_level


@contextmanager
def step_log():
    """The `iku` logger's lines on stderr while steps run outside Prefect, as a
    flow run prints them (time | level | message), from IKU_LOG_LEVEL up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(message)s", "%H:%M:%S")
    )
    log = logging.getLogger("iku")
    level = log.level
    log.addHandler(handler)
    log.setLevel(log_level())
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


class _NoTraceback(logging.Filter):
    """On the console, Prefect logs a failed task with its traceback; the command
    ends with its own one line instead (`--debug` keeps the tracebacks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not STATE.debug:
            record.exc_info, record.exc_text = None, None
        return True


def quiet_tracebacks() -> None:
    """Call after importing flows (Prefect has set up its console handler then)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not any(
            isinstance(f, _NoTraceback) for f in handler.filters
        ):
            handler.addFilter(_NoTraceback())


def needs_prefect(say: Callable[[str], None] | None = None) -> str:
    """Before a flow runs: PREFECT_API_URL's server, or the managed local one
    (started once, then reused). A server that cannot be reached ends the
    command with one line and exit code 6."""
    try:
        return local_server.use_prefect(say)
    except local_server.PrefectServerError as exc:
        raise fail(str(exc), local_server.EXIT_CODE) from exc
