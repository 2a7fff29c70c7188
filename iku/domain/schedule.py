"""When the unattended runs happen and what they are about (pure: no Prefect, no DB).

Every cron except the daily consolidation is derived from `deadline_day`
(CONTRACT §3): reminders on deadline_day - n (H-n), the missing check and the
reports on deadline_day + check_missing_days_after. The same functions tell a
run, from its own date, which month it is about, so `--as-of` shows exactly
what the schedule would do on that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from iku.domain.parameters import Pipeline

from .periods import Period, deadline, parse_as_of

QUARTER_END_MONTHS_NEXT = "1,4,7,10"  # the month after each quarter's last month


@dataclass(frozen=True)
class ScheduleSpec:
    """One served deployment: its name, its cron (local time) and what it does."""

    name: str
    cron: str
    timezone: str
    description: str


def _hm(text: str) -> tuple[int, int]:
    h, m = text.split(":")
    return int(h), int(m)


def _cron(time_text: str, day: str = "*", month: str = "*") -> str:
    h, m = _hm(time_text)
    return f"{m} {h} {day} {month} *"


def reminder_days(deadline_day: int, days_before: list[int]) -> list[int]:
    """Days of the month on which reminders go out (H-n before the deadline)."""
    days = sorted(deadline_day - n for n in days_before)
    if days and days[0] < 1:
        raise ValueError(
            f"schedules.reminder_days_before {days_before}: with deadline_day {deadline_day} "
            "a reminder would fall in the previous month; use smaller numbers"
        )
    return days


def check_day(deadline_day: int, days_after: int) -> int:
    """Day of the month of the missing check and the reports."""
    day = deadline_day + days_after
    if day > 28:
        raise ValueError(
            f"schedules.check_missing_days_after {days_after}: deadline_day {deadline_day} + "
            f"{days_after} = day {day}, which February lacks; keep it <= 28"
        )
    return day


def derive_schedules(pipeline: Pipeline) -> dict[str, ScheduleSpec]:
    """The served deployments' crons, keyed by deployment name."""
    s, tz = pipeline.schedules, pipeline.timezone
    rdays = ",".join(str(d) for d in reminder_days(pipeline.deadline_day, s.reminder_days_before))
    cday = str(check_day(pipeline.deadline_day, s.check_missing_days_after))
    hs = ", ".join(f"H-{n}" for n in s.reminder_days_before)
    specs = [
        ScheduleSpec(
            "consolidate",
            s.consolidate,
            tz,
            "Konsolidasi berkas baru semua bidang, lalu kirim peringatan dan rekap.",
        ),
        ScheduleSpec(
            "reminders",
            _cron(s.reminder_time, rdays),
            tz,
            f"Pengingat ({hs}) kepada bidang yang belum menyampaikan laporan bulanan.",
        ),
        ScheduleSpec(
            "check-missing",
            _cron(s.check_missing_time, cday),
            tz,
            "Peringatan untuk setiap bidang yang belum menyampaikan setelah batas waktu.",
        ),
        ScheduleSpec(
            "quarterly-report",
            _cron(s.quarterly_report_time, cday, QUARTER_END_MONTHS_NEXT),
            tz,
            "Laporan triwulanan untuk triwulan terakhir yang batas waktunya sudah lewat.",
        ),
        ScheduleSpec(
            "annual-report",
            _cron(s.annual_report_time, cday, "1"),
            tz,
            "Laporan tahunan untuk tahun yang baru selesai.",
        ),
        ScheduleSpec(
            "lakip", _cron(s.lakip_time, cday, "1"), tz, "Bahan LAKIP untuk tahun yang baru selesai."
        ),
    ]
    return {spec.name: spec for spec in specs}


# -- what a run is about, from its date ---------------------------------------


def month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def reminder_due(today: date, deadline_day: int, days_before: list[int]) -> tuple[int, int, int] | None:
    """(year, month, n) when `today` is H-n before the deadline of that month's sheet."""
    for n in sorted(days_before):
        due = today + timedelta(days=n)
        if due.day == deadline_day:
            year, month = month_before(due.year, due.month)
            return year, month, n
    return None


def months_due(as_of: datetime, deadline_day: int, tz: str) -> list[tuple[int, int]]:
    """Months a missing check looks at: every month of the year of the last
    month whose deadline has passed, up to that month. In January (after the
    deadline) that is the whole previous year; later, the current year so far.
    Alerts are once per cause, so looking again at earlier months repeats nothing."""
    year, month = last_month_due(as_of, deadline_day, tz)
    return [(year, m) for m in range(1, month + 1)]


def last_month_due(as_of: datetime, deadline_day: int, tz: str) -> tuple[int, int]:
    """The latest month whose submission deadline has passed at `as_of`."""
    year, month = month_before(as_of.year, as_of.month)
    while deadline(year, month, deadline_day, tz) >= as_of:
        year, month = month_before(year, month)
    return year, month


def last_finished_quarter(as_of: datetime, deadline_day: int, tz: str) -> Period:
    """The latest quarter whose last month's deadline has passed."""
    year, month = last_month_due(as_of, deadline_day, tz)
    quarter = month // 3  # months 3, 6, 9, 12 complete a quarter
    if quarter == 0:
        return Period(year - 1, 4)
    return Period(year, quarter)


def last_finished_year(as_of: datetime, deadline_day: int, tz: str) -> int:
    """The latest year whose December deadline has passed."""
    year, month = last_month_due(as_of, deadline_day, tz)
    return year if month == 12 else year - 1


def as_of_datetime(value: str | datetime | None, tz: str) -> datetime:
    """`--as-of` as the CLI reads it (periods.parse_as_of); a datetime passes through,
    in the pipeline's timezone when it has none."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    return parse_as_of(value, tz)
