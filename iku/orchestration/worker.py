"""`iku worker`: a Prefect process worker on the work pool `iku deploy` filled,
stopped by SIGTERM (what systemd sends) with exit code 0.

Prefect's `prefect worker start` turns SIGTERM into a SIGINT for asyncio's runner,
which cancels the worker's main task. In four clean-clone CI runs of five that
cancellation was lost: the worker kept polling until it was killed
(docs/testing.md). Here, as in `iku serve`, SIGTERM raises a KeyboardInterrupt
in the main thread (iku/orchestration/stopping.py). Should Prefect's teardown
still not end, the process ends STOP_GRACE_S seconds after the signal, saying
so; a flow-run process it leaves behind, systemd stops with the unit
(KillMode=control-group). Either way a flow run under way is interrupted, as
with Prefect's own worker."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from iku.orchestration.stopping import Stopped, why

STOP_GRACE_S = 30.0


def run_worker(
    pool: str,
    *,
    name: str | None = None,
    limit: int | None = None,
    say: Callable[[str], None] = print,
    grace_s: float = STOP_GRACE_S,
) -> str:
    """Poll `pool` and run its flow runs until SIGTERM or Ctrl-C. Returns the
    closing line (the caller prints it)."""
    import asyncio

    from prefect.workers.process import ProcessWorker

    worker = ProcessWorker(work_pool_name=pool, name=name, limit=limit)
    stopping: list[bool] = []

    def on_sigterm(*_: Any) -> None:
        if stopping:  # a second SIGTERM: the stop is under way, bounded; not interrupted again
            return
        stopping.append(True)
        # never cancelled: the bound also covers the interpreter's exit after the closing
        # line, where Prefect's exit hooks drain their services (a call to the server each)
        _force_exit_after(grace_s, worker.name, say).start()
        raise Stopped

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    say(f"iku worker '{worker.name}' melayani work pool '{pool}'; hentikan dengan Ctrl-C atau SIGTERM.")
    try:
        # Prefect's own lines ("Worker ... started!") are English: the operator reads ours
        asyncio.run(worker.start(printer=lambda *a, **k: None))
    except KeyboardInterrupt as exc:
        return f"iku worker '{worker.name}' dihentikan ({why(exc)})."
    finally:
        signal.signal(signal.SIGTERM, previous)
    return f"iku worker '{worker.name}' berhenti."


def _force_exit_after(seconds: float, name: str, say: Callable[[str], None]) -> threading.Timer:
    def force() -> None:
        say(
            f"iku worker '{name}' tidak selesai menutup diri {seconds:.0f} detik setelah SIGTERM "
            "(penutupan worker Prefect tertahan); proses diakhiri."
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # a stop was asked for and is done: not a failure of the unit

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    return timer
