"""Sample submission records and addresses for alert tests."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from iku.domain.model import Problem, SubmissionRecord, ValueRow

WIB = ZoneInfo("Asia/Jakarta")
PLANNING = ["perencanaan@disperkim.example", "kasubag@disperkim.example"]
BIDANG_MAIL = {"perumahan": ["perumahan@disperkim.example"], "perkim": ["perkim@disperkim.example"]}


def record(
    status: str,
    bidang: str = "perumahan",
    year: int | None = 2023,
    month: int | None = 4,
    problems: list[Problem] | None = None,
    name: str | None = None,
    received: datetime = datetime(2023, 5, 8, 9, 0, tzinfo=WIB),
) -> SubmissionRecord:
    name = name or f"{bidang}-{year}-{month}-{status}.xlsx"
    sha = hashlib.sha256(f"{name}{status}{problems}".encode()).hexdigest()
    values = []
    if status == "valid":
        values = [ValueRow("IKU-02", 10.0, None, None, None, 5)]
    return SubmissionRecord(
        sha256=sha,
        bidang=bidang,
        file_name=name,
        source_path=f"/inbox/{bidang}/{name}",
        archive_path=f"/archive/{sha}",
        size_bytes=100,
        received_at=received,
        status=status,
        year=year,
        month=month,
        problems=problems or [],
        values=values,
    )


INVALID_PROBLEMS = [
    Problem("Nilai realisasi negatif (-5).", row=7, column="realisasi"),
    Problem("Kode indikator 'IKU-09' bukan indikator bidang ini.", row=9, column="kode_indikator"),
    Problem("Indikator IKU-05 tidak ada di berkas."),
]
