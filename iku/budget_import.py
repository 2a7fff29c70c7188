"""Loading a budget realisation sheet (CONTRACT §11): read, check, archive,
record. The body of `iku import-budget` and of the inbox's `anggaran/` folder.

A file with any problem is refused whole (recorded and archived like every
file, no figure loaded); a cumulative realisation lower than the month before
is a warning only; programs the catalogue does not list are named and left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from iku import archive
from iku.consolidation import SIZE_COLUMN_MAX
from iku.domain.budget import BudgetLine
from iku.domain.budget_sheet import BudgetSheet, cumulative_drops, parse_budget
from iku.domain.model import Problem
from iku.domain.sheet import UnreadableFile, check_container, read_cells
from iku.resources import Resources
from iku.storage import Where
from iku.warehouse.budget import (
    BudgetFileRecord,
    budget_file_by_hash,
    previous_budget,
    record_budget_file,
)

SHEET_NAME = "anggaran"  # the template's sheet; a SIPD export's first sheet otherwise
ImportStatus = Literal["loaded", "unchanged", "refused"]


@dataclass
class BudgetImport:
    """What an import did. `refused`: nothing loaded, every problem in `problems`
    (the CLI exits 2); `unchanged`: these bytes were loaded before."""

    file_name: str
    status: ImportStatus
    sha256: str | None = None
    year: int | None = None
    month: int | None = None
    revision: int | None = None  # of the month's valid files, when loaded
    lines: list[BudgetLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (code, uraian) of unlisted programs
    archive_path: Where | None = None
    recorded_before: datetime | None = None

    @property
    def refused(self) -> bool:
        return self.status == "refused"


def _unit(res: Resources, opd: str | None) -> Resources:
    if opd is None or opd == res.opd:
        return res
    if res.installation is None:
        raise ValueError(f"OPD '{opd}' tidak dikenal; yang ada: {res.opd}")
    res.installation.check(opd)  # UnknownOpd (a bad argument) for a code the installation lacks
    return Resources(res.settings, res.installation.config(opd), res.installation, (opd,), res._shared)


def import_budget(
    res: Resources,
    file: Path,
    period: tuple[int, int] | None = None,
    opd: str | None = None,
    *,
    received_at: datetime | None = None,
    source_path: str | None = None,
) -> BudgetImport:
    """Read, check, archive and record one budget sheet of OPD `opd` (the
    resources' own when None). `period` (year, month) as `--period` names it;
    None: the file's tahun/bulan columns or its title rows ("s.d. 31 Maret 2024")."""
    unit = _unit(res, opd)
    path = Path(file)
    if not path.is_file():
        what = "tidak ditemukan" if not path.exists() else "bukan berkas"
        return BudgetImport(path.name, "refused", problems=[Problem(f"Berkas '{path}' {what}.")])
    return load_budget(
        unit,
        path.name,
        path.read_bytes(),
        period,
        received_at=received_at,
        source_path=source_path or str(path.absolute()),
    )


def load_budget(
    unit: Resources,
    name: str,
    data: bytes,
    period: tuple[int, int] | None = None,
    *,
    received_at: datetime | None = None,
    source_path: str = "",
    fallback: tuple[int, int] | None = None,
    size: int | None = None,
) -> BudgetImport:
    """import_budget on bytes already read (the inbox scan's). `fallback`: the
    period when the sheet states none (the file name's); `size`: on disk, when
    more than the bytes read (a file over the size limit is refused unread)."""
    sha = hashlib.sha256(data).hexdigest()
    ext = Path(name).suffix.lower()
    wh = unit.warehouse
    before = budget_file_by_hash(wh, unit.opd, sha)
    if before is not None and before["status"] == "valid":
        return BudgetImport(
            name,
            "unchanged",
            sha,
            before["year"],
            before["month"],
            before["revision"],
            recorded_before=before["processed_at"],
        )
    sheet, problems = _checked(unit, data, ext, period, fallback, size)
    year, month = (sheet.year, sheet.month) if sheet is not None else (None, None)
    if period is not None and year is None:
        year, month = period
    warnings: list[Problem] = list(sheet.warnings) if sheet is not None and not problems else []
    if sheet is not None and not problems and year is not None and month is not None:
        previous = previous_budget(wh, unit.opd, year, month)
        if previous is not None:
            warnings += cumulative_drops(sheet.figures, previous.lines)
    whole = size is None or size <= len(data)  # a file over the size limit was never read whole
    stored = archive.store(unit.settings.archive_dir, sha, ext, data) if whole else None
    record = BudgetFileRecord(
        sha256=sha,
        file_name=name,
        source_path=source_path or name,
        archive_path=str(stored) if stored is not None else "",
        size_bytes=min(len(data) if size is None else size, SIZE_COLUMN_MAX),
        received_at=received_at or datetime.now(UTC),
        status="invalid" if problems else "valid",
        year=year,
        month=month,
        problems=problems,
        warnings=warnings,
        lines=sheet.lines if sheet is not None and not problems else [],
    )
    recorded = record_budget_file(wh, unit.opd, record)
    return BudgetImport(
        file_name=name,
        status="refused" if problems else ("unchanged" if recorded.already_recorded_at else "loaded"),
        sha256=sha,
        year=year,
        month=month,
        revision=recorded.revision,
        lines=record.lines,
        problems=problems,
        warnings=warnings,
        left_out=sheet.left_out if sheet is not None else [],
        archive_path=stored,
        recorded_before=recorded.already_recorded_at,
    )


def _checked(
    unit: Resources,
    data: bytes,
    ext: str,
    period: tuple[int, int] | None,
    fallback: tuple[int, int] | None,
    size: int | None,
) -> tuple[BudgetSheet | None, list[Problem]]:
    """The sheet read and checked, and every problem that refuses it."""
    programs = unit.config.catalogue.budget_programs
    try:
        check_container(data, ext, unit.config.pipeline.limits, size=len(data) if size is None else size)
        sheet = parse_budget(read_cells(data, ext, sheet=SHEET_NAME), programs, period, fallback)
    except UnreadableFile as exc:
        return None, [Problem(str(exc))]
    problems = list(sheet.problems)
    if not programs and not problems:
        problems = [
            Problem(
                "Katalog OPD belum mendaftar program (kunci programs di konfigurasi OPD); "
                "anggaran tidak dapat dikaitkan dengan IKU."
            )
        ]
    years = unit.config.catalogue.opd.years
    if not problems and sheet.year is not None and sheet.year not in years:
        problems = [Problem(f"Tahun {sheet.year} di luar periode Renstra ({years[0]}–{years[-1]}).")]
    return sheet, problems
