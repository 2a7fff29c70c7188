"""The CLI's quick scan and the flow's scan run in one process: the second takes the
files the first one read instead of reading and hashing them again, unless a file
changed in between."""

from __future__ import annotations

import hashlib
import os

from iku.consolidation import scan_sources


def test_an_unchanged_file_is_not_read_twice(tmp_path):
    folder = tmp_path / "perumahan"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"a")
    (folder / "b.csv").write_bytes(b"b")
    first = scan_sources({"perumahan": folder}, set())
    second = scan_sources({"perumahan": folder}, set())
    assert [f.sha256 for f in second.new] == [f.sha256 for f in first.new]
    assert all(a is b for a, b in zip(first.new, second.new))  # the same objects: no new read
    known = scan_sources({"perumahan": folder}, {hashlib.sha256(b"a").hexdigest()})
    assert [f.path.name for f in known.new] == ["b.csv"] and known.known == 1


def test_a_file_rewritten_in_between_is_read_again(tmp_path):
    folder = tmp_path / "perumahan"
    folder.mkdir()
    path = folder / "a.csv"
    path.write_bytes(b"1")
    before = path.stat()
    first = scan_sources({"perumahan": folder}, set())
    path.write_bytes(b"2")  # same size; the modification time is even set back
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    second = scan_sources({"perumahan": folder}, set())
    assert second.new[0] is not first.new[0]
    assert second.new[0].sha256 == hashlib.sha256(b"2").hexdigest()


def test_a_file_seen_only_two_scans_ago_is_read_again(tmp_path):
    folder, other = tmp_path / "perumahan", tmp_path / "perkim"
    folder.mkdir()
    other.mkdir()
    (folder / "a.csv").write_bytes(b"a")
    first = scan_sources({"perumahan": folder}, set())
    scan_sources({"perkim": other}, set())  # only the latest scan is kept
    again = scan_sources({"perumahan": folder}, set())
    assert again.new[0] is not first.new[0] and again.new[0].sha256 == first.new[0].sha256
