"""The steps of a consolidation as plain functions (their order:
flows/pipeline.py consolidate_all): tasks/consolidate.py wraps them as
Prefect tasks (with retries) for the flow and the scheduled deployments;
`iku consolidate` runs them in its own process without Prefect (whose import
and flow run cost more than a run with one new sheet). They log through
run_logger: the flow run's log inside a flow, the `iku` logger outside one.
The rules they apply live in iku.consolidation."""

from __future__ import annotations

import hashlib
import tempfile
import traceback
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from iku import archive, storage
from iku.alerts import dispatch
from iku.budget_import import BudgetImport
from iku.config import BUDGET_FOLDER
from iku.consolidation import IncomingFile, ReadOutcome, Scan, read_file, required_numbers, to_record
from iku.domain.model import MonthlyValue, SubmissionRecord, ValueRow
from iku.domain.plausibility import History, check_rows
from iku.domain.sheet import Sheet
from iku.domain.text import shown_name
from iku.formatting import FILE_STATUS_LABELS
from iku.locations import Unwritable, ensure_writable
from iku.queries import scan_units
from iku.reports.index import written
from iku.resources import Resources
from iku.storage import Where
from iku.testhook import checkpoint
from iku.validation.worker import Pending
from iku.warehouse.budget import budget_hashes
from iku.warehouse.reports import record_reports
from tasks._log import run_logger
from tasks._progress import progress

# steps of consolidate_all too (re-exported: no __all__, which would hide the
# module's other steps from the ConsolidateSteps Protocol)
from tasks.alert_steps import deliver_alerts as deliver_alerts
from tasks.alert_steps import queue_recap as queue_recap
from tasks.alert_steps import raise_submission_alerts as raise_submission_alerts
from tasks.report_steps import update_index as update_index


def find_new_files(res: Resources, scan: Scan | None = None) -> Scan:
    """Every file under the bidang source folders not processed before; retried
    because a source folder may be a network share that blinks. Every entry not
    read (hidden, lock file, link, pipe, unreadable) is named with its reason.
    With `scan` (made by the command before the run lock was taken) the inbox
    is not listed again: only the files another run loaded meanwhile leave it."""
    log = run_logger()
    scan = scan_units(res) if scan is None else _still_new(res, scan)
    for bidang, folder in scan.absent_folders.items():
        log.warning("folder sumber bidang %s tidak ada: %s", bidang, folder)
    for stray in scan.strays:
        log.warning("tidak dibaca, di luar semua folder sumber: %s", stray)
    log_skipped(scan)
    log.info(
        "%d berkas di folder sumber, %d baru, %d diabaikan",
        scan.known + len(scan.new),
        len(scan.new),
        len(scan.skipped),
    )
    return scan


def _still_new(res: Resources, scan: Scan) -> Scan:
    """`scan` without the files some run recorded since it was made (the hashes
    are asked again, the folders are not listed again)."""
    known = {u.opd: res.warehouse.known_hashes(u.opd) for u in res.units()}
    new = [f for f in scan.new if f.sha256 not in known.get(f.opd or res.opd, set())]
    budget = [f for f in scan.budget if f.sha256 not in budget_hashes(res.warehouse, f.opd or res.opd)]
    return replace(scan, new=new, known=scan.known + len(scan.new) - len(new), budget=budget)


def log_skipped(scan: Scan) -> None:
    log = run_logger()
    for s in scan.skipped:
        # the anggaran folder is scanned beside the bidang folders, under its name
        where = "folder anggaran" if s.bidang == BUDGET_FOLDER else f"bidang {s.bidang}"
        log.warning("diabaikan (%s): %s: %s", where, s.shown, s.reason)
        if s.error:
            log.error("galat tak terduga saat memindai %s:\n%s", s.shown, s.error)


def read_sheets(res: Resources, files: list[IncomingFile]) -> list[ReadOutcome]:
    configs = {u.opd: u.config for u in res.units()}
    numbers: dict[tuple[str, str], set[str]] = {}  # the catalogue walked once per (OPD, bidang)
    outcomes = []
    for f in progress(files, "Membaca berkas"):
        config = configs.get(f.opd, res.config)
        if (f.opd, f.bidang) not in numbers:
            numbers[(f.opd, f.bidang)] = required_numbers(config, f.bidang)
        outcomes.append(read_file(f, config, numbers[(f.opd, f.bidang)]))
        checkpoint("sheet-read")
    for o in outcomes:
        if o.error:  # a failure no rule foresaw: the file is unreadable, engineers get the traceback
            run_logger().error("galat tak terduga saat membaca %s:\n%s", o.file.name, o.error)
    unreadable = sum(o.unreadable is not None for o in outcomes)
    if unreadable:
        run_logger().warning("%d dari %d berkas baru tidak terbaca", unreadable, len(outcomes))
    return outcomes


@dataclass
class Validation:
    """The run's sheets as sent to the GX worker (start_validation): their
    groups, the Data Docs folder, and the validation under way (or what kept
    it from starting, raised again when its answer is asked)."""

    groups: list
    docs: Path | None
    pending: Pending | Exception


def start_validation(res: Resources, outcomes: list[ReadOutcome]) -> Validation:
    """Send every readable new sheet of the run, of every bidang of every OPD,
    to the GX worker: one GX validation per suite, each sheet checked against
    its own OPD's catalogue. The worker checks while the run drafts its
    records (draft_records); validate_sheets reads the answer."""
    from iku.validation import worker
    from iku.validation.frames import Group

    # the outcomes grouped once: a pass over every outcome per (OPD, bidang) was
    # 48 M iterations for a province's 24,000 sheets of 2,000 (OPD, bidang)
    checked: dict[tuple[str, str], dict[int, Sheet]] = {}
    for i, o in enumerate(outcomes):
        if o.sheet is not None and o.sheet.rows and not o.sheet.problems:
            checked.setdefault((o.file.opd, o.file.bidang), {})[i] = o.sheet
    groups = []
    for unit in res.units():
        for bidang in unit.config.catalogue.bidang:
            # a file of no OPD (a one-OPD installation) belongs to every unit, as before
            sheets = {**checked.get(("", bidang.code), {}), **checked.get((unit.opd, bidang.code), {})}
            if sheets:
                groups.append(
                    Group(unit.config.catalogue, bidang.code, dict(sorted(sheets.items())), unit.opd)
                )
    docs = _data_docs_folder(res)
    try:
        pending: Pending | Exception = worker.submit(groups, docs)
    except Exception as exc:  # answered by validate_sheets, which isolates the cause
        pending = exc
    return Validation(groups, docs, pending)


def validate_sheets(
    res: Resources, outcomes: list[ReadOutcome], started: Validation | None = None
) -> dict[int, list | None]:
    """The problems GX found per outcome (by index), waiting for the validation
    `started` (start_validation's, made now when not given); the Data Docs
    are rendered afterwards, in the GX worker."""
    started = start_validation(res, outcomes) if started is None else started
    problems = _validate_isolated(outcomes, started.groups, started.docs, started.pending)
    checkpoint("validated")
    return problems


def _validate_isolated(
    outcomes: list[ReadOutcome], groups: list, docs: Path | None, pending: Pending | Exception | None = None
) -> dict[int, list | None]:
    """A batch GX could not check is halved, and each half checked again
    (without Data Docs, should they be the cause), so a sheet that breaks the
    validator is held back alone (None: not recorded, checked again next run)
    while every other sheet goes on. `pending`: the batch already sent."""
    from iku.validation import worker

    try:
        if isinstance(pending, Exception):
            raise pending
        return dict((pending or worker.submit(groups, docs)).result())
    except Exception:
        failed = traceback.format_exc()
    ids = [(g, i) for g in groups for i in g.sheets]
    if len(ids) == 1:
        path = outcomes[ids[0][1]].file.path
        run_logger().error("%s tidak dapat divalidasi; ditahan untuk run berikutnya:\n%s", path, failed)
        return {ids[0][1]: None}
    found: dict[int, list | None] = {}
    for part in (ids[: len(ids) // 2], ids[len(ids) // 2 :]):
        found.update(_validate_isolated(outcomes, _regroup(part), None))
    return found


def _regroup(ids: list) -> list:
    """(group, file id) pairs back into groups of the same OPD and bidang."""
    groups: dict[int, tuple] = {}
    for group, i in ids:
        groups.setdefault(id(group), (group, {}))[1][i] = group.sheets[i]
    return [replace(group, sheets=sheets) for group, sheets in groups.values()]


def finish_data_docs(res: Resources) -> Path | None:
    """Wait for the Data Docs the GX worker renders while the run loads. A side
    product: when they cannot be written, the run stands (logged, alerted)."""
    from iku.validation import worker

    try:
        index = worker.docs_done()
    except Exception as exc:
        where = str(_docs_path(res))
        dispatch.alert_side_product(res, "GX Data Docs", where, f"{type(exc).__name__}: {exc}", run_logger())
        return None
    if index is not None and not isinstance(res.output_dir, Path):
        # built in a local staging folder (GX writes locally only), then copied to the shared store
        target = res.output_dir / "gx-docs"
        try:
            sent = storage.sync_up(_docs_path(res), target)
        except Unwritable as exc:
            dispatch.alert_side_product(res, "GX Data Docs", str(target), str(exc), run_logger())
            return None
        run_logger().info("GX Data Docs: %s (%d berkas disalin)", target / "index.html", sent)
        return index
    if index is not None:
        run_logger().info("GX Data Docs: %s", index)
    return index


def write_validation_page(res: Resources, records: list[SubmissionRecord], run_at: datetime) -> Where | None:
    """The run's validation page for people (out/validasi/), linked from out/index.html.
    A side product: when it cannot be written, the run goes on (logged, alerted)."""
    from iku.reports.validation_page import write_validation_page as write

    tz = res.config.pipeline.timezone
    # with several OPD: one page per OPD, under out/<opd>/validasi/, with its own catalogue
    by_opd: dict[str, list[SubmissionRecord]] = {}
    for record in records:  # grouped once, not one pass over every record per OPD
        by_opd.setdefault(record.opd, []).append(record)
    pages = (
        [(res.output_dir, records, res.config.catalogue)]
        if not res.multi
        else [(res.output_dir / u.opd, by_opd.get(u.opd, []), u.config.catalogue) for u in res.units()]
    )
    path = None
    for folder, mine, catalogue in pages:
        if not mine:
            continue
        try:
            path = write(folder, mine, catalogue, tz, run_at)
            record_reports(res.warehouse, written([path], catalogue.opd.code))
        except (OSError, Unwritable) as exc:
            dispatch.alert_side_product(
                res, "halaman validasi", str(folder), f"{type(exc).__name__}: {exc}", run_logger()
            )
            return None
        run_logger().info("halaman validasi: %s", path)
    return path


def _docs_path(res: Resources) -> Path:
    """Where GX renders the Data Docs: <output>/gx-docs, or with a remote output
    a local staging folder of this machine, copied to <output>/gx-docs after."""
    if not isinstance(res.output_dir, Path):
        store = hashlib.sha256(str(res.output_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "iku-gx-docs" / store
    # GX wants an absolute folder; IKU_OUTPUT_DIR defaults to a relative one
    return (res.output_dir / "gx-docs").resolve()


def _data_docs_folder(res: Resources) -> Path | None:
    """The GX Data Docs folder when wanted and writable; an unwritable one is
    logged and alerted, and the run goes on without Data Docs. GX writes its
    Data Docs to a local folder only: with a remote output store they are
    rendered in a staging folder and copied there (finish_data_docs)."""
    if not res.config.pipeline.gx_data_docs:
        return None
    docs = _docs_path(res)
    try:
        ensure_writable(docs, "folder GX Data Docs")
        return docs
    except Unwritable as exc:
        dispatch.alert_side_product(res, "GX Data Docs", str(docs), str(exc), run_logger())
        return None


def load_budget_sheets(res: Resources, files: list[IncomingFile]) -> list[BudgetImport]:
    """Every new budget sheet of the OPD's anggaran folder (CONTRACT §11), oldest
    first, by the rules of `iku import-budget`: archived under its SHA-256,
    recorded, a later file of a month its next revision; one with problems
    refused whole and alerted to the planning team like an invalid sheet. Its
    period: the sheet's (tahun/bulan columns or title rows), else the file name's."""
    from iku.budget_import import load_budget
    from iku.domain.budget_sheet import name_period

    done = []
    for f in sorted(files, key=lambda f: (f.received_at, str(f.path))):
        unit = res.unit(f.opd) if f.opd else res
        imported = load_budget(
            unit,
            f.name,
            f.data,
            received_at=f.received_at,
            source_path=shown_name(str(f.path)),
            fallback=name_period(f.path.name),
            size=f.size,
        )
        _log_budget(imported)
        if imported.refused:
            dispatch.raise_budget_alert(
                unit,
                imported.file_name,
                imported.sha256 or f.sha256,
                (imported.year, imported.month),
                imported.problems,
                f.received_at,
            )
        done.append(imported)
    return done


def _log_budget(done: BudgetImport) -> None:
    log = run_logger()
    period = f"{done.year}-{done.month:02d}" if done.year and done.month else "?"
    if done.refused:
        log.warning(
            "lembar anggaran %s (%s): ditolak (%d masalah)", done.file_name, period, len(done.problems)
        )
        for p in done.problems:
            log.warning("%s: baris %s: %s", done.file_name, p.row if p.row is not None else "-", p.message)
        return
    said = {"loaded": "dimuat", "unchanged": "sudah pernah dimuat"}.get(done.status, done.status)
    log.info("lembar anggaran %s: %s %s (revisi %s)", done.file_name, said, period, done.revision)


def archive_files(res: Resources, outcomes: list[ReadOutcome]) -> list[Where | None]:
    """Every file archived under its SHA-256, oldest first, valid or not (it needs
    no validation's outcome, so it runs while the GX worker validates); each
    outcome's archive copy, None for a file over the size limit (never read whole)."""
    stored: list[Where | None] = [None] * len(outcomes)
    for i in progress(_oldest_first(outcomes), "Mengarsipkan berkas"):
        f = outcomes[i].file
        if f.truncated:
            continue
        try:
            stored[i] = archive.store(res.settings.archive_dir, f.sha256, f.extension, f.data)
        except OSError as exc:  # the archive is no side product: nothing loads unarchived
            raise Unwritable(
                f"folder arsip {res.settings.archive_dir} tidak dapat ditulis ({exc.strerror or exc})"
            ) from None
    return stored


def draft_records(res: Resources, outcomes: list[ReadOutcome]) -> list[SubmissionRecord]:
    """Each outcome's record (by index) as if the validation finds nothing
    more, the usual case, with its "perlu dicek" warnings: drafted while the GX
    worker validates (its wait left this process idle), so load_records only
    corrects the records of the sheets GX found problems in."""
    drafts = [to_record(o, [], None) for o in outcomes]
    check_plausibility(res, _by_opd(res, [drafts[i] for i in _oldest_first(outcomes)]))
    return drafts


def load_records(
    res: Resources,
    outcomes: list[ReadOutcome],
    problems: dict[int, list | None],
    stored: list[Where | None],
    drafts: list[SubmissionRecord] | None = None,
) -> list[SubmissionRecord]:
    """Record the archived files oldest first, so a later file for the same month
    is the revision, committed in batches: a file is never half-loaded. A file
    whose validation failed (problems None) is archived but not recorded, so the
    next run checks it again. `drafts`: draft_records' (none: made here)."""
    log = run_logger()
    records = []
    drafted = drafts is not None
    drafts = drafts if drafts is not None else [to_record(o, [], None) for o in outcomes]
    # the (OPD, bidang) whose drafts' history held a file not recorded as valid:
    # their warnings are checked again (a bidang's history is its own)
    stale: set[tuple[str, str]] = set()
    for i in _oldest_first(outcomes):
        found = problems.get(i, [])
        draft = drafts[i]
        if found is None:
            log.warning(
                "%s: tidak dicatat pada run ini (validasi gagal); dicoba lagi run berikutnya",
                outcomes[i].file.path,
            )
            stale.add((draft.opd or res.opd, draft.bidang))
            continue
        record = draft if not found else to_record(outcomes[i], found, None)
        if record.status != draft.status:
            stale.add((draft.opd or res.opd, draft.bidang))
        record.archive_path = str(stored[i]) if stored[i] else ""
        records.append(record)
    by_opd = _by_opd(res, records)
    check_plausibility(
        res,
        by_opd
        if not drafted
        else {opd: [r for r in mine if (opd, r.bidang) in stale] for opd, mine in by_opd.items()},
    )
    return _load_in_batches(res, by_opd)


def _by_opd(res: Resources, records: list[SubmissionRecord]) -> dict[str, list[SubmissionRecord]]:
    """The records per OPD, in their order (a file of no OPD is the run's)."""
    by_opd: dict[str, list[SubmissionRecord]] = {}
    for record in records:
        record.opd = record.opd or res.opd
        by_opd.setdefault(record.opd, []).append(record)
    return by_opd


def _oldest_first(outcomes: list[ReadOutcome]) -> list[int]:
    return sorted(
        range(len(outcomes)), key=lambda i: (outcomes[i].file.received_at, str(outcomes[i].file.path))
    )


def _load_in_batches(res: Resources, by_opd: dict[str, list[SubmissionRecord]]) -> list[SubmissionRecord]:
    """The records committed per OPD in batches of `load_batch_files`, oldest
    first; a file a concurrent run recorded first is skipped."""
    log = run_logger()
    loaded = []
    size = res.config.pipeline.load_batch_files
    pipelines = {u.opd: u.config.pipeline for u in res.units()}
    for opd, batch in (
        (opd, mine[start : start + size])
        for opd, mine in by_opd.items()
        for start in range(0, len(mine), size)
    ):
        pipe = pipelines.get(opd, res.config.pipeline)
        ids = res.warehouse.record_many(opd, batch, lock_after_days=pipe.lock_after_days, tz=pipe.timezone)
        for record, sub_id in zip(batch, ids):
            if sub_id is None:
                log.info(
                    "%s sudah dicatat oleh run lain yang berjalan bersamaan; dilewati", record.source_path
                )
                continue
            if record.status != "valid":
                _log_problems(record)
            if record.held is not None:
                log.warning("%s: recorded, not current: its quarter is locked", record.source_path)
            loaded.append(record)
        checkpoint("batch-committed")
    return loaded


def check_plausibility(res: Resources, by_opd: dict[str, list[SubmissionRecord]]) -> None:
    """Each valid record's "perlu dicek" warnings (CONTRACT §12), kept with it:
    its figures against the bidang's current history in the warehouse and the
    valid files before it in this run. Never a refusal."""
    catalogues = {u.opd: u.config.catalogue for u in res.units()}
    for opd, records in by_opd.items():
        valid = [r for r in records if r.status == "valid" and r.year and r.month]
        if not valid:
            continue
        catalogue = catalogues.get(opd, res.config.catalogue)
        history = History(res.warehouse.current_values(opd))
        of_bidang = {b: catalogue.indicators_of(b) for b in {r.bidang for r in valid}}
        codes = {b: [i.code for i in indicators] for b, indicators in of_bidang.items()}
        for r in valid:  # oldest first: a file's history includes the run's earlier months
            assert r.year is not None and r.month is not None
            indicators = of_bidang[r.bidang]
            earlier = history.before(r.bidang, r.year, r.month, codes[r.bidang])
            r.warnings = [w.as_dict() for w in check_rows(indicators, r.year, r.month, r.values, earlier)]
            history.replace(r.bidang, r.year, r.month, [_as_month(r, v) for v in r.values])


def _as_month(r: SubmissionRecord, v: ValueRow) -> MonthlyValue:
    assert r.year is not None and r.month is not None
    return MonthlyValue(
        r.bidang,
        v.indicator,
        r.year,
        r.month,
        v.realisation,
        v.numerator,
        v.denominator,
        v.note,
        r.file_name,
        r.sha256,
        0,
        r.received_at,
    )


def _log_problems(record: SubmissionRecord) -> None:
    log = run_logger()
    log.warning(
        "%s: %s (%d masalah)",
        record.source_path,
        FILE_STATUS_LABELS.get(record.status, record.status),
        len(record.problems),
    )
    for p in record.problems:
        log.warning(
            "%s: baris %s, kolom %s: %s",
            record.file_name,
            p.row if p.row is not None else "-",
            p.column or "-",
            p.message,
        )
