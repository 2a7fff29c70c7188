"""Prefect tasks of the consolidation: thin wrappers that add retries and logs
around the rules in iku.consolidation."""

from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku import archive
from iku.alerts import dispatch
from iku.consolidation import IncomingFile, ReadOutcome, Scan, read_file, to_record
from iku.domain.model import SubmissionRecord
from iku.domain.sheet import Sheet
from iku.locations import Unwritable, ensure_writable
from iku.queries import scan_units
from iku.resources import Resources
from iku.tasks._log import run_logger
from iku.tasks._progress import progress
from iku.testhook import checkpoint


@task(name="find-new-files", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def find_new_files(res: Resources) -> Scan:
    """Every file under the bidang source folders not processed before; retried
    because a source folder may be a network share that blinks. Every entry not
    read (hidden, lock file, link, pipe, unreadable) is named with its reason."""
    log = run_logger()
    scan = scan_units(res)
    for bidang, folder in scan.absent_folders.items():
        log.warning("source folder of bidang %s does not exist: %s", bidang, folder)
    log_skipped(scan)
    log.info(
        "%d files in the sources, %d new, %d ignored",
        scan.known + len(scan.new),
        len(scan.new),
        len(scan.skipped),
    )
    return scan


def log_skipped(scan: Scan) -> None:
    log = run_logger()
    for s in scan.skipped:
        log.warning("ignored (bidang %s): %s: %s", s.bidang, s.shown, s.reason)
        if s.error:
            log.error("unexpected error while scanning %s:\n%s", s.shown, s.error)


@task(name="read-sheets", cache_policy=NO_CACHE)
def read_sheets(res: Resources, files: list[IncomingFile]) -> list[ReadOutcome]:
    configs = {u.opd: u.config for u in res.units()}
    outcomes = []
    for f in progress(files, "Membaca berkas"):
        outcomes.append(read_file(f, configs.get(f.opd, res.config)))
        checkpoint("sheet-read")
    for o in outcomes:
        if o.error:  # a failure no rule foresaw: the file is unreadable, engineers get the traceback
            run_logger().error("unexpected error while reading %s:\n%s", o.file.name, o.error)
    unreadable = sum(o.unreadable is not None for o in outcomes)
    if unreadable:
        run_logger().warning("%d of %d new files could not be read", unreadable, len(outcomes))
    return outcomes


@task(name="validate-sheets", cache_policy=NO_CACHE)
def validate_sheets(res: Resources, outcomes: list[ReadOutcome]) -> dict[int, list | None]:
    """One GX validation per bidang over all its readable new sheets."""
    from iku.validation.worker import validate_bidang

    docs = _data_docs_folder(res)
    problems: dict[int, list | None] = {}
    groups = [(unit, bidang.code) for unit in res.units() for bidang in unit.config.catalogue.bidang]
    for unit, code in groups:
        sheets = {
            i: o.sheet
            for i, o in enumerate(outcomes)
            if o.sheet is not None
            and o.file.opd in ("", unit.opd)
            and o.file.bidang == code
            and o.sheet.rows
            and not o.sheet.problems
        }
        if not sheets:
            continue
        try:
            problems.update(validate_bidang(sheets, unit.config.catalogue, code, docs))
            continue
        except Exception as exc:
            if docs is not None:
                # Data Docs are a side product: validate again without them, never lose the load
                dispatch.alert_side_product(
                    res, "GX Data Docs", str(docs), f"{type(exc).__name__}: {exc}", run_logger()
                )
                docs = None
                try:
                    problems.update(validate_bidang(sheets, unit.config.catalogue, code, None))
                    continue
                except Exception:
                    pass
        problems.update(_validate_one_by_one(unit, outcomes, sheets, code))
    if docs:
        run_logger().info("GX Data Docs: %s", docs / "index.html")
    checkpoint("validated")
    return problems


def _validate_one_by_one(
    res: Resources, outcomes: list[ReadOutcome], sheets: dict[int, Sheet], bidang: str
) -> dict[int, list | None]:
    """A batch GX could not check: each sheet alone, so one sheet that breaks
    the validator is held back (None: not recorded, checked again next run)
    while the bidang's other sheets go on."""
    from iku.validation.worker import validate_bidang

    found: dict[int, list | None] = {}
    for i, sheet in sheets.items():
        try:
            found.update(validate_bidang({i: sheet}, res.config.catalogue, bidang, None))
        except Exception:
            run_logger().error(
                "%s could not be validated; held back for the next run:\n%s",
                outcomes[i].file.path,
                traceback.format_exc(),
            )
            found[i] = None
    return found


@task(name="write-validation-page", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_validation_page(res: Resources, records: list[SubmissionRecord], run_at: datetime) -> Path | None:
    """The run's validation page for people (out/validasi/), linked from out/index.html.
    A side product: when it cannot be written, the run goes on (logged, alerted)."""
    from iku.reports.validation_page import write_validation_page as write

    tz = res.config.pipeline.timezone
    # with several OPD: one page per OPD, under out/<opd>/validasi/, with its own catalogue
    pages = (
        [(res.output_dir, records, res.config.catalogue)]
        if not res.multi
        else [
            (res.output_dir / u.opd, [r for r in records if r.opd == u.opd], u.config.catalogue)
            for u in res.units()
        ]
    )
    path = None
    for folder, mine, catalogue in pages:
        if not mine:
            continue
        try:
            path = write(folder, mine, catalogue, tz, run_at)
        except OSError as exc:
            dispatch.alert_side_product(
                res, "halaman validasi", str(folder), f"{type(exc).__name__}: {exc}", run_logger()
            )
            return None
        run_logger().info("validation page: %s", path)
    return path


def _data_docs_folder(res: Resources) -> Path | None:
    """The GX Data Docs folder when wanted and writable; an unwritable one is
    logged and alerted, and the run goes on without Data Docs."""
    if not res.config.pipeline.gx_data_docs:
        return None
    # GX wants an absolute folder; IKU_OUTPUT_DIR defaults to a relative one
    docs = (res.output_dir / "gx-docs").resolve()
    try:
        return ensure_writable(docs, "folder GX Data Docs")
    except Unwritable as exc:
        dispatch.alert_side_product(res, "GX Data Docs", str(docs), str(exc), run_logger())
        return None


@task(name="archive-and-load", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def archive_and_load(
    res: Resources, outcomes: list[ReadOutcome], problems: dict[int, list | None]
) -> list[SubmissionRecord]:
    """Archive every file, then record them oldest first, so a later file for
    the same month is the revision. Files are committed in batches; a file is
    never half-loaded. A file whose validation failed (problems None) is
    archived but not recorded, so the next run checks it again."""
    log = run_logger()
    order = sorted(
        range(len(outcomes)), key=lambda i: (outcomes[i].file.received_at, str(outcomes[i].file.path))
    )
    records = []
    for i in progress(order, "Mengarsipkan berkas"):
        o = outcomes[i]
        stored: Path | None = None
        if not o.file.truncated:  # a file over the size limit was never read whole
            try:
                stored = archive.store(res.settings.archive_dir, o.file.sha256, o.file.extension, o.file.data)
            except OSError as exc:  # the archive is no side product: nothing loads unarchived
                raise Unwritable(
                    f"folder arsip {res.settings.archive_dir} tidak dapat ditulis ({exc.strerror or exc})"
                ) from None
        found = problems.get(i, [])
        if found is None:
            log.warning("%s: not recorded this run (validation failed); retried next run", o.file.path)
            continue
        records.append(to_record(o, found, stored))
    loaded = []
    size = res.config.pipeline.load_batch_files
    by_opd: dict[str, list[SubmissionRecord]] = {}
    for record in records:  # oldest first within each OPD too
        record.opd = record.opd or res.opd
        by_opd.setdefault(record.opd, []).append(record)
    for opd, batch in (
        (opd, mine[start : start + size])
        for opd, mine in by_opd.items()
        for start in range(0, len(mine), size)
    ):
        for record, sub_id in zip(batch, res.warehouse.record_many(opd, batch)):
            if sub_id is None:
                log.info("%s was recorded by a concurrent run; skipped", record.source_path)
                continue
            if record.status != "valid":
                log.warning("%s: %s (%d problems)", record.source_path, record.status, len(record.problems))
                for p in record.problems:
                    log.warning(
                        "%s: row %s, column %s: %s",
                        record.file_name,
                        p.row if p.row is not None else "-",
                        p.column or "-",
                        p.message,
                    )
            loaded.append(record)
        checkpoint("batch-committed")
    return loaded
