"""The order of the steps of every run, and nothing else (Kedro's pipeline.py):
the consolidation, the reports, the kabupaten recap and the LAKIP feed.

The steps themselves live in tasks (`*_steps.py`, plain functions: Kedro's
nodes.py). Each composition takes its steps as an argument typed by a Protocol:
the commands typed by hand (`iku consolidate`, `iku report`, ...) pass nothing
and run the plain steps in their own process, the Prefect flows of this package
pass tasks' task modules, so each step is a task of the flow run. mypy holds
both to the one signature of each Protocol (a task is typed as the step it
wraps, tasks/_step.py).

This module imports no Prefect: a flow's start and Prefect's import cost more
than a run with one new sheet, so the commands stay without it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from iku.budget_import import BudgetImport
from iku.collector import few_gc_passes
from iku.consolidation import IncomingFile, ReadOutcome, Scan, summarise
from iku.domain.model import SubmissionRecord
from iku.domain.periods import Period
from iku.formatting import held_advice, held_reason
from iku.reports import LakipData, RecapData
from iku.reports.pdf import PdfPrinter, pdf_printer
from iku.resources import Resources
from iku.storage import Where
from iku.validation.worker import warm_up
from iku.warehouse.store import SITE_LOCK, run_lock
from tasks import consolidate_steps, report_steps
from tasks._log import run_logger
from tasks.consolidate_steps import Validation
from tasks.report_steps import PdfUnderWay

# ---------------------------------------------------------------- the steps' types


class ConsolidateSteps(Protocol):
    """The steps consolidate_all composes: tasks.consolidate_steps (plain)
    or tasks.consolidate (the flow's tasks)."""

    def find_new_files(self, res: Resources, scan: Scan | None = None) -> Scan: ...
    def read_sheets(self, res: Resources, files: list[IncomingFile]) -> list[ReadOutcome]: ...
    def start_validation(self, res: Resources, outcomes: list[ReadOutcome]) -> Validation: ...
    def draft_records(self, res: Resources, outcomes: list[ReadOutcome]) -> list[SubmissionRecord]: ...
    def validate_sheets(
        self, res: Resources, outcomes: list[ReadOutcome], started: Validation | None = None
    ) -> dict[int, list | None]: ...
    def archive_files(self, res: Resources, outcomes: list[ReadOutcome]) -> list[Where | None]: ...
    def load_records(
        self,
        res: Resources,
        outcomes: list[ReadOutcome],
        problems: dict[int, list | None],
        stored: list[Where | None],
        drafts: list[SubmissionRecord] | None = None,
    ) -> list[SubmissionRecord]: ...
    def load_budget_sheets(self, res: Resources, files: list[IncomingFile]) -> list[BudgetImport]: ...
    def raise_submission_alerts(
        self, res: Resources, records: list[SubmissionRecord] | None = None
    ) -> int: ...
    def write_validation_page(
        self, res: Resources, records: list[SubmissionRecord], run_at: datetime
    ) -> Where | None: ...
    def update_index(self, res: Resources) -> Where | None: ...
    def queue_recap(
        self, res: Resources, records: list[SubmissionRecord], as_of: datetime | None = None
    ) -> bool: ...
    def deliver_alerts(self, res: Resources, backoff: list[float] | None = None) -> dict: ...
    def finish_data_docs(self, res: Resources) -> Path | None: ...


class ReportSteps(Protocol):
    """The steps report_all, recap_all and lakip_all compose: tasks.report_steps
    (plain) or tasks.reports (the flows' tasks)."""

    def write_opd_report(
        self, unit: Resources, period: Period, as_of: datetime, printer: PdfPrinter
    ) -> PdfUnderWay: ...
    def collect_pdfs(self, under_way: list[PdfUnderWay]) -> list[Where]: ...
    def write_report_pdf(
        self,
        html: Where,
        res: Resources | None = None,
        opd: str = "",
        printing: Future[Where | None] | None = None,
    ) -> Where | None: ...
    def update_index(self, res: Resources) -> Where | None: ...
    def load_recap(self, res: Resources, period: Period, as_of: datetime) -> RecapData: ...
    def write_recap(self, data: RecapData, out_dir: Where, res: Resources | None = None) -> list[Where]: ...
    def send_kabupaten_recap(
        self, res: Resources, data: RecapData, files: list[Where], backoff: list[float] | None = None
    ) -> dict: ...
    def load_lakip(self, res: Resources, year: int) -> LakipData: ...
    def write_lakip(self, data: LakipData, out_dir: Where, res: Resources | None = None) -> list[Where]: ...
    def write_kabupaten_lakip(
        self, res: Resources, lakips: dict[str, LakipData], year: int
    ) -> list[Where]: ...
    def write_kabupaten_tree(self, res: Resources, recap: RecapData) -> list[Where]: ...


# ----------------------------------------------------------- the consolidation


def consolidate_all(
    res: Resources, steps: ConsolidateSteps = consolidate_steps, scan: Scan | None = None
) -> dict:
    """Validate, archive and load every new sheet of `res` (every OPD, or the
    one selected), then alert each OPD's own recipients; the run's summary.
    `scan`: the inbox scan the command already made (its quick look whether
    there is anything to do), so the inbox is listed once per run."""
    # few collector passes for the whole run: the load and the side products walk every record
    with few_gc_passes():
        return _consolidate_all(res, steps, scan)


def _consolidate_all(res: Resources, steps: ConsolidateSteps, scan: Scan | None) -> dict:
    run_at = datetime.now(UTC)
    scan, records = load_new_files(res, steps, scan)
    # the anggaran folders' new sheets (found by the same scan): recorded under
    # the budget lock, each file once, so no run lock is needed
    budget = steps.load_budget_sheets(res, scan.budget) if scan.budget else []
    # Alerts follow from the warehouse (an outbox), not from this run's memory:
    # what a killed run recorded but never alerted is alerted now.
    steps.raise_submission_alerts(res)
    if records:
        steps.write_validation_page(res, records, run_at)  # side products: never fail the run
        steps.update_index(res)
        steps.queue_recap(res, records)
    steps.deliver_alerts(res)  # once per run, time-bounded; also what earlier runs could not deliver
    if scan.new:
        steps.finish_data_docs(res)  # rendered by the GX worker while the run loaded and alerted
    summary = summarise(records, scan.known, scan.skipped)
    run_logger().info(
        "jumlah: %d baru (%d valid, %d tidak valid, %d tidak terbaca), %d diabaikan, %d sudah dikenal",
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
    summary.update(locked_summary(records, res.config.pipeline.timezone))
    summary["warning_files"] = [  # "perlu dicek" (CONTRACT §12): told, never a refusal
        {"file": r.file_name, "bidang": r.bidang, "year": r.year, "month": r.month, "warnings": r.warnings}
        for r in records
        if r.warnings
    ]
    if budget:  # what `iku consolidate` prints of the anggaran folders
        summary["budget_files"] = [budget_summary(b) for b in budget]
    return summary


def budget_summary(done: BudgetImport) -> dict:
    return {
        "file": done.file_name,
        "status": done.status,
        "year": done.year,
        "month": done.month,
        "revision": done.revision,
        "problems": [p.as_dict() for p in done.problems],
        "warnings": [p.as_dict() for p in done.warnings],
        "left_out": [list(x) for x in done.left_out],
    }


def locked_summary(records: list[SubmissionRecord], tz: str) -> dict:
    """The valid files a locked quarter kept out of the current data ("terkunci",
    CONTRACT §12): each with why (who approved, when) and what to do."""
    held = [r for r in records if r.held is not None]
    return {
        "locked": len(held),
        "locked_files": [
            {
                "file": r.file_name,
                "bidang": r.bidang,
                "year": r.year,
                "month": r.month,
                "why": held_reason(r.held, tz),
                "todo": held_advice(r.held),
            }
            for r in held
            if r.held is not None
        ],
    }


def load_new_files(
    res: Resources, steps: ConsolidateSteps = consolidate_steps, scan: Scan | None = None
) -> tuple[Scan, list[SubmissionRecord]]:
    """The run's core under the run lock: find, read, validate, archive and load
    every new file. consolidate_all calls it, and so do the tests that hold the
    consolidation rules (tests/test_consolidation.py, the portal's)."""
    # the lock of each OPD the run covers: runs of other OPD load meanwhile
    with res.warehouse.exclusive([run_lock(u.opd) for u in res.units()], waiting=_say_waiting):
        scan = steps.find_new_files(res, scan)
        files = scan.new
        if files:
            warm_up()  # GX imports in its worker while the sheets are read
        outcomes = steps.read_sheets(res, files)
        # the files are archived while the GX worker (another process) validates
        # them, and the records are drafted meanwhile (as if it finds nothing
        # more): the archive's writes, the drafting and the validation overlap
        drafts = None
        with ThreadPoolExecutor(1, thread_name_prefix="iku-archive") as pool:
            archiving = pool.submit(contextvars.copy_context().run, steps.archive_files, res, outcomes)
            try:
                problems = {}
                if outcomes:
                    started = steps.start_validation(res, outcomes)
                    drafts = steps.draft_records(res, outcomes)
                    problems = steps.validate_sheets(res, outcomes, started)
            finally:
                wait([archiving])  # never a run that ends while its archive still writes
            stored = archiving.result()
        records = steps.load_records(res, outcomes, problems, stored, drafts)
    return scan, records


def _say_waiting() -> None:
    run_logger().warning(
        "menunggu run konsolidasi lain OPD yang sama selesai (kunci konsolidasi OPD sedang dipegang)"
    )


# ----------------------------------------------------------------- the reports


def report_all(
    res: Resources,
    period: Period,
    as_of: datetime,
    steps: ReportSteps = report_steps,
    and_then: Callable[[], list[Where]] | None = None,
) -> list[Where]:
    """Every OPD's report of `period` (HTML, Excel, JSON, PDF), then the output
    index. `and_then` (the schedule's recap) runs once every OPD's files are
    written, while their PDFs still print; its paths follow theirs."""
    # One Chromium prints every OPD's PDF, each in the background while the
    # next OPD's report is written; the PDFs are collected (logged, recorded)
    # in the same order at the end. One step per OPD (its data, its files, its
    # PDF started), not one per file: in a flow run each step is a task run,
    # and 40 OPD x 3 task runs kept the Prefect server busy 3.4 s of CPU (1.8 s now).
    # Chromium starts at the first PDF whose report changed (none: never started)
    with pdf_printer() as printer:
        under_way: list[PdfUnderWay] = []
        try:
            for unit in res.units():
                under_way.append(steps.write_opd_report(unit, period, as_of, printer))
            after = and_then() if and_then is not None else []
        except Exception:
            # a later OPD failed: the earlier ones keep their PDFs, logged and recorded
            steps.collect_pdfs(under_way)
            raise
        paths = steps.collect_pdfs(under_way)
    steps.update_index(res)
    return paths + after


def recap_all(
    res: Resources, period: Period, as_of: datetime, send: bool = False, steps: ReportSteps = report_steps
) -> list[Where]:
    """The kabupaten recap of every OPD (HTML, Excel, JSON, PDF), then the
    output index; with `send`, e-mailed (files attached) to the kabupaten and
    posted to the webhook."""
    # the same A4 print as the OPD reports, by the run's Chromium when the
    # scheduled report opened one for every OPD's report and this recap; else
    # one started when the recap changed since its PDF was printed
    with pdf_printer():
        with res.warehouse.exclusive(SITE_LOCK):  # the installation's file: one writer at a time
            data = steps.load_recap(res, period, as_of)
            paths = steps.write_recap(data, res.output_dir / str(period.year), res)
        pdf = steps.write_report_pdf(paths[0], res)
        paths = [*paths, pdf] if pdf is not None else paths
        # the year's cascade, every OPD in it; written beside the recap, not sent with it
        tree = steps.write_kabupaten_tree(res, data) if period.quarter is None and not res.selected else []
    steps.update_index(res)
    if send:
        steps.send_kabupaten_recap(res, data, paths)
    return [*paths, *tree]


def lakip_all(res: Resources, year: int, steps: ReportSteps = report_steps) -> list[Where]:
    """Every OPD's year-end LAKIP feed (Excel, JSON); when the run covers every
    OPD and config/rpjmd.yaml names IKU of the kabupaten, the kabupaten's feed
    built from theirs; then the output index."""
    paths: list[Where] = []
    lakips: dict[str, LakipData] = {}
    for unit in res.units():
        lakips[unit.opd] = data = steps.load_lakip(unit, year)
        paths += steps.write_lakip(data, unit.report_dir(year), unit)
    if not res.selected and res.installation is not None and res.installation.rpjmd.indicators:
        paths += steps.write_kabupaten_lakip(res, lakips, year)
    steps.update_index(res)
    return paths
