"""The record of report files written: what out/index.html lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from .schema import report_file
from .store import Warehouse, _utc


@dataclass(frozen=True)
class WrittenReport:
    opd: str  # "" for the kabupaten recap
    period: str  # 2023-Q2 | 2023 | 20230508-090000 (a validation run)
    kind: str  # iku | lakip | rekap | validasi
    format: str  # html | pdf | xlsx | json
    location: str  # a local path or an fsspec URL
    written_at: datetime | None = None
    content_hash: str | None = None  # a PDF's: what it says (iku.reports.content)


def record_reports(wh: Warehouse, written: list[WrittenReport]) -> None:
    """Record files written; a location written again keeps one row, with the newer time."""
    if not written:
        return
    now = datetime.now(UTC)
    rows = [
        dict(
            opd_code=w.opd,
            period=w.period,
            kind=w.kind,
            format=w.format,
            location=w.location,
            written_at=w.written_at or now,
            content_hash=w.content_hash,
        )
        for w in written
    ]
    if wh.is_sqlite:
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    stmt = insert(report_file).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["location"],
        set_={
            c: stmt.excluded[c]
            for c in ("opd_code", "period", "kind", "format", "written_at", "content_hash")
        },
    )
    with wh.engine.begin() as conn:
        conn.execute(stmt)


def written_reports(wh: Warehouse) -> list[WrittenReport]:
    """Every report file recorded, oldest first."""
    q = select(report_file).order_by(report_file.c.written_at, report_file.c.id)
    with wh.engine.connect() as conn:
        return [
            WrittenReport(
                opd=r.opd_code,
                period=r.period,
                kind=r.kind,
                format=r.format,
                location=r.location,
                written_at=_utc(r.written_at),
            )
            for r in conn.execute(q)
        ]


def printed_hash(wh: Warehouse, location: str) -> str | None:
    """The content hash recorded with the file at `location` (a PDF), if any."""
    with wh.engine.connect() as conn:
        return conn.scalar(select(report_file.c.content_hash).where(report_file.c.location == location))
