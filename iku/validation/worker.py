"""Great Expectations in a worker process of its own.

Importing GX takes about 3 s. Started as soon as a run knows it has new
sheets, the worker imports GX while this process starts Prefect and reads the
sheets, so a user waits for the slower of the two instead of both. The worker
lives as long as this process; its GX context is reused by every validation.
"""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from iku.config import Catalogue
from iku.domain.model import Problem
from iku.domain.sheet import Sheet

from . import gx_runner

_pool: ProcessPoolExecutor | None = None


def warm_up() -> ProcessPoolExecutor:
    """Start the worker (once) and have it import GX in the background."""
    global _pool
    if _pool is None:
        # spawn, not fork: forking a process that runs Prefect's threads is unsafe
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        _pool.submit(gx_runner.import_gx)
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def validate_bidang(
    sheets: dict[int, Sheet], catalogue: Catalogue, bidang: str, docs_dir: Path | None = None
) -> dict[int, list[Problem]]:
    """gx_runner.validate_bidang, run in the worker."""
    return warm_up().submit(gx_runner.validate_bidang, sheets, catalogue, bidang, docs_dir).result()
