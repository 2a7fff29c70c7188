"""Verification of a bidang-month and approval of an OPD's quarter (CONTRACT §12).
Pure: states and roles in, the new state or a refusal with its Indonesian reason out.

A bidang-month with a valid current submission is `diterima`; the perencana
marks it `diverifikasi`, or `dikembalikan` with a note; the kepala approves a
quarter (`disetujui`) once every expected bidang-month of it is verified, and
an approved quarter is locked until unlocked with a reason. The model follows
DHIS2's data approval: an approval belongs to the data it was given for.

A stored state names the submission it was given for. When another valid
submission becomes current, the state given for the old one no longer holds
and the month is `diterima` again (`month_state`): a returned month starts
again at `diterima` when its correction arrives, and a verified month that is
not locked does too, since what was verified is no longer the current data
(DHIS2 un-approves changed data the same way). A month of a locked quarter
keeps its approved data current: later files are recorded, never current.

The roles: `bidang` submits only; `perencana` verifies and returns months;
`kepala` approves and unlocks quarters; `kabupaten` reads every state and
changes none; `operator` is the CLI (`iku verify`, `iku approve` ..., run by
whoever administers the installation), allowed every action, named in the
audit log by `--by`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from .periods import QUARTER_NAMES, month_name, quarter_months

MonthState = Literal["diterima", "diverifikasi", "dikembalikan"]
MONTH_STATES: tuple[MonthState, ...] = ("diterima", "diverifikasi", "dikembalikan")
APPROVED = "disetujui"  # the state of an approved (locked) quarter
Role = Literal["bidang", "perencana", "kepala", "kabupaten", "operator"]
ROLES: tuple[Role, ...] = ("bidang", "perencana", "kepala", "kabupaten", "operator")
Action = Literal["verify", "return", "approve", "unlock"]

# Who may do what; everybody not named is refused.
ALLOWED: dict[Action, frozenset[str]] = {
    "verify": frozenset({"perencana", "operator"}),
    "return": frozenset({"perencana", "operator"}),
    "approve": frozenset({"kepala", "operator"}),
    "unlock": frozenset({"kepala", "operator"}),
}
AUDIT_READERS = frozenset({"perencana", "kepala", "kabupaten", "operator"})
ACTION_WORDS: dict[Action, str] = {
    "verify": "memverifikasi bulan",
    "return": "mengembalikan bulan",
    "approve": "menyetujui triwulan",
    "unlock": "membuka kunci triwulan",
}
# The audit log's action codes as a reader sees them (iku audit, the portal)
AUDIT_ACTION_LABELS = {
    "verify": "verifikasi bulan",
    "return": "pengembalian bulan",
    "approve": "persetujuan triwulan",
    "unlock": "buka kunci triwulan",
    "evidence": "unggah bukti dukung",
}
STATE_LABELS: dict[str | None, str] = {
    "diterima": "diterima",
    "diverifikasi": "diverifikasi",
    "dikembalikan": "dikembalikan",
    None: "belum ada data valid",
}


class TransitionRefused(ValueError):
    """The action is not allowed now; the message is one Indonesian line (exit 2)."""


@dataclass(frozen=True)
class StoredState:
    """A verification row: the state given to a bidang-month, for which submission."""

    state: MonthState
    submission_id: int
    note: str | None = None
    by: str | None = None
    at: datetime | None = None


def month_state(current_submission: int | None, stored: StoredState | None) -> MonthState | None:
    """The state of a bidang-month: None without a valid current submission;
    the stored state while it was given for the current submission, else `diterima`."""
    if current_submission is None:
        return None
    if stored is None or stored.submission_id != current_submission:
        return "diterima"
    return stored.state


def month_label(year: int, month: int) -> str:
    return f"{month_name(month)} {year}"


def quarter_label(year: int, quarter: int) -> str:
    return f"{QUARTER_NAMES[quarter]} {year}"


def check_role(role: str, action: Action) -> None:
    """Refuse a role the action is not for, saying why."""
    if role in ALLOWED[action]:
        return
    if role == "kabupaten":
        raise TransitionRefused(f"peran kabupaten hanya dapat melihat, tidak dapat {ACTION_WORDS[action]}")
    if role == "bidang":
        raise TransitionRefused(f"peran bidang tidak dapat {ACTION_WORDS[action]}")
    if role not in ROLES:
        raise TransitionRefused(f"peran '{role}' tidak dikenal")
    who = "perencana" if action in ("verify", "return") else "kepala"
    raise TransitionRefused(f"{ACTION_WORDS[action].capitalize()} adalah wewenang {who}, bukan {role}")


def check_read_audit(role: str) -> None:
    if role not in AUDIT_READERS:
        raise TransitionRefused(f"peran {role} tidak dapat membaca log audit")


def _month_open(state: MonthState | None, locked: bool, year: int, month: int) -> None:
    if locked:
        quarter = (month - 1) // 3 + 1
        raise TransitionRefused(
            f"{month_label(year, month)} termasuk {quarter_label(year, quarter)} yang sudah disetujui dan dikunci; "
            "buka kuncinya dulu (iku unlock)"
        )
    if state is None:
        raise TransitionRefused(f"{month_label(year, month)} belum mempunyai kiriman yang valid")


def verify(role: str, state: MonthState | None, *, locked: bool, year: int, month: int) -> MonthState:
    """diterima or dikembalikan -> diverifikasi (the perencana may change a return).
    `locked`: the month's quarter is approved (a quarter closed only by
    lock_after_days is still verified and approved)."""
    check_role(role, "verify")
    _month_open(state, locked, year, month)
    if state == "diverifikasi":
        raise TransitionRefused(f"{month_label(year, month)} sudah diverifikasi")
    return "diverifikasi"


def return_month(
    role: str, state: MonthState | None, note: str | None, *, locked: bool, year: int, month: int
) -> MonthState:
    """diterima or diverifikasi -> dikembalikan, with a note the bidang reads."""
    check_role(role, "return")
    _month_open(state, locked, year, month)
    if not (note or "").strip():
        raise TransitionRefused("catatan wajib diisi saat mengembalikan data (apa yang harus diperbaiki)")
    if state == "dikembalikan":
        raise TransitionRefused(
            f"{month_label(year, month)} sudah dikembalikan; menunggu kiriman perbaikan dari bidang"
        )
    return "dikembalikan"


def approve(
    role: str,
    states: Mapping[tuple[str, int], MonthState | None],
    expected: Iterable[str],
    *,
    locked: bool,
    year: int,
    quarter: int,
) -> str:
    """A quarter -> disetujui (locked), when every expected bidang has every
    month of it verified. `states` maps (bidang, month) to its state; `locked`:
    approved already (a quarter closed by lock_after_days can be approved)."""
    check_role(role, "approve")
    if locked:
        raise TransitionRefused(f"{quarter_label(year, quarter)} sudah disetujui dan dikunci")
    pending = [
        f"{bidang} {month_name(month)} ({STATE_LABELS[states.get((bidang, month))]})"
        for bidang in expected
        for month in quarter_months(quarter)
        if states.get((bidang, month)) != "diverifikasi"
    ]
    if pending:
        shown = ", ".join(pending[:6]) + (f" dan {len(pending) - 6} lainnya" if len(pending) > 6 else "")
        raise TransitionRefused(
            f"{quarter_label(year, quarter)} belum dapat disetujui; belum diverifikasi: {shown}"
        )
    return APPROVED


def unlock(role: str, reason: str | None, *, locked: bool, year: int, quarter: int) -> None:
    """A locked quarter (approved, or closed by lock_after_days) opens again; the reason is required."""
    check_role(role, "unlock")
    if not locked:
        raise TransitionRefused(f"{quarter_label(year, quarter)} tidak sedang dikunci")
    if not (reason or "").strip():
        raise TransitionRefused("alasan wajib diisi untuk membuka kunci triwulan (--reason)")


# -- automatic close (lock_after_days) ---------------------------------------
def quarter_end(year: int, quarter: int, tz: str) -> datetime:
    """The last moment of the quarter, local time."""
    y, m = (year + 1, 1) if quarter == 4 else (year, 3 * quarter + 1)
    return datetime.combine(date(y, m, 1), time(0), tzinfo=ZoneInfo(tz)) - timedelta(microseconds=1)


def closes_at(year: int, quarter: int, lock_after_days: int | None, tz: str) -> datetime | None:
    """When the quarter closes by itself: `lock_after_days` days after its end; None without the setting."""
    if lock_after_days is None:
        return None
    return quarter_end(year, quarter, tz) + timedelta(days=lock_after_days)


@dataclass(frozen=True)
class QuarterApproval:
    """A quarter_approval row: the latest approval and the latest unlock."""

    approved_by: str | None
    approved_at: datetime | None
    locked: bool
    unlocked_by: str | None = None
    unlocked_at: datetime | None = None
    unlock_reason: str | None = None


def quarter_locked(
    approval: QuarterApproval | None,
    year: int,
    quarter: int,
    now: datetime,
    *,
    lock_after_days: int | None = None,
    tz: str = "Asia/Jakarta",
) -> bool:
    """Whether files for the quarter's months can become current data at `now`.
    Locked when approved, or when closed by `lock_after_days` and not unlocked
    since it closed (an unlock before the close does not keep it open after)."""
    if approval is not None and approval.locked:
        return True
    closing = closes_at(year, quarter, lock_after_days, tz)
    if closing is None or now.astimezone(UTC) < closing.astimezone(UTC):
        return False
    reopened = approval is not None and approval.unlocked_at is not None and approval.unlocked_at >= closing
    return not reopened


def quarter_state(approval: QuarterApproval | None) -> str | None:
    """`disetujui` for an approved quarter still locked, else None."""
    return APPROVED if approval is not None and approval.locked and approval.approved_at else None
