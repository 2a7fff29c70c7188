"""Indonesian number and date style for everything a user reads (reports,
alerts, the sheet template), with Babel, locale id_ID: 1.234,56 and "8 Mei 2023"."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from iku.domain.model import Held
from iku.domain.periods import QUARTER_NAMES

LOCALE = "id_ID"
DASH = "–"
# Indonesia's own names for its three time zones
TZ_ABBR = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@lru_cache(maxsize=1)
def _locale() -> Locale:
    return Locale.parse(LOCALE)


def num(value: float | int | None, decimals: int = 2) -> str:
    """1234.5 -> '1.234,5' (up to `decimals` places, trailing zeros dropped); None -> '–'."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return _decimal(value, pattern)


def fixed(value: float | int | None, decimals: int = 2) -> str:
    """Always `decimals` places: 50 -> '50,00'."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _decimal(value, pattern)


# The patterns num() and fixed() make: (decimals, trailing zeros kept)
_PATTERNS = {"#,##0": (0, False)} | {f"#,##0.{c * n}": (n, c == "0") for n in range(1, 7) for c in ("#", "0")}
_FAST_BELOW = 1e15  # Decimal's default 28 digits hold these whole, with their places


def _fast_decimal(value: float | int, decimals: int, zeros: bool) -> str:
    """Babel's format_decimal for the patterns of num() and fixed(), the same
    characters (half-even rounding of the shortest repr, '-0' included), about 6x
    faster: a report with budget prints thousands of rupiah figures."""
    q = Decimal(str(value) if isinstance(value, float) else value).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN
    )
    whole, _, frac = f"{abs(q):f}".partition(".")
    frac = frac if zeros else frac.rstrip("0")
    return ("-" if q.is_signed() else "") + f"{int(whole):,}".replace(",", ".") + ("," + frac if frac else "")


def _decimal(value: float | int | None, pattern: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    known = _PATTERNS.get(pattern)
    if known is not None and abs(value) < _FAST_BELOW:
        return _fast_decimal(value, *known)
    # Babel rounds with the current decimal context (28 digits): any float up to
    # 1.8e308 must fit, or a stored 1e300 would crash the report
    with localcontext() as ctx:
        ctx.prec = 400
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
    """'8 Mei 2023 09.00' in the datetime's own zone: Babel's "d MMM y HH.mm", its
    day part (month names) by Babel once per day and the clock's digits here. A
    page of a run's files shows thousands of stamps over months, and Babel's
    whole pattern cost 8 us each (a test holds the two equal)."""
    if value is None:
        return DASH
    return f"{_day_stamp(value.date())} {value.hour:02d}.{value.minute:02d}"


@lru_cache(maxsize=1024)
def _day_stamp(value: date) -> str:
    return format_date(value, format="d MMM y", locale=_locale())


def tz_label(tz: str) -> str:
    return TZ_ABBR.get(tz, tz)


def local_date(dt: datetime, tz: str, weekday: bool = False) -> str:
    """'10 Mei 2023' (or 'Rabu, 10 Mei 2023') on the calendar of `tz`."""
    pattern = "EEEE, d MMMM y" if weekday else "d MMMM y"
    return format_date(dt.astimezone(ZoneInfo(tz)).date(), format=pattern, locale=_locale())


def local_datetime(dt: datetime, tz: str, weekday: bool = False) -> str:
    """'10 Mei 2023 pukul 23.59 WIB'."""
    local = dt.astimezone(ZoneInfo(tz))
    return f"{local_date(local, tz, weekday)} pukul {local:%H.%M} {tz_label(tz)}"


# Submission status of a (bidang, month), CONTRACT §3: the one label, glyph, terminal
# style and colour of each, for the command line, the demo, the portal and the reports.
STATUS_LABELS = {
    "on_time": "Tepat waktu",
    "late": "Terlambat",
    "invalid": "Tidak valid",
    "missing": "Belum masuk",
    "pending": "Menunggu",
}
STATUS_GLYPHS = {"on_time": "✔", "late": "T", "invalid": "✘", "missing": "—", "pending": "·"}
STATUS_STYLES = {
    "on_time": "green",
    "late": "yellow",
    "invalid": "red",
    "missing": "bold red",
    "pending": "dim",
}
STATUS_COLOURS = {
    "on_time": "#58d68d",
    "late": "#f4d03f",
    "invalid": "#e74c3c",
    "missing": "#922b21",
    "pending": "#d5d8dc",
}
# What became of one file (valid / invalid / unreadable).
FILE_STATUS_LABELS = {"valid": "valid", "invalid": "tidak valid", "unreadable": "tidak terbaca"}


# A valid file kept out of the current data by a locked quarter (CONTRACT §12):
# why, and what to do, for the command line, the alert and the portal alike.
def held_reason(held: Held, tz: str) -> str:
    """'Triwulan I 2024 sudah disetujui oleh Kadis pada 12 April 2024 pukul 10.30 WIB dan dikunci'."""
    quarter = f"{QUARTER_NAMES[held.quarter]} {held.year}"
    when = local_datetime(held.since, tz)
    if held.approved_by:
        return f"{quarter} sudah disetujui oleh {held.approved_by} pada {when} dan dikunci"
    return f"{quarter} ditutup otomatis pada {when} (lock_after_days) dan dikunci"


def held_advice(held: Held) -> str:
    return (
        "data yang disetujui tetap berlaku; bila berkas ini yang harus dipakai, minta Kepala Dinas "
        f"membuka kunci triwulan itu (portal, atau iku unlock --period {held.year}-Q{held.quarter} "
        "--reason ...); setelah dibuka, kiriman terbaru bulan itu otomatis berlaku"
    )
