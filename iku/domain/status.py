"""Submission status of each (bidang, month): CONTRACT §3."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .model import FileStatus, MonthStatus, SubmissionLog, SubmissionRecord
from .periods import deadline


@dataclass(frozen=True)
class MonthSubmission:
    bidang: str
    year: int
    month: int
    status: MonthStatus
    received_at: datetime | None  # first valid file, or latest invalid one
    deadline: datetime
    opd: str = ""  # set where several OPD are listed together

    def as_json(self) -> dict[str, object]:
        return {
            "bidang": self.bidang,
            "month": self.month,
            "status": self.status,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            **({"opd": self.opd} if self.opd else {}),
        }


def month_status(
    logs: Iterable[SubmissionLog],
    bidang: str,
    year: int,
    month: int,
    as_of: datetime,
    deadline_day: int,
    tz: str,
) -> MonthSubmission:
    due = deadline(year, month, deadline_day, tz)
    mine = [s for s in logs if s.bidang == bidang and s.year == year and s.month == month]
    valid = sorted((s for s in mine if s.status == "valid"), key=lambda s: s.received_at)
    if valid:
        first = valid[0].received_at.astimezone(due.tzinfo)
        return MonthSubmission(bidang, year, month, "on_time" if first <= due else "late", first, due)
    if mine:
        latest = max(s.received_at for s in mine).astimezone(due.tzinfo)
        return MonthSubmission(bidang, year, month, "invalid", latest, due)
    return MonthSubmission(bidang, year, month, "missing" if as_of > due else "pending", None, due)


def status_matrix(
    logs: list[SubmissionLog],
    bidang_codes: list[str],
    year: int,
    through_month: int,
    as_of: datetime,
    deadline_day: int,
    tz: str,
) -> list[MonthSubmission]:
    """Every bidang x month of `year` up to `through_month`, bidang-major."""
    return [
        month_status(logs, b, year, m, as_of, deadline_day, tz)
        for b in bidang_codes
        for m in range(1, through_month + 1)
    ]


FILE_STATUSES: tuple[FileStatus, ...] = ("valid", "invalid", "unreadable")


def file_status_counts(records: Iterable[SubmissionRecord]) -> dict[str, int]:
    """How many files came out valid, invalid and unreadable (every key present)."""
    counts: dict[str, int] = dict.fromkeys(FILE_STATUSES, 0)
    for r in records:
        counts[r.status] += 1
    return counts
