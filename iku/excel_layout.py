"""Row heights for wrapped Excel cells.

xlsxwriter cannot autofit row heights and Excel does not recompute them when a
file opens, so multi-line cells would overflow or be cut off: the height is
computed here from the text length and the column width."""

from __future__ import annotations

import math

LINE_POINTS = 15.0  # one line of 11 pt Calibri (Excel's default font)
DEFAULT_FONT_POINTS = 11.0
PADDING_POINTS = 3.0
MAX_ROW_POINTS = 409.0  # Excel's limit


def lines_needed(text: object, width_chars: float) -> int:
    """Lines a wrapped cell needs, word by word, in a column `width_chars` wide."""
    if text is None:
        return 1
    text = str(text)
    if len(text) < width_chars - 1 and "\n" not in text:
        return 1  # the common case, without splitting words
    # Proportional fonts fit slightly more than one character per width unit,
    # but capitals and digits fit fewer: one character per unit, minus the margin.
    usable = max(1, int(width_chars) - 1)
    total = 0
    for paragraph in str(text).split("\n"):
        line = 0
        count = 1
        for word in paragraph.split():
            size = len(word)
            if line == 0:
                line = size
            elif line + 1 + size <= usable:
                line += 1 + size
            else:
                count += 1
                line = size
            if line > usable:  # a word longer than the column wraps by itself
                extra = math.ceil(line / usable) - 1
                count += extra
                line -= extra * usable
        total += count
    return max(1, total)


def row_height(
    *cells: tuple[object, float] | str,
    width: float | None = None,
    minimum: float = 15.0,
    font_size: float = DEFAULT_FONT_POINTS,
) -> float:
    """The height (points) of a row holding each (text, column width) pair.

    `row_height(text, width=40)` for a single cell; `row_height((a, 30), (b, 12))`
    for several cells, the tallest deciding. Column widths are in Excel's units
    (characters of the 11 pt default font): a smaller font fits more per line."""
    scale = DEFAULT_FONT_POINTS / font_size
    pairs: list[tuple[object, float]] = (
        [(cells[0], width)] if width is not None else [c for c in cells if isinstance(c, tuple)]
    )
    lines = max((lines_needed(text, w * scale) for text, w in pairs), default=1)
    return min(MAX_ROW_POINTS, max(minimum, lines * LINE_POINTS / scale + PADDING_POINTS))
