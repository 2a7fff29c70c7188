"""The causes of success or failure (LKjIP Bab III) from the bidang's own words:
the faktor pendorong, faktor penghambat and tindak lanjut of each month's
sheet, gathered per indicator for one year. The same words written in several
months are one cause with all its months."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import MonthlyValue
from .periods import month_name


@dataclass(frozen=True)
class Cause:
    text: str
    months: tuple[int, ...]
    files: tuple[str, ...]

    @property
    def months_text(self) -> str:
        return ", ".join(month_name(m) for m in self.months)


@dataclass(frozen=True)
class Causes:
    supporting: tuple[Cause, ...] = ()  # faktor pendorong
    inhibiting: tuple[Cause, ...] = ()  # faktor penghambat
    follow_up: tuple[Cause, ...] = ()  # tindak lanjut

    @property
    def empty(self) -> bool:
        return not (self.supporting or self.inhibiting or self.follow_up)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _group(values: list[MonthlyValue], attr: str) -> tuple[Cause, ...]:
    found: dict[str, tuple[str, list[int], list[str]]] = {}
    for v in sorted(values, key=lambda v: v.month):
        text = (getattr(v, attr) or "").strip()
        if not text:
            continue
        _, months, files = found.setdefault(_key(text), (text, [], []))
        if v.month not in months:
            months.append(v.month)
        if v.file_name not in files:
            files.append(v.file_name)
    return tuple(Cause(t, tuple(m), tuple(f)) for t, m, f in found.values())


def gather_causes(values: Iterable[MonthlyValue], indicator: str, year: int) -> Causes:
    """One indicator's causes in `year`, in the order the months brought them."""
    mine = [v for v in values if v.indicator == indicator and v.year == year]
    return Causes(_group(mine, "supporting"), _group(mine, "inhibiting"), _group(mine, "follow_up"))
