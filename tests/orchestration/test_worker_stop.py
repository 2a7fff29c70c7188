"""`iku worker` without a Prefect server: the bound on its own stop
(iku/orchestration/worker.py: a worker whose teardown hangs after SIGTERM still
ends, with its line and exit code 0), and a careless start refused in one line.
The whole route, a real Prefect server and two `iku worker`s stopped by SIGTERM,
is tests/orchestration/test_worker_pool.py."""

from __future__ import annotations

import subprocess
import sys
import time

# a main thread that never returns, as a Prefect teardown that waits for ever
STUCK = """
import threading
from iku.orchestration.worker import _force_exit_after
_force_exit_after(1.0, "w9", print).start()
threading.Event().wait()
"""


def test_a_hung_stop_ends_the_process_with_its_line():
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STUCK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "iku worker 'w9' tidak selesai menutup diri 1 detik setelah SIGTERM "
        "(penutupan worker Prefect tertahan); proses diakhiri."
    )
    assert time.monotonic() - started < 30


def test_a_careless_start_is_refused_before_any_server_is_asked():
    from clikit import iku

    zero = iku("worker", "--pool", "iku-process", "--limit", "0")
    assert (zero.returncode, zero.stderr.strip()) == (
        2,
        "iku: --limit 0 tidak valid: paling sedikit 1 flow run sekaligus",
    )
    blank = iku("worker", "--pool", "  ")
    assert (blank.returncode, blank.stderr.strip()) == (
        2,
        "iku: --pool kosong: isi nama work pool yang dipakai `iku deploy --pool`",
    )
