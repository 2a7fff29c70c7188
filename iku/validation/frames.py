"""The tables the GX suites check, built from parsed sheets (pure pandas).

All new sheets of a run, of every bidang of every OPD, go into one table per
suite, so that one GX validation per suite covers the whole run. What differs
per OPD and bidang travels in the rows themselves: the folder's bidang, the
OPD's Renstra years and, per row, the key (OPD, folder bidang, code) that the
suite looks up among the indicators of that bidang in that OPD's catalogue.
`file_id` and `excel_row` lead every problem back to the file and the row a
person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from iku.config import Catalogue
from iku.domain.sheet import Sheet

if TYPE_CHECKING:
    import pandas as pd

ROW_COLUMNS = [
    "file_id",
    "excel_row",
    "bidang",
    "folder_bidang",
    "tahun",
    "year_min",
    "year_max",
    "bulan",
    "kode_indikator",
    "indikator_bidang",
    "kind",
    "realisasi",
    "pembilang",
    "penyebut",
    "realisasi_unparsed",
    "pembilang_unparsed",
    "penyebut_unparsed",
]


@dataclass(frozen=True)
class Group:
    """The new sheets of one bidang of one OPD, checked against that OPD's catalogue."""

    catalogue: Catalogue
    bidang: str
    sheets: dict[int, Sheet]  # file id (unique within the run) -> sheet
    opd: str = ""

    def key(self, code: str) -> str:
        """An indicator of this bidang in this OPD, as the suite looks it up."""
        return f"{self.opd}\t{self.bidang}\t{code}"

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.catalogue.indicators_of(self.bidang)]


@dataclass(frozen=True)
class Frames:
    rows: pd.DataFrame
    coverage: pd.DataFrame
    raw: dict[tuple[int, int], dict]  # (file_id, excel_row) -> cells as typed, for messages
    group_of: dict[int, Group]  # file_id -> its group, for the messages' context
    indicator_keys: list[str]  # every (OPD, bidang, code) of the run's groups


def build_frames(sheets: dict[int, Sheet], catalogue: Catalogue, bidang: str) -> Frames:
    """The tables of one bidang's sheets (one group)."""
    return build_batch([Group(catalogue, bidang, sheets)])


def build_batch(groups: list[Group]) -> Frames:
    import pandas as pd  # here: the process that only starts the GX worker never needs it

    records: list[tuple[object, ...]] = []
    coverage: list[tuple[object, ...]] = []
    raw: dict[tuple[int, int], dict[str, object]] = {}
    group_of: dict[int, Group] = {}
    keys: list[str] = []
    for group in groups:
        # Only this bidang's codes get a kind: a foreign code is reported once, as
        # foreign, not again for the numbers its own kind would need.
        kinds = {i.code: i.kind for i in group.catalogue.indicators_of(group.bidang)}
        keys += [group.key(code) for code in kinds]
        year_min, year_max = group.catalogue.opd.renstra_period
        for file_id, sheet in group.sheets.items():
            group_of[file_id] = group
            for r in sheet.rows:
                code = r.kode_indikator
                records.append(
                    (
                        file_id,
                        r.row,
                        r.bidang,
                        group.bidang,
                        r.tahun,
                        year_min,
                        year_max,
                        r.bulan,
                        code,
                        None if code is None else group.key(code),
                        kinds.get(code or ""),
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
            coverage.extend((file_id, code, listed.count(code)) for code in kinds)
    rows = pd.DataFrame.from_records(records, columns=ROW_COLUMNS)
    for column in ("tahun", "year_min", "year_max", "bulan"):
        rows[column] = rows[column].astype("Int64")
    for column in ("realisasi", "pembilang", "penyebut"):
        rows[column] = rows[column].astype("float64")
    cov = pd.DataFrame.from_records(coverage, columns=["file_id", "kode_indikator", "occurrences"])
    return Frames(rows=rows, coverage=cov, raw=raw, group_of=group_of, indicator_keys=keys)
