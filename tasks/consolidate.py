"""Prefect tasks of the consolidation: the plain steps of consolidate_steps
(which `iku consolidate` runs without Prefect), with retries where a step
touches a store that may blink. With the alert and index tasks, this module is
the `steps` consolidate_all composes in the flow."""

from __future__ import annotations

from iku.tasks import consolidate_steps as plain
from iku.tasks._step import step
from iku.tasks.alerts import deliver_alerts, queue_recap, raise_submission_alerts
from iku.tasks.reports import update_index

__all__ = ["deliver_alerts", "queue_recap", "raise_submission_alerts", "update_index"]

find_new_files = step(plain.find_new_files, "find-new-files")
read_sheets = step(plain.read_sheets, "read-sheets", retries=False)
validate_sheets = step(plain.validate_sheets, "validate-sheets", retries=False)
finish_data_docs = step(plain.finish_data_docs, "gx-data-docs", retries=False)
write_validation_page = step(plain.write_validation_page, "write-validation-page")
archive_and_load = step(plain.archive_and_load, "archive-and-load")
