"""The kabupaten recap across OPD, as plain rules: how complete and timely each
OPD's submissions are (the "reporting rate" of DHIS2, per org unit), how its
IKU fall across the predicate bands, and which lack a target."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from iku.domain.parameters import PredicateBand

from .status import MonthSubmission


def _pct(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP))


@dataclass(frozen=True)
class ReportingRate:
    """Submissions of one OPD (or bidang, or the kabupaten) over a period.

    `expected` counts the (bidang, month) whose deadline has passed; a month
    still before its deadline is `pending` and expected of nobody yet.
    `received` = valid sheets, on time or late; `invalid` = only invalid
    files came, so nothing usable was received."""

    expected: int
    on_time: int
    late: int
    invalid: int
    missing: int
    pending: int

    @property
    def received(self) -> int:
        return self.on_time + self.late

    @property
    def reporting_pct(self) -> float | None:
        """Received / expected, in percent (None when nothing was due yet)."""
        return _pct(self.received, self.expected)

    @property
    def on_time_pct(self) -> float | None:
        """Received by the deadline / expected, in percent."""
        return _pct(self.on_time, self.expected)

    def __add__(self, other: ReportingRate) -> ReportingRate:
        return ReportingRate(
            self.expected + other.expected,
            self.on_time + other.on_time,
            self.late + other.late,
            self.invalid + other.invalid,
            self.missing + other.missing,
            self.pending + other.pending,
        )

    def as_json(self) -> dict[str, int | float | None]:
        return {
            "expected": self.expected,
            "received": self.received,
            "on_time": self.on_time,
            "late": self.late,
            "invalid": self.invalid,
            "missing": self.missing,
            "pending": self.pending,
            "reporting_pct": self.reporting_pct,
            "on_time_pct": self.on_time_pct,
        }


NO_RATE = ReportingRate(0, 0, 0, 0, 0, 0)


def reporting_rate(cells: Iterable[MonthSubmission]) -> ReportingRate:
    n = Counter(c.status for c in cells)
    due = n["on_time"] + n["late"] + n["invalid"] + n["missing"]
    return ReportingRate(due, n["on_time"], n["late"], n["invalid"], n["missing"], n["pending"])


def distribution(
    verdicts: Iterable[str | None], bands: Sequence[PredicateBand], empty: str
) -> list[tuple[str, int]]:
    """How many verdicts fall in each band (highest first), then those without one."""
    counts = Counter(v or empty for v in verdicts)
    return [(b.label, counts.get(b.label, 0)) for b in bands] + [(empty, counts.get(empty, 0))]


def add_distributions(parts: Iterable[list[tuple[str, int]]]) -> list[tuple[str, int]]:
    total: dict[str, int] = {}
    for part in parts:
        for label, count in part:
            total[label] = total.get(label, 0) + count
    return list(total.items())
