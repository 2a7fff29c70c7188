"""Places as values: a plain path (or a `file://` URL) is a local `Path`, any
other URL (`s3://bucket/prefix`, `sftp://user@host:22/folder`) a `Remote`.
Pure: no I/O here; iku.storage reaches the places."""

from __future__ import annotations

import posixpath
import re
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import PlainValidator

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


class Remote:
    """A place in a remote store, joined with `/` like a Path."""

    __slots__ = ("url",)

    def __init__(self, url: str):
        self.url = url  # protocol://[user@]host[:port]/path, without a trailing slash or a password

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"Remote({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Remote) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __lt__(self, other: Remote) -> bool:
        return self.url < other.url

    def __truediv__(self, part: str | PathLike[str]) -> Remote:
        return Remote(self.url.rstrip("/") + "/" + str(part).strip("/"))

    @property
    def protocol(self) -> str:
        return self.url.split("://", 1)[0].lower()

    @property
    def name(self) -> str:
        return posixpath.basename(self.url.split("://", 1)[1])

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def parent(self) -> Remote:
        head, _, _ = self.url.rpartition("/")
        return Remote(head) if "://" in head and head.split("://", 1)[1] else self

    def with_name(self, name: str) -> Remote:
        return self.parent / name

    def with_suffix(self, suffix: str) -> Remote:
        return self.with_name(str(PurePosixPath(self.name).with_suffix(suffix)))

    def resolve(self) -> Remote:
        """Already absolute (for code that makes local paths absolute)."""
        return self


Where = Path | Remote


def location(value: str | PathLike[str] | Remote) -> Where:
    """A setting's value as a place: a Path for plain paths and file:// URLs, a
    Remote for any other URL. A URL with a password is refused (ValueError):
    it would end up in the warehouse and the logs."""
    if isinstance(value, Path | Remote):
        return value
    text = str(value)
    match = _SCHEME.match(text)
    if not match:
        return Path(text)
    if match.group(1).lower() == "file":
        from urllib.request import url2pathname

        return Path(url2pathname(urlsplit(text).path))
    parts = urlsplit(text)
    if parts.password:
        raise ValueError(
            f"URL {match.group(1)}://… memuat kata sandi; jangan simpan kata sandi di URL, pakai "
            "variabel lingkungan (AWS_SECRET_ACCESS_KEY, FSSPEC_SFTP_PASSWORD atau kunci SSH)"
        )
    if not (parts.netloc or parts.path.strip("/")):
        raise ValueError(f"URL {text} tidak menyebut bucket/host atau folder")
    return Remote(text.rstrip("/"))


def is_remote(where: Where | str) -> bool:
    return isinstance(location(where), Remote)


def _validate(value: Any) -> Where:
    return location(value)


# A setting or configuration key that takes a plain path or an fsspec URL
Location = Annotated[Where, PlainValidator(_validate)]
