"""Crons and run-time periods derived from deadline_day (pure)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from iku.config import Pipeline, load_config
from iku.domain.periods import Period
from iku.domain.schedule import (
    as_of_datetime,
    derive_schedules,
    last_finished_quarter,
    last_finished_year,
    last_month_due,
    months_due,
    reminder_due,
)

TZ = "Asia/Jakarta"
WIB = ZoneInfo(TZ)


def _pipeline(**changes) -> Pipeline:
    from pathlib import Path

    base = load_config(Path(__file__).resolve().parents[2] / "config").pipeline
    data = base.model_dump()
    for key, value in changes.items():
        if key.startswith("schedules."):
            data["schedules"][key.split(".", 1)[1]] = value
        else:
            data[key] = value
    return Pipeline.model_validate(data)


def test_shipped_crons():
    specs = derive_schedules(_pipeline())
    assert {n: s.cron for n, s in specs.items()} == {
        "consolidate": "0 7 * * *",
        "reminders": "0 8 7,9 * *",  # H-3 and H-1 before the 10th
        "check-missing": "30 7 11 * *",  # the day after the deadline
        "quarterly-report": "0 9 11 1,4,7,10 *",
        "annual-report": "0 10 11 1 *",
        "lakip": "0 11 11 1 *",
    }
    assert {s.timezone for s in specs.values()} == {"Asia/Jakarta"}


def test_crons_follow_the_deadline_day():
    specs = derive_schedules(_pipeline(deadline_day=15, **{"schedules.reminder_days_before": [5, 2, 1]}))
    assert specs["reminders"].cron == "0 8 10,13,14 * *"
    assert specs["check-missing"].cron == "30 7 16 * *"
    assert specs["quarterly-report"].cron == "0 9 16 1,4,7,10 *"


def test_impossible_days_are_refused():
    with pytest.raises(ValueError, match="previous month"):
        derive_schedules(_pipeline(deadline_day=2, **{"schedules.reminder_days_before": [3, 1]}))
    with pytest.raises(ValueError, match="February"):
        derive_schedules(_pipeline(deadline_day=28))


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2023, 5, 7), (2023, 4, 3)),  # H-3 of the April sheet (due 10 May)
        (date(2023, 5, 9), (2023, 4, 1)),  # H-1
        (date(2023, 5, 8), None),
        (date(2023, 5, 10), None),  # the deadline itself
        (date(2024, 1, 9), (2023, 12, 1)),  # December's sheet, across the year
    ],
)
def test_reminder_days(today, expected):
    assert reminder_due(today, 10, [3, 1]) == expected


def test_last_month_due_and_months_checked():
    # the deadline is 23:59:59 on the 10th; the end of that day has not passed it
    assert last_month_due(as_of_datetime("2024-01-10", TZ), 10, TZ) == (2023, 11)
    assert last_month_due(datetime(2024, 1, 11, 0, 0, tzinfo=WIB), 10, TZ) == (2023, 12)
    assert months_due(as_of_datetime("2024-01-11", TZ), 10, TZ) == [(2023, m) for m in range(1, 13)]
    assert months_due(as_of_datetime("2023-05-11", TZ), 10, TZ) == [(2023, m) for m in range(1, 5)]


@pytest.mark.parametrize(
    "as_of, quarter, year",
    [
        ("2024-01-11", Period(2023, 4), 2023),
        ("2024-04-11", Period(2024, 1), 2023),
        ("2024-07-11", Period(2024, 2), 2023),
        ("2024-10-11", Period(2024, 3), 2023),
        ("2024-02-11", Period(2023, 4), 2023),
        ("2024-01-05", Period(2023, 3), 2022),  # December 2023 not yet due
    ],
)
def test_reports_work_out_their_period_at_run_time(as_of, quarter, year):
    when = as_of_datetime(as_of, TZ)
    assert last_finished_quarter(when, 10, TZ) == quarter
    assert last_finished_year(when, 10, TZ) == year


def test_as_of_reading():
    assert as_of_datetime("2023-05-11", TZ) == datetime(2023, 5, 11, 23, 59, 59, tzinfo=WIB)
    assert as_of_datetime("2023-05-11T07:30", TZ) == datetime(2023, 5, 11, 7, 30, tzinfo=WIB)
    assert as_of_datetime(None, TZ).tzinfo is not None
    with pytest.raises(ValueError):
        as_of_datetime("11/05/2023", TZ)
