"""Places the pipeline writes to (archive, reports, GX Data Docs): checked
before the work starts, so an unwritable place, or a remote store that cannot
be reached, ends a command with one line and exit 5 (CONTRACT §9) instead of a
traceback half-way through. Local folders and fsspec URLs alike (iku.storage)."""

from __future__ import annotations

from iku.storage import Unwritable, ensure_writable

__all__ = ["Unwritable", "ensure_writable"]
