"""The Keterangan column of the reports, kept short (issue 17 N4): the bidang
write a note every month, and stacking all of them made a page per indicator
in the annual PDF. The table shows the latest note of each quarter, newest
first while they fit in CELL_CHARS (the newest always, clipped), in month
order; every note whole follows in the appendix after the pengesahan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from iku.domain.periods import quarter_of

from .model import Note

# of every note of one cell together: the column is about 25 characters wide in
# the PDF, so some seven lines, about the height of an indicator's row anyway
CELL_CHARS = 160


@dataclass(frozen=True)
class ShortNotes:
    shown: tuple[Note, ...]  # in month order
    complete: bool  # every note is shown whole: nothing to look up in the appendix


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where there is one, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"


def short_notes(notes: Sequence[Note]) -> ShortNotes:
    latest: dict[int, Note] = {}
    for note in sorted(notes, key=lambda n: n.month):  # a later month replaces an earlier one
        latest[quarter_of(note.month)] = note
    shown: list[Note] = []
    room, clipped = CELL_CHARS, False
    for note in sorted(latest.values(), key=lambda n: n.month, reverse=True):
        if shown and len(note.text) > room:
            break
        text = clip(note.text, room)
        clipped = clipped or text != note.text
        shown.append(Note(note.month, note.bidang, text, note.file_name))
        room -= len(text)
    return ShortNotes(tuple(reversed(shown)), len(shown) == len(notes) and not clipped)
