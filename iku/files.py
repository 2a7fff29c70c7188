"""Writing files so that no reader ever sees half of one."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

# The temporary name starts with a dot: the folder scan ignores hidden files, so a
# sheet being written into an inbox is never picked up half-way.
TEMP_PREFIX = ".incoming-"
# as tempfile.mkstemp opens its files: new, private (0600), never through a link
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def write_atomically(
    path: Path, content: str | bytes, *, mode: int | None = None, sync: bool = False
) -> Path:
    """Write beside `path`, then rename over it. `sync` flushes to disk first (for
    files another process reads at once); `mode` sets the permissions (else 0600).
    The archive writes one file per sheet through here: its folder is made only
    when the first try finds it missing, and the temporary name is drawn without
    tempfile's machinery (together half of what the archive spent per file in Python)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = _create_beside(path)
    try:
        try:
            _write_all(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_once(path: Path, data: bytes) -> bool:
    """Give `path` these bytes unless it exists (then False, nothing changed): the
    archive's write, one file per sheet. On Linux an unnamed file in the folder
    (O_TMPFILE) is written, then linked under its name, which fails when the name
    is taken: four system calls a file instead of six (no existence check, no
    temporary name drawn, no rename). Elsewhere, or where the file system or
    /proc cannot do it: a check, then write_atomically. Either way no reader
    ever sees half a file."""
    global _NO_TMPFILE
    fd = _unnamed_in(path.parent)
    if fd is not None:
        try:
            _write_all(fd, data)
            # linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N, open(2)'s documented way to
            # name it (os.link uses linkat, with that flag, only given a folder descriptor)
            os.link(str(fd), path, src_dir_fd=_proc_fds())
            return True
        except FileExistsError:
            return False
        except OSError as exc:  # a /proc that cannot name it (a sandbox): the portable way from now on
            if exc.errno not in (errno.EXDEV, errno.ENOENT, errno.EPERM, errno.EACCES, errno.EINVAL):
                raise
            _NO_TMPFILE = True
        finally:
            os.close(fd)
    if path.exists():
        return False
    write_atomically(path, data)
    return True


def _unnamed_in(folder: Path) -> int | None:
    """An unnamed private file in `folder` (made when missing), open for writing;
    None where the system or the file system has none."""
    if _NO_TMPFILE or _proc_fds() < 0:
        return None
    for attempt in range(2):
        try:
            return os.open(folder, _UNNAMED, 0o600)
        except FileNotFoundError:
            if attempt:
                raise
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # EOPNOTSUPP, EISDIR (kernels before 3.11): no unnamed files here
            if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                return None
            raise
    return None  # pragma: no cover - the loop returns or raises


_NO_TMPFILE = not hasattr(os, "O_TMPFILE")
_UNNAMED = os.O_WRONLY | getattr(os, "O_TMPFILE", 0) | getattr(os, "O_CLOEXEC", 0)
_proc_fd: tuple[int, int] = (0, -1)  # (the pid that opened it, the descriptor)


def _proc_fds() -> int:
    """/proc/self/fd of this process, opened once (-1 where there is none). The
    descriptor names the opener's folder: a forked child (the portal's workers)
    opens its own, or it would link its parent's descriptor of that number."""
    global _proc_fd
    pid = os.getpid()
    if _proc_fd[0] != pid:
        try:
            fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            fd = -1
        _proc_fd = (pid, fd)
    return _proc_fd[1]


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new hidden file in `path`'s folder (made when missing), open for writing."""
    for attempt in range(3):
        tmp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}")
        try:
            return os.open(tmp, _CREATE, 0o600), tmp
        except FileNotFoundError:
            if attempt:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # pragma: no cover - 64 random bits met an earlier name
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
