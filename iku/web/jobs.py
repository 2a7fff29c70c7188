"""Running the consolidation or a report now, from the portal.

One small door (`JobRunner.start`): each job runs the ordinary `iku` command in
a child process, so it is the same code as the schedule, with the same lock and
the same "nothing new" shortcut. With PREFECT_API_URL set (a Prefect server of
the installation's own) it runs as a flow run (`--prefect`), recorded there like
any other; with the embedded default it runs its steps in-process, as typed. A consolidation asked for while one runs is
coalesced into one more run after it, so a burst of uploads costs two runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

FLOW_COMMANDS = ("consolidate", "report", "recap", "lakip")  # a flow run with --prefect


@dataclass
class Job:
    label: str
    argv: list[str]
    opd: str | None = None  # the OPD the job is for: the portal shows it to that OPD only
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    exit_code: int | None = None
    last_line: str = ""

    @property
    def running(self) -> bool:
        return self.finished_at is None


def _last_line(done: subprocess.CompletedProcess) -> str:
    """What the portal shows of a finished job: the command's summary (its last
    line on stdout) when it did its job, else its one line of failure (stderr);
    the log lines on stderr are for the engineers."""
    out = done.stdout.strip().splitlines()
    err = done.stderr.strip().splitlines()
    lines = out if done.returncode == 0 and out else err or out
    return lines[-1] if lines else ""


# the report commands write only outputs: their files (the PDF from Chromium
# too) get no permission for others, like the HTML, Excel and JSON (issue 17 L8)
REPORT_COMMANDS = ("report", "recap", "lakip")
REPORT_UMASK = 0o077


class Busy(Exception):
    """Too many jobs of one OPD run at once (issue 17 L5)."""


class JobRunner:
    """`keep`: the jobs remembered per OPD (one OPD's jobs never push out
    another's); `per_opd`: the jobs of one OPD that may run at once (the
    consolidation's coalesced runs are not counted: there is at most one)."""

    def __init__(self, env: dict[str, str] | None = None, keep: int = 20, per_opd: int = 2):
        self.env = {**os.environ, **(env or {})}
        self.keep, self.per_opd = keep, per_opd
        self._histories: dict[str | None, deque[Job]] = {}
        self._lock = threading.Lock()
        self._running: dict[str, Job] = {}
        self._again: set[str] = set()

    @property
    def history(self) -> deque[Job]:
        """Every OPD's remembered jobs, newest first."""
        with self._lock:
            jobs = sorted(
                (j for h in self._histories.values() for j in h), key=lambda j: j.started_at, reverse=True
            )
        return deque(jobs)

    def of(self, opd: str | None) -> list[Job]:
        """The remembered jobs of one OPD, newest first."""
        with self._lock:
            return list(self._histories.get(opd, ()))

    def remember(self, job: Job) -> None:
        with self._lock:
            self._remember(job)

    def _remember(self, job: Job) -> None:
        self._histories.setdefault(job.opd, deque(maxlen=self.keep)).appendleft(job)

    def start(self, label: str, argv: list[str], opd: str | None = None, capped: bool = False) -> Job | None:
        """Start `iku <argv>` in the background; None when the same job already
        runs (it is then run once more when that one ends). `capped`: raise Busy
        when `per_opd` jobs of this OPD already run (a planner's run-now)."""
        key = " ".join(argv)
        with self._lock:
            if key in self._running:
                self._again.add(key)
                return None
            if capped and sum(j.opd == opd for j in self._running.values()) >= self.per_opd:
                raise Busy(opd)
            if self.env.get("PREFECT_API_URL") and argv[0] in FLOW_COMMANDS:
                argv = [*argv, "--prefect"]
            job = Job(label, argv, opd)
            self._running[key] = job
            self._remember(job)
        threading.Thread(target=self._run, args=(key, job), daemon=True, name=f"iku-job-{label}").start()
        return job

    def consolidate(self, opd: str | None = None) -> Job | None:
        """`iku consolidate` of one OPD (every OPD when None); runs of different
        OPD may overlap: the warehouse lock lets one load at a time."""
        if opd is None:
            return self.start("konsolidasi", ["consolidate"])
        return self.start("konsolidasi", ["consolidate", "--opd", opd], opd)

    def _run(self, key: str, job: Job) -> None:
        while True:
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "iku.cli", *job.argv],
                    env=self.env,
                    umask=REPORT_UMASK if job.argv[0] in REPORT_COMMANDS else -1,
                    capture_output=True,
                    text=True,
                    timeout=3600,
                )
                job.exit_code, job.last_line = done.returncode, _last_line(done)
            except (OSError, subprocess.TimeoutExpired) as exc:
                job.exit_code, job.last_line = -1, str(exc)
            job.finished_at = datetime.now(UTC)
            with self._lock:
                if key not in self._again:
                    del self._running[key]
                    return
                self._again.discard(key)
                job = Job(job.label, job.argv, job.opd)
                self._running[key] = job
                self._remember(job)

    def wait_idle(self, timeout: float = 600) -> bool:
        """For tests and the bench: wait until no job runs."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.1)
        return False
