"""A process that started a GX worker of its own (the portal: spawned, since
Prefect's threads run) and is stopped, by SIGTERM or kill -9, takes the worker
and multiprocessing's resource tracker with it (issue 17, L3): each restart
of `iku web` used to leave a 250 MB pair behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from procs import gone
from warmkit import wait

# What the portal or a flow run does: a thread running (as Prefect's would),
# then a validation in the GX worker of its own. It prints the pids that must
# not outlive it, and whether the worker imported Prefect. Run as a module
# (`python -m`, as a flow run's `prefect.engine` is) whose top imports Prefect:
# a spawned process imports its parent's __main__ again unless iku hides it.
STARTER = """
import json, multiprocessing.resource_tracker as rt, os, threading, time
import prefect
from iku.validation import worker
if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    pool = worker._local_pool()
    assert pool._mp_context.get_start_method() == "spawn"
    child = pool.submit(os.getpid).result()
    prefect = pool.submit(eval, "'prefect' in __import__('sys').modules").result()
    print(json.dumps({"worker": child, "tracker": rt._resource_tracker._pid, "prefect": prefect}), flush=True)
    time.sleep(3600)
"""


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_gx_worker_and_its_resource_tracker_end_with_their_process(how, tmp_path):
    env = {**os.environ, "IKU_GX_WORKER_IDLE": "0", "PYTHONPATH": str(tmp_path)}
    (tmp_path / "starter.py").write_text(STARTER, encoding="utf-8")
    starter = subprocess.Popen(
        [sys.executable, "-m", "starter"], stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        pids = json.loads(starter.stdout.readline())
        assert pids.pop("prefect") is False  # the worker runs iku's functions: no Prefect of its own
        assert pids["tracker"] and not gone(pids["worker"]) and not gone(pids["tracker"])
        starter.send_signal(how)
        starter.wait(30)
        wait(lambda: gone(pids["worker"]) and gone(pids["tracker"]), 15)
    finally:
        starter.kill()
        starter.wait()
        for pid in pids.values() if "pids" in locals() else ():
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
