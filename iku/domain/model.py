"""Plain records passed between the rules, the warehouse and the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FileStatus = Literal["valid", "invalid", "unreadable"]
MonthStatus = Literal["on_time", "late", "invalid", "missing", "pending"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a sheet; `row` is the row number a person sees in Excel."""

    message: str
    row: int | None = None
    column: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class ValueRow:
    """One indicator's figures for one month, as read from a valid sheet."""

    indicator: str
    realisation: float | None
    numerator: float | None
    denominator: float | None
    note: str | None
    source_row: int
    # faktor_pendorong, faktor_penghambat, tindak_lanjut (CONTRACT §2), optional
    supporting: str | None = None
    inhibiting: str | None = None
    follow_up: str | None = None


@dataclass(frozen=True)
class Held:
    """What keeps a valid file out of the current data: its month's quarter is
    locked (CONTRACT §12), approved by `approved_by`, or closed by
    lock_after_days (`approved_by` None); the lock began at `since`."""

    year: int
    quarter: int
    approved_by: str | None
    since: datetime


@dataclass
class SubmissionRecord:
    """What became of one file a bidang sent."""

    sha256: str
    bidang: str
    file_name: str
    source_path: str
    archive_path: str
    size_bytes: int
    received_at: datetime
    status: FileStatus
    year: int | None = None
    month: int | None = None
    problems: list[Problem] = field(default_factory=list)
    values: list[ValueRow] = field(default_factory=list)
    opd: str = ""  # the OPD whose folder it came from
    held: Held | None = None  # valid, recorded, but its quarter is locked: never current ("terkunci")
    # "perlu dicek" (plausibility, CONTRACT §12; never a refusal), PlausibilityWarning.as_dict()
    # each, kept with the submission; None: not checked (not valid)
    warnings: list[dict[str, object]] | None = None


@dataclass(frozen=True)
class MonthlyValue:
    """A current (latest valid revision) figure from the warehouse."""

    bidang: str
    indicator: str
    year: int
    month: int
    realisation: float | None
    numerator: float | None
    denominator: float | None
    note: str | None
    file_name: str
    sha256: str
    revision: int
    received_at: datetime
    # the bidang's faktor pendorong / penghambat / tindak lanjut of that month
    supporting: str | None = None
    inhibiting: str | None = None
    follow_up: str | None = None


@dataclass(frozen=True)
class SubmissionLog:
    """A submission row from the warehouse, for status and history."""

    id: int
    sha256: str
    bidang: str
    year: int | None
    month: int | None
    status: FileStatus
    file_name: str
    received_at: datetime
    processed_at: datetime
    revision: int | None
    is_current: bool
    problems: list[Problem]
