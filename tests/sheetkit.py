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
        rows.append([bidang, year, month, "IKU-04", None, overrides.get("pembilang", 1.5),
                     overrides.get("penyebut", 98.5), "lancar"])
    else:
        rows += [[bidang, year, month, code, value, None, None, f"catatan {code}"] for code in PERUMAHAN_CODES]
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

