"""The tables the GX suites check, built from parsed sheets (pure pandas).

All new sheets of one bidang go into one table so that one GX validation per
bidang per run covers them; `file_id` and `excel_row` lead every problem back
to the file and the row a person sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from iku.config import Catalogue
from iku.domain.sheet import Sheet

ROW_COLUMNS = [
    "file_id",
    "excel_row",
    "bidang",
    "tahun",
    "bulan",
    "kode_indikator",
    "kind",
    "realisasi",
    "pembilang",
    "penyebut",
    "realisasi_unparsed",
    "pembilang_unparsed",
    "penyebut_unparsed",
]


@dataclass(frozen=True)
class Frames:
    rows: pd.DataFrame
    coverage: pd.DataFrame
    raw: dict[tuple[int, int], dict]  # (file_id, excel_row) -> cells as typed, for messages


def build_frames(sheets: dict[int, Sheet], catalogue: Catalogue, bidang: str) -> Frames:
    # Only this bidang's codes get a kind: a foreign code is reported once, as
    # foreign, not again for the numbers its own kind would need.
    kinds = {i.code: i.kind for i in catalogue.indicators_of(bidang)}
    expected = list(kinds)
    records: list[tuple[object, ...]] = []
    coverage: list[tuple[object, ...]] = []
    raw: dict[tuple[int, int], dict[str, object]] = {}
    for file_id, sheet in sheets.items():
        for r in sheet.rows:
            records.append(
                (
                    file_id,
                    r.row,
                    r.bidang,
                    r.tahun,
                    r.bulan,
                    r.kode_indikator,
                    kinds.get(r.kode_indikator or ""),
                    r.numbers["realisasi"],
                    r.numbers["pembilang"],
                    r.numbers["penyebut"],
                    r.unparsed["realisasi"],
                    r.unparsed["pembilang"],
                    r.unparsed["penyebut"],
                )
            )
            raw[(file_id, r.row)] = r.raw
        listed = [r.kode_indikator for r in sheet.rows]
        coverage.extend((file_id, code, listed.count(code)) for code in expected)
    rows = pd.DataFrame.from_records(records, columns=ROW_COLUMNS)
    for column in ("tahun", "bulan"):
        rows[column] = rows[column].astype("Int64")
    for column in ("realisasi", "pembilang", "penyebut"):
        rows[column] = rows[column].astype("float64")
    cov = pd.DataFrame.from_records(coverage, columns=["file_id", "kode_indikator", "occurrences"])
    return Frames(rows=rows, coverage=cov, raw=raw)
