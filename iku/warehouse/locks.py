"""Locked quarters and the current data (CONTRACT §12): a file for a month of a
locked quarter is recorded but never becomes current.

Both the loading (store.Warehouse._insert, inside the transaction that records
the files) and the SAKIP actions (sakip.Sakip: approve, unlock) need these, so
they live here, below both: store.py imports this module, sakip.py imports
both, and neither imports the other's way round.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, and_, literal, select, update

from iku.domain import verification as rules
from iku.domain.model import Held
from iku.domain.periods import quarter_of
from iku.domain.verification import QuarterApproval

from .schema import alert, quarter_approval, realisation, submission

Period = tuple[str, int, int]  # bidang, year, month


def _as_utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored as UTC (as store._utc)
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def utc_now(now: datetime | None) -> datetime:
    """`now` (or the clock) in UTC: SQLite keeps a datetime without its offset,
    so every stored time is UTC (as the rest of the warehouse)."""
    return (now or datetime.now(UTC)).astimezone(UTC)


def approval_of(row) -> QuarterApproval:
    return QuarterApproval(
        approved_by=row.approved_by,
        approved_at=_as_utc(row.approved_at),
        locked=bool(row.locked),
        unlocked_by=row.unlocked_by,
        unlocked_at=_as_utc(row.unlocked_at),
        unlock_reason=row.unlock_reason,
    )


def approvals(conn: Connection, opd: str, year: int) -> dict[int, QuarterApproval]:
    rows = conn.execute(
        select(quarter_approval).where(quarter_approval.c.opd_code == opd, quarter_approval.c.year == year)
    )
    return {row.quarter: approval_of(row) for row in rows}


def lock_start(
    approval: QuarterApproval | None,
    year: int,
    quarter: int,
    now: datetime,
    *,
    lock_after_days: int | None,
    tz: str,
) -> datetime | None:
    """When the lock in force at `now` began (None: the quarter is open). Files
    recorded from then on stay out of the current data."""
    if not rules.quarter_locked(approval, year, quarter, now, lock_after_days=lock_after_days, tz=tz):
        return None
    starts = []
    if approval is not None and approval.locked and approval.approved_at is not None:
        starts.append(approval.approved_at)
    closing = rules.closes_at(year, quarter, lock_after_days, tz)
    if closing is not None and now >= closing:
        reopened = (
            approval is not None and approval.unlocked_at is not None and approval.unlocked_at >= closing
        )
        if not reopened:
            starts.append(closing.astimezone(UTC))
    return (min(starts) if starts else now).astimezone(UTC)


def held_by(approval: QuarterApproval | None, year: int, quarter: int, start: datetime) -> Held:
    """What holds a quarter whose lock began at `start`: its approval, or the
    automatic close (lock_after_days) when that came first."""
    approved = approval is not None and approval.locked and approval.approved_at is not None
    if approved and approval is not None and approval.approved_at == start:
        return Held(year, quarter, approval.approved_by, start)
    return Held(year, quarter, None, start)


def set_current(conn: Connection, opd: str, period: Period, submission_id: int | None) -> None:
    """Make `submission_id` (or none) the current data of a bidang-month."""
    bidang, year, month = period
    for table in (submission, realisation):
        key = and_(
            table.c.opd_code == opd, table.c.bidang == bidang, table.c.year == year, table.c.month == month
        )
        conn.execute(update(table).where(key).values(is_current=False))
        if submission_id is not None:
            own = submission.c.id if table is submission else realisation.c.submission_id
            conn.execute(update(table).where(key, own == submission_id).values(is_current=True))


def latest_valid(conn: Connection, opd: str, period: Period, before: datetime | None = None) -> int | None:
    bidang, year, month = period
    q = select(submission.c.id).where(
        submission.c.opd_code == opd,
        submission.c.bidang == bidang,
        submission.c.year == year,
        submission.c.month == month,
        submission.c.status == "valid",
    )
    if before is not None:
        q = q.where(submission.c.processed_at < before)
    return conn.scalar(q.order_by(submission.c.revision.desc(), submission.c.id.desc()).limit(1))


class _Locks:
    """The lock of each quarter met, read once per transaction."""

    def __init__(self, conn: Connection, opd: str, now: datetime, lock_after_days: int | None, tz: str):
        self.conn, self.opd, self.now = conn, opd, now
        self.lock_after_days, self.tz = lock_after_days, tz
        self._years: dict[int, dict[int, QuarterApproval]] = {}

    def of(self, year: int, month: int) -> Held | None:
        if year not in self._years:
            self._years[year] = approvals(self.conn, self.opd, year)
        quarter = quarter_of(month)
        approval = self._years[year].get(quarter)
        start = lock_start(
            approval, year, quarter, self.now, lock_after_days=self.lock_after_days, tz=self.tz
        )
        return None if start is None else held_by(approval, year, quarter, start)


def lock_of(
    conn: Connection,
    opd: str,
    year: int,
    month: int,
    *,
    now: datetime | None = None,
    lock_after_days: int | None = None,
    tz: str = "Asia/Jakarta",
) -> Held | None:
    """What would hold a file for this month recorded at `now` (None: open)."""
    return _Locks(conn, opd, utc_now(now), lock_after_days, tz).of(year, month)


def hold_locked(
    conn: Connection,
    opd: str,
    periods: Iterable[Period],
    *,
    now: datetime | None = None,
    lock_after_days: int | None = None,
    tz: str = "Asia/Jakarta",
) -> dict[Period, Held]:
    """Inside the transaction that recorded files for `periods`: in each period of
    a locked quarter, the current data goes back to the latest valid submission
    recorded before the lock began. Returns those periods with what holds them
    (their new files are "terkunci": recorded, never current)."""
    locks = _Locks(conn, opd, utc_now(now), lock_after_days, tz)
    held: dict[Period, Held] = {}
    for period in sorted(set(periods)):
        lock = locks.of(period[1], period[2])
        if lock is None:
            continue
        set_current(conn, opd, period, latest_valid(conn, opd, period, before=lock.since))
        held[period] = lock
    return held


def unalerted_held(
    conn: Connection,
    opd: str,
    since: datetime,
    *,
    now: datetime | None = None,
    lock_after_days: int | None = None,
    tz: str = "Asia/Jakarta",
) -> list[tuple[Row, Held]]:
    """The outbox of the `locked_submission` alert: valid files recorded since
    `since`, for a month of a quarter locked now, recorded after its lock began
    (so held out of the current data), whose cause (``locked:<sha256>``) has
    no alert row yet; each submission row with what holds it, oldest first."""
    cause = literal("locked:") + submission.c.sha256
    alerted = select(alert.c.id).where(alert.c.opd_code == opd, alert.c.cause_key == cause)
    rows = conn.execute(
        select(submission)
        .where(
            submission.c.opd_code == opd,
            submission.c.status == "valid",
            submission.c.is_current.is_(False),
            submission.c.processed_at >= since.astimezone(UTC),
            ~alerted.exists(),
        )
        .order_by(submission.c.id)
    ).all()
    locks = _Locks(conn, opd, utc_now(now), lock_after_days, tz)
    found: list[tuple[Row, Held]] = []
    for row in rows:
        lock = locks.of(row.year, row.month)
        if lock is not None and _as_utc(row.processed_at) >= lock.since:  # type: ignore[operator]
            found.append((row, lock))
    return found
