"""Numbers as bidang staff type them (CONTRACT §2): Indonesian decimal comma,
dot thousands, a trailing percent sign."""

from __future__ import annotations

import math
import re

_GROUPED_DOTS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")


class NotANumber(ValueError):
    """The text is not a number in any accepted form."""


def parse_number(value: object) -> float | None:
    """Return the value as a float, None when the cell is empty.

    Raises NotANumber for text that is not a number ("abc", "1,2,3").
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise NotANumber(str(value))
    if isinstance(value, (int, float)):
        return _cell_number(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not text or text == "-":
        return None
    return _text_number(text.removesuffix("%"), value)


def _cell_number(value: int | float) -> float | None:
    """A numeric cell: NaN is an empty cell, infinity and huge integers are no number."""
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return None
        raise NotANumber(str(value))
    try:
        return float(value)
    except OverflowError:  # an int beyond any float
        raise NotANumber(str(value)) from None


def _text_number(text: str, value: object) -> float:
    """Typed text without its % sign: decimal comma with dot thousands, dot
    thousands alone (grouped in threes), or a plain number with a decimal dot."""
    if "," in text:
        # 1.234,5 -> thousands dots, decimal comma
        if text.count(",") > 1:
            raise NotANumber(str(value))
        whole, frac = text.split(",")
        if "." in whole and not _GROUPED_DOTS.match(whole):
            raise NotANumber(str(value))
        text = whole.replace(".", "") + "." + frac
        if not _PLAIN.match(text):
            raise NotANumber(str(value))
        return _finite(text, value)
    if _GROUPED_DOTS.match(text):
        return _finite(text.replace(".", ""), value)
    if _PLAIN.match(text):
        return _finite(text, value)
    raise NotANumber(str(value))


def _finite(text: str, value: object) -> float:
    """float(text), refusing the infinity that 400 typed digits would become."""
    number = float(text)
    if not math.isfinite(number):
        raise NotANumber(str(value))
    return number
