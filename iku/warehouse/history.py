"""Warehouse queries for imported history (`iku import-history`) and for the
years the LKjIP compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from iku.domain.history import HistoryRow, HistoryValue

from .schema import history_import, history_realisation, submission
from .store import Warehouse, _utc, from_row


@dataclass(frozen=True)
class ImportOutcome:
    """What an import changed. `already_imported_at` is set when these exact
    bytes were imported before: then nothing changed."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    already_imported_at: datetime | None = None


def first_pipeline_year(wh: Warehouse, opd: str) -> int | None:
    """The first year with a valid monthly sheet: history stops before it."""
    with wh.engine.connect() as conn:
        return conn.scalar(
            select(func.min(submission.c.year)).where(
                submission.c.opd_code == opd, submission.c.status == "valid"
            )
        )


def _current(conn, opd: str) -> dict[tuple[str, int], Any]:
    h = history_realisation.c
    rows = conn.execute(
        select(h.indicator_code, h.year, h.realisation, h.source, h.note, h.revision).where(
            h.opd_code == opd, h.is_current.is_(True)
        )
    )
    return {(r.indicator_code, r.year): r for r in rows}


def _supersede(conn, opd: str, indicator: str, year: int) -> None:
    h = history_realisation.c
    conn.execute(
        update(history_realisation)
        .where(h.opd_code == opd, h.indicator_code == indicator, h.year == year, h.is_current.is_(True))
        .values(is_current=False)
    )


def import_history(
    wh: Warehouse, opd: str, sha256: str, file_name: str, rows: list[HistoryRow]
) -> ImportOutcome:
    """Store a validated history file in one transaction. A row whose figure,
    source and note equal the current ones is left alone; a different one
    becomes the next revision and the earlier one stays, no longer current."""
    with wh.exclusive("history"), wh.engine.begin() as conn:
        before = conn.scalar(
            select(history_import.c.imported_at).where(
                history_import.c.opd_code == opd, history_import.c.sha256 == sha256
            )
        )
        if before is not None:
            return ImportOutcome(unchanged=len(rows), already_imported_at=_utc(before))
        current = _current(conn, opd)
        import_id = conn.execute(
            insert(history_import)
            .values(
                opd_code=opd,
                sha256=sha256,
                file_name=file_name,
                imported_at=datetime.now(UTC),
                rows=len(rows),
            )
            .returning(history_import.c.id)
        ).scalar_one()
        facts = []
        for r in rows:
            old = current.get((r.indicator, r.year))
            if old is not None and (old.realisation, old.source, old.note) == (
                r.realisation,
                r.source,
                r.note,
            ):
                continue
            if old is not None:
                _supersede(conn, opd, r.indicator, r.year)
            facts.append(
                dict(
                    opd_code=opd,
                    import_id=import_id,
                    indicator_code=r.indicator,
                    year=r.year,
                    realisation=r.realisation,
                    source=r.source,
                    note=r.note,
                    source_row=r.source_row,
                    revision=old.revision + 1 if old is not None else 1,
                    is_current=True,
                )
            )
        if facts:
            conn.execute(insert(history_realisation), facts)
        replaced = sum(1 for f in facts if f["revision"] > 1)
        return ImportOutcome(len(facts) - replaced, replaced, len(rows) - len(facts))


def history_values(wh: Warehouse, opd: str, *, current_only: bool = True) -> list[HistoryValue]:
    """The imported figures (the current ones, or every revision), by indicator and year."""
    h = history_realisation.c
    q = (
        select(history_realisation, history_import.c.file_name, history_import.c.imported_at)
        .join(history_import, history_import.c.id == h.import_id)
        .where(h.opd_code == opd)
        .order_by(h.indicator_code, h.year, h.revision)
    )
    if current_only:
        q = q.where(h.is_current.is_(True))
    with wh.engine.connect() as conn:
        return [from_row(HistoryValue, r, indicator="indicator_code") for r in conn.execute(q)]
