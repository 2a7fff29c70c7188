"""Budget realisation sheets in the warehouse (CONTRACT §11): each file recorded
once by its SHA-256, a later valid file of the same (OPD, year, month) the next
revision (the earlier stays, no longer current), and the current figures per
configured code for the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, insert, literal, select, update

from iku.domain.budget import BudgetLine
from iku.domain.model import Problem

from .schema import alert, budget_file, budget_line
from .store import Warehouse, _utc

LOCK = "budget"


@dataclass
class BudgetFileRecord:
    """What became of one budget sheet; `lines` only for a valid one."""

    sha256: str
    file_name: str
    source_path: str
    archive_path: str
    size_bytes: int
    received_at: datetime
    status: str  # valid | invalid
    year: int | None = None
    month: int | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    lines: list[BudgetLine] = field(default_factory=list)


@dataclass(frozen=True)
class Recorded:
    """The file's row. `already_recorded_at` is set when these bytes were recorded
    before: then nothing changed."""

    id: int
    revision: int | None
    already_recorded_at: datetime | None = None


@dataclass(frozen=True)
class BudgetMonth:
    """The current figures of one month: per configured code, pagu as it stood and
    realisation cumulative from 1 January."""

    year: int
    month: int
    lines: dict[str, BudgetLine]
    file_name: str
    revision: int
    received_at: datetime


def record_budget_file(wh: Warehouse, opd: str, rec: BudgetFileRecord) -> Recorded:
    """Store one file's outcome in one transaction. A valid file becomes the
    current figures of its month; the same bytes again change nothing (bytes
    refused before and valid now, after the catalogue was fixed, are loaded)."""
    with wh.exclusive(LOCK), wh.engine.begin() as conn:
        f = budget_file.c
        before = conn.execute(
            select(f.id, f.status, f.processed_at).where(f.opd_code == opd, f.sha256 == rec.sha256)
        ).first()
        if before is not None and not (before.status == "invalid" and rec.status == "valid"):
            return Recorded(before.id, None, _utc(before.processed_at))
        values = dict(
            opd_code=opd,
            sha256=rec.sha256,
            year=rec.year,
            month=rec.month,
            file_name=rec.file_name,
            source_path=rec.source_path,
            archive_path=rec.archive_path,
            size_bytes=rec.size_bytes,
            received_at=rec.received_at,
            processed_at=datetime.now(UTC),
            status=rec.status,
            problems=[p.as_dict() for p in rec.problems],
            warnings=[p.as_dict() for p in rec.warnings],
            revision=None,
            is_current=False,
        )
        if rec.status == "valid":
            period = (f.opd_code == opd, f.year == rec.year, f.month == rec.month)
            earlier = conn.scalar(select(func.count()).where(*period, f.status == "valid")) or 0
            conn.execute(update(budget_file).where(*period).values(is_current=False))
            b = budget_line.c
            conn.execute(
                update(budget_line)
                .where(b.opd_code == opd, b.year == rec.year, b.month == rec.month)
                .values(is_current=False)
            )
            values.update(revision=earlier + 1, is_current=True)
        if before is not None:
            conn.execute(update(budget_file).where(f.id == before.id).values(**values))
            file_id = before.id
        else:
            file_id = conn.execute(insert(budget_file).values(**values).returning(f.id)).scalar_one()
        if rec.status == "valid" and rec.lines:
            conn.execute(
                insert(budget_line),
                [
                    dict(
                        opd_code=opd,
                        budget_file_id=file_id,
                        year=rec.year,
                        month=rec.month,
                        code=line.code,
                        level=line.level,
                        name=line.name,
                        pagu=line.pagu,
                        realisation=line.realisation,
                        is_current=True,
                    )
                    for line in rec.lines
                ],
            )
        return Recorded(file_id, values["revision"])  # type: ignore[arg-type]


def unalerted_budget_files(wh: Warehouse, opd: str, since: datetime, folder: str) -> list[BudgetFileRecord]:
    """The outbox of `invalid_budget` alerts: sheets of the inbox's anggaran
    `folder` refused since `since` whose cause (``invalid-budget:<sha256>``)
    has no alert row yet, oldest first, so a run killed between recording and
    alerting loses none. A sheet refused by `iku import-budget` or the portal
    elsewhere was said to whoever sent it, not alerted."""
    f = budget_file.c
    alerted = select(alert.c.id).where(
        alert.c.opd_code == opd, alert.c.cause_key == literal("invalid-budget:") + f.sha256
    )
    q = (
        select(budget_file)
        .where(
            f.opd_code == opd,
            f.status == "invalid",
            f.source_path.startswith(folder.rstrip("/") + "/", autoescape=True),
            f.processed_at >= since.astimezone(UTC),
            ~alerted.exists(),
        )
        .order_by(f.id)
    )
    with wh.engine.connect() as conn:
        return [
            BudgetFileRecord(
                sha256=r.sha256,
                file_name=r.file_name,
                source_path=r.source_path,
                archive_path=r.archive_path,
                size_bytes=r.size_bytes,
                received_at=_utc(r.received_at),
                status=r.status,
                year=r.year,
                month=r.month,
                problems=[Problem(**p) for p in r.problems or []],
            )
            for r in conn.execute(q)
        ]


def budget_months(wh: Warehouse, opd: str, year: int, through_month: int = 12) -> dict[int, BudgetMonth]:
    """The current figures of every month of `year` up to `through_month` that has a budget file."""
    b, f = budget_line.c, budget_file.c
    q = (
        select(budget_line, f.file_name, f.revision, f.received_at)
        .join(budget_file, f.id == b.budget_file_id)
        .where(b.opd_code == opd, b.year == year, b.is_current.is_(True), b.month <= through_month)
        .order_by(b.month, b.id)
    )
    months: dict[int, BudgetMonth] = {}
    with wh.engine.connect() as conn:
        for r in conn.execute(q):
            month = months.get(r.month)
            if month is None:
                month = months[r.month] = BudgetMonth(
                    year, r.month, {}, r.file_name, r.revision, _utc(r.received_at)
                )
            month.lines[r.code] = BudgetLine(r.code, r.level, r.name, r.pagu, r.realisation)
    return months


def current_budget(wh: Warehouse, opd: str, year: int, through_month: int = 12) -> BudgetMonth | None:
    """The figures through `through_month`: the latest month up to it with a
    budget file (realisation is cumulative, so that month holds the whole year
    so far); None when the year has none yet."""
    months = budget_months(wh, opd, year, through_month)
    return months[max(months)] if months else None


def previous_budget(wh: Warehouse, opd: str, year: int, month: int) -> BudgetMonth | None:
    """The latest month of the same year before `month` with figures: the one a
    cumulative realisation must not fall below (the warning)."""
    return current_budget(wh, opd, year, month - 1) if month > 1 else None


def budget_files(wh: Warehouse, opd: str, year: int | None = None) -> list[dict]:
    """Every budget file recorded (of `year`), newest first, for history pages."""
    f = budget_file.c
    q = select(budget_file).where(f.opd_code == opd).order_by(f.received_at.desc(), f.id.desc())
    if year is not None:
        q = q.where(f.year == year)
    with wh.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for row in rows:
        row["received_at"] = _utc(row["received_at"])
        row["processed_at"] = _utc(row["processed_at"])
    return rows


def budget_hashes(wh: Warehouse, opd: str) -> set[str]:
    """Every budget file's SHA-256 recorded for `opd`, whatever became of it: the
    inbox scan reads these bytes no more (like a bidang's known files)."""
    f = budget_file.c
    with wh.engine.connect() as conn:
        return set(conn.scalars(select(f.sha256).where(f.opd_code == opd)))


def budget_file_by_hash(wh: Warehouse, opd: str, sha256: str) -> dict | None:
    f = budget_file.c
    with wh.engine.connect() as conn:
        r = conn.execute(select(budget_file).where(f.opd_code == opd, f.sha256 == sha256)).first()
    if r is None:
        return None
    row = dict(r._mapping)
    row["received_at"] = _utc(row["received_at"])
    row["processed_at"] = _utc(row["processed_at"])
    return row
