"""The consolidation rules of CONTRACT §3, as plain functions: find new files,
read them, turn validation outcomes into submission records. No Prefect and no
database here: tasks/consolidate.py wraps these, flows/consolidate.py composes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from iku.config import Config
from iku.domain.model import Problem, SubmissionRecord, ValueRow
from iku.domain.sheet import Sheet, UnreadableFile, check_container, parse_sheet, read_cells

# Office lock files and hidden files are never submissions.
_IGNORED_PREFIXES = ("~$", ".~lock", ".")


@dataclass
class IncomingFile:
    bidang: str  # from the folder it was found in
    path: Path
    sha256: str
    data: bytes = field(repr=False)
    received_at: datetime

    @property
    def extension(self) -> str:
        return self.path.suffix.lower()


@dataclass
class ReadOutcome:
    file: IncomingFile
    sheet: Sheet | None = None
    unreadable: str | None = None  # why, in Indonesian


def walk_source(folder: Path) -> list[Path]:
    """Every candidate file below `folder`, any depth, in a stable order."""
    if not folder.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(
            Path(dirpath) / name for name in sorted(filenames) if not name.startswith(_IGNORED_PREFIXES)
        )
    return found


def incoming(bidang: str, path: Path, known: set[str]) -> IncomingFile | None:
    """The file with its hash, or None when these bytes were processed before."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha in known:
        return None
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return IncomingFile(bidang=bidang, path=path, sha256=sha, data=data, received_at=mtime)


@dataclass
class Scan:
    new: list[IncomingFile]
    known: int  # files whose bytes were processed before
    absent_folders: dict[str, Path]  # bidang -> configured folder that does not exist


def scan_sources(folders: dict[str, Path], known: set[str]) -> Scan:
    """The new files of every bidang folder; the same bytes twice count once."""
    seen_now = set(known)
    scan = Scan(new=[], known=0, absent_folders={})
    for bidang, folder in folders.items():
        if not folder.is_dir():
            scan.absent_folders[bidang] = folder
            continue
        for path in walk_source(folder):
            f = incoming(bidang, path, seen_now)
            if f is None:
                scan.known += 1
                continue
            seen_now.add(f.sha256)
            scan.new.append(f)
    return scan


def required_numbers(config: Config, bidang: str) -> set[str]:
    kinds = {i.kind for i in config.catalogue.indicators_of(bidang)}
    needed = set()
    if kinds & {"count", "level"}:
        needed.add("realisasi")
    if "ratio" in kinds:
        needed |= {"pembilang", "penyebut"}
    return needed


def read_file(f: IncomingFile, config: Config) -> ReadOutcome:
    """Parse one file; never raises for bad content."""
    limits = config.pipeline.limits
    try:
        check_container(f.data, f.extension, limits)
        cells = read_cells(f.data, f.extension)
        return ReadOutcome(f, sheet=parse_sheet(cells, required_numbers(config, f.bidang), limits))
    except UnreadableFile as exc:
        return ReadOutcome(f, unreadable=str(exc))


def to_record(outcome: ReadOutcome, problems: Iterable[Problem], archive_path: Path) -> SubmissionRecord:
    """The submission record of one file, given what validation found."""
    f = outcome.file
    record = SubmissionRecord(
        sha256=f.sha256,
        bidang=f.bidang,
        file_name=f.path.name,
        source_path=str(f.path),
        archive_path=str(archive_path),
        size_bytes=len(f.data),
        received_at=f.received_at,
        status="unreadable",
    )
    if outcome.unreadable is not None:
        record.problems = [Problem(outcome.unreadable)]
        return record
    sheet = outcome.sheet
    _, record.year, record.month = sheet.period()
    record.problems = list(sheet.problems) + list(problems)
    if record.problems:
        record.status = "invalid"
        return record
    record.status = "valid"
    record.values = [
        ValueRow(
            indicator=r.kode_indikator,
            realisation=r.numbers["realisasi"],
            numerator=r.numbers["pembilang"],
            denominator=r.numbers["penyebut"],
            note=r.keterangan,
            source_row=r.row,
            supporting=r.factors.get("faktor_pendorong"),
            inhibiting=r.factors.get("faktor_penghambat"),
            follow_up=r.factors.get("tindak_lanjut"),
        )
        for r in sheet.rows
    ]
    return record


def summarise(records: list[SubmissionRecord], known_files: int) -> dict:
    count = {s: sum(r.status == s for r in records) for s in ("valid", "invalid", "unreadable")}
    return {"new_files": len(records), "known_files": known_files, **count}
