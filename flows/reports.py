"""Flows for the quarterly/annual report (`iku report`) and the LAKIP feed
(`iku lakip`). The schedules live in flows/serve.py and call these."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow

from iku.domain.periods import Period
from iku.resources import build_resources
from tasks.reports import load_lakip, load_report, update_index, write_lakip, write_report


def parse_as_of(value: str | None, tz: str) -> datetime:
    """A date (the end of that day) or a datetime, in the pipeline's timezone; now when empty."""
    zone = ZoneInfo(tz)
    if not value:
        return datetime.now(zone)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as_of '{value}' is not a date (YYYY-MM-DD) or datetime") from None
    if len(value.strip()) == 10:
        parsed = parsed.replace(hour=23, minute=59, second=59)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


@flow(name="iku-report", log_prints=False)
def report_flow(period: str, as_of: str | None = None) -> list[Path]:
    """Quarterly (YYYY-Qn) or annual (YYYY) report: iku-<period>.html/.xlsx/.json
    under $IKU_OUTPUT_DIR/<year>/, then the output index."""
    parsed = Period.parse(period)
    res = build_resources()
    when = parse_as_of(as_of, res.config.pipeline.timezone)
    data = load_report(res, parsed, when)
    paths = write_report(data, res.output_dir / str(parsed.year))
    update_index(res)
    return paths


@flow(name="iku-lakip", log_prints=False)
def lakip_flow(year: int) -> list[Path]:
    """Year-end LAKIP/LKjIP feed: lakip-<year>.xlsx/.json under $IKU_OUTPUT_DIR/<year>/."""
    res = build_resources()
    data = load_lakip(res, int(year))
    paths = write_lakip(data, res.output_dir / str(year))
    update_index(res)
    return paths
