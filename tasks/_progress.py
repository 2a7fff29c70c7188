"""A progress bar for long steps when a person watches a terminal; silent
under `iku serve`, in CI and in logs."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

from rich.progress import track

T = TypeVar("T")
MIN_ITEMS = 50  # below this a bar only flickers


def progress(items: list[T], description: str) -> Iterable[T]:
    if len(items) < MIN_ITEMS or not sys.stderr.isatty():
        return items
    return track(items, description=description, transient=True, console=None)
