"""The SAKIP cycle in the warehouse (CONTRACT §12): verification of bidang-months,
approval and locking of quarters, the audit log, evidence files (bukti dukung).

The rules are iku.domain.verification's; this module reads the facts they need,
applies them, and writes the new state together with its audit-log row in one
transaction, so no state changes without its record.

Locks and current data: a file for a month of a locked quarter is recorded but
never becomes current. `hold_locked` enforces that inside the transaction that
recorded the files (Warehouse._insert calls it; both live in locks.py, which
store.py and this module share): in each locked bidang-month the current
submission is the latest valid one recorded before the lock began.
`Sakip.unlock` makes the latest valid submission of each month of the quarter
current again (the usual revision rule).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256 as sha256_of
from pathlib import PurePath
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from iku import archive, storage
from iku.domain import verification as rules
from iku.domain.model import Held
from iku.domain.periods import quarter_months, quarter_of
from iku.domain.verification import MonthState, QuarterApproval, StoredState, TransitionRefused
from iku.storage import Where

from .locks import Period, lock_of
from .locks import approvals as _approvals
from .locks import latest_valid as _latest_valid
from .locks import set_current as _set_current
from .locks import utc_now as _utc_now
from .schema import audit_log, evidence, quarter_approval, submission, verification
from .store import _utc, run_lock

if TYPE_CHECKING:
    from iku.config import Pipeline

    from .store import Warehouse

# Bukti dukung: the types the issue names, recognised by their first bytes (the
# name and the browser's content type are the sender's word, not the file's).
EVIDENCE_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
MAX_EVIDENCE_BYTES = 10_000_000
EVIDENCE_ROLES = frozenset({"bidang", "perencana", "operator"})


class EvidenceRefused(ValueError):
    """An evidence file that cannot be taken; one Indonesian line."""


def sniff(data: bytes) -> str | None:
    """The content type of a PDF, JPEG, PNG or XLSX file, from its bytes; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"PK\x03\x04"):  # a zip: an XLSX names its workbook part (a DOCX or ODS does not)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if {"[Content_Types].xml", "xl/workbook.xml"} <= names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


@dataclass(frozen=True)
class MonthView:
    """The verification of one bidang-month, for the matrix and the report JSON."""

    bidang: str
    year: int
    month: int
    state: MonthState | None
    locked: bool
    submission_id: int | None = None
    note: str | None = None  # the return note, while the month is dikembalikan
    by: str | None = None
    at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        """The keys a report's submissions[] entry adds (CONTRACT §12), with the note."""
        return {
            "verification": self.state,
            "locked": self.locked,
            "verification_note": self.note if self.state == "dikembalikan" else None,
            "verification_by": self.by if self.state in ("diverifikasi", "dikembalikan") else None,
            "verification_at": self.at.isoformat() if self.at and self.state != "diterima" else None,
        }


@dataclass(frozen=True)
class QuarterView:
    year: int
    quarter: int
    state: str | None  # "disetujui" while approved and locked
    locked: bool  # approved, or closed by lock_after_days
    approval: QuarterApproval | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    opd_code: str
    recorded_at: datetime
    actor: str
    role: str
    action: str  # verify | return | approve | unlock | evidence
    target: str
    note: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "opd": self.opd_code,
            "at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "note": self.note,
        }


@dataclass(frozen=True)
class Evidence:
    id: int
    opd_code: str
    bidang: str
    indicator_code: str
    year: int
    month: int
    sha256: str
    file_name: str
    archive_path: str
    size_bytes: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime


def month_target(bidang: str, year: int, month: int) -> str:
    return f"{bidang}/{year}-{month:02d}"


def quarter_target(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


class Sakip:
    """Verification, approval, the audit log and evidence of the OPDs of one warehouse."""

    def __init__(self, warehouse: Warehouse, *, lock_after_days: int | None = None, tz: str = "Asia/Jakarta"):
        self.warehouse = warehouse
        self.engine = warehouse.engine
        self.lock_after_days = lock_after_days
        self.tz = tz

    @classmethod
    def for_pipeline(cls, warehouse: Warehouse, pipeline: Pipeline) -> Sakip:
        return cls(warehouse, lock_after_days=pipeline.lock_after_days, tz=pipeline.timezone)

    # -- reading ---------------------------------------------------------
    def _locked(self, approval: QuarterApproval | None, year: int, quarter: int, now: datetime) -> bool:
        return rules.quarter_locked(
            approval, year, quarter, now, lock_after_days=self.lock_after_days, tz=self.tz
        )

    def _month(
        self, conn: Connection, opd: str, bidang: str, year: int, month: int, now: datetime
    ) -> MonthView:
        current = conn.scalar(
            select(submission.c.id).where(
                submission.c.opd_code == opd,
                submission.c.bidang == bidang,
                submission.c.year == year,
                submission.c.month == month,
                submission.c.is_current.is_(True),
            )
        )
        row = conn.execute(
            select(verification).where(
                verification.c.opd_code == opd,
                verification.c.bidang == bidang,
                verification.c.year == year,
                verification.c.month == month,
            )
        ).first()
        quarter = quarter_of(month)
        locked = self._locked(_approvals(conn, opd, year).get(quarter), year, quarter, now)
        return self._view(bidang, year, month, current, row, locked)

    @staticmethod
    def _view(bidang: str, year: int, month: int, current: int | None, row, locked: bool) -> MonthView:
        stored = (
            StoredState(row.state, row.submission_id, row.note, row.changed_by, _utc(row.changed_at))
            if row is not None
            else None
        )
        state = rules.month_state(current, stored)
        held = stored is not None and state == stored.state and stored.submission_id == current
        return MonthView(
            bidang,
            year,
            month,
            state,
            locked,
            current,
            stored.note if held and stored else None,
            stored.by if held and stored else None,
            stored.at if held and stored else None,
        )

    def states(
        self, opd: str, year: int, now: datetime | None = None, *, bidang: Iterable[str] = ()
    ) -> dict[tuple[str, int], MonthView]:
        """The verification of every bidang-month of `year` that has a current
        valid submission or a stored state, by (bidang, month); with `bidang`,
        every month of those too (state None where nothing valid came), so a
        matrix cell always has its `locked`."""
        now = _utc_now(now)
        with self.engine.connect() as conn:
            current = {
                (r.bidang, r.month): r.id
                for r in conn.execute(
                    select(submission.c.id, submission.c.bidang, submission.c.month).where(
                        submission.c.opd_code == opd,
                        submission.c.year == year,
                        submission.c.is_current.is_(True),
                    )
                )
            }
            stored = {
                (r.bidang, r.month): r
                for r in conn.execute(
                    select(verification).where(verification.c.opd_code == opd, verification.c.year == year)
                )
            }
            approvals = _approvals(conn, opd, year)
        locked = {q: self._locked(approvals.get(q), year, q, now) for q in range(1, 5)}
        return {
            key: self._view(
                key[0], year, key[1], current.get(key), stored.get(key), locked[quarter_of(key[1])]
            )
            for key in sorted(set(current) | set(stored) | {(b, m) for b in bidang for m in range(1, 13)})
        }

    def quarter(self, opd: str, year: int, quarter: int, now: datetime | None = None) -> QuarterView:
        """A quarter's approval (by whom, when) and whether it is locked now."""
        now = _utc_now(now)
        with self.engine.connect() as conn:
            approval = _approvals(conn, opd, year).get(quarter)
        return QuarterView(
            year, quarter, rules.quarter_state(approval), self._locked(approval, year, quarter, now), approval
        )

    def locked_months(self, opd: str, year: int, now: datetime | None = None) -> set[int]:
        now = _utc_now(now)
        with self.engine.connect() as conn:
            approvals = _approvals(conn, opd, year)
        return {
            m for m in range(1, 13) if self._locked(approvals.get(quarter_of(m)), year, quarter_of(m), now)
        }

    def is_locked(self, opd: str, year: int, month: int, now: datetime | None = None) -> bool:
        return month in self.locked_months(opd, year, now)

    def held(self, opd: str, year: int, month: int, now: datetime | None = None) -> Held | None:
        """What would keep a file for this month out of the current data now:
        its quarter's approval or automatic close (None: the quarter is open)."""
        with self.engine.connect() as conn:
            return lock_of(conn, opd, year, month, now=now, lock_after_days=self.lock_after_days, tz=self.tz)

    # -- actions ---------------------------------------------------------
    def _audit(
        self, conn: Connection, opd: str, now: datetime, actor: str, role: str, action: str, target: str, note
    ) -> None:
        conn.execute(
            insert(audit_log).values(
                opd_code=opd, recorded_at=now, actor=actor, role=role, action=action, target=target, note=note
            )
        )

    def _set_state(
        self,
        opd: str,
        bidang: str,
        year: int,
        month: int,
        *,
        action: str,
        note: str | None,
        actor: str,
        role: str,
        now: datetime | None,
    ) -> MonthView:
        now = _utc_now(now)
        with self.engine.begin() as conn:
            view = self._month(conn, opd, bidang, year, month, now)
            # only an approval stops verification: a quarter closed by lock_after_days
            # takes no new data, but its months are still verified, then approved
            approval = _approvals(conn, opd, year).get(quarter_of(month))
            approved = approval is not None and approval.locked
            if action == "verify":
                state = rules.verify(role, view.state, locked=approved, year=year, month=month)
            else:
                state = rules.return_month(role, view.state, note, locked=approved, year=year, month=month)
                note = (note or "").strip()
            values = dict(
                state=state, submission_id=view.submission_id, note=note, changed_by=actor, changed_at=now
            )
            key = (
                verification.c.opd_code == opd,
                verification.c.bidang == bidang,
                verification.c.year == year,
                verification.c.month == month,
            )
            if conn.execute(update(verification).where(*key).values(**values)).rowcount == 0:
                conn.execute(
                    insert(verification).values(opd_code=opd, bidang=bidang, year=year, month=month, **values)
                )
            self._audit(conn, opd, now, actor, role, action, month_target(bidang, year, month), note)
            return self._month(conn, opd, bidang, year, month, now)

    def verify(
        self,
        opd: str,
        bidang: str,
        year: int,
        month: int,
        *,
        actor: str,
        role: str,
        now: datetime | None = None,
    ) -> MonthView:
        """Mark the month's current submission verified (TransitionRefused when not allowed)."""
        return self._set_state(
            opd, bidang, year, month, action="verify", note=None, actor=actor, role=role, now=now
        )

    def return_month(
        self,
        opd: str,
        bidang: str,
        year: int,
        month: int,
        note: str | None,
        *,
        actor: str,
        role: str,
        now: datetime | None = None,
    ) -> MonthView:
        """Return the month to its bidang with a note (TransitionRefused when not allowed)."""
        return self._set_state(
            opd, bidang, year, month, action="return", note=note, actor=actor, role=role, now=now
        )

    def approve(
        self,
        opd: str,
        year: int,
        quarter: int,
        bidang: Iterable[str],
        *,
        actor: str,
        role: str,
        now: datetime | None = None,
    ) -> QuarterView:
        """Approve and lock the quarter; every month of every bidang in `bidang`
        (those expected to submit) must be verified. Under the consolidation's
        lock, so no file becomes current between the check and the lock."""
        now = _utc_now(now)
        expected = list(bidang)
        with self.warehouse.exclusive(run_lock(opd)), self.engine.begin() as conn:
            approval = _approvals(conn, opd, year).get(quarter)
            states = {
                (b, m): self._month(conn, opd, b, year, m, now).state
                for b in expected
                for m in quarter_months(quarter)
            }
            rules.approve(
                role,
                states,
                expected,
                locked=approval is not None and approval.locked,  # closed by lock_after_days: approvable
                year=year,
                quarter=quarter,
            )
            values = dict(
                approved_by=actor,
                approved_at=now,
                locked=True,
                unlocked_by=None,
                unlocked_at=None,
                unlock_reason=None,
            )
            self._upsert_quarter(conn, opd, year, quarter, values)
            self._audit(conn, opd, now, actor, role, "approve", quarter_target(year, quarter), None)
        return self.quarter(opd, year, quarter, now)

    @staticmethod
    def _upsert_quarter(conn: Connection, opd: str, year: int, quarter: int, values: dict) -> None:
        key = (
            quarter_approval.c.opd_code == opd,
            quarter_approval.c.year == year,
            quarter_approval.c.quarter == quarter,
        )
        if conn.execute(update(quarter_approval).where(*key).values(**values)).rowcount == 0:
            conn.execute(insert(quarter_approval).values(opd_code=opd, year=year, quarter=quarter, **values))

    def unlock(
        self,
        opd: str,
        year: int,
        quarter: int,
        reason: str | None,
        *,
        actor: str,
        role: str,
        now: datetime | None = None,
    ) -> list[Period]:
        """Open a locked quarter with a reason; in each of its months the latest
        valid submission becomes current (what arrived meanwhile). Returns the
        bidang-months whose current data changed."""
        now = _utc_now(now)
        with self.warehouse.exclusive(run_lock(opd)), self.engine.begin() as conn:
            approval = _approvals(conn, opd, year).get(quarter)
            rules.unlock(
                role, reason, locked=self._locked(approval, year, quarter, now), year=year, quarter=quarter
            )
            reason = (reason or "").strip()
            self._upsert_quarter(
                conn,
                opd,
                year,
                quarter,
                dict(locked=False, unlocked_by=actor, unlocked_at=now, unlock_reason=reason),
            )
            self._audit(conn, opd, now, actor, role, "unlock", quarter_target(year, quarter), reason)
            months = quarter_months(quarter)
            periods = conn.execute(
                select(submission.c.bidang, submission.c.year, submission.c.month)
                .where(
                    submission.c.opd_code == opd, submission.c.year == year, submission.c.month.in_(months)
                )
                .distinct()
            ).all()
            changed = []
            for bidang, y, m in sorted(periods):
                period = (bidang, y, m)
                before = conn.scalar(
                    select(submission.c.id).where(
                        submission.c.opd_code == opd,
                        submission.c.bidang == bidang,
                        submission.c.year == y,
                        submission.c.month == m,
                        submission.c.is_current.is_(True),
                    )
                )
                latest = _latest_valid(conn, opd, period)
                if latest != before:
                    _set_current(conn, opd, period, latest)
                    changed.append(period)
            return changed

    # -- plausibility -----------------------------------------------------
    def follow_up(self, opd: str, year: int) -> list[dict[str, object]]:
        """The "perlu dicek" list: the plausibility warnings kept with the current
        submissions of `year`, by bidang and month, each with its file."""
        q = (
            select(submission.c.bidang, submission.c.month, submission.c.file_name, submission.c.warnings)
            .where(
                submission.c.opd_code == opd,
                submission.c.year == year,
                submission.c.is_current.is_(True),
            )
            .order_by(submission.c.month, submission.c.bidang)
        )
        with self.engine.connect() as conn:
            return [
                {"bidang": r.bidang, "month": r.month, "file_name": r.file_name, **warning}
                for r in conn.execute(q)
                for warning in r.warnings or []
            ]

    def unchecked(self, opd: str, year: int) -> set[tuple[str, int]]:
        """The (bidang, month) of `year` whose current submission was loaded
        without a plausibility check (before the consolidation kept warnings)."""
        q = select(submission.c.bidang, submission.c.month).where(
            submission.c.opd_code == opd,
            submission.c.year == year,
            submission.c.is_current.is_(True),
            submission.c.warnings.is_(None),
        )
        with self.engine.connect() as conn:
            return set(conn.execute(q).tuples())

    # -- audit log -------------------------------------------------------
    def audit(self, opd: str | None = None, *, role: str = "operator") -> list[AuditEntry]:
        """The audit log, oldest first: one OPD's, or every OPD's when none is named."""
        rules.check_read_audit(role)
        q = select(audit_log).order_by(audit_log.c.id)
        if opd is not None:
            q = q.where(audit_log.c.opd_code == opd)
        with self.engine.connect() as conn:
            return [
                AuditEntry(r.id, r.opd_code, _utc(r.recorded_at), r.actor, r.role, r.action, r.target, r.note)
                for r in conn.execute(q)
            ]

    # -- evidence --------------------------------------------------------
    def record_evidence(
        self,
        opd: str,
        bidang: str,
        indicator: str,
        year: int,
        month: int,
        file_name: str,
        data: bytes,
        *,
        archive_root: Where,
        actor: str,
        role: str,
        actor_bidang: str | None = None,
        max_bytes: int = MAX_EVIDENCE_BYTES,
        now: datetime | None = None,
    ) -> Evidence:
        """Archive a bukti dukung file under its SHA-256 and record it for the
        indicator's month. The same bytes for the same indicator and month are
        recorded once (the row already there is returned)."""
        if role not in EVIDENCE_ROLES:
            raise TransitionRefused(f"peran {role} tidak dapat mengunggah bukti dukung")
        if role == "bidang" and actor_bidang != bidang:
            raise TransitionRefused(
                f"akun bidang {actor_bidang} tidak dapat mengunggah bukti dukung bidang {bidang}"
            )
        name = PurePath(file_name.replace("\\", "/")).name or "bukti"
        if len(data) == 0:
            raise EvidenceRefused(f"{name}: berkas kosong")
        if len(data) > max_bytes:
            raise EvidenceRefused(
                f"{name}: {len(data):,} bita melebihi batas {max_bytes:,} bita".replace(",", ".")
            )
        content_type = sniff(data)
        if content_type is None:
            raise EvidenceRefused(
                f"{name}: jenis berkas tidak diterima; bukti dukung berupa PDF, JPG, PNG atau XLSX"
            )
        digest = sha256_of(data).hexdigest()
        now = _utc_now(now)
        stored = archive.store(archive_root, digest, EVIDENCE_TYPES[content_type], data)
        row = dict(
            opd_code=opd,
            bidang=bidang,
            indicator_code=indicator,
            year=year,
            month=month,
            sha256=digest,
            file_name=name[:512],
            archive_path=storage.as_text(stored),
            size_bytes=len(data),
            content_type=content_type,
            uploaded_by=actor,
            uploaded_at=now,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(evidence).values(**row))
                target = f"{bidang}/{indicator}/{year}-{month:02d}"
                self._audit(conn, opd, now, actor, role, "evidence", target, f"{name} ({digest[:12]})")
        except IntegrityError:
            pass  # the same file for the same month, sent again
        found = self.evidence(opd, year, month=month, indicator=indicator, sha256=digest)
        return found[0]

    def evidence(
        self,
        opd: str,
        year: int,
        *,
        month: int | None = None,
        indicator: str | None = None,
        bidang: str | None = None,
        sha256: str | None = None,
    ) -> list[Evidence]:
        """The evidence recorded for an OPD's year, narrowed as asked, in upload order."""
        q = (
            select(evidence)
            .where(evidence.c.opd_code == opd, evidence.c.year == year)
            .order_by(evidence.c.id)
        )
        for column, value in (
            (evidence.c.month, month),
            (evidence.c.indicator_code, indicator),
            (evidence.c.bidang, bidang),
            (evidence.c.sha256, sha256),
        ):
            if value is not None:
                q = q.where(column == value)
        with self.engine.connect() as conn:
            return [Evidence(**{**r._mapping, "uploaded_at": _utc(r.uploaded_at)}) for r in conn.execute(q)]

    def months_missing_evidence(
        self, opd: str, year: int, required: Iterable[str], months: Iterable[int]
    ) -> set[tuple[str, int]]:
        """The (indicator, month) pairs of the `required` indicators (those with
        evidence_required) and `months` that have no evidence file: flagged on
        the matrix and in the reminders."""
        with self.engine.connect() as conn:
            have = set(
                conn.execute(
                    select(evidence.c.indicator_code, evidence.c.month)
                    .where(evidence.c.opd_code == opd, evidence.c.year == year)
                    .distinct()
                ).tuples()
            )
        return {(code, m) for code in required for m in months if (code, m) not in have}
