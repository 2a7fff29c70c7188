"""Reading a budget realisation sheet (CONTRACT §11): a SIPD "Laporan Realisasi
Anggaran" export or the pipeline's own template (`iku template --budget`).

The cells come from the monthly sheet's reader (iku.domain.sheet.read_cells:
python-calamine, the same size and zip-bomb checks). Here: the header found
loosely below up to 10 title rows, Indonesian numbers, every row checked, and
each configured code's figures taken by one rule so nothing is counted twice:

- a configured code's figures are its own row where the file has one (SIPD
  writes a subtotal row at every level: urusan, bidang urusan, program,
  kegiatan, sub kegiatan, and every account level 5, 5.1, 5.1.02 ...);
- else the sum of the topmost rows below it (the rows below those are already
  inside them);
- a row with both figures empty is a heading, not a figure.

Account rows (belanja `5.1.02.01.01.0024`) belong to the program, kegiatan or
sub kegiatan row above them. Rows of programs the catalogue does not list are
named and left out; rows above the program level (urusan, SKPD, totals) are
never counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .budget import BudgetLine, Level, Program, catalogue_names, code_level, is_under
from .model import Problem
from .numbers import NotANumber, parse_number
from .periods import MONTHS_ID, month_number
from .sheet import MAX_TITLE_ROWS, Cells, cell_text, normalise_header
from .text import clean_cell_text

SHEET_NAMES = ("anggaran", "realisasi anggaran", "lra")
# A detailed SIPD export lists every account under every sub kegiatan: far more
# rows than a monthly sheet, so its own limit.
MAX_ROWS = 50_000
MAX_RUPIAH = 1e15  # a kabupaten's whole APBD is around 1e12; more is a typo

RowKind = Literal["above", "program", "kegiatan", "sub_kegiatan", "akun"]
# Codes that are no program, kegiatan or sub kegiatan but a SIPD export writes:
_ABOVE = [
    re.compile(r"^[1-9X]$"),  # urusan
    re.compile(r"^[1-9X]\.(\d{2}|XX)$"),  # bidang urusan
    re.compile(r"^[1-9X]\.(\d{2}|XX)\.\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{4}$"),  # SKPD 1.04.0.00.0.00.01.0000
    re.compile(r"^[1-9X]\.(\d{2}|XX)\.\d\.\d{2}\.\d\.\d{2}\.\d{2}$"),  # SKPD without unit
]
# pendapatan (4), belanja (5), pembiayaan (6): 5, 5.1, 5.1.02, 5.1.02.01, 5.1.02.01.01, 5.1.02.01.01.0024
_ACCOUNT = re.compile(r"^[4-6](\.\d(\.\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)?)?$")

MONEY_HINT = "Tulis rupiah dengan angka saja, misalnya 1.250.000.000,00."


def row_kind(code: str) -> RowKind | None:
    """What a code in the kode column is; None when it is no code at all."""
    level = code_level(code)
    if level is not None:
        return level
    if _ACCOUNT.match(code):
        return "akun"
    if any(p.match(code) for p in _ABOVE):
        return "above"
    return None


@dataclass(frozen=True)
class BudgetRow:
    """One coded row; `key` places it in the cascade: its code, or for an account
    row `<program/kegiatan/sub kegiatan above it>|<account code>`."""

    row: int
    code: str
    kind: RowKind
    name: str
    pagu: float | None
    realisation: float | None
    key: str

    @property
    def has_figures(self) -> bool:
        return self.pagu is not None or self.realisation is not None


@dataclass
class BudgetSheet:
    year: int | None = None
    month: int | None = None
    lines: list[BudgetLine] = field(default_factory=list)  # one per configured code with figures
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # loaded all the same
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (code, uraian) of unlisted programs
    rows: list[BudgetRow] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, BudgetLine]:
        return {line.code: line for line in self.lines}


# -- header -------------------------------------------------------------------


def _words(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def _is_code(name: str) -> bool:
    return name.startswith("kode") or name in ("kd", "kd_rek", "kd_rekening", "no_rek", "rekening")


def _pagu_rank(name: str) -> int | None:
    if not ("anggaran" in name or "pagu" in name) or any(w in name for w in ("sisa", "realisasi", "persen")):
        return None
    if "perubahan" in name or "setelah" in name:
        return 3  # APBD-Perubahan: the pagu as it stands
    if "murni" in name or "sebelum" in name or "semula" in name:
        return 1
    return 2


def _realisation_rank(name: str) -> int | None:
    if not name.startswith("realisasi") or any(w in name for w in ("persen", "sisa", "lalu")):
        return None
    if "s_d" in name or "sd" in name.split("_") or "sampai" in name or "kumulatif" in name:
        return 3  # cumulative through the month: what §11 asks for
    if "bulan_ini" in name:
        return 1  # the month's own spending only
    return 2


@dataclass(frozen=True)
class Header:
    row: int  # 0-based index in the cells
    code: int
    pagu: int
    realisation: int
    name: int | None
    tahun: int | None
    bulan: int | None


def _best(names: list[str], rank: Callable[[str], int | None]) -> int | None:
    ranked = [(r, -i) for i, n in enumerate(names) if (r := rank(n)) is not None]
    return -max(ranked)[1] if ranked else None


def find_header(cells: Cells) -> Header | None:
    """The first row (of the first 11) naming a kode, an anggaran/pagu and a realisasi column."""
    for index, row in enumerate(cells[: MAX_TITLE_ROWS + 1]):
        names = [_words(normalise_header(c)) for c in row]
        code = next((i for i, n in enumerate(names) if _is_code(n)), None)
        pagu, realisation = _best(names, _pagu_rank), _best(names, _realisation_rank)
        if code is None or pagu is None or realisation is None:
            continue
        return Header(
            row=index,
            code=code,
            pagu=pagu,
            realisation=realisation,
            name=next((i for i, n in enumerate(names) if n.startswith(("uraian", "nama"))), None),
            tahun=next((i for i, n in enumerate(names) if n == "tahun"), None),
            bulan=next((i for i, n in enumerate(names) if n == "bulan"), None),
        )
    return None


# -- period -------------------------------------------------------------------

_MONTH_WORDS = "|".join(m.lower() for m in MONTHS_ID) + "|pebruari|nopember|agustus"
# "s.d. 31 Maret 2024", "s/d 31 Maret 2024", "sampai dengan 31 Maret 2024"
_THROUGH = re.compile(
    rf"(?:\bs\s*\.?\s*[/d]\s*\.?\s*d?\.?|sampai\s+dengan)\s*(?:tanggal\s+)?\d{{1,2}}\s+({_MONTH_WORDS})\s+(\d{{4}})",
    re.IGNORECASE,
)
# "Bulan Maret 2024", "Periode Maret 2024"
_MONTH_YEAR = re.compile(rf"(?:bulan|periode)\s*:?\s*({_MONTH_WORDS})\s+(\d{{4}})", re.IGNORECASE)


def title_period(cells: Cells, header_row: int) -> tuple[int, int] | None:
    """The (year, month) a title row states ("s.d. 31 Maret 2024"); None when none does."""
    for row in cells[:header_row]:
        for cell in row:
            text = cell_text(cell)
            if not text:
                continue
            found = _THROUGH.search(text) or _MONTH_YEAR.search(text)
            if found:
                month = month_number(found.group(1))
                if month is not None:
                    return int(found.group(2)), month
    return None


# a file name's period: "anggaran-2024-03.xlsx", "LRA_2024_03.xlsx", "LRA Maret 2024.xlsx"
_NAME_NUMBERS = re.compile(r"(?<!\d)(20\d{2})[-_. ](0?[1-9]|1[0-2])(?!\d)")
_NAME_WORDS = re.compile(rf"({_MONTH_WORDS})[-_. ]*(20\d{{2}})(?!\d)", re.IGNORECASE)


def name_period(file_name: str) -> tuple[int, int] | None:
    """The (year, month) a file name states, or None: used for a budget sheet
    dropped in the inbox only when the sheet itself states none."""
    found = _NAME_NUMBERS.search(file_name)
    if found:
        return int(found.group(1)), int(found.group(2))
    worded = _NAME_WORDS.search(file_name)
    month = month_number(worded.group(1)) if worded else None
    return (int(worded.group(2)), month) if worded and month is not None else None


def _column_period(rows: list[tuple[int, object, object]]) -> tuple[tuple[int, int] | None, list[Problem]]:
    """The period of the tahun/bulan columns: every filled row must state the same one."""
    seen: dict[tuple[int, int], int] = {}
    problems = []
    for excel_row, tahun, bulan in rows:
        if cell_text(tahun) is None and cell_text(bulan) is None:
            continue
        year = _year(tahun)
        month = month_number(bulan)
        if year is None or month is None:
            problems.append(
                Problem(
                    f"Tahun/bulan '{cell_text(tahun)}'/'{cell_text(bulan)}' tidak dikenali.",
                    excel_row,
                    "bulan",
                )
            )
            continue
        first = next(iter(seen), None)
        if first is not None and first != (year, month):
            problems.append(
                Problem(
                    f"Periode {month:02d}/{year} berbeda dengan baris lain ({first[1]:02d}/{first[0]}). "
                    "Satu berkas hanya untuk satu bulan.",
                    excel_row,
                    "bulan",
                )
            )
        seen.setdefault((year, month), excel_row)
    return next(iter(seen), None), problems


def _year(value: object) -> int | None:
    try:
        number = parse_number(value)
    except NotANumber:
        return None
    if number is None or not number.is_integer() or not 1900 <= number <= 2200:
        return None
    return int(number)


# -- rows ---------------------------------------------------------------------


def _money(value: object, excel_row: int, column: str, problems: list[Problem]) -> float | None:
    try:
        number = parse_number(value)
    except NotANumber:
        problems.append(Problem(f"'{cell_text(value)}' bukan angka. {MONEY_HINT}", excel_row, column))
        return None
    if number is None:
        return None
    if number < 0:
        problems.append(
            Problem(f"Nilai negatif ({cell_text(value)}); rupiah tidak boleh negatif.", excel_row, column)
        )
    elif number > MAX_RUPIAH:
        problems.append(
            Problem(f"Nilai {cell_text(value)} terlalu besar; periksa digitnya.", excel_row, column)
        )
    return number


def read_rows(cells: Cells, header: Header) -> tuple[list[BudgetRow], list[Problem]]:
    """Every coded row below the header, checked: a code that is no code, a figure
    that is no number or negative, realisasi above pagu, the same code twice."""
    rows: list[BudgetRow] = []
    problems: list[Problem] = []
    context: str | None = None  # the program, kegiatan or sub kegiatan an account row belongs to
    first_row: dict[str, int] = {}
    for offset, raw in enumerate(cells[header.row + 1 :]):
        excel_row = header.row + 2 + offset

        def cell(index: int | None, raw: Sequence[object] = raw) -> object:
            return raw[index] if index is not None and index < len(raw) else None

        code = (cell_text(cell(header.code)) or "").replace(" ", "").rstrip(".")
        if not code:
            continue  # a blank line, or a total row (JUMLAH BELANJA) that no code names
        kind = row_kind(code)
        if kind is None:
            problems.append(
                Problem(
                    f"Kode '{code}' bukan kode program/kegiatan/sub kegiatan (Permendagri 90/2019, "
                    "mis. 1.04.02.2.01.0001) atau kode rekening (mis. 5.1.02.01.01.0024).",
                    excel_row,
                    "kode",
                )
            )
            continue
        if kind in ("program", "kegiatan", "sub_kegiatan"):
            context, key = code, code
        elif kind == "akun":
            key = f"{context}|{code}" if context else f"|{code}"
        else:
            context, key = None, code
        if kind == "above" or key.startswith("|"):
            # urusan, SKPD and account summaries above the programs (or SIPD's
            # column-number row 1 2 3 4 ...) are never counted, so never checked
            continue
        if key in first_row:
            problems.append(
                Problem(
                    f"Kode {code} ditulis lebih dari sekali (pertama di baris {first_row[key]}).",
                    excel_row,
                    "kode",
                )
            )
            continue
        pagu = _money(cell(header.pagu), excel_row, "anggaran", problems)
        realisation = _money(cell(header.realisation), excel_row, "realisasi", problems)
        if pagu is not None and realisation is not None and 0 <= pagu < realisation:
            problems.append(
                Problem(
                    f"Realisasi ({cell_text(cell(header.realisation))}) melebihi anggaran "
                    f"({cell_text(cell(header.pagu))}) pada kode {code}.",
                    excel_row,
                    "realisasi",
                )
            )
        first_row[key] = excel_row
        name = clean_cell_text(cell_text(cell(header.name)) or "")
        rows.append(BudgetRow(excel_row, code, kind, name, pagu, realisation, key))
    return rows, problems


def _is_below(parent: str, key: str) -> bool:
    return is_under(key, parent) or key.startswith(parent + "|")


def _ancestors(key: str) -> list[str]:
    """The keys strictly above `key`: 1.04.02.2.01|5.1.02 -> 1.04.02.2.01|5.1, 1.04.02.2.01, 1.04.02.2, ..."""
    context, bar, account = key.rpartition("|")
    if bar:
        parts = account.split(".")
        return [f"{context}|{'.'.join(parts[:n])}" for n in range(len(parts) - 1, 0, -1)] + (
            [context, *_ancestors(context)] if context else []
        )
    parts = key.split(".")
    return [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]


def code_figures(code: str, rows: Sequence[BudgetRow]) -> tuple[float, float] | None:
    """The (pagu, realisation) of a configured code: its own row where the file has
    one with figures, else the sum of the topmost rows with figures below it (the
    rows below those are inside them already: never counted twice)."""
    figured = [r for r in rows if r.has_figures]
    own = next((r for r in figured if r.key == code), None)
    if own is not None:
        return own.pagu or 0.0, own.realisation or 0.0
    below = [r for r in figured if _is_below(code, r.key)]
    keys = {r.key for r in below}
    topmost = [r for r in below if not any(a in keys for a in _ancestors(r.key))]
    if not topmost:
        return None
    return sum(r.pagu or 0.0 for r in topmost), sum(r.realisation or 0.0 for r in topmost)


def _program_of(code: str) -> str:
    return ".".join(code.split(".")[:3])


def unlisted_programs(rows: Sequence[BudgetRow], programs: Sequence[Program]) -> list[tuple[str, str]]:
    """(code, uraian) of each program the file has and the catalogue does not list."""
    listed = {p.code for p in programs}
    names = {r.code: r.name for r in rows if r.kind == "program"}
    found: dict[str, str] = {}
    for r in rows:
        if r.kind in ("program", "kegiatan", "sub_kegiatan"):
            program = _program_of(r.code)
            if program not in listed:
                found.setdefault(program, names.get(program, ""))
    return list(found.items())


def attribute(rows: Sequence[BudgetRow], programs: Sequence[Program]) -> list[BudgetLine]:
    """One line per configured code the file gives figures for, in catalogue
    order, named as the catalogue names it (a SIPD export writes capitals)."""
    configured: Mapping[str, tuple[Level, str]] = catalogue_names(programs)
    lines = []
    for code, (level, name) in configured.items():
        found = code_figures(code, rows)
        if found is not None:
            lines.append(BudgetLine(code, level, name, found[0], found[1]))
    return lines


def parse_budget(
    cells: Cells,
    programs: Sequence[Program],
    period: tuple[int, int] | None = None,
    fallback: tuple[int, int] | None = None,
) -> BudgetSheet:
    """The budget sheet read and checked. `period` (year, month) is the one the
    caller names (`--period`); else the tahun/bulan columns, else the title rows,
    else `fallback` (the file name's, for a sheet dropped in the inbox).
    Any problem in `problems` refuses the whole file."""
    sheet = BudgetSheet()
    if not any(any(cell_text(c) for c in row) for row in cells):
        sheet.problems.append(Problem("Lembar kerja kosong: tidak ada isian sama sekali."))
        return sheet
    header = find_header(cells)
    if header is None:
        sheet.problems.append(
            Problem(
                "Baris judul kolom tidak ditemukan di 11 baris pertama. Judul kolom yang diperlukan: "
                "Kode, Anggaran (atau Pagu), Realisasi."
            )
        )
        return sheet
    body = cells[header.row + 1 :]
    if len(body) > MAX_ROWS:
        sheet.problems.append(Problem(f"Terlalu banyak baris ({len(body)}; batas {MAX_ROWS})."))
        return sheet
    rows, problems = read_rows(cells, header)
    sheet.rows, sheet.problems = rows, problems
    _read_period(sheet, cells, header, period, fallback)
    if not any(r.kind in ("program", "kegiatan", "sub_kegiatan") for r in rows) and not sheet.problems:
        sheet.problems.append(
            Problem(
                "Tidak ada baris program, kegiatan atau sub kegiatan di bawah baris judul kolom.",
                header.row + 2,
            )
        )
    sheet.left_out = unlisted_programs(rows, programs)
    if not sheet.problems:
        _attribute_lines(sheet, programs)
    return sheet


def _read_period(
    sheet: BudgetSheet,
    cells: Cells,
    header: Header,
    period: tuple[int, int] | None,
    fallback: tuple[int, int] | None = None,
) -> None:
    """The sheet's year and month: the caller's `period`, else the tahun/bulan
    columns, else the title rows, else `fallback`; a file stating another
    period than the caller's is a problem."""
    body = cells[header.row + 1 :]
    columns = [
        (
            header.row + 2 + i,
            r[header.tahun] if header.tahun is not None and header.tahun < len(r) else None,
            r[header.bulan] if header.bulan is not None and header.bulan < len(r) else None,
        )
        for i, r in enumerate(body)
    ]
    stated, period_problems = (
        _column_period(columns) if header.tahun is not None or header.bulan is not None else (None, [])
    )
    sheet.problems.extend(period_problems)
    stated = stated or title_period(cells, header.row)
    if period is not None and stated is not None and stated != period:
        sheet.problems.append(
            Problem(
                f"Berkas menyatakan periode {MONTHS_ID[stated[1] - 1]} {stated[0]}, "
                f"sedangkan yang diminta {MONTHS_ID[period[1] - 1]} {period[0]}."
            )
        )
    chosen = period or stated or fallback
    if chosen is None:
        sheet.problems.append(
            Problem(
                "Periode tidak ditemukan: sebutkan --period YYYY-MM, kolom tahun dan bulan, "
                "baris judul 's.d. 31 Maret 2024', atau TTTT-BB di nama berkas (anggaran-2024-03.xlsx)."
            )
        )
    else:
        sheet.year, sheet.month = chosen


def _attribute_lines(sheet: BudgetSheet, programs: Sequence[Program]) -> None:
    """The configured codes' figures of a sheet without problems; a sheet with
    figures for none of the OPD's programs is refused, a program missing is a warning."""
    sheet.lines = attribute(sheet.rows, programs)
    found = {line.code for line in sheet.lines}
    if programs and not found & {p.code for p in programs}:
        # the wrong OPD's export, or an empty template: loading it would blank the month
        listed = ", ".join(p.code for p in programs)
        sheet.problems.append(
            Problem(f"Tidak ada angka untuk program mana pun dalam katalog OPD ini ({listed}).")
        )
        sheet.lines = []
        return
    for p in programs:
        if p.code not in found:
            sheet.warnings.append(
                Problem(f"Program {p.code} ({p.name}) tidak ada di berkas ini; anggarannya kosong bulan ini.")
            )


def cumulative_drops(current: Mapping[str, BudgetLine], previous: Mapping[str, BudgetLine]) -> list[Problem]:
    """Warnings (never a refusal) for each code whose cumulative realisation is
    lower than the month before's: a correction, or a month's figure typed alone."""
    warnings = []
    for code, line in current.items():
        before = previous.get(code)
        if before is not None and line.realisation < before.realisation:
            warnings.append(
                Problem(
                    f"Realisasi kumulatif {code} ({_rupiah(line.realisation)}) lebih rendah daripada bulan "
                    f"sebelumnya ({_rupiah(before.realisation)}). Realisasi dihitung sejak 1 Januari; "
                    "periksa apakah yang ditulis hanya realisasi bulan ini.",
                    column="realisasi",
                )
            )
    return warnings


def _rupiah(value: float) -> str:
    whole, _, cents = f"{value:,.2f}".partition(".")
    return f"Rp{whole.replace(',', '.')},{cents}"
