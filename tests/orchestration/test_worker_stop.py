"""`iku worker`'s bound on its own stop (iku/orchestration/worker.py): a worker
whose teardown hangs after SIGTERM still ends, with its line and exit code 0.
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
