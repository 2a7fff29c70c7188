"""Warehouse access: SQLAlchemy 2 Core over SQLite (default) or PostgreSQL."""

from __future__ import annotations

import fcntl
import operator
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import fields, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, overload

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Row, make_url
from sqlalchemy.exc import DatabaseError, IntegrityError, NoSuchModuleError

from iku.domain.model import MonthlyValue, Problem, SubmissionLog, SubmissionRecord, ValueRow

from .locks import hold_locked, unalerted_held
from .schema import alert, realisation, submission

MIGRATIONS = Path(__file__).with_name("migrations")
# The installation-wide lock: migrations take it, so two first runs on an
# empty warehouse cannot both create the tables. A consolidation holds the
# lock of each OPD it covers (run_lock), so OPD load side by side.
RUN_LOCK = "consolidate"


def run_lock(opd: str) -> str:
    """The lock a consolidation of OPD `opd` holds (and a quarter's approval of
    that OPD): two runs of one OPD never load at once, two OPD do."""
    return f"{RUN_LOCK}-{opd}"


# Held briefly around writing an installation-wide file (out/index.html, the
# kabupaten recap) from the warehouse: the last writer has read every run's
# records, so runs of different OPD never drop each other's entries.
SITE_LOCK = "site"


class WarehouseUnavailable(Exception):
    """The database cannot be reached or opened; message is one line."""


@overload
def _utc(dt: datetime) -> datetime: ...
@overload
def _utc(dt: None) -> None: ...
def _utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored as UTC.
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


T = TypeVar("T")


def from_row(cls: type[T], row: Row, **columns: str) -> T:
    """A domain dataclass from a result row, by one rule for every query: each
    field from the column of its name (or the column `columns` names for it),
    datetimes as UTC, stored problems as Problem objects; a field the row lacks
    keeps its default."""
    data = row._mapping
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        column = columns.get(f.name, f.name)
        if column not in data:
            continue
        value = data[column]
        if isinstance(value, datetime):
            value = _utc(value)
        elif f.name == "problems":
            value = [Problem(**p) for p in value or []]
        values[f.name] = value
    return cls(**values)


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest revisions of migrations/versions (those no other revision
    revises), read from the files as Alembic's ScriptDirectory would give them.
    Plain text matching, no ast: first runs migrate from several threads at once."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        revisions.update(_QUOTED.findall(found["revision"]))
        revised.update(_QUOTED.findall(found.get("down_revision", "None")))
    return frozenset(revisions - revised)


class Warehouse:
    def __init__(self, url: str):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            try:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WarehouseUnavailable(f"gudang data {self.url.database}: {exc.strerror}") from None
        try:
            self.engine: Engine = create_engine(self.url, future=True)
        except (NoSuchModuleError, ImportError) as exc:  # an unknown database, or its driver missing
            from iku.config import ConfigError

            raise ConfigError(
                f"IKU_WAREHOUSE_URL: basis data '{self.url.drivername}' tidak didukung atau "
                f"pustakanya tidak terpasang ({_first_line(exc)}); pakai sqlite:/// atau postgresql+psycopg://"
            ) from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def __repr__(self) -> str:
        return f"Warehouse({self.url.render_as_string(hide_password=True)})"

    # -- schema ----------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision, under the run lock
        (checked first without it, so a command never waits for a running
        consolidation just to learn there is nothing to upgrade). Alembic is
        imported only to upgrade: its import costs every command 0.3 s."""
        head = head_revisions()
        try:
            if self._revisions() == head:
                return
            from alembic import command
            from alembic.config import Config as AlembicConfig

            cfg = AlembicConfig()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            with self.exclusive(RUN_LOCK):
                if self._revisions() == head:  # another process upgraded while we waited
                    return
                with self.engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        except DatabaseError as exc:  # unreachable, or a file that is no database
            raise WarehouseUnavailable(
                f"gudang data tidak dapat dibuka {self!r}: {_first_line(exc.orig)}"
            ) from None

    def _revisions(self) -> set[str]:
        """The revisions in Alembic's version table (none before the first upgrade)."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return set()
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}

    @contextmanager
    def exclusive(self, name: str | list[str], waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold a lock (or several: every name in `name`) across processes, so two
        runs never load the same file twice. Several are taken in sorted order,
        so two runs wanting overlapping sets cannot deadlock. `waiting` is
        called once when another process holds one of them (then this one waits)."""
        names = sorted({name} if isinstance(name, str) else set(name))
        told = [waiting is None]

        def wait() -> None:
            if not told[0] and waiting is not None:
                told[0] = True
                waiting()

        if not self.is_sqlite:
            with self._advisory_locks(names, wait):
                yield
            return
        with ExitStack() as stack:
            for each in names:
                stack.enter_context(self._flock(each, wait))
            yield

    @contextmanager
    def _flock(self, name: str, waiting: Callable[[], None]) -> Iterator[None]:
        lock_path = Path(self.url.database or "iku.sqlite").with_suffix(f".{name}.lock")
        with lock_path.open("a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waiting()
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextmanager
    def _advisory_locks(self, names: list[str], waiting: Callable[[], None]) -> Iterator[None]:
        """PostgreSQL session advisory locks, all on one connection (40 OPD would
        otherwise hold 40 of the pool's connections)."""
        # one lock per database and schema: warehouses side by side never wait for each other
        key = "hashtextextended(:n || '/' || current_database() || '/' || coalesce(current_schema(), ''), 0)"
        with self.engine.connect() as conn:
            held = []
            try:
                for name in names:
                    if not conn.scalar(text(f"SELECT pg_try_advisory_lock({key})"), {"n": name}):
                        waiting()
                        conn.execute(text(f"SELECT pg_advisory_lock({key})"), {"n": name})
                    held.append(name)
                    conn.commit()
                yield
            finally:
                for name in reversed(held):
                    conn.execute(text(f"SELECT pg_advisory_unlock({key})"), {"n": name})
                conn.commit()

    # -- submissions -----------------------------------------------------
    def known_hashes(self, opd: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(submission.c.sha256).where(submission.c.opd_code == opd)))

    def record(self, opd: str, rec: SubmissionRecord, **lock: Any) -> int | None:
        """Store one file's outcome; see record_many."""
        return self.record_many(opd, [rec], **lock)[0]

    def record_many(
        self,
        opd: str,
        records: list[SubmissionRecord],
        *,
        lock_after_days: int | None = None,
        tz: str = "Asia/Jakarta",
    ) -> list[int | None]:
        """Store files' outcomes, oldest first, in one transaction: a file is
        never half-loaded, and a valid file becomes the current data of its
        (bidang, year, month), the revision after the ones before it, unless
        its quarter is locked (CONTRACT §12: approved, or closed by
        `lock_after_days` in the pipeline's timezone `tz`): then it is recorded,
        never current, and its record's `held` says what holds it.

        Returns the submission ids; None for bytes already recorded (by a
        concurrent run: then each file is retried in a transaction of its own).
        """
        if not records:
            return []
        try:
            with self.engine.begin() as conn:
                return self._insert(conn, opd, records, lock_after_days=lock_after_days, tz=tz)
        except IntegrityError:
            for r in records:
                r.held = None  # told again by the retry that records it
            if len(records) == 1:
                return [None]
            return [self.record_many(opd, [r], lock_after_days=lock_after_days, tz=tz)[0] for r in records]

    def _insert(
        self,
        conn,
        opd: str,
        records: list[SubmissionRecord],
        *,
        lock_after_days: int | None = None,
        tz: str = "Asia/Jakarta",
    ) -> list[int | None]:
        valid = [r for r in records if r.status == "valid"]
        revisions = _supersede(conn, opd, sorted({(r.bidang, r.year, r.month) for r in valid}))
        # the last valid file of each period in this batch is the current one
        last = {(r.bidang, r.year, r.month): r.sha256 for r in valid}
        now = datetime.now(UTC)
        rows = []
        for r in records:
            revision = None
            if r.status == "valid":
                period = (r.bidang, r.year, r.month)
                revision = revisions[period] = revisions.get(period, 0) + 1
            current = r.status == "valid" and last[(r.bidang, r.year, r.month)] == r.sha256
            rows.append(_submission_row(opd, r, revision, current, now))
        # one executemany, then the ids by hash ((opd, sha256) is unique): RETURNING with
        # the rows' order kept ran one INSERT per file on SQLite
        _insert_many(conn, submission, rows)
        found: dict[str, int] = {}
        for chunk in _chunks([r.sha256 for r in records], 500):
            query = select(submission.c.sha256, submission.c.id).where(
                submission.c.opd_code == opd, submission.c.sha256.in_(chunk)
            )
            found.update((sha, sub_id) for sha, sub_id in conn.execute(query))
        ids = [found[r.sha256] for r in records]
        facts = [
            _fact_row(opd, sub_id, r, v, row["is_current"])
            for sub_id, r, row in zip(ids, records, rows)
            if r.status == "valid"
            for v in r.values
        ]
        if facts:
            _insert_many(conn, realisation, facts)
        # in the same transaction: a file for a locked quarter never is current, not even for a moment
        periods = [(b, y, m) for b, y, m in last if y is not None and m is not None]  # a valid file has both
        held = hold_locked(conn, opd, periods, now=now, lock_after_days=lock_after_days, tz=tz)
        for r in valid:
            r.held = held.get((r.bidang, r.year or 0, r.month or 0))
        return list(ids)

    def submission_logs(self, opd: str, year: int | None = None) -> list[SubmissionLog]:
        q = select(submission).where(submission.c.opd_code == opd).order_by(submission.c.id)
        if year is not None:
            q = q.where(submission.c.year == year)
        with self.engine.connect() as conn:
            return [from_row(SubmissionLog, r) for r in conn.execute(q)]

    def current_values(self, opd: str, year: int | None = None) -> list[MonthlyValue]:
        """The figures of the current revision of every (bidang, month); all
        years when `year` is None (the LAKIP compares years)."""
        q = (
            select(
                realisation,
                submission.c.file_name,
                submission.c.sha256,
                submission.c.revision,
                submission.c.received_at,
            )
            .join(submission, submission.c.id == realisation.c.submission_id)
            .where(realisation.c.opd_code == opd, realisation.c.is_current.is_(True))
            .order_by(realisation.c.year, realisation.c.month, realisation.c.indicator_code)
        )
        if year is not None:
            q = q.where(realisation.c.year == year)
        with self.engine.connect() as conn:
            return [
                from_row(
                    MonthlyValue,
                    r,
                    indicator="indicator_code",
                    supporting="supporting_factors",
                    inhibiting="inhibiting_factors",
                )
                for r in conn.execute(q)
            ]

    # -- alerts ----------------------------------------------------------
    def add_alert(
        self,
        opd: str,
        *,
        cause_key: str,
        channel: str,
        kind: str,
        recipient: str,
        subject: str,
        payload: dict,
        bidang: str | None = None,
        year: int | None = None,
        month: int | None = None,
    ) -> int | None:
        """Record an alert to send; None when this cause already has one on this channel."""
        try:
            with self.engine.begin() as conn:
                key = conn.execute(
                    insert(alert).values(
                        opd_code=opd,
                        cause_key=cause_key,
                        channel=channel,
                        kind=kind,
                        bidang=bidang,
                        year=year,
                        month=month,
                        recipient=recipient,
                        subject=subject,
                        payload=payload,
                        created_at=datetime.now(UTC),
                        attempts=0,
                    )
                ).inserted_primary_key
                return None if key is None else int(key[0])
        except IntegrityError:
            return None

    def add_alerts(self, opd: str, alerts: list[dict]) -> int:
        """Record the rows of one alert (one per channel) in one transaction, so a
        crash leaves a cause with all its channels or none; a row whose cause
        and channel exist already is skipped. Returns how many rows were new."""
        new = 0
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for row in alerts:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(alert).values(opd_code=opd, created_at=now, attempts=0, **row))
                    new += 1
                except IntegrityError:
                    continue
        return new

    def unalerted_submissions(self, opd: str, since: datetime) -> list[SubmissionRecord]:
        """The outbox: invalid and unreadable files recorded since `since` whose
        cause (``<status>:<sha256>``) has no alert row yet, oldest first. Alerts
        follow from what the warehouse holds, so a run killed between loading
        and alerting loses none of them."""
        cause = submission.c.status + literal(":") + submission.c.sha256
        alerted = select(alert.c.id).where(alert.c.opd_code == opd, alert.c.cause_key == cause)
        q = (
            select(submission)
            .where(
                submission.c.opd_code == opd,
                submission.c.status != "valid",
                submission.c.processed_at >= since.astimezone(UTC),
                ~alerted.exists(),
            )
            .order_by(submission.c.id)
        )
        with self.engine.connect() as conn:
            return [from_row(SubmissionRecord, r) for r in conn.execute(q)]

    def unalerted_held(
        self, opd: str, since: datetime, *, lock_after_days: int | None = None, tz: str = "Asia/Jakarta"
    ) -> list[SubmissionRecord]:
        """The outbox of `locked_submission` alerts: valid files recorded since
        `since` and held out of the current data by a locked quarter, without
        their alert (``locked:<sha256>``) yet, oldest first, each with `held`."""
        with self.engine.connect() as conn:
            found = unalerted_held(conn, opd, since, lock_after_days=lock_after_days, tz=tz)
        return [replace(from_row(SubmissionRecord, row), held=lock) for row, lock in found]

    def undelivered_alerts(self, opd: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(alert)
                .where(alert.c.opd_code == opd, alert.c.delivered_at.is_(None))
                .order_by(alert.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def alerts(self, opd: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(alert).where(alert.c.opd_code == opd).order_by(alert.c.id))
            return [dict(r._mapping) for r in rows]

    def mark_alert(self, alert_id: int, *, delivered: bool, attempts: int, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(alert)
                .where(alert.c.id == alert_id)
                .values(
                    delivered_at=datetime.now(UTC) if delivered else None,
                    attempts=alert.c.attempts + attempts,
                    last_error=error,
                )
            )


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        _switch_to_wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _switch_to_wal(cur: sqlite3.Cursor) -> None:
    """WAL is stored in the file, so this runs once per new database. SQLite
    answers "database is locked" at once, without its busy timeout, when
    another connection opens the same new file at that moment (first runs
    started together), so the switch is tried again for up to 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _insert_many(conn: Connection, table: Table, rows: list[dict]) -> None:
    """rows (dicts with the same keys) inserted by one executemany of the
    driver, each value through its column type's own bind processor, as
    SQLAlchemy's executemany does. SQLAlchemy builds a parameter dict per row
    (construct_params): for a run's thousands of files and their facts that was
    a third of recording them (56 -> 42 us a sheet on SQLite)."""
    sql, positional, order, pick, processors = _compiled_insert(table, conn.dialect, tuple(rows[0]))
    params: list[Any] = []
    # a batch's rows repeat the same objects (its time stamp, True, the one empty
    # list): each column's processor is called again only for another object
    last: list[tuple[object, object]] = [(_NOT_SEEN, None)] * len(processors)
    for row in rows:
        values = list(pick(row))
        for j, (i, process) in enumerate(processors):
            value = values[i]
            seen, out = last[j]
            if value is not seen:
                out = process(value)
                last[j] = (value, out)
            values[i] = out
        params.append(tuple(values) if positional else dict(zip(order, values)))
    conn.exec_driver_sql(sql, params)


_NOT_SEEN = object()


@lru_cache(maxsize=64)
def _compiled_insert(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> tuple:
    """The INSERT of `keys` as the dialect writes it, whether its parameters are
    positional, their order, a getter of that order, and the non-trivial bind
    processors by position."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    positional = compiled.positiontup is not None
    order = list(compiled.positiontup or keys)
    processors = [
        (i, table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) for i, k in enumerate(order)
    ]
    pick = operator.itemgetter(*order)  # a tuple, for every table here has several columns
    return compiled.string, positional, order, pick, [(i, p) for i, p in processors if p is not None]


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _supersede(conn, opd: str, periods: list[tuple]) -> dict[tuple, int]:
    """Mark the stored files and facts of `periods` not current; the number of
    valid files each period already holds (the next revision follows it)."""
    revisions: dict[tuple, int] = {}
    for chunk in _chunks(periods, 200):
        key = tuple_(submission.c.bidang, submission.c.year, submission.c.month)
        revisions.update(
            {
                (b, y, m): n
                for b, y, m, n in conn.execute(
                    select(submission.c.bidang, submission.c.year, submission.c.month, func.count())
                    .where(submission.c.opd_code == opd, submission.c.status == "valid", key.in_(chunk))
                    .group_by(submission.c.bidang, submission.c.year, submission.c.month)
                )
            }
        )
        # only the rows still current: rewriting every earlier revision again made
        # each batch cost more than the one before (quadratic in a month's revisions)
        conn.execute(
            update(submission)
            .where(submission.c.opd_code == opd, key.in_(chunk), submission.c.is_current.is_(True))
            .values(is_current=False)
        )
        fact_key = tuple_(realisation.c.bidang, realisation.c.year, realisation.c.month)
        conn.execute(
            update(realisation)
            .where(realisation.c.opd_code == opd, fact_key.in_(chunk), realisation.c.is_current.is_(True))
            .values(is_current=False)
        )
    return revisions


def _submission_row(
    opd: str, r: SubmissionRecord, revision: int | None, current: bool, now: datetime
) -> dict:
    return dict(
        opd_code=opd,
        sha256=r.sha256,
        bidang=r.bidang,
        year=r.year,
        month=r.month,
        file_name=r.file_name,
        source_path=r.source_path,
        archive_path=r.archive_path,
        size_bytes=r.size_bytes,
        received_at=r.received_at.astimezone(UTC),
        processed_at=now,
        status=r.status,
        problems=[p.as_dict() for p in r.problems] if r.problems else _NONE_FOUND,
        warnings=_NONE_FOUND if r.warnings == [] else r.warnings,  # None stays None (never checked)
        revision=revision,
        is_current=current,
    )


# one empty list for every row without problems or warnings: its JSON is made once
# per batch (_insert_many); never changed, the rows are only read
_NONE_FOUND: list = []


def _fact_row(opd: str, sub_id: int, r: SubmissionRecord, v: ValueRow, current: bool) -> dict:
    return dict(
        opd_code=opd,
        submission_id=sub_id,
        bidang=r.bidang,
        indicator_code=v.indicator,
        year=r.year,
        month=r.month,
        realisation=v.realisation,
        numerator=v.numerator,
        denominator=v.denominator,
        note=v.note,
        source_row=v.source_row,
        supporting_factors=v.supporting,
        inhibiting_factors=v.inhibiting,
        follow_up=v.follow_up,
        is_current=current,
    )
