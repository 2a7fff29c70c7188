"""Imported history: the realisation of Renstra years before the pipeline
started, one row per indicator and year, as earlier LKjIP reported it.

The file (`iku import-history --file FILE`) is a sheet or CSV read like the
monthly sheet (same reader, same loose header matching, Indonesian numbers):

| column | required | meaning |
|---|---|---|
| kode_indikator | yes | an indicator code of the catalogue |
| tahun | yes | a Renstra year before the pipeline's first year |
| realisasi | yes | the year's realisation in the indicator's unit (a ratio: the percentage) |
| sumber | no | where the figure comes from, e.g. "LKjIP 2022" (default: the file name) |
| keterangan | no | free text |

Every row is checked here; a file with any problem is refused whole.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from .model import Problem
from .numbers import NotANumber, parse_number
from .sheet import CELLS_PAST_HEADER as OVERFLOW
from .sheet import MAX_TITLE_ROWS, Cells, cell_text, normalise_header

REQUIRED = ("kode_indikator", "tahun", "realisasi")
OPTIONAL = ("sumber", "keterangan")
SHEET_NAME = "riwayat"
NUMBER_HINT = "Tulis angka saja, misalnya 120 atau 9,85."


@dataclass(frozen=True)
class HistoryRow:
    """One valid row of an imported history file; `source_row` as Excel shows it."""

    indicator: str
    year: int
    realisation: float
    source: str
    note: str | None
    source_row: int


@dataclass(frozen=True)
class HistoryValue:
    """A current history figure from the warehouse."""

    indicator: str
    year: int
    realisation: float
    source: str
    note: str | None
    file_name: str
    imported_at: datetime
    revision: int
    is_current: bool = True  # False: replaced by a later import, kept for the record


@dataclass(frozen=True)
class HistoryBounds:
    """The years history may cover: the Renstra years before `before`
    (the pipeline's first year with data, else the current year: a year's
    LKjIP exists only once the year is over)."""

    renstra: tuple[int, int]
    before: int
    pipeline_start: int | None

    def problem(self, year: int) -> str | None:
        start, end = self.renstra
        if not start <= year <= end:
            return f"Tahun {year} di luar periode Renstra {start}–{end}."
        if year >= self.before:
            if self.pipeline_start is not None:
                return (
                    f"Tahun {year} tidak dapat diimpor: data bulanan sudah tercatat mulai tahun "
                    f"{self.pipeline_start}. Data historis hanya untuk tahun sebelum {self.before}."
                )
            return f"Tahun {year} belum berakhir. Data historis hanya untuk tahun sebelum {self.before}."
        return None


def _header(cells: Cells) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(cells[: MAX_TITLE_ROWS + 1]):
        names = [normalise_header(c) for c in row]
        if sum(k in names for k in REQUIRED) >= 2:
            known = REQUIRED + OPTIONAL
            return index, {n: i for i, n in reversed(list(enumerate(names))) if n in known}
    return None


def _year(raw: object) -> int | None:
    try:
        number = parse_number(raw)
    except NotANumber:
        return None
    if number is None or not number.is_integer() or not 1000 <= number <= 9999:
        return None
    return int(number)


def _row(
    raw: dict[str, object], row: int, codes: Collection[str], bounds: HistoryBounds, default_source: str
) -> tuple[HistoryRow | None, list[Problem]]:
    problems = []
    code = (cell_text(raw["kode_indikator"]) or "").upper()
    if not code:
        problems.append(Problem("Kode indikator kosong.", row, "kode_indikator"))
    elif code not in codes:
        known = ", ".join(sorted(codes))
        problems.append(
            Problem(f"Kode indikator '{code}' tidak ada dalam katalog IKU ({known}).", row, "kode_indikator")
        )
    year = _year(raw["tahun"])
    if year is None:
        shown = cell_text(raw["tahun"])
        text = f"Tahun '{shown}' bukan tahun empat angka." if shown else "Tahun kosong."
        problems.append(Problem(f"{text} Tulis tahunnya, misalnya 2022.", row, "tahun"))
    elif (why := bounds.problem(year)) is not None:
        problems.append(Problem(why, row, "tahun"))
    try:
        value = parse_number(raw["realisasi"])
    except NotANumber:
        shown = cell_text(raw["realisasi"])
        problems.append(Problem(f"Realisasi '{shown}' bukan angka. {NUMBER_HINT}", row, "realisasi"))
    else:
        if value is None:
            problems.append(Problem(f"Realisasi kosong. {NUMBER_HINT}", row, "realisasi"))
        elif value < 0:
            problems.append(Problem("Realisasi tidak boleh negatif.", row, "realisasi"))
    if problems or year is None or value is None:
        return None, problems
    source = cell_text(raw.get("sumber")) or default_source
    return HistoryRow(code, year, value, source, cell_text(raw.get("keterangan")), row), []


def parse_history(
    cells: Cells, codes: Collection[str], bounds: HistoryBounds, default_source: str
) -> tuple[list[HistoryRow], list[Problem]]:
    """The rows of a history file and every problem found (rows are only
    usable when there is no problem)."""
    found = _header(cells)
    if found is None:
        wanted = ", ".join(REQUIRED)
        return [], [Problem(f"Baris judul kolom tidak ditemukan di 11 baris pertama. Diperlukan: {wanted}.")]
    index, colmap = found
    missing = [c for c in REQUIRED if c not in colmap]
    if missing:
        return [], [
            Problem(f"Kolom wajib '{c}' tidak ditemukan pada baris judul.", index + 1, c) for c in missing
        ]
    rows: list[HistoryRow] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, int], int] = {}
    width = max(i for i, c in enumerate(cells[index]) if cell_text(c)) + 1
    for offset, cellrow in enumerate(cells[index + 1 :]):
        raw = {n: (cellrow[i] if i < len(cellrow) else None) for n, i in colmap.items()}
        if not any(cell_text(v) for v in raw.values()):
            continue  # blank line
        row = index + 2 + offset
        if any(cell_text(c) for c in cellrow[width:]):
            # "IKU-04,2022,9,85" in a comma CSV reads as 9 and a stray 85: never guess
            problems.append(Problem(OVERFLOW, row))
            continue
        parsed, found_problems = _row(raw, row, codes, bounds, default_source)
        problems += found_problems
        if parsed is None:
            continue
        key = (parsed.indicator, parsed.year)
        if key in seen:
            problems.append(
                Problem(
                    f"{parsed.indicator} tahun {parsed.year} sudah ada di baris {seen[key]}: "
                    "satu baris per indikator dan tahun.",
                    row,
                    "kode_indikator",
                )
            )
            continue
        seen[key] = row
        rows.append(parsed)
    if not rows and not problems:
        problems.append(Problem("Tidak ada baris data di bawah baris judul kolom.", index + 2))
    return rows, problems
