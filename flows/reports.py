"""Flows for the quarterly/annual report (`iku report`) and the LAKIP feed
(`iku lakip`). The schedules live in flows/serve.py and call these."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from iku.domain.periods import Period, parse_as_of
from iku.resources import build_resources
from iku.tasks.reports import (
    load_lakip,
    load_report,
    update_index,
    write_lakip,
    write_report,
    write_report_pdf,
)


@flow(name="iku-report", log_prints=False)
def report_flow(period: str, as_of: str | None = None) -> list[Path]:
    """Quarterly (YYYY-Qn) or annual (YYYY) report: iku-<period>.html/.xlsx/.json
    and the PDF beside the HTML under $IKU_OUTPUT_DIR/<year>/, then the output index."""
    parsed = Period.parse(period)
    res = build_resources()
    when = parse_as_of(as_of, res.config.pipeline.timezone)
    data = load_report(res, parsed, when)
    paths = write_report(data, res.output_dir / str(parsed.year))
    pdf = write_report_pdf(paths[0])
    if pdf is not None:
        paths = [*paths, pdf]
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
