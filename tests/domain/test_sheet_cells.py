"""Odd cells: control characters, formulas without a stored value, dates where
a month belongs, numbers beyond the limit. Each is cleaned or becomes a
problem of its row; none raises."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile

import openpyxl
import pytest
import xlsxwriter
from sheetkit import HEADER, sheet_rows, write_csv, write_xlsx

from iku.config import Limits
from iku.domain.package import Package
from iku.domain.sheet import check_container, parse_sheet, read_cells
from iku.validation.suites import _shown

LIMITS = Limits()
COL = {name: i for i, name in enumerate(HEADER)}


def parsed(path, required=frozenset({"realisasi"}), limits=LIMITS):
    return parse_sheet(read_cells(path.read_bytes(), path.suffix), set(required), limits)


def test_control_characters_are_removed_from_text_cells(tmp_path):
    rows = sheet_rows()
    rows[1][COL["keterangan"]] = "baris\x00satu\r\nbaris\x1b[31m dua\x07"
    rows[2][COL["kode_indikator"]] = "IKU-\x0002"
    for path in (write_xlsx(tmp_path / "a.xlsx", rows), write_csv(tmp_path / "a.csv", rows)):
        sheet = parsed(path)
        assert sheet.problems == [] and sheet.row_problems == []
        assert sheet.rows[0].keterangan == "barissatu\nbaris[31m dua"
        assert sheet.rows[1].kode_indikator == "IKU-02"
        assert all("\x00" not in str(v) for r in sheet.rows for v in r.raw.values())


def _xlsx_with_formula(path, write_formula):
    """A valid sheet whose IKU-02 realisasi (row 3, column E) is a formula."""
    rows = sheet_rows()
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Realisasi")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) == (2, COL["realisasi"]):
                write_formula(ws, r, c)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def test_a_formula_without_a_stored_value_is_a_row_problem_not_a_silent_zero(tmp_path):
    # xlsxwriter stores 0 and asks Excel to recalculate on opening
    path = _xlsx_with_formula(tmp_path / "rumus.xlsx", lambda ws, r, c: ws.write_formula(r, c, "=2+3"))
    sheet = parsed(path)
    (problem,) = sheet.row_problems
    assert (problem.row, problem.column) == (3, "realisasi")
    assert "rumus tanpa nilai tersimpan" in problem.message and "simpan ulang di Excel" in problem.message
    assert "=2+3" in problem.message
    assert sheet.rows[1].numbers["realisasi"] is None  # never a silent 0


def test_openpyxl_formula_without_value_and_a_cached_one(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Realisasi"
    for row in sheet_rows():
        ws.append(row)
    ws["E3"] = "=SUM(1,2)"  # openpyxl stores no value at all
    wb.save(tmp_path / "o.xlsx")
    sheet = parsed(tmp_path / "o.xlsx")
    assert [(p.row, p.column) for p in sheet.row_problems] == [(3, "realisasi")]


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_the_formula_check_on_the_package_the_container_check_opened(tmp_path, compression):
    # the consolidation opens each package once: the zip-bomb check's package serves the formula check
    path = _xlsx_with_formula(tmp_path / "rumus.xlsx", lambda ws, r, c: ws.write_formula(r, c, "=2+3"))
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    data = path.read_bytes()
    package = check_container(data, ".xlsx", LIMITS)
    assert package is not None
    sheet = parse_sheet(read_cells(data, ".xlsx", package=package), {"realisasi"}, LIMITS)
    assert [(p.row, p.column) for p in sheet.row_problems] == [(3, "realisasi")]


def test_a_part_larger_than_its_entry_says_is_never_cut_short_silently(tmp_path):
    # the formula search inflates a part straight from the package's bytes, at most the size
    # its entry declares (bounded by the zip-bomb check); a part that does not match is read by
    # zipfile, which refuses it, never searched in part
    path = _xlsx_with_formula(tmp_path / "rumus.xlsx", lambda ws, r, c: ws.write_formula(r, c, "=2+3"))
    data = path.read_bytes()
    part = "xl/worksheets/sheet1.xml"
    whole = zipfile.ZipFile(io.BytesIO(data)).read(part)
    assert Package.of(data).read(part) == whole
    # the central directory's entry of the part declares half its size
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(part)] != part.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    halved = bytearray(data)
    struct.pack_into("<L", halved, entry + 24, len(whole) // 2)
    package = Package.of(bytes(halved))
    assert package.parts[part].file_size == len(whole) // 2
    with pytest.raises(zipfile.BadZipFile):
        package.read(part)


def test_a_formula_whose_value_excel_stored_is_read_as_that_value(tmp_path):
    import zipfile

    path = _xlsx_with_formula(
        tmp_path / "excel.xlsx", lambda ws, r, c: ws.write_formula(r, c, "=2+3", None, 5)
    )
    # as Excel saves it: the value stored, no recalculation requested
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    sheet = parsed(path)
    assert sheet.row_problems == []
    assert sheet.rows[1].numbers["realisasi"] == 5.0


def test_a_date_in_bulan_is_shown_as_the_date_typed(tmp_path):
    path = tmp_path / "tanggal.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Realisasi")
    fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    for r, row in enumerate(sheet_rows()):
        for c, value in enumerate(row):
            if r and c == COL["bulan"]:
                ws.write_datetime(r, c, dt.datetime(2023, 6, 1), fmt if r == 1 else None)  # row 3: no format
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    sheet = parsed(path)
    assert all(r.bulan is None for r in sheet.rows)
    # a date cell, and a bare day count (45078) where a month belongs, both show as the date
    assert _shown(sheet.rows[0].raw["bulan"]) == "01/06/2023"
    assert _shown(sheet.rows[1].raw["bulan"]) == "01/06/2023"
    assert _shown(dt.datetime(2023, 6, 1, 8, 30)) == "01/06/2023 08:30"


def test_numbers_beyond_the_limit_are_row_problems(tmp_path):
    rows = sheet_rows()
    rows[1][COL["realisasi"]] = 1e300
    rows[2][COL["realisasi"]] = "9" * 400  # would be float inf
    rows[3][COL["realisasi"]] = "2.000.000"
    sheet = parsed(write_xlsx(tmp_path / "besar.xlsx", rows), limits=Limits(max_value=1_000_000))
    assert [(p.row, p.column) for p in sheet.row_problems] == [(2, "realisasi"), (4, "realisasi")]
    assert "terlalu besar (batas 1.000.000)" in sheet.row_problems[0].message
    assert sheet.rows[1].numbers["realisasi"] is None and sheet.rows[1].unparsed["realisasi"] == "9" * 400
