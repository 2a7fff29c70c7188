"""Policy over every Prefect task and flow (in the manner of a DAG policy test): names
that read well in the UI and in logs, retries where a task does I/O that may blink,
and no result caching anywhere (a cached task would hand back stale warehouse data
or a Resources object from another run)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from prefect import Flow, Task
from prefect.cache_policies import NO_CACHE

import flows
import tasks

# Tasks without retries, and why: each is either pure work on bytes already in
# memory, or has its own rule for trying again.
NO_RETRY = {
    "read-sheets": "parses bytes already read; a retry would read the same bytes",
    "validate-sheets": "CPU work in the GX worker; a failure is a bug, not a blink",
    "start-validation": "never raises: what keeps the sheets from the GX worker is answered by validate-sheets",
    "deliver-alerts": "retries each alert itself with the configured backoff; never raises",
    "raise-submission-alerts": "alerts are unique per cause; the next run queues what is left",
    "send-recap": "alerts are unique per cause; the next run queues what is left",
    "queue-recap": "never raises: a recap that cannot be queued is logged, the run goes on",
    "send-kabupaten-recap": "never raises; delivery retries itself and the next run sends what is left",
    "raise-missing-alerts": "alerts are unique per cause; the next run queues what is left",
    "raise-reminders": "alerts are unique per cause; the next run queues what is left",
    "gx-data-docs": "waits for the pages the GX worker renders; a failure is alerted, the run stands",
}
TASK_NAME = re.compile(r"^[a-z]+(-[a-z]+)*$")
FLOW_NAME = re.compile(r"^iku(-[a-z]+)+$")


def _objects(package, kind):
    found = {}
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            # defined in the package (a task may wrap a plain step of a sibling module)
            if isinstance(value, kind) and value.fn.__module__.startswith(package.__name__ + "."):
                found[value.name] = value
    return found


TASKS = _objects(tasks, Task)
FLOWS = _objects(flows, Flow)


def test_every_task_and_flow_is_found():
    assert {"find-new-files", "archive-files", "load-records", "write-opd-report"} <= set(TASKS)
    assert {"iku-consolidate", "iku-report", "iku-lakip", "iku-check-missing"} <= set(FLOWS)
    assert set(NO_RETRY) <= set(TASKS), "a NO_RETRY entry names no task"


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_policy(name):
    task = TASKS[name]
    assert TASK_NAME.match(name), f"task name {name!r} is not kebab-case"
    assert task.cache_policy is NO_CACHE, f"{name} may cache its result"
    assert not task.persist_result, f"{name} persists its result"
    if name in NO_RETRY:
        assert task.retries == 0, f"{name} is listed as having no retries"
    else:
        assert task.retries >= 1, (
            f"{name} does I/O and has no retries (or list it in NO_RETRY with the reason)"
        )
        assert task.retry_delay_seconds, name


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flow_policy(name):
    flow = FLOWS[name]
    assert FLOW_NAME.match(name), f"flow name {name!r} must be iku-<kebab-case>"
    assert flow.fn.__doc__, f"{name} has no docstring (it is the deployment's description)"
    assert flow.persist_result is not True, f"{name} persists its result"
