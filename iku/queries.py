"""Read-side questions answered from the warehouse with the domain rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from iku.config import BUDGET_FOLDER
from iku.consolidation import IncomingFile, Scan, scan_opds, stray_entries
from iku.domain.history import HistoryValue
from iku.domain.model import MonthlyValue
from iku.domain.periods import Period
from iku.domain.status import MonthSubmission, status_matrix
from iku.resources import Resources
from iku.storage import Where


def scan_units(res: Resources) -> Scan:
    """The new files of every OPD the run covers (each against the hashes of its own
    OPD), and what lies in the inbox outside every source folder of the installation."""
    from iku.warehouse.budget import budget_hashes

    scan = scan_opds(
        [
            (u.opd, {**u.source_dirs(), BUDGET_FOLDER: u.budget_dir()}, res.warehouse.known_hashes(u.opd))
            for u in res.units()
        ],
        res.config.pipeline.limits.max_file_bytes,
        {u.opd: {BUDGET_FOLDER: budget_hashes(res.warehouse, u.opd)} for u in res.units()},
    )
    _set_budget_apart(scan, [u.budget_dir() for u in res.units()])
    # every OPD's folders, also when the run covers one (--opd): another OPD's folder is no stray
    folders = [d for u in res.all_units() for d in (*u.source_dirs().values(), u.budget_dir())]
    scan.strays = stray_entries(res.settings.inbox_dir, folders)
    return scan


def _set_budget_apart(scan: Scan, budget_dirs: list[Where]) -> None:
    """The budget folders' files into `scan.budget`, never among the bidang sheets
    (also where a bidang's configured folder holds the budget folder); a budget
    folder that does not exist is no finding (an OPD may send no budget sheet)."""
    # as text: Path.is_relative_to per file and folder was 40 % of a scan's CPU
    folders = [str(d) for d in budget_dirs if isinstance(d, Path)]
    below = tuple(f"{d.rstrip('/')}/" for d in folders)

    def inside(f: IncomingFile) -> bool:
        if not folders or not isinstance(f.path, Path):
            return False
        path = str(f.path)
        return path.startswith(below) or path in folders

    scan.budget = [f for f in scan.new if f.bidang == BUDGET_FOLDER]
    scan.new = [f for f in scan.new if f.bidang != BUDGET_FOLDER and not inside(f)]
    scan.absent_folders = {
        key: folder for key, folder in scan.absent_folders.items() if key.split("/")[-1] != BUDGET_FOLDER
    }


def submission_matrix(
    res: Resources, year: int, through_month: int, as_of: datetime
) -> list[MonthSubmission]:
    """The bidang x month status as it stood at `as_of`: files received after it
    do not count (`iku status --as-of` shows the past as it was)."""
    logs = [s for s in res.warehouse.submission_logs(res.opd, year) if s.received_at <= as_of]
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


@dataclass(frozen=True)
class ReportInputs:
    """What a quarterly or annual report is built from."""

    values: list[MonthlyValue]  # current figures of every year: Tabel E.81 looks back over the Renstra
    submissions: list[MonthSubmission]  # the year's matrix through the period's end
    history: list[HistoryValue]  # imported figures of years before the pipeline


def report_inputs(res: Resources, period: Period, as_of: datetime) -> ReportInputs:
    from iku.warehouse.history import history_values

    return ReportInputs(
        values=res.warehouse.current_values(res.opd, None),
        submissions=submission_matrix(res, period.year, period.end_month, as_of),
        history=history_values(res.warehouse, res.opd),
    )
