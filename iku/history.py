"""`iku import-history`: read a history file, check every row, store it.

The file is read by the same reader as the monthly sheets (python-calamine,
the same size and zip-bomb checks); the rules are in iku.domain.history; the
storing in iku.warehouse.history."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from iku.domain.history import SHEET_NAME, HistoryBounds, parse_history
from iku.domain.model import Problem
from iku.domain.sheet import UnreadableFile, check_container, read_cells
from iku.resources import Resources
from iku.warehouse.history import ImportOutcome, first_pipeline_year, import_history

SHOWN_PROBLEMS = 50  # a wrong file can fault every row: the first ones tell what is wrong


class HistoryRefused(ValueError):
    """The file cannot be imported; `problems` holds every row's problem."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class HistoryImport:
    file_name: str
    rows: int
    outcome: ImportOutcome


def history_bounds(res: Resources, today: datetime | None = None) -> HistoryBounds:
    renstra = res.config.catalogue.opd.renstra_period
    start = first_pipeline_year(res.warehouse, res.opd)
    this_year = (today or datetime.now(ZoneInfo(res.config.pipeline.timezone))).year
    return HistoryBounds(renstra, start if start is not None else this_year, start)


def run_import(res: Resources, path: Path, today: datetime | None = None) -> HistoryImport:
    if not path.exists():
        raise HistoryRefused(f"berkas '{path}' tidak ditemukan")
    if not path.is_file():
        raise HistoryRefused(f"'{path}' bukan berkas: sebutkan berkas .xlsx, .xls, .ods atau .csv")
    data = path.read_bytes()
    ext = path.suffix.lower()
    try:
        check_container(data, ext, res.config.pipeline.limits)
        cells = read_cells(data, ext, sheet=SHEET_NAME)
    except UnreadableFile as exc:
        raise HistoryRefused(f"{path.name}: {exc}") from None
    limit = res.config.pipeline.limits.max_rows
    if len(cells) > limit + 11:  # 10 title rows and the header
        raise HistoryRefused(f"{path.name}: terlalu banyak baris ({len(cells)}; batas {limit}).")
    codes = [i.code for i in res.config.catalogue.indicators]
    rows, problems = parse_history(cells, codes, history_bounds(res, today), path.name)
    if problems:
        raise HistoryRefused(
            f"{path.name}: {len(problems)} masalah, tidak ada yang disimpan. Perbaiki lalu impor ulang.",
            problems,
        )
    sha = hashlib.sha256(data).hexdigest()
    return HistoryImport(path.name, len(rows), import_history(res.warehouse, res.opd, sha, path.name, rows))


def import_and_print(res: Resources, path: Path, console) -> HistoryImport:
    """The command's body: import, then one summary line; every row's problem
    first when the file is refused (the caller turns the refusal into exit 2)."""
    from iku.formatting import stamp

    try:
        done = run_import(res, path)
    except HistoryRefused as exc:
        for p in exc.problems[:SHOWN_PROBLEMS]:
            where = ", ".join(x for x in (p.row and f"baris {p.row}", p.column and f"kolom {p.column}") if x)
            console.print(
                f"{where}: {p.message}" if where else p.message, markup=False, highlight=False, soft_wrap=True
            )
        if len(exc.problems) > SHOWN_PROBLEMS:
            console.print(f"… dan {len(exc.problems) - SHOWN_PROBLEMS} masalah lain.", markup=False)
        raise
    out = done.outcome
    if out.already_imported_at is not None:
        when = stamp(out.already_imported_at.astimezone(ZoneInfo(res.config.pipeline.timezone)))
        console.print(
            f"{done.file_name} sudah pernah diimpor ({when}): tidak ada yang berubah.",
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"{done.file_name}: {done.rows} baris data historis (impor): {out.added} baru, "
            f"{out.replaced} menggantikan angka sebelumnya (yang lama tetap tersimpan), "
            f"{out.unchanged} tidak berubah.",
            markup=False,
            soft_wrap=True,
        )
    return done
