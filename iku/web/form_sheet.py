"""A form entry becomes a sheet file, so it travels the same road as an upload:
the same reader, the same suites, the same folder, the same consolidation."""

from __future__ import annotations

import io
import re
from datetime import datetime

import xlsxwriter

from iku.config import Config, Indicator
from iku.domain.numbers import NotANumber, parse_number

TEXT_COLUMNS = ("keterangan", "faktor_pendorong", "faktor_penghambat", "tindak_lanjut")
HEADER = [
    "bidang",
    "tahun",
    "bulan",
    "kode_indikator",
    "nama_indikator",
    "satuan",
    "realisasi",
    "pembilang",
    "penyebut",
    *TEXT_COLUMNS,
]


def number_fields(ind: Indicator) -> tuple[str, ...]:
    return ("pembilang", "penyebut") if ind.kind == "ratio" else ("realisasi",)


def number_hints(ind: Indicator) -> dict[str, str]:
    """What the pembilang and the penyebut of a ratio are, from the indicator's
    formula ("A / B X 100%"), so the form says it beside each field (issue 17
    M7); nothing when the formula does not read that way."""
    if ind.kind != "ratio" or "/" not in ind.formula:
        return {}
    top, bottom = ind.formula.split("/", 1)
    bottom = re.sub(r"\s*[xX×]\s*100\s*%\s*$", "", bottom)
    top, bottom = " ".join(top.split()), " ".join(bottom.split())
    return {"pembilang": top, "penyebut": bottom} if top and bottom else {}


def field_name(column: str, code: str) -> str:
    return f"{column}__{code}"


def _write_typed(ws, row: int, col: int, text: str, *, as_text: bool) -> None:
    """A cell as a person would have typed it: a number where the text reads as
    one (Indonesian style), else the text itself."""
    number = None
    if not as_text:
        try:
            number = parse_number(text)
        except NotANumber:
            number = None
    if number is None:
        ws.write_string(row, col, text)
    else:
        ws.write_number(row, col, number)


def form_to_xlsx(config: Config, bidang: str, year: int, month: int, form: dict[str, str]) -> bytes:
    """The sheet a person would have typed: numbers as numbers where they read
    as one (Indonesian style), anything else as the text typed, so the suites
    report it exactly as they would in an uploaded file."""
    buffer = io.BytesIO()
    # never formulas or links from what a person typed; fixed date: same values, same bytes
    wb = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    wb.set_properties({"created": datetime(2000, 1, 1), "title": f"Realisasi {bidang} {year}-{month:02d}"})
    ws = wb.add_worksheet("Realisasi")
    for c, name in enumerate(HEADER):
        ws.write_string(0, c, name)
    for r, ind in enumerate(config.catalogue.indicators_of(bidang), start=1):
        for c, value in enumerate([bidang, year, month, ind.code, ind.name, ind.unit]):
            if isinstance(value, int):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
        for column in ("realisasi", "pembilang", "penyebut", *TEXT_COLUMNS):
            if column in ("realisasi", "pembilang", "penyebut") and column not in number_fields(ind):
                continue
            text = (form.get(field_name(column, ind.code)) or "").strip()
            if text:
                _write_typed(ws, r, HEADER.index(column), text, as_text=column in TEXT_COLUMNS)
    wb.close()
    return buffer.getvalue()
