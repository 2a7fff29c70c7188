"""iku.formatting's own number formatting gives Babel's characters (id_ID) for
every pattern num() and fixed() use, on awkward values (halves, negative zero,
large rupiah, integers); and its time stamps keep each zone's time."""

from __future__ import annotations

import random
from decimal import localcontext

import pytest
from babel.numbers import format_decimal

from iku.formatting import _PATTERNS, _fast_decimal, fixed, num


def _values() -> list[float | int]:
    rng = random.Random(7)
    edge = [0.0, -0.0, 0.005, 0.015, 0.025, 1.005, 2.675, -1.5, 0.5, 2.5, -0.004, 0.1 + 0.2, 5, -5]
    edge += [99_999_999_999_999.99, 1_250_000_000, 17_264_000_000.5, 10**12]
    return edge + [x / 1000 for x in range(-2000, 2000)] + [rng.uniform(-1e12, 1e12) for _ in range(3000)]


@pytest.mark.parametrize("pattern", sorted(_PATTERNS))
def test_the_same_characters_as_babel(pattern):
    decimals, zeros = _PATTERNS[pattern]
    for value in _values():
        with localcontext() as ctx:
            ctx.prec = 400
            expected = format_decimal(value, format=pattern, locale="id_ID")
        assert _fast_decimal(value, decimals, zeros) == expected, (value, pattern)


def test_huge_and_odd_values_still_print():
    assert num(1e300).startswith("1.000.000") and fixed(None) == "–" and num(float("nan")) == "–"
    assert num(1234.5) == "1.234,5" and fixed(50) == "50,00" and num(-0.001) == "-0"


def test_a_stamp_is_the_minute_in_the_datetimes_own_zone_however_often_it_is_shown():
    """stamp() shows the minute (a run's page shows thousands of stamps); the same
    instant in two zones is shown in each zone's own time."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from iku.formatting import stamp

    at = datetime(2023, 5, 8, 2, 0, 41, tzinfo=UTC)
    assert stamp(at) == "8 Mei 2023 02.00"
    assert stamp(at.astimezone(ZoneInfo("Asia/Jakarta"))) == "8 Mei 2023 09.00"
    assert stamp(at.astimezone(ZoneInfo("Asia/Makassar"))) == "8 Mei 2023 10.00"
    assert stamp(at.replace(second=59)) == stamp(at)  # the same minute, once
    assert stamp(None) == "–"


def test_a_stamp_reads_as_babels_whole_pattern_in_every_month_and_zone():
    # stamp() joins Babel's day (month names) and the clock's digits: the same characters
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    from iku.formatting import stamp

    start = datetime(2019, 12, 31, 16, 59, 30, tzinfo=UTC)
    for zone in (UTC, ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")):
        for step in range(0, 24 * 800, 37):  # every month of two years, hours across midnight
            at = (start + timedelta(hours=step, minutes=step % 60)).astimezone(zone)
            expected = format_datetime(at, format="d MMM y HH.mm", tzinfo=zone, locale="id_ID")
            assert stamp(at) == expected, at
