"""Indonesian number and date style for the reports (Babel, locale id_ID):
1.234,56 and "8 Mei 2023"."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LOCALE = "id_ID"
DASH = "–"


@lru_cache(maxsize=1)
def _locale() -> Locale:
    return Locale.parse(LOCALE)


def num(value: float | int | None, decimals: int = 2) -> str:
    """1234.5 -> '1.234,5' (up to `decimals` places, trailing zeros dropped); None -> '–'."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale())


def fixed(value: float | int | None, decimals: int = 2) -> str:
    """Always `decimals` places: 50 -> '50,00'."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale())


def pct(value: float | None) -> str:
    return DASH if value is None else f"{fixed(value)} %"


def day(value: date | datetime | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="d MMMM y", locale=_locale())


def stamp(value: datetime | None) -> str:
    """'8 Mei 2023 09.00' in the datetime's own zone."""
    if value is None:
        return DASH
    return format_datetime(value, format="d MMM y HH.mm", tzinfo=value.tzinfo, locale=_locale())
