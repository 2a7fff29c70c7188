"""iku/archive.py and iku/files.py: every file kept byte for byte under its hash,
written so no reader sees half a file."""

from __future__ import annotations

import hashlib

import pytest

from iku.archive import archive_path, store
from iku.files import TEMP_PREFIX, write_atomically


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
