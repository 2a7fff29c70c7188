"""Content-addressed archive: every file a bidang sent is kept, byte for byte,
under its SHA-256, whether it was valid or not."""

from __future__ import annotations

import re
from pathlib import Path

from iku.files import write_atomically

# The file's own extension when it is a plain one; an odd one (line breaks,
# bytes that are not UTF-8, very long) is left off, as the hash alone names the file.
_PLAIN_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def archive_path(root: Path, sha256: str, extension: str) -> Path:
    extension = extension.lower()
    return root / sha256[:2] / f"{sha256}{extension if _PLAIN_EXTENSION.fullmatch(extension) else ''}"


def store(root: Path, sha256: str, extension: str, data: bytes) -> Path:
    """Write once; an existing copy is left alone (same hash, same bytes)."""
    target = archive_path(root, sha256, extension)
    if target.exists():
        return target
    # write-then-rename so a crash never leaves a half file under a valid name
    return write_atomically(target, data)
