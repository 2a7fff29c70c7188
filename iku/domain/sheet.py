"""Reading a monthly submission sheet (CONTRACT §2) into typed rows.

Only the reading happens here: finding the sheet and its header row, turning
cells into numbers and months, and refusing files that cannot be read. Whether
the figures are acceptable is decided by the Great Expectations suites in
expectations/ (see iku/validation).
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook

from iku.domain.parameters import Limits

from .formulas import UncachedFormula, uncached_formulas
from .kinds import NUMBER_COLUMNS
from .model import Problem
from .numbers import NotANumber, parse_number
from .package import Package
from .periods import month_number
from .text import clean_cell_text, shown_name

_T = TypeVar("_T")
# A sheet as rows of cell values, as calamine or the CSV reader give them.
Cells = Sequence[Sequence[object]]

SHEET_NAME = "realisasi"
MAX_TITLE_ROWS = 10
KEY_COLUMNS = ("bidang", "tahun", "bulan", "kode_indikator")
# Optional free text the bidang writes for the evaluation (Tabel E.81, LKjIP Bab III).
FACTOR_COLUMNS = ("faktor_pendorong", "faktor_penghambat", "tindak_lanjut")
KNOWN_COLUMNS = KEY_COLUMNS + NUMBER_COLUMNS + ("keterangan",) + FACTOR_COLUMNS
EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods"}
_KNOWN = frozenset(KNOWN_COLUMNS)
ZIP_EXTENSIONS = {".xlsx", ".xlsm", ".ods"}
ACCEPTED_EXTENSIONS = EXCEL_EXTENSIONS | {".csv"}


class UnreadableFile(Exception):
    """The file cannot be read at all; the message is for the bidang, in Indonesian."""


_HEADER_GAPS = re.compile(r"[\s_\-]+")


def normalise_header(value: object) -> str:
    """'Kode Indikator', 'kode-indikator' and 'KODE_INDIKATOR' are the same column."""
    return _normalised_title(str(value or ""))


@functools.lru_cache(maxsize=512)  # every sheet's header repeats the same few titles
def _normalised_title(text: str) -> str:
    return _HEADER_GAPS.sub("_", text.strip().lower()).strip("_")


@dataclass
class SheetRow:
    """One data row; `row` is the 1-based row number a person sees in Excel."""

    row: int
    raw: dict[str, object]
    bidang: str | None
    tahun: int | None
    bulan: int | None
    kode_indikator: str | None
    numbers: dict[str, float | None]
    unparsed: dict[str, str | None]  # text that is not a number, per number column
    keterangan: str | None
    factors: dict[str, str | None] = field(default_factory=dict)  # FACTOR_COLUMNS present


@dataclass
class Sheet:
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # structural: no header, missing column
    # found while reading the rows (a formula without value, a number over the
    # limit); unlike `problems` they do not keep the other rows from validation
    row_problems: list[Problem] = field(default_factory=list)

    def period(self) -> tuple[str | None, int | None, int | None]:
        """The (bidang, tahun, bulan) most rows state; None parts when absent."""

        def common(values: list[_T | None]) -> _T | None:
            present = [v for v in values if v is not None]
            distinct = set(present)
            if len(distinct) == 1:  # the usual sheet: every row the same, no count needed
                return present[0]
            return max(distinct, key=present.count) if present else None

        return (
            common([r.bidang for r in self.rows]),
            common([r.tahun for r in self.rows]),
            common([r.bulan for r in self.rows]),
        )


def check_container(data: bytes, extension: str, limits: Limits, size: int | None = None) -> Package | None:
    """Refuse files that are too big or zip bombs before any parser sees them.
    `size` is the size on disk when only the first bytes were read. Returns the
    opened package of a zip-based file, for read_cells' formula check."""
    size = len(data) if size is None else max(size, len(data))
    if extension not in ACCEPTED_EXTENSIONS:
        raise UnreadableFile(
            f"Jenis berkas '{shown_name(extension, limit=40) or '(tanpa ekstensi)'}' tidak didukung. "
            "Kirim berkas .xlsx, .xls, .ods atau .csv."
        )
    if size == 0:
        raise UnreadableFile("Berkas kosong (0 byte).")
    if size > limits.max_file_bytes:
        raise UnreadableFile(f"Berkas terlalu besar ({_mb(size)} MB; batas {_mb(limits.max_file_bytes)} MB).")
    if extension in ZIP_EXTENSIONS:
        try:
            package = Package.of(data)
        except zipfile.BadZipFile:
            raise UnreadableFile(
                "Berkas rusak atau terenkripsi: isinya bukan lembar kerja yang dapat dibuka. "
                "Simpan ulang tanpa kata sandi lalu kirim kembali."
            ) from None
        total = package.total_size
        if total > limits.max_uncompressed_bytes or total > limits.max_compression_ratio * len(data):
            raise UnreadableFile(
                "Berkas ditolak: isinya jauh lebih besar daripada ukuran berkasnya (dicurigai 'zip bomb')."
            )
        return package
    return None


def read_cells(data: bytes, extension: str, sheet: str = SHEET_NAME, package: Package | None = None) -> Cells:
    """All cells of the `Realisasi` sheet (or `sheet`; else the first one), as Python values.
    `package`: the file opened as a zip already (check_container's), for the formula check."""
    if extension == ".csv":
        return _read_csv(data)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = wb.sheet_names
        if not names:
            raise UnreadableFile("Berkas tidak berisi lembar kerja.")
        chosen = next((n for n in names if n.strip().lower() == sheet), names[0])
        cells: list[list[Any]] = wb.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except UnreadableFile:
        raise
    except (CalamineError, ValueError, OSError, Exception) as exc:
        raise UnreadableFile(
            "Berkas rusak, terenkripsi atau bukan lembar kerja yang dikenali "
            f"({type(exc).__name__}). Simpan ulang sebagai .xlsx lalu kirim kembali."
        ) from None
    if extension in (".xlsx", ".xlsm"):
        _mark_uncached_formulas(package or data, chosen, cells)
    return cells


def _mark_uncached_formulas(package: bytes | Package, sheet_name: str, cells: list[list[Any]]) -> None:
    """Put an UncachedFormula where a formula's value was never stored, so the
    row reports it instead of loading an empty cell or a silent 0."""
    try:
        zf = package if isinstance(package, Package) else Package.of(package)
        found = uncached_formulas(zf, sheet_name)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return  # calamine read it; an unusual package layout only skips this check
    for (r, c), formula in found.items():
        if r < len(cells):
            row = cells[r]
            if c >= len(row):
                row.extend([None] * (c + 1 - len(row)))
            row[c] = formula


def _read_csv(data: bytes) -> Cells:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("Berkas CSV harus berenkode UTF-8.") from None
    sample = "\n".join(text.splitlines()[: MAX_TITLE_ROWS + 2])
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    try:
        return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(
            f"Berkas CSV tidak dapat dibaca ({exc}). Simpan ulang sebagai .xlsx lalu kirim kembali."
        ) from None


def _find_header(cells: Cells) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(cells[: MAX_TITLE_ROWS + 1]):
        key = tuple(row)
        # a template's title and header rows recur in every sheet made from it: remembered,
        # when short (the cache never holds a hostile sheet's megabytes of title)
        if len(key) <= 64 and all(len(c) <= 200 for c in key if isinstance(c, str)):
            colmap = _remembered_header_columns(key)
        else:
            colmap = _header_columns(key)
        if colmap is not None:
            return index, dict(colmap)
    return None


def _header_columns(row: tuple[object, ...]) -> dict[str, int] | None:
    """Each known column's index when `row` is a header row, else None. Rows
    that compare equal (1 == 1.0 == True) give the same: no number is a title."""
    names = [normalise_header(c) for c in row]
    if all(k in names for k in ("kode_indikator", "bulan")) or sum(k in names for k in KEY_COLUMNS) >= 3:
        return {n: i for i, n in reversed(list(enumerate(names))) if n in _KNOWN}
    return None


_remembered_header_columns = functools.lru_cache(maxsize=256)(_header_columns)


def cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# Excel keeps a date as a day count since 1899-12-30; 36526..73050 are the
# years 2000-2099, which no month or year cell can mean as a number.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_DATE_SERIALS = (36526, 73050)


def _as_typed(column: str, value: object) -> object:
    """A cell as the person typed it, safe to store: text without control
    characters (PostgreSQL refuses NUL), and in `tahun` and `bulan` a date
    typed where a number belongs shown as the date, never as its day count."""
    if isinstance(value, str):
        return clean_cell_text(value)
    if (
        column in ("tahun", "bulan")
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and float(value).is_integer()
        and _DATE_SERIALS[0] <= value <= _DATE_SERIALS[1]
    ):
        return (_EXCEL_EPOCH + timedelta(days=int(value))).date()
    return value


def _thousands(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")  # Indonesian grouping: 1.000.000


def _year(value: object) -> int | None:
    try:
        number = parse_number(value)
    except NotANumber:
        return None
    if number is None or not number.is_integer() or not 1000 <= number <= 9999:
        return None
    return int(number)


# In a comma-separated file an unquoted decimal comma ("9,85") splits one number
# into two cells and shifts the rest of the row: a filled cell past the last
# titled column is the tell-tale, so such a row is refused rather than misread.
CELLS_PAST_HEADER = (
    "Baris ini berisi isian di kanan kolom terakhir yang berjudul. Pada CSV berpemisah koma, "
    'angka desimal diberi tanda kutip ("9,85") atau pakai titik koma (;) sebagai pemisah; '
    "di lembar kerja, hapus isian tanpa judul kolom."
)


def _header_width(header: Sequence[object]) -> int:
    return max((i + 1 for i, c in enumerate(header) if cell_text(c)), default=0)


def _past_header(row: list[Any], header_width: int) -> bool:
    return any(cell_text(c) for c in row[header_width:])


def parse_sheet(
    cells: Cells, required_numbers: set[str], limits: Limits, *, strict_width: bool = False
) -> Sheet:
    """Typed rows from raw cells. `required_numbers` are the number columns the
    bidang's indicators need (realisasi; pembilang and penyebut for ratios).
    `strict_width` (CSV files) refuses rows with filled cells past the header."""
    if not any(any(cell_text(c) for c in row) for row in cells):
        raise UnreadableFile("Lembar kerja kosong: tidak ada isian sama sekali.")
    sheet = Sheet()
    located = _locate_columns(cells, required_numbers, sheet)
    if located is None:
        return sheet
    header_index, colmap = located
    columns = list(colmap.items())
    # only a CSV's rows are held to the header's width
    header_width = _header_width(cells[header_index]) if strict_width else 0
    for offset, raw_row in enumerate(cells[header_index + 1 :]):
        raw = _typed_cells(raw_row, columns)
        if raw is None:
            continue  # blank line
        excel_row = header_index + 2 + offset
        if strict_width and _past_header(list(raw_row), header_width):
            sheet.row_problems.append(Problem(CELLS_PAST_HEADER, row=excel_row))
        sheet.rows.append(_parse_row(raw, excel_row, limits, sheet.row_problems))
    _count_rows(sheet, limits, header_index)
    sheet.row_problems.extend(one_month_problems(sheet))
    return sheet


def _locate_columns(
    cells: Cells, required_numbers: set[str], sheet: Sheet
) -> tuple[int, dict[str, int]] | None:
    """The header row and each known column's index; None (the problems put on
    `sheet`) when there is no header row or a required column is missing."""
    required = KEY_COLUMNS + tuple(sorted(required_numbers))
    found = _find_header(cells)
    if found is None:
        sheet.problems.append(
            Problem(
                "Baris judul kolom tidak ditemukan di 11 baris pertama. Judul kolom yang diperlukan: "
                + ", ".join(required)
                + "."
            )
        )
        return None
    header_index, colmap = found
    missing = [c for c in required if c not in colmap]
    for column in missing:
        sheet.problems.append(
            Problem(
                f"Kolom wajib '{column}' tidak ditemukan pada baris judul.",
                row=header_index + 1,
                column=column,
            )
        )
    return None if missing else found


_PERIOD_COLUMNS = frozenset(("tahun", "bulan"))


def _typed_cells(raw_row: Sequence[object], columns: list[tuple[str, int]]) -> dict[str, object] | None:
    """A row's known columns as _as_typed gives them (a missing cell is None);
    None for a blank row. One pass per row: every sheet row of a run goes
    through here, and a call per cell for what is mostly a number or None
    was most of the parse's time."""
    width = len(raw_row)
    raw: dict[str, object] = {}
    filled = False
    for name, i in columns:
        value = raw_row[i] if i < width else None
        if isinstance(value, str):
            value = clean_cell_text(value)
            filled = filled or bool(value.strip())
        elif value is not None:
            if name in _PERIOD_COLUMNS:
                value = _as_typed(name, value)
            filled = filled or bool(cell_text(value))
        raw[name] = value
    return raw if filled else None


def _parse_row(raw: dict[str, object], excel_row: int, limits: Limits, problems: list[Problem]) -> SheetRow:
    """One non-blank row, typed; a formula without a stored value or a number
    over the limit is added to `problems` and read as empty / as typed."""
    formulas = False
    for column, value in raw.items():
        if isinstance(value, UncachedFormula):
            problems.append(
                Problem(
                    f"Sel berisi rumus tanpa nilai tersimpan ({value}); buka dan simpan ulang di Excel, "
                    "atau tulis angkanya langsung.",
                    row=excel_row,
                    column=column,
                )
            )
            formulas = True
    values = {k: (None if isinstance(v, UncachedFormula) else v) for k, v in raw.items()} if formulas else raw
    texts = {c: cell_text(values.get(c)) for c in _FREE_TEXT}
    _text_lengths(texts, excel_row, limits, problems)
    numbers, unparsed = _row_numbers(values, excel_row, limits, problems)
    code = cell_text(values["kode_indikator"])
    return SheetRow(
        row=excel_row,
        raw=raw,
        bidang=(cell_text(values["bidang"]) or "").lower() or None,
        tahun=_year(values["tahun"]),
        bulan=month_number(values["bulan"]),
        kode_indikator=code.upper() if code else None,
        numbers=numbers,
        unparsed=unparsed,
        keterangan=texts["keterangan"],
        factors={c: texts[c] for c in FACTOR_COLUMNS},
    )


_FREE_TEXT = ("keterangan", *FACTOR_COLUMNS)


def _text_lengths(
    texts: dict[str, str | None], excel_row: int, limits: Limits, problems: list[Problem]
) -> None:
    """Free text is bounded: a note of tens of thousands of characters would make
    a report of thousands of pages (issue 17, L6). `texts`: each free-text
    column's cell_text."""
    for column, text in texts.items():
        if text and len(text) > limits.max_text_chars:
            problems.append(
                Problem(
                    f"Teks terlalu panjang ({len(text):,} karakter; batas {limits.max_text_chars:,}). "
                    "Ringkas isinya; rincian dapat dilampirkan sebagai bukti dukung.".replace(",", "."),
                    row=excel_row,
                    column=column,
                )
            )


def _row_numbers(
    values: dict[str, object], excel_row: int, limits: Limits, problems: list[Problem]
) -> tuple[dict[str, float | None], dict[str, str | None]]:
    """The number columns read the Indonesian way, and the text of those that are not numbers."""
    numbers: dict[str, float | None] = {}
    unparsed: dict[str, str | None] = {}
    for column in NUMBER_COLUMNS:
        value = values.get(column)
        try:
            numbers[column] = parse_number(value)
            unparsed[column] = None
        except NotANumber:
            numbers[column], unparsed[column] = None, cell_text(value)
        number = numbers[column]
        if number is not None and abs(number) > limits.max_value:
            problems.append(
                Problem(
                    f"{column.capitalize()} {cell_text(value)} terlalu besar (batas {_thousands(limits.max_value)}). "
                    "Periksa angkanya: tulis nilai bulan itu saja, tanpa digit berlebih.",
                    row=excel_row,
                    column=column,
                )
            )
    return numbers, unparsed


def _count_rows(sheet: Sheet, limits: Limits, header_index: int) -> None:
    """Refuse a sheet with too many data rows (keeping none) or with none."""
    if len(sheet.rows) > limits.max_rows:
        sheet.problems.append(
            Problem(f"Terlalu banyak baris data ({len(sheet.rows)}; batas {limits.max_rows}).")
        )
        sheet.rows = []
    elif not sheet.rows:
        sheet.problems.append(
            Problem("Tidak ada baris data di bawah baris judul kolom.", row=header_index + 2)
        )


# CONTRACT §2: one file holds one bidang's figures of one month.
OTHER_PERIOD = {
    "tahun": "Tahun {value} berbeda dengan baris lain di berkas ini ({expected}). "
    "Satu berkas hanya untuk satu bulan: pisahkan ke berkas sendiri.",
    "bulan": "Bulan {value} berbeda dengan baris lain di berkas ini (bulan {expected}). "
    "Satu berkas hanya untuk satu bulan: pisahkan ke berkas sendiri.",
}


def one_month_problems(sheet: Sheet) -> list[Problem]:
    """All rows in one month, the rule's only home: each row whose tahun or
    bulan differs from what most rows state (Sheet.period) is a problem of that
    cell. A cell that is empty or not a year/month is left to its own message."""
    _, year, month = sheet.period()
    problems = []
    for r in sheet.rows:
        for column, value, expected in (("tahun", r.tahun, year), ("bulan", r.bulan, month)):
            if value is not None and expected is not None and value != expected:
                typed = cell_text(r.raw.get(column)) or str(value)
                problems.append(
                    Problem(
                        OTHER_PERIOD[column].format(value=typed, expected=expected),
                        row=r.row,
                        column=column,
                    )
                )
    return problems


def _mb(size: int) -> str:
    """Megabytes with the Indonesian decimal comma: 5,2."""
    return f"{size / 1e6:.1f}".replace(".", ",")
