"""The run logger inside a Prefect run, a plain logger outside one (task.fn in
tests, the steps `iku report` runs without Prefect)."""

from __future__ import annotations

import logging
import sys


def run_logger():
    if "prefect" not in sys.modules:  # no Prefect imported, so no run: and no 1 s import for nothing
        return logging.getLogger("iku")
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("iku")
