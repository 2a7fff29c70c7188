"""Text that came from outside (cells, file names), made safe to store and show.

PostgreSQL refuses NUL in text, e-mail refuses line breaks in a header, and a
file name that is not UTF-8 cannot be encoded at all: so what a bidang typed is
cleaned once, where it is read, and a file name is shown with visible escapes.
"""

from __future__ import annotations

import unicodedata

# Line breaks and tabs are kept in cell text (a keterangan may span lines);
# every other control character (NUL, bell, escape, DEL ...) is removed.
_KEPT_CONTROLS = {"\n", "\t"}


def clean_cell_text(text: str) -> str:
    """The text without control characters; CR LF and lone CR become LF."""
    if text.isprintable():  # no CR, LF or other control character: nearly every cell
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        c
        for c in text
        if c in _KEPT_CONTROLS or unicodedata.category(c) not in ("Cc", "Cs")  # surrogates can't be stored
    )


def shown_name(name: str, limit: int | None = None) -> str:
    """A file name or path as it can be stored, logged and put in an e-mail:
    bytes that are not UTF-8 as \\xe9, control and invisible characters as
    escapes (a line break shows as \\n), cut to `limit` characters."""
    if not name.isprintable():  # surrogates are not printable either
        name = "".join(c if c.isprintable() else _escape(c) for c in name)
    if limit is not None and len(name) > limit:
        name = name[: limit - 1] + "…"
    return name


def one_line(text: str) -> str:
    """Text for a single-line field (an e-mail header): every control or
    line-separating character becomes a space."""
    if text.isprintable():
        return text
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _escape(c: str) -> str:
    if "\udc80" <= c <= "\udcff":  # a byte os.fsdecode could not decode
        return f"\\x{ord(c) - 0xDC00:02x}"
    return c.encode("unicode_escape", "backslashreplace").decode("ascii")
