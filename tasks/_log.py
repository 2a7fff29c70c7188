"""The run logger inside a Prefect run, a plain logger outside one (task.fn in tests)."""

from __future__ import annotations

import logging

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger


def run_logger():
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("iku")
