"""The monthly consolidation flow: composition only (CONTRACT §3, §8)."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from iku.consolidation import Scan, summarise
from iku.domain.model import SubmissionRecord
from iku.resources import Resources, build_resources
from iku.tasks.alerts import deliver_alerts, queue_recap, raise_submission_alerts
from iku.tasks.consolidate import (
    archive_and_load,
    find_new_files,
    finish_data_docs,
    read_sheets,
    validate_sheets,
    write_validation_page,
)
from iku.tasks.reports import update_index
from iku.validation.worker import warm_up
from iku.warehouse.store import RUN_LOCK


def load_new_files(res: Resources) -> tuple[Scan, list[SubmissionRecord]]:
    """The run's core under the run lock: find, read, validate, archive and load
    every new file. The flow below calls it, and so do the tests that hold the
    consolidation rules (tests/test_consolidation.py, the portal's)."""
    with res.warehouse.exclusive(RUN_LOCK):
        scan = find_new_files(res)
        files = scan.new
        if files:
            warm_up()  # GX imports in its worker while the sheets are read
        outcomes = read_sheets(res, quote(files))
        problems = validate_sheets(res, quote(outcomes)) if outcomes else {}
        records = archive_and_load(res, quote(outcomes), quote(problems))
    return scan, records


@flow(name="iku-consolidate", log_prints=True)
def consolidate_flow(opd: str | None = None) -> dict:
    """Validate, archive and load every new sheet of every bidang of every OPD
    (or of OPD `opd`), then alert each OPD's own recipients.

    Sheets travel between tasks inside quote(): Prefect would otherwise walk
    every file's bytes looking for upstream results (about 1 s per 2,000 files).
    """
    res = build_resources(opd=opd)
    run_at = datetime.now(UTC)
    scan, records = load_new_files(res)
    # Alerts follow from the warehouse (an outbox), not from this run's memory:
    # what a killed run recorded but never alerted is alerted now.
    raise_submission_alerts(res)
    if records:
        write_validation_page(res, quote(records), run_at)  # side products: never fail the run
        update_index(res)
        queue_recap(res, quote(records))
    deliver_alerts(res)  # once per run, time-bounded; also what earlier runs could not deliver
    if scan.new:
        finish_data_docs(res)  # rendered by the GX worker while the run loaded and alerted
    summary = summarise(records, scan.known, scan.skipped)
    get_run_logger().info(
        "totals: %d new (%d valid, %d invalid, %d unreadable), %d ignored, %d known before",
        summary["new_files"],
        summary["valid"],
        summary["invalid"],
        summary["unreadable"],
        summary["ignored"],
        summary["known_files"],
    )
    summary["problem_files"] = [  # what `iku consolidate` prints, file by file
        {
            "file": r.file_name,
            "bidang": r.bidang,
            "status": r.status,
            "problems": [p.as_dict() for p in r.problems],
        }
        for r in records
        if r.status != "valid"
    ]
    return summary
