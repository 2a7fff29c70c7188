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

# What the portal does: a thread running (as Prefect's would), then a validation
# in the GX worker of its own. It prints the pids that must not outlive it.
STARTER = """
import json, multiprocessing.resource_tracker as rt, os, threading, time
threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
from iku.validation import worker
pool = worker._local_pool()
assert pool._mp_context.get_start_method() == "spawn"
child = pool.submit(os.getpid).result()
print(json.dumps({"worker": child, "tracker": rt._resource_tracker._pid}), flush=True)
time.sleep(3600)
"""


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_gx_worker_and_its_resource_tracker_end_with_their_process(how):
    env = {**os.environ, "IKU_GX_WORKER_IDLE": "0"}
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER], stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        pids = json.loads(starter.stdout.readline())
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
