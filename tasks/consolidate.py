"""Prefect tasks of the consolidation: the plain steps of consolidate_steps
(which `iku consolidate` runs without Prefect), with retries where a step
touches a store that may blink. With the alert and index tasks, this module is
the `steps` flows/pipeline.py consolidate_all composes in the flow
(typed by its ConsolidateSteps)."""

from __future__ import annotations

from tasks import consolidate_steps as plain
from tasks._step import step

# steps of consolidate_all too (re-exported: no __all__, which would hide the
# module's other steps from the ConsolidateSteps Protocol)
from tasks.alerts import deliver_alerts as deliver_alerts
from tasks.alerts import queue_recap as queue_recap
from tasks.alerts import raise_submission_alerts as raise_submission_alerts
from tasks.reports import update_index as update_index

find_new_files = step(plain.find_new_files, "find-new-files")
read_sheets = step(plain.read_sheets, "read-sheets", retries=False)
start_validation = step(plain.start_validation, "start-validation", retries=False)
draft_records = step(plain.draft_records, "draft-records")
validate_sheets = step(plain.validate_sheets, "validate-sheets", retries=False)
finish_data_docs = step(plain.finish_data_docs, "gx-data-docs", retries=False)
write_validation_page = step(plain.write_validation_page, "write-validation-page")
archive_files = step(plain.archive_files, "archive-files")
load_records = step(plain.load_records, "load-records")
load_budget_sheets = step(plain.load_budget_sheets, "load-budget-sheets")
