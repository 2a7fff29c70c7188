"""Warehouse access: SQLAlchemy 2 Core over SQLite (default) or PostgreSQL."""
from __future__ import annotations

import fcntl
import hashlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, and_, create_engine, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.engine import make_url

from iku.domain.model import MonthlyValue, Problem, SubmissionLog, SubmissionRecord

from .schema import alert, realisation, submission

MIGRATIONS = Path(__file__).with_name("migrations")


class WarehouseUnavailable(Exception):
    """The database cannot be reached or opened; message is one line."""


def _utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored as UTC.
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


class Warehouse:
    def __init__(self, url: str):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, future=True)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def __repr__(self) -> str:
        return f"Warehouse({self.url.render_as_string(hide_password=True)})"

    # -- schema ----------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise WarehouseUnavailable(f"cannot open warehouse {self!r}: {exc.orig}") from None

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold a lock across processes, so two runs never load the same file twice."""
        if self.is_sqlite:
            lock_path = Path(self.url.database or "iku.sqlite").with_suffix(f".{name}.lock")
            with lock_path.open("a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        else:
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    # -- submissions -----------------------------------------------------
    def known_hashes(self, opd: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(submission.c.sha256).where(submission.c.opd_code == opd)))

    def record(self, opd: str, rec: SubmissionRecord) -> int | None:
        """Store one file's outcome in one transaction; its values become current
        when it is valid. Returns the submission id, None if already recorded."""
        now = datetime.now(timezone.utc)
        try:
            with self.engine.begin() as conn:
                revision = None
                if rec.status == "valid":
                    period = and_(
                        submission.c.opd_code == opd, submission.c.bidang == rec.bidang,
                        submission.c.year == rec.year, submission.c.month == rec.month,
                    )
                    revision = 1 + conn.scalar(
                        select(func.count()).where(period, submission.c.status == "valid"))
                    conn.execute(update(submission).where(period).values(is_current=False))
                    conn.execute(update(realisation).where(
                        realisation.c.opd_code == opd, realisation.c.bidang == rec.bidang,
                        realisation.c.year == rec.year, realisation.c.month == rec.month,
                    ).values(is_current=False))
                sub_id = conn.execute(insert(submission).values(
                    opd_code=opd, sha256=rec.sha256, bidang=rec.bidang, year=rec.year, month=rec.month,
                    file_name=rec.file_name, source_path=rec.source_path, archive_path=rec.archive_path,
                    size_bytes=rec.size_bytes, received_at=rec.received_at, processed_at=now,
                    status=rec.status, problems=[p.as_dict() for p in rec.problems],
                    revision=revision, is_current=rec.status == "valid",
                )).inserted_primary_key[0]
                if rec.status == "valid" and rec.values:
                    conn.execute(insert(realisation), [
                        dict(opd_code=opd, submission_id=sub_id, bidang=rec.bidang,
                             indicator_code=v.indicator, year=rec.year, month=rec.month,
                             realisation=v.realisation, numerator=v.numerator,
                             denominator=v.denominator, note=v.note, source_row=v.source_row,
                             is_current=True)
                        for v in rec.values
                    ])
                return sub_id
        except IntegrityError:
            return None  # another run recorded the same bytes first

    def submission_logs(self, opd: str, year: int | None = None) -> list[SubmissionLog]:
        q = select(submission).where(submission.c.opd_code == opd).order_by(submission.c.id)
        if year is not None:
            q = q.where(submission.c.year == year)
        with self.engine.connect() as conn:
            return [
                SubmissionLog(
                    id=r.id, sha256=r.sha256, bidang=r.bidang, year=r.year, month=r.month,
                    status=r.status, file_name=r.file_name, received_at=_utc(r.received_at),
                    processed_at=_utc(r.processed_at), revision=r.revision,
                    is_current=r.is_current, problems=[Problem(**p) for p in r.problems],
                )
                for r in conn.execute(q)
            ]

    def current_values(self, opd: str, year: int | None = None) -> list[MonthlyValue]:
        """The figures of the current revision of every (bidang, month); all
        years when `year` is None (the LAKIP compares years)."""
        q = (
            select(realisation, submission.c.file_name, submission.c.sha256,
                   submission.c.revision, submission.c.received_at)
            .join(submission, submission.c.id == realisation.c.submission_id)
            .where(realisation.c.opd_code == opd, realisation.c.is_current.is_(True))
            .order_by(realisation.c.year, realisation.c.month, realisation.c.indicator_code)
        )
        if year is not None:
            q = q.where(realisation.c.year == year)
        with self.engine.connect() as conn:
            return [
                MonthlyValue(
                    bidang=r.bidang, indicator=r.indicator_code, year=r.year, month=r.month,
                    realisation=r.realisation, numerator=r.numerator, denominator=r.denominator,
                    note=r.note, file_name=r.file_name, sha256=r.sha256, revision=r.revision,
                    received_at=_utc(r.received_at),
                )
                for r in conn.execute(q)
            ]

    # -- alerts ----------------------------------------------------------
    def add_alert(self, opd: str, *, cause_key: str, channel: str, kind: str, recipient: str,
                  subject: str, payload: dict, bidang: str | None = None, year: int | None = None,
                  month: int | None = None) -> int | None:
        """Record an alert to send; None when this cause already has one on this channel."""
        try:
            with self.engine.begin() as conn:
                return conn.execute(insert(alert).values(
                    opd_code=opd, cause_key=cause_key, channel=channel, kind=kind, bidang=bidang,
                    year=year, month=month, recipient=recipient, subject=subject, payload=payload,
                    created_at=datetime.now(timezone.utc), attempts=0,
                )).inserted_primary_key[0]
        except IntegrityError:
            return None

    def undelivered_alerts(self, opd: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(alert).where(
                alert.c.opd_code == opd, alert.c.delivered_at.is_(None)).order_by(alert.c.id))
            return [dict(r._mapping) for r in rows]

    def alerts(self, opd: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(alert).where(alert.c.opd_code == opd).order_by(alert.c.id))
            return [dict(r._mapping) for r in rows]

    def mark_alert(self, alert_id: int, *, delivered: bool, attempts: int, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(alert).where(alert.c.id == alert_id).values(
                delivered_at=datetime.now(timezone.utc) if delivered else None,
                attempts=alert.c.attempts + attempts, last_error=error,
            ))

    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise WarehouseUnavailable(f"cannot reach warehouse {self!r}: {exc.orig}") from None


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
