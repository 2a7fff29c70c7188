"""Read-side questions answered from the warehouse with the domain rules."""

from __future__ import annotations

from datetime import datetime

from iku.domain.status import MonthSubmission, status_matrix
from iku.resources import Resources


def submission_matrix(
    res: Resources, year: int, through_month: int, as_of: datetime
) -> list[MonthSubmission]:
    logs = res.warehouse.submission_logs(res.opd, year)
    pipe = res.config.pipeline
    return status_matrix(
        logs,
        [b.code for b in res.config.catalogue.bidang],
        year,
        through_month,
        as_of,
        pipe.deadline_day,
        pipe.timezone,
    )
