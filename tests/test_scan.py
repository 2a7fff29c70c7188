"""The folder scan reads only regular files, bounded, inside the source folder;
everything else is skipped with a reason and never stops or hangs the scan."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
from sheetkit import sheet_rows, write_xlsx

from iku import archive
from iku.consolidation import scan_sources

LIMIT = 1_000


def odd_entries(folder: Path, outside: Path) -> dict[str, str]:
    """Create every odd entry in `folder`; name -> words expected in the skip reason."""
    folder.mkdir(parents=True, exist_ok=True)
    outside.write_text("root:x:0:0\n")
    (folder / "mati.xlsx").symlink_to(folder / "tidak-ada.xlsx")
    (folder / "putar-a.csv").symlink_to(folder / "putar-b.csv")
    (folder / "putar-b.csv").symlink_to(folder / "putar-a.csv")
    (folder / "diri.csv").symlink_to(folder / "diri.csv")
    (folder / "passwd.csv").symlink_to(outside)
    (folder / "naik.csv").symlink_to(Path("../..") / outside.name)  # relative, still outside
    os.mkfifo(folder / "pipa.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "soket.csv"))
    sock.close()
    (folder / ".tersembunyi.xlsx").write_bytes(b"x")
    (folder / "..csv").write_text("a;b\n")
    (folder / "~$april.xlsx").write_bytes(b"lock")
    (folder / ".~lock.april.xlsx#").write_text("lock")
    (folder / ".git").mkdir()
    (folder / ".git" / "isi.csv").write_text("a;b\n")
    (folder / "tautan-folder").symlink_to(outside.parent, target_is_directory=True)
    return {
        "mati.xlsx": "tujuannya tidak ada",
        "putar-a.csv": "berputar",
        "putar-b.csv": "berputar",
        "diri.csv": "berputar",
        "passwd.csv": "ke luar folder sumber",
        "naik.csv": "ke luar folder sumber",
        "pipa.csv": "FIFO",
        "soket.csv": "socket",
        ".tersembunyi.xlsx": "tersembunyi",
        "..csv": "tersembunyi",
        "~$april.xlsx": "kunci",
        ".~lock.april.xlsx#": "kunci",
        ".git": "folder tersembunyi",
        "tautan-folder": "ke folder tidak diikuti",
    }


def test_odd_entries_are_skipped_with_a_reason_and_good_files_still_read(tmp_path):
    folder = tmp_path / "inbox" / "perumahan"
    expected = odd_entries(folder, tmp_path / "passwd")
    good = write_xlsx(folder / "sub" / "april.xlsx", sheet_rows())
    (folder / "sub" / "link-ke-april.xlsx").symlink_to(good)  # a link inside the folder is fine

    scan = scan_sources({"perumahan": folder}, set(), LIMIT * 1000)

    assert [f.path.name for f in scan.new] == ["april.xlsx"]  # the link has the same bytes
    assert scan.known == 1
    reasons = {s.path.name: s.reason for s in scan.skipped}
    assert set(reasons) == set(expected)
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])
    assert all(s.bidang == "perumahan" for s in scan.skipped)


def test_a_device_file_is_skipped(tmp_path):
    folder = tmp_path / "perumahan"
    folder.mkdir()
    try:
        os.mknod(folder / "nol.csv", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null
    except PermissionError:
        pytest.skip("this sandbox may not create device files")
    scan = scan_sources({"perumahan": folder}, set(), LIMIT)
    assert scan.new == []
    assert [(s.path.name, "device" in s.reason) for s in scan.skipped] == [("nol.csv", True)]


def test_reads_are_bounded_and_a_big_file_is_not_archived(tmp_path):
    folder = tmp_path / "perumahan"
    folder.mkdir()
    big = folder / "besar.csv"
    with big.open("wb") as fh:  # sparse: 20 GB on paper, nothing on disk
        fh.truncate(20 * 1024**3)
    scan = scan_sources({"perumahan": folder}, set(), LIMIT)
    (f,) = scan.new
    assert len(f.data) == LIMIT + 1 and f.truncated and f.size == 20 * 1024**3
    small = folder / "kecil.csv"
    small.write_bytes(b"x" * LIMIT)
    (g,) = scan_sources({"perumahan": folder}, {f.sha256}, LIMIT).new
    assert g.path == small and not g.truncated and len(g.data) == LIMIT


def test_file_names_that_are_not_utf8_or_hold_line_breaks_are_shown_with_escapes(tmp_path):
    folder = tmp_path / "perumahan"
    folder.mkdir()
    latin1 = os.fsencode(folder) + b"/laporan-\xe9.csv"
    with open(latin1, "wb") as fh:
        fh.write(b"a;b\n1;2\n")
    (folder / "a\nb\x1b.csv").write_bytes(b"c;d\n")
    scan = scan_sources({"perumahan": folder}, set(), LIMIT)
    names = sorted(f.name for f in scan.new)
    assert names == ["a\\nb\\x1b.csv", "laporan-\\xe9.csv"]
    for name in names:
        name.encode("utf-8")  # storable and sendable
    # the archive keeps the bytes under the hash, with a plain extension only
    odd = archive.archive_path(tmp_path, "ab" * 32, ".c\udce9sv")
    assert odd.name == "ab" * 32
    assert archive.archive_path(tmp_path, "ab" * 32, ".csv\n").name == "ab" * 32


def test_any_unforeseen_failure_while_reading_makes_only_that_file_unreadable(tmp_path, monkeypatch):
    """The guard in read_file: a failure no rule foresaw (injected here) is an
    unreadable record with a plain reason and the traceback kept for the log."""
    from sheetkit import REPO

    from iku import consolidation
    from iku.config import load_config

    folder = tmp_path / "perumahan"
    write_xlsx(folder / "a.xlsx", sheet_rows())
    write_xlsx(folder / "b.xlsx", sheet_rows(month=5))
    files = scan_sources({"perumahan": folder}, set(), LIMIT * 1000).new
    config = load_config(REPO / "config")
    real = consolidation.parse_sheet

    def explode_on_may(cells, required, limits, **options):
        if any(5 in row or 5.0 in row for row in cells[1:]):
            raise RecursionError("deep inside a parser")
        return real(cells, required, limits, **options)

    monkeypatch.setattr(consolidation, "parse_sheet", explode_on_may)
    good, bad = (consolidation.read_file(f, config) for f in files)
    assert good.sheet is not None and good.unreadable is None
    assert bad.sheet is None and bad.unreadable == consolidation.UNEXPECTED
    assert "RecursionError: deep inside a parser" in bad.error


def test_a_file_larger_than_its_stat_said_is_read_on_up_to_the_limit():
    # the read asks for the size fstat gave (not the limit: 5 MB allocated per 5 kB sheet);
    # a file grown since, like /proc's files that stat as 0 bytes, is still read up to the limit
    from iku.consolidation import _read_bounded

    status = Path("/proc/self/status")
    if not status.is_file() or status.stat().st_size:
        pytest.skip("needs a file whose stat understates its size (Linux /proc)")
    data, info = _read_bounded(status, 100_000)
    assert info.st_size == 0 and data.startswith(b"Name:") and b"VmRSS" in data
    assert len(_read_bounded(status, 10)[0]) == 11  # the limit + 1: refused as too big, as before
