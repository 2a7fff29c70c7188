from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from iku.domain.periods import Period, deadline, month_number, parse_month_period, quarter_of


@pytest.mark.parametrize(
    "value, expected",
    [
        (4, 4),
        ("4", 4),
        ("April", 4),
        ("APRIL", 4),
        ("agustus", 8),
        (4.0, 4),
        ("Desember", 12),
        (13, None),
        ("13", None),
        ("Aprill", None),
        (0, None),
        (None, None),
        (4.5, None),
    ],
)
def test_month_number(value, expected):
    assert month_number(value) == expected


def test_deadline_is_day_10_of_next_month_jakarta():
    assert deadline(2023, 4, 10, "Asia/Jakarta") == datetime(
        2023, 5, 10, 23, 59, 59, tzinfo=ZoneInfo("Asia/Jakarta")
    )
    assert deadline(2023, 12, 10, "Asia/Jakarta") == datetime(
        2024, 1, 10, 23, 59, 59, tzinfo=ZoneInfo("Asia/Jakarta")
    )


def test_periods():
    assert Period.parse("2023-q2") == Period(2023, 2)
    assert Period.parse("2023").end_month == 12
    assert Period(2023, 3).end_month == 9 and quarter_of(9) == 3
    for bad in ("2023-Q5", "23x", "2023-Q"):
        with pytest.raises(ValueError):
            Period.parse(bad)
    assert parse_month_period("2023-04") == (2023, 4)
    with pytest.raises(ValueError):
        parse_month_period("2023-13")
