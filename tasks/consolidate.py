"""Prefect tasks of the consolidation: the plain steps of consolidate_steps
(which `iku consolidate` runs without Prefect), with retries where a step
touches a store that may blink. Inputs hold a live warehouse engine: nothing
to hash, nothing worth caching. With the alert and index tasks, this module is
the `steps` consolidate_all composes in the flow."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from iku.tasks import consolidate_steps as plain
from iku.tasks.alerts import deliver_alerts, queue_recap, raise_submission_alerts
from iku.tasks.reports import update_index

__all__ = ["deliver_alerts", "queue_recap", "raise_submission_alerts", "update_index"]

# Sheets travel between tasks inside quote(): Prefect would otherwise walk
# every file's bytes looking for upstream results (about 1 s per 2,000 files).
carry = quote

find_new_files = task(name="find-new-files", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)(
    plain.find_new_files
)
read_sheets = task(name="read-sheets", cache_policy=NO_CACHE)(plain.read_sheets)
validate_sheets = task(name="validate-sheets", cache_policy=NO_CACHE)(plain.validate_sheets)
finish_data_docs = task(name="gx-data-docs", cache_policy=NO_CACHE)(plain.finish_data_docs)
write_validation_page = task(
    name="write-validation-page", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE
)(plain.write_validation_page)
archive_and_load = task(
    name="archive-and-load", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE
)(plain.archive_and_load)
