"""What a printed report says, as one hash: a PDF is printed again only when
it changes (issue 21; CONTRACT §7).

The hash covers the HTML Chromium would print (figures, texts, charts, the
pengesahan, the inline CSS of the template) without its time stamps (the
"dibuat" time, the "per" time and the signing day, marked in the templates
with <!--t-->...<!--/t-->), salted with the print settings and iku's version.
It travels in the HTML itself (a meta tag in its head), so the step that
prints reads it from the file, remote or local, without the report's data."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from iku import storage
from iku.storage import Unwritable, Where

if TYPE_CHECKING:
    from iku.warehouse.store import Warehouse

# raise when printing changes what a PDF looks like for the same HTML
PRINT_VERSION = "1"
_STAMP = re.compile(r"<!--t-->.*?<!--/t-->", re.DOTALL)
_META = re.compile(rb'<meta name="iku-content" content="([0-9a-f]{64})">')
HEAD_BYTES = 4096  # the meta tag is the head's first line


@lru_cache(maxsize=1)
def _salt() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from .pdf import FLAGS, PRINT_PARAMS

    try:
        release = version("iku-pipeline")
    except PackageNotFoundError:  # a source tree that was never installed
        release = "source"
    return f"iku-pdf {PRINT_VERSION} {release} {sorted(PRINT_PARAMS.items())} {FLAGS}\n"


def content_hash(html: str) -> str:
    """SHA-256 of what `html` prints, its time stamps left out."""
    return hashlib.sha256((_salt() + _STAMP.sub("", html)).encode("utf-8")).hexdigest()


def with_content_hash(html: str) -> str:
    """`html` with its content hash as the first line of its head."""
    tag = f'<meta name="iku-content" content="{content_hash(html)}">'
    return html.replace("<head>", f"<head>\n{tag}", 1)


def hash_in(head: bytes) -> str | None:
    """The content hash in an HTML file's first bytes; None for an HTML without one."""
    found = _META.search(head)
    return found.group(1).decode("ascii") if found else None


def content_of(html: Where) -> str | None:
    """The content hash written into an HTML file (local or remote); None without one."""
    try:
        head = (
            html.open("rb").read(HEAD_BYTES)
            if isinstance(html, Path)
            else storage.read_bytes(html, HEAD_BYTES)
        )
    except (OSError, Unwritable):
        return None
    return hash_in(head)


def printed_already(html: Where, wh: Warehouse | None) -> str | None:
    """The content hash of `html` when its PDF exists and was printed from the
    same content (recorded with the PDF); else None: print it."""
    from iku.warehouse.reports import printed_hash

    digest = content_of(html)
    if digest is None or wh is None:
        return None
    pdf = html.with_suffix(".pdf")
    if printed_hash(wh, storage.as_text(pdf)) != digest or not storage.exists(pdf):
        return None
    return digest
