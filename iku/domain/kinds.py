"""Which number columns of the monthly sheet each indicator kind needs (CONTRACT §2, §4).

The one home of this rule: the reader's required columns, the sheet template's input
cells, achievement's "usable month" and the GX row conditions (checked by a test) all
follow it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

IndicatorKind = Literal["count", "ratio", "level"]
KINDS: tuple[IndicatorKind, ...] = ("count", "ratio", "level")

# Sheet column -> the field that holds it in ValueRow / MonthlyValue.
NUMBER_FIELDS = {"realisasi": "realisation", "pembilang": "numerator", "penyebut": "denominator"}
NUMBER_COLUMNS: tuple[str, ...] = tuple(NUMBER_FIELDS)

_COLUMNS: dict[str, tuple[str, ...]] = {
    "count": ("realisasi",),  # the month's own realisation; months are summed
    "level": ("realisasi",),  # the latest month stands
    "ratio": ("pembilang", "penyebut"),  # numerators summed over the latest denominator
}


def number_columns(kind: str) -> tuple[str, ...]:
    """The number columns an indicator of `kind` must fill every month."""
    return _COLUMNS[kind]


def required_numbers(kinds: Iterable[str]) -> set[str]:
    """The number columns a sheet must have when it carries indicators of `kinds`."""
    return {column for kind in kinds for column in number_columns(kind)}


def kinds_needing(column: str) -> set[str]:
    """The kinds for which `column` is required."""
    return {kind for kind in KINDS if column in number_columns(kind)}
