"""Calendar rules: month names, quarters and submission deadlines (CONTRACT §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
_MONTH_BY_NAME = {name.lower(): i for i, name in enumerate(MONTHS_ID, start=1)}
# common short forms people type in sheets
_MONTH_BY_NAME.update({name[:3].lower(): i for i, name in enumerate(MONTHS_ID, start=1)})
_MONTH_BY_NAME.update({"agust": 8, "sept": 9, "nop": 11, "nopember": 11, "pebruari": 2})

QUARTER_NAMES = {1: "Triwulan I", 2: "Triwulan II", 3: "Triwulan III", 4: "Triwulan IV"}


def month_number(value: object) -> int | None:
    """1-12 from a number or an Indonesian month name; None when not a month."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() and 1 <= value <= 12 else None
    text = str(value).strip().lower()
    if text.isdigit():
        n = int(text)
        return n if 1 <= n <= 12 else None
    try:
        f = float(text.replace(",", "."))
        return int(f) if f.is_integer() and 1 <= f <= 12 else None
    except ValueError:
        return _MONTH_BY_NAME.get(text)


def month_name(month: int) -> str:
    return MONTHS_ID[month - 1]


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def quarter_months(quarter: int) -> list[int]:
    return [3 * quarter - 2, 3 * quarter - 1, 3 * quarter]


def deadline(year: int, month: int, deadline_day: int, tz: str) -> datetime:
    """Day `deadline_day` of the following month, 23:59:59 local time."""
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime.combine(date(y, m, deadline_day), time(23, 59, 59), tzinfo=ZoneInfo(tz))


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: a quarter (1-4) of a year, or the whole year (quarter None)."""

    year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2023-Q2' or '2023'."""
        text = text.strip().upper()
        try:
            if "-Q" in text:
                y, q = text.split("-Q")
                if not 1 <= int(q) <= 4:
                    raise ValueError
                return cls(int(y), int(q))
            return cls(int(text))
        except ValueError:
            raise ValueError(f"periode '{text}' bukan YYYY atau YYYY-Qn (n = 1-4)") from None

    @property
    def end_month(self) -> int:
        return 12 if self.quarter is None else 3 * self.quarter

    @property
    def label(self) -> str:
        return "annual" if self.quarter is None else f"Q{self.quarter}"

    @property
    def slug(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}-Q{self.quarter}"

    @property
    def title_id(self) -> str:
        return (
            f"Tahun {self.year}"
            if self.quarter is None
            else f"{QUARTER_NAMES[self.quarter]} Tahun {self.year}"
        )


def parse_month_period(text: str) -> tuple[int, int]:
    """'2023-04' -> (2023, 4)."""
    try:
        y, m = text.strip().split("-")
        year, month = int(y), int(m)
    except ValueError:
        raise ValueError(f"periode '{text}' bukan YYYY-MM") from None
    if not 1 <= month <= 12:
        raise ValueError(f"periode '{text}': bulan harus 01-12")
    return year, month


def parse_as_of(value: str | None, tz: str) -> datetime:
    """A date (the end of that day) or a datetime, in the pipeline's timezone; now when empty."""
    zone = ZoneInfo(tz)
    if not value:
        return datetime.now(zone)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"tanggal acuan '{value}' bukan tanggal (YYYY-MM-DD) atau waktu ISO") from None
    if len(value.strip()) == 10:  # a bare date means the whole of that day
        parsed = parsed.replace(hour=23, minute=59, second=59)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
