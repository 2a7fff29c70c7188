"""iku/archive.py and iku/files.py: every file kept byte for byte under its hash,
written so no reader sees half a file."""

from __future__ import annotations

import hashlib
import os

import pytest

from iku import files
from iku.archive import archive_path, store
from iku.files import TEMP_PREFIX, write_atomically, write_once


def test_store_keeps_the_bytes_under_their_hash(tmp_path):
    data = b"bidang,tahun\nperumahan,2023\n"
    sha = hashlib.sha256(data).hexdigest()
    path = store(tmp_path, sha, ".CSV", data)
    assert path == tmp_path / sha[:2] / f"{sha}.csv"
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_store_never_rewrites_an_existing_copy(tmp_path):
    sha = "ab" * 32
    first = store(tmp_path, sha, ".xlsx", b"first")
    assert store(tmp_path, sha, ".xlsx", b"other") == first
    assert first.read_bytes() == b"first"


@pytest.mark.parametrize(
    "odd",
    [".x\nlsx", ".xlsx\udcff".encode("utf-8", "surrogateescape").decode("utf-8", "replace"), "." + "a" * 40],
)
def test_an_odd_extension_is_left_off(tmp_path, odd):
    assert archive_path(tmp_path, "cd" * 32, odd).name == "cd" * 32


def test_write_atomically_replaces_whole_files_and_sets_the_mode(tmp_path):
    target = tmp_path / "sub" / "index.html"
    write_atomically(target, "lama")
    write_atomically(target, "baru ✔", mode=0o640, sync=True)
    assert target.read_text(encoding="utf-8") == "baru ✔"
    assert target.stat().st_mode & 0o777 == 0o640
    assert not [p for p in target.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_a_failed_write_leaves_no_temp_file_and_the_old_content(tmp_path):
    target = tmp_path / "report.json"
    write_atomically(target, "{}")
    with pytest.raises(TypeError):
        write_atomically(target, 123)  # type: ignore[arg-type]
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_write_atomically_makes_the_folder_on_demand_and_keeps_files_private(tmp_path):
    # the folder is made only when the first try finds it missing (the archive writes one
    # file per sheet into folders that mostly exist); a file in the folder's place is an error
    target = tmp_path / "a" / "b" / "arsip.xlsx"
    write_atomically(target, b"PK")
    assert target.read_bytes() == b"PK" and target.stat().st_mode & 0o777 == 0o600
    (tmp_path / "berkas").write_text("bukan folder")
    with pytest.raises(OSError):
        write_atomically(tmp_path / "berkas" / "x.html", "<p>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "berkas"]


def test_write_once_names_an_unnamed_file_and_never_replaces_one(tmp_path):
    # O_TMPFILE, then a link under the name: no temporary name is ever seen in the folder
    target = tmp_path / "ab" / "arsip.xlsx"
    assert write_once(target, b"pertama") is True
    assert write_once(target, b"kedua") is False
    assert target.read_bytes() == b"pertama" and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["arsip.xlsx"]


def test_write_once_without_unnamed_files_writes_the_same(tmp_path, monkeypatch):
    # a system or file system without O_TMPFILE: a check, then write-then-rename
    monkeypatch.setattr(files, "_NO_TMPFILE", True)
    target = tmp_path / "cd" / "arsip.xlsx"
    assert write_once(target, b"pertama") is True
    assert write_once(target, b"kedua") is False
    assert target.read_bytes() == b"pertama" and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["arsip.xlsx"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_archives_its_own_bytes(tmp_path):
    # /proc/self/fd is opened once per process: a child forked after the parent opened it
    # must link its own descriptor, not the parent's of the same number
    store(tmp_path, "ee" * 32, ".xlsx", b"induk")  # the parent opens /proc/self/fd
    with open(tmp_path / "parent-held", "wb"):  # parent descriptors a wrong link would name
        pid = os.fork()
        if pid == 0:  # the child: archive, then leave without running the parent's cleanup
            try:
                store(tmp_path, "ff" * 32, ".xlsx", b"anak")
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    assert (tmp_path / "ff" / f"{'ff' * 32}.xlsx").read_bytes() == b"anak"


def test_a_broken_link_in_a_copy_s_place_is_replaced_by_the_copy(tmp_path):
    # the name is taken, but by nothing readable: never record a file as archived when it is not
    sha = "12" * 32
    target = archive_path(tmp_path, sha, ".xlsx")
    target.parent.mkdir()
    target.symlink_to(tmp_path / "nowhere")
    assert store(tmp_path, sha, ".xlsx", b"isi") == target
    assert target.read_bytes() == b"isi" and not target.is_symlink()


def test_a_folder_in_a_copy_s_place_is_refused(tmp_path):
    from iku.storage import Unwritable

    sha = "34" * 32
    archive_path(tmp_path, sha, ".xlsx").mkdir(parents=True)
    with pytest.raises(Unwritable, match="sudah ada sebagai folder"):
        store(tmp_path, sha, ".xlsx", b"isi")


def test_write_once_falls_back_where_proc_cannot_name_the_file(tmp_path, monkeypatch):
    # a sandbox's /proc that links nothing: here a folder holding no descriptors' names
    empty = tmp_path / "not-proc"
    empty.mkdir()
    fd = os.open(empty, os.O_RDONLY | os.O_DIRECTORY)
    try:
        monkeypatch.setattr(files, "_NO_TMPFILE", False)
        monkeypatch.setattr(files, "_proc_fds", lambda: fd)
        target = tmp_path / "ef" / "arsip.xlsx"
        assert write_once(target, b"pertama") is True
        assert files._NO_TMPFILE is True  # the portable way from now on
        assert write_once(target, b"kedua") is False
        assert target.read_bytes() == b"pertama"
        assert [p.name for p in target.parent.iterdir()] == ["arsip.xlsx"]
    finally:
        os.close(fd)
