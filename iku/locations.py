"""Folders the pipeline writes to (archive, reports, GX Data Docs): checked
before the work starts, so an unwritable place ends a command with one line
and exit 5 (CONTRACT §9) instead of a traceback half-way through."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class Unwritable(Exception):
    """A folder the command must write to cannot be written; one line for the operator."""


def ensure_writable(folder: Path, what: str) -> Path:
    """Create `folder` if needed and prove a file can be written there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".iku-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise Unwritable(f"{what} {folder} tidak dapat ditulis ({reason})") from None
    return folder
