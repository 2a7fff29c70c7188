"""Python's cyclic collector while a process holds thousands of sheets: the
run's own process, the GX worker's, and the portal's (runs in threads).

The collector starts a pass after every 700 net allocations by default, and
every tenth pass of a generation walks the next one: a run that parses 4,000
sheets (or a worker that reads them off the wire) made hundreds of passes,
the later ones over every live object. The objects a run makes are freed by
their reference counts when it ends; few of them ever form cycles.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

RUN_THRESHOLD = 50_000  # allocations between first-generation passes during a run

_lock = threading.Lock()
_runs = 0  # runs under way in this process
_saved: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def few_gc_passes() -> Iterator[None]:
    """A larger first generation while a run holds thousands of sheets: with
    the default 700 allocations it ran some 500 times for 4,000 sheets, each
    pass over every live object (0.09 ms of CPU per sheet, growing with the
    run); the first threshold 50,000, they were four. The setting is the
    process's: the first run to start raises it and the last to end restores
    it, so the portal's concurrent runs never leave it raised."""
    global _runs, _saved
    with _lock:
        if not _runs:
            _saved = gc.get_threshold()
            gc.set_threshold(RUN_THRESHOLD, *_saved[1:])
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if not _runs:
                gc.set_threshold(*_saved)


def freeze_what_is_loaded() -> None:
    """Set the objects alive now (a worker's imported libraries: GX, pandas,
    numpy, pydantic, hundreds of thousands of objects that live as long as the
    process) apart from the collector's passes, which then walk only what the
    process made since. Objects set apart are still freed by their reference
    counts; only a cycle among them would stay (gc.freeze, made for this)."""
    gc.collect()  # what is garbage already is not kept for ever
    gc.freeze()
