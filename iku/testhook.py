"""Named points in a run where a test can stop the process deterministically
(the crash-safety tests kill -9 the consolidation at each of them), instead of
guessing with sleeps. Inert unless the variables below are set.

- ``IKU_TEST_PAUSE_AT=<point>@<folder>``: at <point>, create <folder>/<point>.reached
  and wait (at most 10 minutes) until <folder>/<point>.go exists.
- ``IKU_TEST_FAIL_AT=<point>``: at <point>, raise RuntimeError.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_PAUSE, _FAIL = "IKU_TEST_PAUSE_AT", "IKU_TEST_FAIL_AT"


def checkpoint(point: str) -> None:
    if os.environ.get(_FAIL) == point:
        raise RuntimeError(f"test fault at {point}")
    wanted, _, folder = os.environ.get(_PAUSE, "").partition("@")
    if wanted != point or not folder:
        return
    (Path(folder) / f"{point}.reached").touch()
    go = Path(folder) / f"{point}.go"
    deadline = time.monotonic() + 600
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
