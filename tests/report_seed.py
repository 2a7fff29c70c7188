"""A warehouse filled for real through Warehouse.record, with figures whose
achievement is worked out by hand in the report tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from iku.domain.model import Problem, SubmissionRecord, ValueRow
from iku.warehouse import Warehouse

JKT = ZoneInfo("Asia/Jakarta")
OPD = "disperkim-tjb"
AS_OF = datetime(2023, 7, 20, 12, 0, tzinfo=JKT)

SCRIPT_NOTE = "<script>alert(1)</script>"
FORMULA_NOTES = ['=HYPERLINK("http://evil.example/x","klik")', "+1+1", "-5 unit belum selesai", "@SUM(A1:A9)"]

# IKU-02 realisasi 2023 per month (February is revised 12 -> 14; June only invalid)
IKU02 = {1: 10, 2: 14, 3: 8, 4: 15, 5: 9}


def _record(wh, bidang, year, month, values, received, status="valid", tag="", problems=()):
    name = f"{bidang}-{year}-{month:02d}{tag}.xlsx"
    return wh.record(
        OPD,
        SubmissionRecord(
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            bidang=bidang,
            file_name=name,
            source_path=f"/inbox/{bidang}/{name}",
            archive_path=f"/archive/{name}",
            size_bytes=1000,
            # the store keeps UTC (SQLite drops the offset): hand it UTC, as the loader does
            received_at=received.astimezone(UTC),
            status=status,
            year=year,
            month=month,
            problems=list(problems),
            values=values,
        ),
    )


def _perumahan(month, iku02, notes=None, iku03=0):
    notes = notes or {}
    return [
        ValueRow("IKU-01", 1, None, None, notes.get("IKU-01"), 2),
        ValueRow("IKU-02", iku02, None, None, notes.get("IKU-02"), 3),
        ValueRow("IKU-03", iku03, None, None, notes.get("IKU-03"), 4),
        ValueRow("IKU-05", 0, None, None, notes.get("IKU-05"), 5),
    ]


def seed(url: str) -> Warehouse:
    wh = Warehouse(url)
    wh.migrate()
    on_time = lambda y, m: datetime(y, m + 1, 5, 9, 0, tzinfo=JKT)  # noqa: E731
    # 2022: one December sheet each, for the LAKIP comparison
    _record(
        wh,
        "perumahan",
        2022,
        12,
        [
            ValueRow("IKU-01", 20, None, None, None, 2),
            ValueRow("IKU-02", 120, None, None, None, 3),
            ValueRow("IKU-03", 2, None, None, None, 4),
            ValueRow("IKU-05", 1, None, None, None, 5),
        ],
        datetime(2023, 1, 6, 9, 0, tzinfo=JKT),
    )
    _record(
        wh,
        "perkim",
        2022,
        12,
        [ValueRow("IKU-04", None, 4, 40, None, 2)],
        datetime(2023, 1, 6, 9, 0, tzinfo=JKT),
    )
    # 2023, perumahan: February first 12 then revised to 14 (after the deadline:
    # the status stays on time, the figure is the revision's)
    notes = {
        4: {"IKU-02": SCRIPT_NOTE, "IKU-03": FORMULA_NOTES[1]},
        5: {"IKU-02": FORMULA_NOTES[0], "IKU-03": FORMULA_NOTES[2], "IKU-05": FORMULA_NOTES[3]},
    }
    for m in range(1, 6):
        first = 12 if m == 2 else IKU02[m]
        _record(
            wh,
            "perumahan",
            2023,
            m,
            _perumahan(m, first, notes.get(m), iku03=1 if m in (3, 5) else 0),
            on_time(2023, m),
        )
    _record(wh, "perumahan", 2023, 2, _perumahan(2, 14), datetime(2023, 3, 20, 9, 0, tzinfo=JKT), tag="-rev")
    _record(
        wh,
        "perumahan",
        2023,
        6,
        [],
        datetime(2023, 7, 8, 9, 0, tzinfo=JKT),
        status="invalid",
        problems=[Problem("realisasi negatif", 3, "realisasi")],
    )
    # 2023, perkim: 0.5 ha a month; the slum area drops from 40 to 38 ha in April;
    # June comes late
    for m in range(1, 7):
        received = datetime(2023, 7, 15, 9, 0, tzinfo=JKT) if m == 6 else on_time(2023, m)
        _record(
            wh,
            "perkim",
            2023,
            m,
            [ValueRow("IKU-04", None, 0.5, 40 if m <= 3 else 38, "kendala cuaca" if m == 6 else None, 2)],
            received,
        )
    return wh


# IKU-04's faktor pendorong, faktor penghambat and tindak lanjut, by month: sent
# as revisions of the perkim sheets (same figures), for the evaluation reports.
FACTORS = {
    5: ("Swadaya masyarakat tinggi", None, None),
    6: (None, "Hujan deras menunda pekerjaan", "Pekerjaan dilanjutkan Juli"),
}


def add_factors(wh: Warehouse) -> None:
    for m, factors in FACTORS.items():
        _record(
            wh,
            "perkim",
            2023,
            m,
            [ValueRow("IKU-04", None, 0.5, 38, "kendala cuaca" if m == 6 else None, 2, *factors)],
            datetime(2023, 7, 16, 9, 0, tzinfo=JKT),
            tag="-faktor",
        )
