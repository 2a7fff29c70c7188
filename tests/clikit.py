"""`iku` run in the test's own process, for tests of what a command says and
does rather than of the process itself (signals, a child left behind, the
import of Prefect, the installed script): each `iku` process costs Python's
start and iku's imports (about a second of CPU), and a consolidation its own
GX import (about 3 s) where in-process runs share one GX worker.

The command goes through `App.__call__` exactly as the installed script does
(the one line, the exit code of CONTRACT §9), with stdout and stderr captured
apart and the environment overrides applied for the call only."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from typer.testing import CliRunner

from iku.cli import app, common


def iku(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `iku ARGS` here; the answer has a finished process's fields."""
    code: int | str | None = 0
    with CliRunner().isolation(env=env) as (out, err, _mixed), _fresh_console():
        try:
            app(list(args), prog_name="iku")
        except SystemExit as exc:
            code = exc.code
        finally:
            gc.unfreeze()  # the command freezes the heap for a fast exit; this process goes on
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(["iku", *args], returncode, stdout, stderr)


@contextmanager
def _fresh_console() -> Iterator[None]:
    """The command's console sized from this call's COLUMNS, as a new process's
    would be: Rich fixes the width it found at import (pytest-xdist's workers
    run with COLUMNS=80), and the status table widens from 185 columns."""
    console = common.console
    saved = console._width, console._height
    fresh = Console()
    console._width, console._height = fresh._width, fresh._height
    try:
        yield
    finally:
        console._width, console._height = saved
