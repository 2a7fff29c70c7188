"""One lock per OPD (issue 21): consolidations of two OPD load at the same
time, two of the same OPD never; on SQLite and PostgreSQL. No timing: a run
of one OPD is held inside its lock (a barrier) while the others go on or wait,
and what each loaded is read from the warehouse."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from kabupatenkit import SEED, TWIN, kabupaten_config
from sheetkit import sheet_rows, write_xlsx
from sqlalchemy import func, select

from flows.pipeline import load_new_files
from iku.resources import build_resources
from iku.settings import Settings
from iku.warehouse.schema import submission
from tasks import consolidate_steps

GUARD = 120  # seconds: only so a broken lock fails the test instead of hanging it


class Steps:
    """consolidate_steps without GX (the lock is under test, not the suites:
    every sheet counts as valid), noting when each run is inside its lock; the
    run named `hold` waits there until `go` is set."""

    def __init__(self, name: str, events: list[str], hold: bool = False):
        self.name, self.events, self.hold = name, events, hold
        self.inside, self.go = threading.Event(), threading.Event()

    def __getattr__(self, attr: str):
        return getattr(consolidate_steps, attr)

    def find_new_files(self, res, scan=None):
        self.events.append(f"{self.name} in")
        self.inside.set()
        if self.hold:
            assert self.go.wait(GUARD)
        return consolidate_steps.find_new_files(res, scan)

    def start_validation(self, res, outcomes):
        return None

    def validate_sheets(self, res, outcomes, started=None):
        return {}

    def load_records(self, res, outcomes, problems, stored, drafts=None):
        loaded = consolidate_steps.load_records(res, outcomes, problems, stored, drafts)
        self.events.append(f"{self.name} out")
        return loaded


def _run(res, steps: Steps, done: dict) -> threading.Thread:
    def target() -> None:
        done[steps.name] = load_new_files(res, steps)[1]

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _count(res, opd: str) -> int:
    with res.warehouse.engine.connect() as conn:
        return conn.scalar(select(func.count()).where(submission.c.opd_code == opd))


class _Told(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "menunggu run konsolidasi" in record.getMessage():
            self.waiting.set()


def test_two_opd_load_at_once_and_one_opd_never_twice(tmp_path: Path, warehouse_url):
    config = kabupaten_config(tmp_path / "config", dinkes=False)
    for opd in (SEED, TWIN):
        write_xlsx(tmp_path / "inbox" / opd / "perumahan" / "01.xlsx", sheet_rows(month=1))
    settings = Settings(
        config_dir=config,
        warehouse_url=warehouse_url,
        inbox_dir=tmp_path / "inbox",
        output_dir=tmp_path / "out",
        archive_dir=tmp_path / "archive",
    )
    res = build_resources(settings)
    events: list[str] = []
    done: dict = {}
    told = _Told()
    logging.getLogger("iku").addHandler(told)
    try:
        first = Steps("seed", events, hold=True)
        held = _run(res.select(SEED), first, done)
        assert first.inside.wait(GUARD)

        # another OPD loads while the seed's run holds its lock
        other = Steps("twin", events)
        _run(res.select(TWIN), other, done).join(GUARD)
        assert "twin" in done, "the other OPD's run waited for the seed's lock"
        assert (_count(res, TWIN), _count(res, SEED)) == (1, 0)

        # the same OPD waits: told so, and not inside before the first is out
        again = Steps("seed again", events)
        second = _run(res.select(SEED), again, done)
        assert told.waiting.wait(GUARD)
        assert not again.inside.is_set()
        first.go.set()
        held.join(GUARD)
        second.join(GUARD)
    finally:
        logging.getLogger("iku").removeHandler(told)
        res.warehouse.engine.dispose()
    assert events == ["seed in", "twin in", "twin out", "seed out", "seed again in", "seed again out"]
    assert [len(done[k]) for k in ("seed", "twin", "seed again")] == [1, 1, 0]


def test_a_run_of_every_opd_holds_each_opds_lock(tmp_path: Path, warehouse_url):
    """`iku consolidate` without --opd covers every OPD: a run of one OPD waits for it."""
    config = kabupaten_config(tmp_path / "config", dinkes=False)
    write_xlsx(tmp_path / "inbox" / TWIN / "perumahan" / "01.xlsx", sheet_rows(month=1))
    res = build_resources(
        Settings(
            config_dir=config,
            warehouse_url=warehouse_url,
            inbox_dir=tmp_path / "inbox",
            output_dir=tmp_path / "out",
            archive_dir=tmp_path / "archive",
        )
    )
    events: list[str] = []
    done: dict = {}
    told = _Told()
    logging.getLogger("iku").addHandler(told)
    try:
        every = Steps("every", events, hold=True)
        held = _run(res, every, done)
        assert every.inside.wait(GUARD)
        one = Steps("twin", events)
        waiting = _run(res.select(TWIN), one, done)
        assert told.waiting.wait(GUARD)
        every.go.set()
        held.join(GUARD)
        waiting.join(GUARD)
    finally:
        logging.getLogger("iku").removeHandler(told)
        res.warehouse.engine.dispose()
    assert events == ["every in", "every out", "twin in", "twin out"]
    assert [len(done[k]) for k in ("every", "twin")] == [1, 0]
