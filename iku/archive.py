"""Content-addressed archive: every file a bidang sent is kept, byte for byte,
under its SHA-256, whether it was valid or not. The archive is a local folder
or an fsspec URL (s3://, sftp://: iku.storage), shared by every worker."""

from __future__ import annotations

import re
from pathlib import Path

from iku import storage
from iku.files import write_once
from iku.storage import Where

# The file's own extension when it is a plain one; an odd one (line breaks,
# bytes that are not UTF-8, very long) is left off, as the hash alone names the file.
_PLAIN_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")
_A_FOLDER = "arsip {target} sudah ada sebagai folder, bukan berkas; pindahkan folder itu"


def archive_path(root: Where, sha256: str, extension: str) -> Where:
    extension = extension.lower()
    return root / sha256[:2] / f"{sha256}{extension if _PLAIN_EXTENSION.fullmatch(extension) else ''}"


def store(root: Where, sha256: str, extension: str, data: bytes) -> Where:
    """Write once; an existing copy is left alone (same hash, same bytes).
    Written whole or not at all (an unnamed file linked under its name, a write
    then a rename, or one PUT on an object store), so a crash never leaves a half
    file under a valid name."""
    target = archive_path(root, sha256, extension)
    if isinstance(target, Path):  # the common case: one attempt, whether the name is taken or not
        if write_once(target, data) or target.is_file():
            return target
        if target.is_dir():  # never record a file as archived when it is not
            raise storage.Unwritable(_A_FOLDER.format(target=target))
        return storage.write(target, data)  # a broken link or a special file there: replaced whole
    if storage.exists(target):
        if storage.is_dir(target):  # never record a file as archived when it is not
            raise storage.Unwritable(_A_FOLDER.format(target=target))
        return target
    return storage.write(target, data)
