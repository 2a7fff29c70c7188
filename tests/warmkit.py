"""What the tests of the warm GX worker share: the sheets of a run, the
worker's pid from its log, a wait."""

from __future__ import annotations

import re
import time
from pathlib import Path

from sheetkit import sheet_rows

from iku.config import load_config
from iku.domain.sheet import parse_sheet
from iku.validation import warm_worker
from iku.validation.frames import Group

REPO = Path(__file__).resolve().parents[1]


def groups() -> list[Group]:
    """One valid sheet (file 0) and one with a negative realisation in row 2 (file 1)."""
    config = load_config(REPO / "config")
    bad = sheet_rows("perumahan")
    bad[1][4] = -5  # a negative realisation
    sheets = {
        0: parse_sheet(sheet_rows("perumahan"), {"realisasi"}, config.pipeline.limits),
        1: parse_sheet(bad, {"realisasi"}, config.pipeline.limits),
    }
    return [Group(config.catalogue, "perumahan", sheets, config.catalogue.opd.code)]


def worker_pid(home: Path) -> int:
    found = re.findall(r"ready \(pid (\d+)\)", (home / warm_worker.LOG_FILE).read_text())
    return int(found[-1])


def wait(condition, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.2)
