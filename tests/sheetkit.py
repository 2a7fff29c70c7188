"""Writers for submission sheets used across the tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


HEADER = ["bidang", "tahun", "bulan", "kode_indikator", "realisasi", "pembilang", "penyebut", "keterangan"]
PERUMAHAN_CODES = ["IKU-01", "IKU-02", "IKU-03", "IKU-05"]


def sheet_rows(bidang="perumahan", year=2023, month=4, value=3, title_rows=(), **overrides):
    """Header plus one valid row per indicator of `bidang`."""
    rows = [list(t) for t in title_rows] + [HEADER]
    if bidang == "perkim":
        rows.append(
            [
                bidang,
                year,
                month,
                "IKU-04",
                None,
                overrides.get("pembilang", 1.5),
                overrides.get("penyebut", 98.5),
                "lancar",
            ]
        )
    else:
        rows += [
            [bidang, year, month, code, value, None, None, f"catatan {code}"] for code in PERUMAHAN_CODES
        ]
    return rows


def write_xlsx(path: Path, rows, sheet_name="Realisasi") -> Path:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet_name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def write_csv(path: Path, rows, delimiter=";") -> Path:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows([["" if v is None else v for v in r] for r in rows])
    return path


def write_xls(path: Path, rows, sheet_name="Realisasi") -> Path:
    """Excel 97-2003, as older office machines still save it."""
    import xlwt

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlwt.Workbook()
    ws = wb.add_sheet(sheet_name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    wb.save(str(path))
    return path


def write_ods(path: Path, rows, sheet_name="Realisasi") -> Path:
    """OpenDocument, as LibreOffice saves it (written with odfpy)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    path.parent.mkdir(parents=True, exist_ok=True)
    doc = OpenDocumentSpreadsheet()
    table = Table(name=sheet_name)
    for row in rows:
        tr = TableRow()
        for value in row:
            if value is None:
                tr.addElement(TableCell())
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
                tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path
