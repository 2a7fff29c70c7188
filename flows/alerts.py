"""Deadline flows: the missing-submission check (CONTRACT §5 `iku check-missing`)
and the H-n reminders. Both take `as_of` so a person can see what the schedule
would do on any day; both are safe to re-run (one alert per cause)."""

from __future__ import annotations

from prefect import flow

from iku.domain.periods import parse_month_period
from iku.domain.schedule import as_of_datetime
from iku.resources import build_resources
from tasks.alerts import deliver_alerts, raise_missing_alerts, raise_reminders


@flow(name="iku-check-missing", log_prints=False)
def check_missing_flow(
    period: str | None = None, as_of: str | None = None, opd: str | None = None
) -> list[dict]:
    """Alert for every bidang whose submission of `period` (YYYY-MM; default: every
    month due) is missing after the deadline, as of `as_of` (default: now)."""
    res = build_resources(opd=opd)
    when = as_of_datetime(as_of, res.config.pipeline.timezone)
    month = parse_month_period(period) if period else None
    found = raise_missing_alerts(res, when, month)
    deliver_alerts(res)
    return [_item(c) for c in found]


@flow(name="iku-reminders", log_prints=False)
def reminder_flow(as_of: str | None = None, opd: str | None = None) -> list[dict]:
    """On H-n before a deadline (config schedules.reminder_days_before), remind each
    bidang with no valid sheet yet for that month; on other days, nothing."""
    res = build_resources(opd=opd)
    when = as_of_datetime(as_of, res.config.pipeline.timezone)
    cells = raise_reminders(res, when)
    deliver_alerts(res)
    return [_item(c) for c in cells]


def _item(c) -> dict:
    return {"bidang": c.bidang, "year": c.year, "month": c.month, **({"opd": c.opd} if c.opd else {})}
