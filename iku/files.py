"""Writing files so that no reader ever sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# The temporary name starts with a dot: the folder scan ignores hidden files, so a
# sheet being written into an inbox is never picked up half-way.
TEMP_PREFIX = ".incoming-"


def write_atomically(
    path: Path, content: str | bytes, *, mode: int | None = None, sync: bool = False
) -> Path:
    """Write beside `path`, then rename over it. `sync` flushes to disk first (for
    files another process reads at once); `mode` sets the permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
