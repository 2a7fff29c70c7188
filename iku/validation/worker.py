"""Great Expectations in a worker process of its own.

Importing GX takes about 3 s. Started as soon as a run knows it has new
sheets, the worker imports GX while this process starts Prefect and reads the
sheets, so a user waits for the slower of the two instead of both. The worker
lives as long as this process; its GX context is reused by every validation.

The worker is forked while this process has no other thread yet (the
`iku consolidate` command starts it before importing Prefect): a fork starts in
milliseconds and inherits what is already imported. Otherwise (a flow run, the
portal, the tests: Prefect's threads are running) it is spawned.

The Data Docs are rendered after the validation, in the worker, while this
process archives and loads: `validate(..., docs_dir)` answers as soon as the
problems are known and `docs_done()` waits for the pages.
"""

from __future__ import annotations

import atexit
import multiprocessing
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from iku.config import Catalogue
from iku.domain.model import Problem
from iku.domain.sheet import Sheet

from . import gx_runner
from .frames import Group

_pool: ProcessPoolExecutor | None = None
_docs: Future | None = None


def warm_up() -> ProcessPoolExecutor:
    """Start the worker (once) and have it import GX in the background."""
    global _pool
    if _pool is None:
        # fork only while this process has a single thread and no Prefect yet:
        # forking a process that runs Prefect's threads is unsafe
        alone = threading.active_count() == 1 and "prefect" not in sys.modules
        method = "fork" if alone else "spawn"
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method))
        _pool.submit(gx_runner.import_gx)
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def validate(groups: list[Group], docs_dir: Path | None = None) -> dict[int, list[Problem]]:
    """gx_runner.validate in the worker: one GX validation per suite for every
    group; with `docs_dir`, the Data Docs are then rendered in the background."""
    global _docs
    found = warm_up().submit(gx_runner.validate, groups, docs_dir).result()
    if docs_dir is not None:
        _docs = warm_up().submit(gx_runner.build_docs, docs_dir)
    return found


def docs_done() -> Path | None:
    """Wait for the Data Docs started by `validate`; their index page (None
    when none were asked for). Raises what the rendering raised."""
    global _docs
    pending, _docs = _docs, None
    return pending.result() if pending is not None else None


def validate_bidang(
    sheets: dict[int, Sheet], catalogue: Catalogue, bidang: str, docs_dir: Path | None = None
) -> dict[int, list[Problem]]:
    """The sheets of one bidang of one catalogue (the portal's receipts)."""
    found = validate([Group(catalogue, bidang, sheets)], docs_dir)
    if docs_dir is not None:
        docs_done()
    return found
