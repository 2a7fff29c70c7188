"""Look-ups of single submitted files, for the portal's receipts and pages."""

from __future__ import annotations

from sqlalchemy import select

from .schema import submission
from .store import Warehouse, _utc


def has_file(wh: Warehouse, opd: str, sha256: str) -> bool:
    with wh.engine.connect() as conn:
        return (
            conn.execute(
                select(submission.c.id).where(submission.c.opd_code == opd, submission.c.sha256 == sha256)
            ).first()
            is not None
        )


def _row(r) -> dict:
    row = dict(r._mapping)
    row["received_at"] = _utc(row["received_at"])
    row["processed_at"] = _utc(row["processed_at"])
    return row


def files_of_month(wh: Warehouse, opd: str, bidang: str, year: int, month: int) -> list[dict]:
    """Every file recorded for (bidang, year, month), newest first."""
    q = (
        select(submission)
        .where(
            submission.c.opd_code == opd,
            submission.c.bidang == bidang,
            submission.c.year == year,
            submission.c.month == month,
        )
        .order_by(submission.c.received_at.desc(), submission.c.id.desc())
    )
    with wh.engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]


def file_by_hash(wh: Warehouse, opd: str, sha256: str) -> dict | None:
    with wh.engine.connect() as conn:
        r = conn.execute(
            select(submission).where(submission.c.opd_code == opd, submission.c.sha256 == sha256)
        ).first()
    return _row(r) if r else None
