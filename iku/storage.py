"""Where the archive, the reports and the bidang sources live: the one module
that knows about fsspec.

A place is a `Where`: a plain path (or a `file://` URL) is a local `Path` and
keeps every local guarantee (write-then-rename, regular files only, reads that
never follow a swapped-in link); any other URL (`s3://bucket/prefix`,
`sftp://user@host:22/folder`, ...) is a `Remote`, reached through fsspec with
fsspec's own configuration: AWS_* variables for S3 (AWS_ENDPOINT_URL for a
non-AWS endpoint), FSSPEC_<PROTOCOL>_<OPTION> variables for anything else
(FSSPEC_SFTP_PASSWORD, FSSPEC_SFTP_CLIENT_KEYS, FSSPEC_SFTP_KNOWN_HOSTS).
Passwords never appear in a URL, so the URLs the warehouse keeps hold no secret.

fsspec is imported only when a remote place is used: commands that never touch
one pay nothing for it.
"""

from __future__ import annotations

import posixpath
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from iku.config import ConfigError
from iku.domain.places import Location, Remote, Where, is_remote, location

# Stores where a single PUT is already atomic (no rename: a copy would cost as much)
_OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"}
# The same prefix as iku.files.TEMP_PREFIX: hidden, so no scan picks up a half file
_TEMP_PREFIX = ".incoming-"


class Unwritable(Exception):
    """A place the command must write to (or a store it must reach) cannot be
    used; one line for the operator (exit 5, CONTRACT §9)."""


class Forgetful(ConfigError):
    """A store that forgets what it holds when the command ends (memory://),
    named for the archive or the reports: a configuration fault (exit 3), as
    an in-memory SQLite warehouse is."""


# Query keys whose value is a credential (?secret=, ?password=, ?token=, ...)
_SECRET_KEY = re.compile(r"secret|pass|pwd|token|key|sig|credential|auth|session", re.IGNORECASE)
_HIDDEN = "***"


def _secrets(url: str) -> list[str]:
    """The credentials a store URL carries: its password and its query's secret values."""
    found: list[str] = []
    for part in url.split("::"):  # fsspec's chained URLs (simplecache::s3://...)
        try:
            parts = urlsplit(part)
            if parts.password:
                found.append(parts.password)
            found += [
                v for k, v in parse_qsl(parts.query, keep_blank_values=True) if v and _SECRET_KEY.search(k)
            ]
        except ValueError:  # not even a URL: nothing recognisable to hide
            continue
    return sorted(set(found), key=len, reverse=True)


def shown(where: Where | str) -> str:
    """A place as error lines and logs may show it: a URL's password and the
    secret values of its query replaced by ***."""
    return _scrub(str(where), str(where))


def _scrub(text: str, url: str) -> str:
    for secret in _secrets(url):
        text = text.replace(secret, _HIDDEN)
    return text


def forgets_at_exit(where: Where) -> bool:
    """True for an fsspec store held in this process's memory (memory://, or a
    chained URL that writes into one): what it holds is gone when the command ends."""
    if not isinstance(where, Remote):
        return False
    for part in where.url.split("::"):
        protocol = part.split("://", 1)[0].lower() if "://" in part else part.lower()
        if protocol == "memory":
            return True
        try:
            import fsspec
            from fsspec.implementations.memory import MemoryFileSystem

            if issubclass(fsspec.get_filesystem_class(protocol), MemoryFileSystem):
                return True
        except Exception:  # not installed or unknown: reaching it will say so
            continue
    return False


def lasting(where: Where, what: str = "folder") -> Where:
    """`where`, unless it forgets at exit (ValueError, one Indonesian line)."""
    if forgets_at_exit(where):
        raise ValueError(
            f"{what} {shown(where)} disimpan di memori dan hilang saat perintah selesai; "
            "pakai folder lokal atau penyimpanan tetap (s3://, sftp://)"
        )
    return where


def as_text(where: Where) -> str:
    """What the warehouse keeps: the URL of a remote place, the path of a local one."""
    return str(where)


def _reason(exc: BaseException, where: Where | None = None) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if where is not None:  # a store's error may echo the URL, credentials and all
        first = _scrub(first, str(where))
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__


def filesystem(where: Remote) -> tuple[Any, str]:
    """The fsspec filesystem of `where` and the path inside it. Configuration
    comes from the environment as fsspec reads it, read again here so that a
    variable set after start-up counts too."""
    try:
        import fsspec
        import fsspec.config

        fsspec.config.set_conf_env(fsspec.config.conf)
        return fsspec.core.url_to_fs(where.url)
    except ImportError as exc:
        raise Unwritable(
            f"penyimpanan {shown(where)}: jenis {where.protocol}:// tidak didukung di instalasi ini "
            f"({exc.name or _reason(exc, where)})"
        ) from None
    except ValueError as exc:
        raise Unwritable(
            f"penyimpanan {shown(where)}: jenis {where.protocol}:// tidak dikenal ({_reason(exc, where)})"
        ) from None
    except Exception as exc:  # some stores connect at once (SFTP): refused, bad login, unknown host key
        raise Unwritable(
            f"penyimpanan {shown(where)} tidak dapat dihubungi ({_reason(exc, where)})"
        ) from None


@contextmanager
def reaching(where: Where, what: str = "penyimpanan") -> Iterator[None]:
    """Any failure of a remote store (refused connection, bad credentials, no
    such bucket) as one Indonesian line, never a traceback."""
    try:
        yield
    except Unwritable:
        raise
    except Exception as exc:
        if not isinstance(where, Remote):
            if not isinstance(exc, OSError):
                raise
        else:
            _forget(where)
        raise Unwritable(f"{what} {shown(where)} tidak dapat dipakai ({_reason(exc, where)})") from None


def _forget(where: Remote) -> None:
    """fsspec keeps one connected filesystem per store: after a failure (a
    connection the server dropped, a store restarted) the next call, e.g. the
    task's retry, connects afresh instead of reusing a dead connection."""
    try:
        import fsspec

        fsspec.get_filesystem_class(where.protocol).clear_instance_cache()
    except Exception:  # nothing cached, or an unknown protocol: nothing to forget
        pass


def write(where: Where, content: str | bytes, *, mode: int | None = None, sync: bool = False) -> Where:
    """Write a whole file so no reader ever sees half of it: locally
    write-then-rename (iku.files), on an object store one PUT, on other stores
    a hidden temporary name renamed over the target."""
    if isinstance(where, Path):
        from iku.files import write_atomically

        return write_atomically(where, content, mode=mode, sync=sync)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fs, path = filesystem(where)
    with reaching(where, "berkas"):
        if where.protocol in _OBJECT_STORES:
            fs.pipe_file(path, data)
            return where
        parent = posixpath.dirname(path)
        fs.makedirs(parent, exist_ok=True)
        tmp = posixpath.join(parent, f"{_TEMP_PREFIX}{uuid.uuid4().hex}")
        fs.pipe_file(tmp, data)
        try:
            fs.mv(tmp, path)
        except Exception:
            fs.rm(tmp)
            raise
    return where


def exists(where: Where) -> bool:
    if isinstance(where, Path):
        return where.exists()
    fs, path = filesystem(where)
    with reaching(where):
        return bool(fs.exists(path))


def is_dir(where: Where) -> bool:
    """A folder that exists. On an object store a prefix with no object in it
    is a folder when its bucket exists (folders are only name prefixes there)."""
    if isinstance(where, Path):
        return where.is_dir()
    fs, path = filesystem(where)
    with reaching(where, "folder"):
        if fs.isdir(path):
            return True
        return where.protocol in _OBJECT_STORES and bool(fs.exists(path.split("/", 1)[0]))


def read_bytes(where: Where, limit: int | None = None) -> bytes:
    """The file's bytes, at most `limit` of them."""
    if isinstance(where, Path):
        with where.open("rb") as fh:
            return fh.read(-1 if limit is None else limit)
    fs, path = filesystem(where)
    with reaching(where, "berkas"):
        if limit is None or where.protocol in _OBJECT_STORES:  # a ranged GET
            return bytes(fs.cat_file(path, start=0, end=limit))
        # not every store honours a range in cat_file (SFTP reads it all): read no more than asked
        with fs.open(path, "rb", block_size=max(limit, 1)) as fh:
            return bytes(fh.read(limit))


def file_names(folder: Where) -> list[str]:
    """The names of the plain files directly in `folder`."""
    if isinstance(folder, Path):
        return [p.name for p in folder.iterdir() if p.is_file()]
    fs, path = filesystem(folder)
    with reaching(folder, "folder"):
        return [posixpath.basename(i["name"]) for i in fs.ls(path, detail=True) if i.get("type") == "file"]


def read_many(places: list[Remote]) -> dict[Remote, bytes | Unwritable]:
    """The bytes of many small remote files, fetched concurrently (fsspec's
    async back ends: one request each, many in flight); a file that cannot be
    read maps to the Unwritable that says why. Callers bound the sizes first."""
    found: dict[Remote, bytes | Unwritable] = {}
    by_store: dict[int, tuple[Any, dict[str, Remote]]] = {}
    for where in places:
        fs, path = filesystem(where)
        by_store.setdefault(id(fs), (fs, {}))[1][path] = where
    for fs, paths in by_store.values():
        try:
            got = fs.cat(list(paths), on_error="return")
        except Exception as exc:
            _forget(next(iter(paths.values())))
            got = dict.fromkeys(paths, exc)
        if len(paths) == 1 and not isinstance(got, dict):
            got = {next(iter(paths)): got}
        for path, where in paths.items():
            value = got.get(path, got.get(path.lstrip("/"), FileNotFoundError(path)))
            if isinstance(value, BaseException):
                found[where] = Unwritable(_reason(value, where))
            else:
                found[where] = bytes(value)
    return found


def sync_up(local: Path, remote: Remote) -> int:
    """Copy the files of a local folder tree into `remote`, those missing there
    or of another size, and every index.html (rewritten each time); the count."""
    fs, root = filesystem(remote)
    root = root.rstrip("/")
    with reaching(remote, "folder"):
        there = {
            name[len(root) :].lstrip("/"): int(info.get("size") or 0)
            for name, info in fs.find(root, detail=True).items()
        }
        sent = 0
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            rel = path.relative_to(local).as_posix()
            if there.get(rel) == path.stat().st_size and path.name != "index.html":
                continue
            write(remote / rel, path.read_bytes())
            sent += 1
    return sent


def ensure_writable(folder: Where, what: str) -> Where:
    """Prove a file can be written in `folder` (created if needed), before the
    work starts; Unwritable (one line) when it cannot, Forgetful (exit 3) for a
    store that would forget it all when the command ends."""
    try:
        lasting(folder, what)
    except ValueError as exc:
        raise Forgetful(str(exc)) from None
    if isinstance(folder, Path):
        import os
        import tempfile

        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".iku-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise Unwritable(f"{what} {folder} tidak dapat ditulis ({reason})") from None
        return folder
    fs, path = filesystem(folder)
    probe = posixpath.join(path, f".iku-probe-{uuid.uuid4().hex}")
    try:
        if folder.protocol not in _OBJECT_STORES:  # an object store has no folders to make
            fs.makedirs(path, exist_ok=True)
        fs.pipe_file(probe, b"")
        fs.rm(probe)
    except Exception as exc:
        _forget(folder)
        raise Unwritable(f"{what} {shown(folder)} tidak dapat ditulis ({_reason(exc, folder)})") from None
    return folder


@dataclass(frozen=True)
class Entry:
    """One entry below a remote folder, as the store describes it."""

    where: Remote
    parts: tuple[str, ...]  # the path below the folder, one name per level
    kind: str  # file | directory | link | other
    size: int
    modified: datetime | None
    version: str  # the store's own tag of this content (S3 ETag), when it has one


def walk(folder: Remote) -> list[Entry]:
    """Every entry below `folder`, any depth, in a stable order (files and
    folders; links are listed as links, not followed)."""
    fs, path = filesystem(folder)
    root = path.rstrip("/")
    with reaching(folder, "folder sumber"):
        found = fs.find(root, withdirs=True, detail=True)
    entries = []
    for name, info in sorted(found.items()):
        rel = name.rstrip("/")[len(root) :].strip("/")
        if not rel:
            continue
        kind = info.get("type", "other")
        entries.append(
            Entry(
                where=folder / rel,
                parts=tuple(rel.split("/")),
                kind=kind if kind in ("file", "directory", "link") else "other",
                size=int(info.get("size") or 0),
                modified=_modified(info),
                version=str(info.get("ETag") or info.get("etag") or ""),
            )
        )
    return entries


def _modified(info: dict[str, Any]) -> datetime | None:
    for key in ("LastModified", "mtime", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, tz=UTC)
    return None


@contextmanager
def local_copy(where: Where, suffix: str = "") -> Iterator[Path]:
    """A local file with the bytes of `where` (itself when local), for tools
    that need a path (Chromium printing a report)."""
    if isinstance(where, Path):
        yield where
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="iku-copy-") as tmp:
        local = Path(tmp) / (where.name or f"file{suffix}")
        local.write_bytes(read_bytes(where))
        yield local


def relative_href(target: str, root: Where) -> str | None:
    """`target` (a stored location) as a link relative to `root`, when it lies below it."""
    if isinstance(root, Path):
        if is_remote(target):
            return None
        try:
            rel = Path(target).resolve().relative_to(root.resolve())
        except ValueError:
            return None
        return rel.as_posix()
    prefix = root.url.rstrip("/") + "/"
    return target[len(prefix) :] if target.startswith(prefix) else None


__all__ = [
    "Entry",
    "Forgetful",
    "Location",
    "Remote",
    "Unwritable",
    "Where",
    "ensure_writable",
    "exists",
    "file_names",
    "filesystem",
    "forgets_at_exit",
    "is_dir",
    "is_remote",
    "lasting",
    "local_copy",
    "location",
    "read_bytes",
    "read_many",
    "relative_href",
    "shown",
    "sync_up",
    "walk",
    "write",
]
