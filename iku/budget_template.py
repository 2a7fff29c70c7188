"""The budget realisation sheet (`iku template --budget`, CONTRACT §11): the
OPD's programs, kegiatan and sub kegiatan with their codes filled in and locked;
the finance staff type the pagu and the cumulative realisasi of the lowest
configured level only. The higher rows stay empty, so the reader takes their
figures as the sum of the rows below them (iku.domain.budget_sheet): nothing
typed twice, nothing counted twice. The period is in a title row
("s.d. 31 Maret 2024"), which the reader finds like a SIPD export's.
"""

from __future__ import annotations

import calendar
import io
from pathlib import Path
from types import SimpleNamespace

import xlsxwriter

from iku.config import Config
from iku.domain.budget import Level, Program
from iku.domain.periods import month_name
from iku.excel_layout import row_height
from iku.storage import Unwritable

SHEET_NAME = "Anggaran"
HEADER_ROW = 5  # 0-based: the header on Excel row 6
# (header as the reader matches it, width)
COLUMNS = [("Kode", 20), ("Uraian", 60), ("Anggaran (Rp)", 20), ("Realisasi s.d. Bulan Ini (Rp)", 22)]
COL_CODE, COL_NAME, COL_PAGU, COL_REAL = range(4)
LEVEL_LABEL = {"program": "Program", "kegiatan": "Kegiatan", "sub_kegiatan": "Sub Kegiatan"}


def through_date(year: int, month: int) -> str:
    """'31 Maret 2024': the last day of the month, as SIPD writes the report date."""
    return f"{calendar.monthrange(year, month)[1]} {month_name(month)} {year}"


def _rows(programs: tuple[Program, ...]) -> list[tuple[str, str, Level, bool]]:
    """(code, name, level, input) in cascade order; input on the lowest configured level."""
    rows: list[tuple[str, str, Level, bool]] = []
    for p in programs:
        rows.append((p.code, p.name, "program", not p.kegiatan))
        for k in p.kegiatan:
            rows.append((k.code, k.name, "kegiatan", not k.sub_kegiatan))
            rows += [(s.code, s.name, "sub_kegiatan", True) for s in k.sub_kegiatan]
    return rows


def budget_template_bytes(config: Config, year: int, month: int) -> bytes:
    """The budget sheet of one OPD and month (.xlsx), in memory."""
    cat = config.catalogue
    programs = cat.budget_programs
    if not programs:
        raise ValueError("the catalogue lists no programs (CONTRACT §11 programs:)")
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties(
        {
            "title": f"Realisasi Anggaran {month_name(month)} {year}",
            "author": cat.opd.name,
            "company": cat.opd.name,
        }
    )
    f = _formats(wb)
    ws = wb.add_worksheet(SHEET_NAME)
    ws.write(0, 0, "Laporan Realisasi Anggaran per Program, Kegiatan dan Sub Kegiatan", f.title)
    ws.write(1, 0, f"{cat.opd.name} {cat.opd.region}", f.sub)
    ws.write(2, 0, f"Keadaan s.d. {through_date(year, month)}", f.sub)
    ws.write(
        3,
        0,
        "Isi sel kuning saja: anggaran (pagu sebagaimana berlaku bulan ini, termasuk APBD-Perubahan) dan "
        "realisasi kumulatif sejak 1 Januari. Baris di atasnya dijumlahkan otomatis saat dibaca.",
        f.note,
    )
    for col, (label, width) in enumerate(COLUMNS):
        ws.write(HEADER_ROW, col, label, f.head)
        ws.set_column(col, col, width)
    ws.set_row(HEADER_ROW, 32)
    rows = _rows(programs)
    first = HEADER_ROW + 1
    for r, (code, name, level, is_input) in enumerate(rows, start=first):
        label = f.level[level]
        ws.write_string(r, COL_CODE, code, label)
        ws.write_string(r, COL_NAME, f"{LEVEL_LABEL[level]}: {name}", label)
        for col in (COL_PAGU, COL_REAL):
            ws.write_blank(r, col, None, f.input if is_input else f.summed)
        if is_input:
            ws.data_validation(
                r,
                COL_PAGU,
                r,
                COL_REAL,
                {
                    "validate": "decimal",
                    "criteria": ">=",
                    "value": 0,
                    "input_title": "Rupiah",
                    "input_message": "Angka rupiah tanpa titik ribuan atau dengan format angka; tidak negatif.",
                    "error_title": "Angka tidak valid",
                    "error_message": "Isi rupiah yang tidak negatif (0 atau lebih).",
                    "error_type": "stop",
                },
            )
        ws.set_row(r, row_height(name, width=COLUMNS[COL_NAME][1]))
    last = first + len(rows) - 1
    ws.freeze_panes(first, 0)
    ws.print_area(0, 0, last, len(COLUMNS) - 1)
    ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.repeat_rows(HEADER_ROW)
    ws.fit_to_pages(1, 0)
    # No password: protection guards against slips, not against the sheet's owner.
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True})
    wb.close()
    return buffer.getvalue()


def write_budget_template(config: Config, year: int, month: int, out: Path) -> Path:
    """Write the budget sheet to `out` (.xlsx): only a regular file (or a new one)."""
    out = Path(out)
    data = budget_template_bytes(config, year, month)
    try:
        if out.exists() and not out.is_file():
            raise Unwritable(
                f"{out} bukan berkas biasa (folder, pipa atau perangkat); pilih nama berkas .xlsx"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise Unwritable(f"lembar anggaran tidak dapat ditulis ke {out}: {exc.strerror or exc}") from None
    return out


def _formats(wb: xlsxwriter.Workbook) -> SimpleNamespace:
    """Codes and names locked (bold by level), yellow input cells, grey summed ones."""
    base = {"border": 1, "locked": True, "text_wrap": True, "valign": "top"}
    return SimpleNamespace(
        title=wb.add_format({"bold": True, "font_size": 14}),
        sub=wb.add_format({"bold": True}),
        note=wb.add_format({"italic": True, "font_color": "#595959"}),
        head=wb.add_format(
            {"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "border": 1, "text_wrap": True}
        ),
        level={
            "program": wb.add_format({**base, "bold": True, "bg_color": "#D9E1F2"}),
            "kegiatan": wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2"}),
            "sub_kegiatan": wb.add_format({**base, "bg_color": "#F2F2F2"}),
        },
        input=wb.add_format({"bg_color": "#FFF2CC", "border": 1, "locked": False, "num_format": "#,##0.00"}),
        summed=wb.add_format({"bg_color": "#D9D9D9", "border": 1, "locked": True}),
    )
