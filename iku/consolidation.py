"""The consolidation rules of CONTRACT §3, as plain functions: find new files,
read them, turn validation outcomes into submission records. No Prefect and no
database here: tasks/consolidate_steps.py runs these as the steps of a run (composed
by flows/pipeline.py consolidate_all), which tasks/consolidate.py wraps as Prefect tasks for the flow."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from iku import storage
from iku.config import Config, Limits
from iku.domain import kinds
from iku.domain.model import Problem, SubmissionRecord, ValueRow
from iku.domain.sheet import Sheet, UnreadableFile, check_container, parse_sheet, read_cells
from iku.domain.status import file_status_counts
from iku.domain.text import shown_name
from iku.storage import Remote, Unwritable, Where

# Office lock files and hidden files are never submissions.
_LOCK_PREFIXES = ("~$", ".~lock")
_KIND = {
    stat.S_IFIFO: "named pipe (FIFO)",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "perangkat (device)",
    stat.S_IFBLK: "perangkat (device)",
}


@dataclass
class IncomingFile:
    bidang: str  # from the folder it was found in
    path: Where  # a local path, or the file's URL in a remote store
    sha256: str
    data: bytes = field(repr=False)  # at most the size limit + 1 bytes
    received_at: datetime
    size: int = -1  # on disk
    truncated: bool = False  # over the size limit: only the first limit + 1 bytes were read
    opd: str = ""  # the OPD whose folder it was found in

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.data)

    # cached: a file's path never changes, and each step asks again (pathlib's suffix, once per ask)
    @cached_property
    def extension(self) -> str:
        return self.path.suffix.lower()

    @cached_property
    def name(self) -> str:
        """The file name as it can be stored and shown (escapes for odd bytes)."""
        return shown_name(self.path.name, limit=NAME_LIMIT)


NAME_LIMIT = 512  # submission.file_name
# submission.size_bytes is a 32-bit integer: a larger (sparse, refused) file
# stores this; its problem message names the real size
SIZE_COLUMN_MAX = 2**31 - 1


@dataclass
class ReadOutcome:
    file: IncomingFile
    sheet: Sheet | None = None
    unreadable: str | None = None  # why, in Indonesian
    error: str | None = field(default=None, repr=False)  # traceback of an unexpected failure, for the log


@dataclass(frozen=True)
class Skipped:
    """A folder entry the scan did not read, with the reason (Indonesian)."""

    bidang: str
    path: Where
    reason: str
    error: str | None = field(default=None, repr=False, compare=False)  # traceback, for engineers

    @property
    def shown(self) -> str:
        return shown_name(str(self.path))


class _NotRead(Exception):
    """This entry is skipped; the message is the reason."""


def _ignored_name(name: str) -> str | None:
    if name.startswith(_LOCK_PREFIXES):
        return "berkas kunci Office/LibreOffice (dibuat saat berkas sedang dibuka)"
    if name.startswith("."):
        return "berkas tersembunyi (nama diawali titik)"
    return None


def walk_source(folder: Path, skipped: list[Skipped] | None = None, bidang: str = "") -> list[Path]:
    """Every candidate file below `folder`, any depth, in a stable order. Hidden
    and lock files and folders, and folders that cannot be listed, go to
    `skipped` with the reason. Links to folders are not followed."""
    skipped = [] if skipped is None else skipped
    if not folder.is_dir():
        return []
    found: list[Path] = []

    def unlisted(err: OSError) -> None:
        skipped.append(
            Skipped(bidang, Path(err.filename or folder), f"folder tidak dapat dibuka ({_os_reason(err)})")
        )

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unlisted):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                skipped.append(Skipped(bidang, here / d, "folder tersembunyi (nama diawali titik)"))
            elif (here / d).is_symlink():
                skipped.append(Skipped(bidang, here / d, "tautan (symlink) ke folder tidak diikuti"))
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            reason = _ignored_name(name)
            if reason:
                skipped.append(Skipped(bidang, here / name, reason))
            else:
                found.append(here / name)
    return found


def _os_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "izin ditolak"
    if err.errno == errno.ELOOP:
        return "tautan (symlink) berputar"
    return err.strerror or type(err).__name__


def _target(path: Path, root: Path) -> tuple[Path, os.stat_result]:
    """The real file `path` stands for: itself, or where its link leads when
    that is inside `root` (a real path), with its lstat. Raises _NotRead for
    anything but a regular file."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        try:
            real = Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:
            raise _NotRead("tautan (symlink) yang tujuannya tidak ada") from None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise _NotRead("tautan (symlink) berputar") from None
            raise
        if not real.is_relative_to(root):
            raise _NotRead("tautan (symlink) ke luar folder sumber ditolak; berkas tujuannya tidak dibaca")
        path = real
        info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise _NotRead(f"bukan berkas biasa: {_KIND.get(stat.S_IFMT(info.st_mode), 'jenis lain')}")
    return path, info


def _read_bounded(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """At most max_bytes + 1 bytes of a regular file. O_NONBLOCK and the fstat
    after opening make sure a file swapped for a pipe meanwhile never blocks;
    O_NOFOLLOW refuses one swapped for a link. Read with os.read, not a file
    object: one read of the size the fstat gave is the whole file (a buffered
    reader added a second fstat, a tty check, a seek and two more reads)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotRead(f"bukan berkas biasa: {_KIND.get(stat.S_IFMT(info.st_mode), 'jenis lain')}")
        # ask for the size the file has, not the limit: a read of limit + 1 bytes
        # allocated 5 MB for every 5 kB sheet (the kernel's work, more than calamine's read)
        limit = max_bytes + 1
        data = os.read(fd, min(info.st_size + 1, limit))
        if len(data) == info.st_size or len(data) == limit:
            return data, info
        # shorter than its size (shrunk, or a file system that reads in parts), or
        # grown since the fstat: read on to the end, up to the limit
        parts, got = [data], len(data)
        while got < limit and (more := os.read(fd, limit - got)):
            parts.append(more)
            got += len(more)
        return b"".join(parts), info
    finally:
        os.close(fd)


def incoming(
    bidang: str, path: Path, known: set[str], max_bytes: int, root: Path | None = None, opd: str = ""
) -> IncomingFile | None:
    """The file with its hash, or None when these bytes were processed before.
    Never reads more than max_bytes + 1: a larger file is identified by the
    hash of that much (it is refused as too big without being read further).
    Raises _NotRead (or OSError) when the entry cannot be read. `root`: the
    source folder as a real path (resolved once per folder, not per file)."""
    real, info = _target(path, root if root is not None else Path(os.path.realpath(path.parent)))
    # ctime changes with every write and cannot be set back, unlike mtime
    key = (
        bidang,
        str(path),
        str(real),
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
        info.st_ino,
        max_bytes,
    )
    earlier = _last_scan.get(key)
    if earlier is not None:  # scanned moments ago in this process, unchanged since
        _this_scan[key] = earlier
        return None if earlier.sha256 in known else earlier
    data, info = _read_bounded(real, max_bytes)
    sha = hashlib.sha256(data).hexdigest()
    found = IncomingFile(
        bidang=bidang,
        path=path,
        sha256=sha,
        data=data,
        received_at=received_at(datetime.fromtimestamp(info.st_mtime, tz=UTC)),
        size=max(info.st_size, len(data)),
        truncated=len(data) > max_bytes,
        opd=opd,
    )
    if key[3:7] == (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino):
        _this_scan[key] = found
    return None if sha in known else found


def received_at(modified: datetime | None) -> datetime:
    """When a file counts as received (CONTRACT §3): its modification time, but
    never later than now. A clock set wrong on a bidang's computer (or a copy
    keeping a future stamp) would otherwise make a sheet already loaded show as
    missing until that date, and its alerts fire."""
    now = datetime.now(UTC)
    return now if modified is None or modified > now else modified


# The CLI scans to learn whether there is anything new, then the flow scans again in
# the same process: the second scan takes each file the first one read, when its
# path, size, modification time and inode are unchanged, instead of reading and
# hashing it again. Only the latest scan is kept, so a long-running process holds
# no more than one scan's files.
_StatKey = tuple[str, str, str, int, int, int, int, int]
_last_scan: dict[_StatKey, IncomingFile] = {}
_this_scan: dict[_StatKey, IncomingFile] = {}


def _remote_files(bidang: str, folder: Remote, skipped: list[Skipped]) -> list[storage.Entry]:
    """The candidate files below a remote folder, with the local scan's rules
    where a store can tell: hidden and lock files and hidden folders skipped
    with their reason, links not followed, nothing but plain files read."""
    found = []
    for entry in storage.walk(folder):
        if any(part.startswith(".") for part in entry.parts[:-1]):
            continue  # inside a hidden folder, which is reported once itself
        if entry.kind == "directory":
            if entry.parts[-1].startswith("."):
                skipped.append(Skipped(bidang, entry.where, "folder tersembunyi (nama diawali titik)"))
            continue
        reason = _ignored_name(entry.parts[-1])
        if reason is None and entry.kind == "link":
            reason = "tautan (symlink) di penyimpanan jarak jauh tidak diikuti"
        elif reason is None and entry.kind != "file":
            reason = "bukan berkas biasa: jenis lain"
        if reason:
            skipped.append(Skipped(bidang, entry.where, reason))
        else:
            found.append(entry)
    return found


def _remote_key(bidang: str, entry: storage.Entry, max_bytes: int) -> _StatKey:
    modified = entry.modified or datetime.now(UTC)
    return (
        bidang,
        str(entry.where),
        f"{entry.where}#{entry.version}",
        entry.size,
        int(modified.timestamp() * 1e9),
        0,
        0,
        max_bytes,
    )


def remote_incoming(
    bidang: str,
    entry: storage.Entry,
    known: set[str],
    max_bytes: int,
    opd: str = "",
    fetched: bytes | Unwritable | None = None,
) -> IncomingFile | None:
    """incoming() for a file in a remote store: at most max_bytes + 1 bytes are
    kept (`fetched`: its bytes, already fetched with others at once); an
    unchanged file (URL, size, time, the store's content tag) met by the
    previous scan of this process is not fetched again."""
    key = _remote_key(bidang, entry, max_bytes)
    earlier = _last_scan.get(key)
    if earlier is not None:
        _this_scan[key] = earlier
        return None if earlier.sha256 in known else earlier
    if isinstance(fetched, Unwritable):
        raise fetched
    data = (storage.read_bytes(entry.where, max_bytes + 1) if fetched is None else fetched)[: max_bytes + 1]
    found = IncomingFile(
        bidang=bidang,
        path=entry.where,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        received_at=received_at(entry.modified),
        size=max(entry.size, len(data)),
        truncated=len(data) > max_bytes,
        opd=opd,
    )
    _this_scan[key] = found
    return None if found.sha256 in known else found


@dataclass
class Scan:
    new: list[IncomingFile]
    known: int  # files whose bytes were processed before
    absent_folders: dict[str, Where]  # bidang -> configured folder that does not exist
    skipped: list[Skipped] = field(default_factory=list)  # not read: hidden, lock, links, pipes, errors
    strays: list[str] = field(default_factory=list)  # entries of the inbox no source folder covers
    budget: list[IncomingFile] = field(
        default_factory=list
    )  # new budget sheets (CONTRACT §11), never a bidang's


def stray_entries(inbox: Where, sources: Sequence[Where]) -> list[str]:
    """What lies in a local inbox outside every source folder, each with why it
    is never read: a file dropped beside the bidang folders, or a folder named
    after no bidang (or OPD), such as `Perkim` for `perkim`; also one level
    down, in each OPD's folder. Remote inboxes are not walked (listing them
    costs requests)."""
    if isinstance(inbox, Remote):
        return []
    return _strays(inbox, [f for f in sources if isinstance(f, Path)])


def _strays(inbox: Path, local: Sequence[Path]) -> list[str]:
    if not inbox.is_dir() or inbox in local:
        return []  # a source folder itself: everything in it is read
    below = _first_parts(inbox, local)
    try:
        entries = sorted(inbox.iterdir())
    except OSError:
        return []
    found = [
        _why_stray(entry, set(below))
        for entry in entries
        if entry.name not in below and not entry.name.startswith(".")
    ]
    for name in sorted(below):  # an OPD's folder holding its bidang folders: only the folders below it
        found += _strays(inbox / name, below[name])
    return found


def _first_parts(inbox: Path, folders: Sequence[Path]) -> dict[str, list[Path]]:
    """The names directly under `inbox` that lead to a source folder, each with
    the folders below it (one pass: an inbox of 400 OPD folders compared every
    OPD's folder with all 2,000 source folders)."""
    covered: dict[str, list[Path]] = {}
    for folder in folders:
        with contextlib.suppress(ValueError):
            parts = folder.relative_to(inbox).parts
            if parts:
                covered.setdefault(parts[0], []).append(folder)
    return covered


def _why_stray(entry: Path, covered: set[str]) -> str:
    """Why an entry beside the source folders is never read, and what to do."""
    shown = shown_name(str(entry))
    known = {name.casefold(): name for name in covered}
    if not entry.is_dir():
        return f"{shown}: berkas di luar folder bidang, tidak diproses; pindahkan ke folder bidangnya"
    if entry.name.casefold() in known:
        return f"{shown}: folder tidak dikenal, tidak diproses; maksudnya '{known[entry.name.casefold()]}'?"
    return f"{shown}: folder tidak dikenal, tidak diproses (yang dikenal: {', '.join(sorted(covered))})"


def _candidates(
    bidang: str, folder: Where, seen: set[str], max_bytes: int, opd: str, skipped: list[Skipped]
) -> list[tuple[Where, Callable[[], IncomingFile | None]]]:
    """Each candidate file of `folder` with the call that reads it."""
    if isinstance(folder, Remote):
        entries = _remote_files(bidang, folder, skipped)
        # the files within the limit and not met by the last scan: fetched at once, concurrently
        small = [
            e.where
            for e in entries
            if e.size <= max_bytes and _remote_key(bidang, e, max_bytes) not in _last_scan
        ]
        fetched = storage.read_many(small) if small else {}
        return [
            (e.where, partial(remote_incoming, bidang, e, seen, max_bytes, opd, fetched.get(e.where)))
            for e in entries
        ]
    root = Path(os.path.realpath(folder))
    return [
        (p, partial(incoming, bidang, p, seen, max_bytes, root, opd))
        for p in walk_source(folder, skipped, bidang)
    ]


def scan_sources(
    folders: dict[str, Where],
    known: set[str],
    max_bytes: int | None = None,
    opd: str = "",
    known_by: dict[str, set[str]] | None = None,
) -> Scan:
    """The new files of every bidang folder (a local folder or a remote store's);
    the same bytes twice count once. One entry that cannot be read is skipped
    with its reason; the scan goes on. A remote store that cannot be reached at
    all raises Unwritable (one line, exit 5). `known_by`: the hashes known for
    one folder key instead of `known` (the budget folder's are its own table's)."""
    global _last_scan, _this_scan
    max_bytes = Limits().max_file_bytes if max_bytes is None else max_bytes
    _this_scan = {}
    seen_now = set(known)
    own = {key: set(hashes) for key, hashes in (known_by or {}).items()}
    scan = Scan(new=[], known=0, absent_folders={})
    for bidang, folder in folders.items():
        if not storage.is_dir(folder):
            scan.absent_folders[f"{opd}/{bidang}" if opd else bidang] = folder
            continue
        seen = own.get(bidang, seen_now)
        for path, read in _candidates(bidang, folder, seen, max_bytes, opd, scan.skipped):
            try:
                f = read()
            except _NotRead as exc:
                scan.skipped.append(Skipped(bidang, path, str(exc)))
                continue
            except OSError as exc:
                scan.skipped.append(Skipped(bidang, path, f"tidak dapat dibaca ({_os_reason(exc)})"))
                continue
            except Unwritable as exc:  # a remote file the store would not hand over
                scan.skipped.append(Skipped(bidang, path, f"tidak dapat dibaca ({exc})"))
                continue
            except Exception as exc:  # whatever else: this entry only, never the scan
                reason = f"tidak dapat dibaca (kesalahan tak terduga: {type(exc).__name__})"
                scan.skipped.append(Skipped(bidang, path, reason, traceback.format_exc()))
                continue
            if f is None:
                scan.known += 1
                continue
            seen.add(f.sha256)
            scan.new.append(f)
    _last_scan = _this_scan
    return scan


def scan_opds(
    sources: list[tuple[str, dict[str, Where], set[str]]],
    max_bytes: int | None = None,
    known_by: dict[str, dict[str, set[str]]] | None = None,
) -> Scan:
    """scan_sources over several OPD, given per OPD its folders and the hashes it
    has seen (`known_by`: per OPD, a folder key's own hashes). The same bytes in
    two OPD's folders are two submissions (one each)."""
    total = Scan(new=[], known=0, absent_folders={})
    for opd, folders, known in sources:
        mine = (known_by or {}).get(opd)
        scan = scan_sources(folders, known, max_bytes, opd if len(sources) > 1 else "", mine)
        for f in scan.new:
            f.opd = opd
        total.new += scan.new
        total.known += scan.known
        total.absent_folders.update(scan.absent_folders)
        total.skipped += scan.skipped
    return total


def required_numbers(config: Config, bidang: str) -> set[str]:
    return kinds.required_numbers(i.kind for i in config.catalogue.indicators_of(bidang))


UNEXPECTED = (
    "Berkas tidak dapat diproses karena kesalahan tak terduga saat membacanya. Tim pengelola "
    "pipeline sudah mencatatnya; sementara itu simpan ulang sebagai .xlsx dari Excel lalu kirim kembali."
)


def read_file(f: IncomingFile, config: Config, numbers: set[str] | None = None) -> ReadOutcome:
    """Parse one file. Never raises: this is the one guard every file passes
    through, so whatever a file holds, it affects that file only. A failure
    nobody foresaw makes the file unreadable with a plain reason, and keeps the
    traceback (`error`) for the log. `numbers`: the bidang's required_numbers,
    when the caller has them (a run reads thousands of sheets of a few bidang)."""
    limits = config.pipeline.limits
    try:
        package = check_container(f.data, f.extension, limits, size=f.size)
        cells = read_cells(f.data, f.extension, package=package)
        return ReadOutcome(
            f,
            sheet=parse_sheet(
                cells,
                required_numbers(config, f.bidang) if numbers is None else numbers,
                limits,
                strict_width=f.extension == ".csv",
            ),
        )
    except UnreadableFile as exc:
        return ReadOutcome(f, unreadable=str(exc))
    except Exception:
        return ReadOutcome(f, unreadable=UNEXPECTED, error=traceback.format_exc())


def to_record(
    outcome: ReadOutcome, problems: Iterable[Problem], archive_path: Where | None
) -> SubmissionRecord:
    """The submission record of one file, given what validation found.
    `archive_path` is None for a file too big to be read whole (not archived)."""
    f = outcome.file
    record = SubmissionRecord(
        sha256=f.sha256,
        bidang=f.bidang,
        file_name=f.name,
        source_path=shown_name(str(f.path)),
        archive_path=str(archive_path) if archive_path else "",
        size_bytes=min(f.size, SIZE_COLUMN_MAX),
        received_at=f.received_at,
        status="unreadable",
        opd=f.opd,
    )
    if outcome.unreadable is not None:
        record.problems = [Problem(outcome.unreadable)]
        return record
    sheet = outcome.sheet
    assert sheet is not None  # a readable outcome always carries its sheet
    _, record.year, record.month = sheet.period()
    # a cell the reader already reported (a formula without value, a number
    # over the limit) is not reported again by the validation
    taken = {(p.row, p.column) for p in sheet.row_problems}
    problems = [p for p in problems if (p.row, p.column) not in taken]
    record.problems = sorted(
        [*sheet.problems, *sheet.row_problems, *problems],
        key=lambda p: (p.row is None, p.row or 0, p.column or ""),
    )
    if record.problems:
        record.status = "invalid"
        return record
    record.status = "valid"
    record.values = [
        ValueRow(
            indicator=r.kode_indikator or "",  # never empty in a valid sheet
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


def summarise(
    records: list[SubmissionRecord], known_files: int, skipped: Iterable[Skipped] = ()
) -> dict[str, Any]:
    count = file_status_counts(records)
    ignored = [f"{s.shown}: {s.reason}" for s in skipped]
    return {
        "new_files": len(records),
        "known_files": known_files,
        **count,
        "ignored": len(ignored),
        "ignored_files": ignored,
    }
