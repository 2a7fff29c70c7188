"""Great Expectations in a worker process of its own.

Importing GX takes about 3 s. Started as soon as a run knows it has new
sheets, the worker imports GX while this process starts Prefect and reads the
sheets, so a user waits for the slower of the two instead of both. The worker
lives as long as this process; its GX context is reused by every validation.

The worker is forked while this process has no other thread yet (the
`iku consolidate` command starts it before importing Prefect): a fork starts in
milliseconds and inherits what is already imported. Otherwise (a flow run, the
portal, the tests: Prefect's threads are running) it is spawned.

The Data Docs are rendered after the validation, in the worker, while this
process archives and loads: `validate(..., docs_dir)` answers as soon as the
problems are known and `docs_done()` waits for the pages.

With the embedded default (the managed local Prefect server) a worker kept
warm between runs (iku.validation.warm_worker) is used when one answers; the
first run without one validates in its own worker and starts it for the next.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from iku.collector import few_gc_passes, freeze_what_is_loaded
from iku.config import Catalogue
from iku.domain.model import Problem
from iku.domain.sheet import Sheet

from . import gx_runner, warm_worker, wire
from .frames import Group

_pool: ProcessPoolExecutor | None = None
_docs: Future | None = None
_warm: warm_worker.Session | None = None  # a session with the warm worker, when one answered
_warm_docs = False  # Data Docs asked of the warm worker, answer not read yet


def warm_up(shared: bool = True) -> None:
    """Find the warm worker, or start this run's own (once) and have it import
    GX in the background. `shared=False`: this process's own worker only (the
    portal's long-lived process keeps its own warm)."""
    global _warm
    if shared and _warm is None and _pool is None:
        home = _managed_home()
        refused = None if home is None else warm_worker.key_problem(home)
        if refused:
            # a key others may know would let them run code as this user: no
            # warm worker, and the run validates in its own (slower, same answers)
            print(f"{refused} Validasi tetap berjalan tanpa pekerja GX hangat.", file=sys.stderr)
        elif home is not None:
            _warm = warm_worker.connect(home)
            if _warm is None:
                # for the next run, started as this one exits: not competing with it for the cores
                atexit.register(warm_worker.start, home)
    if _warm is None:
        _local_pool()


def _managed_home() -> Path | None:
    """The managed local server's state folder, when that is the Prefect in use
    and a warm worker is wanted; None otherwise (a Prefect server or work pool
    of one's own, the portal's long-lived process, IKU_GX_WORKER_IDLE=0)."""
    from iku.settings import ServerSettings

    server = ServerSettings()
    if warm_worker.idle_seconds() <= 0 or server.chosen_api_url():
        return None
    return server.resolved_home


def _local_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # fork only while this process has a single thread and no Prefect yet:
        # forking a process that runs Prefect's threads is unsafe
        alone = threading.active_count() == 1 and "prefect" not in sys.modules
        method = "fork" if alone else "spawn"
        _pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context(method),
            initializer=_in_worker,
            initargs=(os.getpid(), alone),
        )
        with contextlib.nullcontext() if alone else _main_not_imported():
            _pool.submit(_import_gx)  # starts the worker process
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


@contextlib.contextmanager
def _main_not_imported() -> Iterator[None]:
    """A spawned process imports its parent's __main__ again (for functions
    defined there): in a flow run that is `prefect.engine`, all of Prefect, a
    second or two of CPU the worker never uses (it runs iku's functions only).
    Hidden while the worker process starts (ProcessPoolExecutor starts it in
    the first submit, in this thread)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _import_gx() -> None:
    """In the worker: GX imported, then set apart from the collector's passes."""
    gx_runner.import_gx()
    freeze_what_is_loaded()


def _in_worker(parent: int, forked: bool) -> None:
    """In the worker: Ctrl-C reaches the terminal's whole process group, and the
    command says the one line; the worker ends at once, without a traceback.

    The worker also dies with the process that started it. A forked one holds
    copies of the command's files, the run lock among them, and the pipe it
    waits on never reaches its end while it holds the writing side itself:
    orphaned by a killed command, it kept the lock and every later run waited
    for ever. A spawned one (the portal's) left behind by a stopped `iku web`
    kept its 250 MB, and multiprocessing's resource tracker with it (the
    tracker ends when the last process holding its pipe does), one pair per
    restart."""
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    if forked:
        _die_with_parent(parent)
    # PR_SET_PDEATHSIG follows the parent *thread*, and a spawned worker may be
    # started from a thread that ends long before the process: watch the process
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="iku-parent-watch").start()


def _watch_parent(parent: int, every: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)  # orphaned: adopted by init (or a subreaper)


def _die_with_parent(parent: int) -> None:
    try:  # Linux: the kernel sends SIGKILL when the parent ends (PR_SET_PDEATHSIG)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the call above
        os._exit(1)


class Pending:
    """A validation under way in a worker (the warm one, or this run's own):
    sent, so the run can do other work while the worker checks; its problems
    per file id by `result()`, once. A request to the warm worker takes the
    connection with it until its answer is read: a run that fails before
    reading it leaves no answer on the line for the next call to read as its
    own (the connection closes with the Pending)."""

    def __init__(
        self,
        groups: list[Group],
        docs_dir: Path | None,
        future: Future | None = None,
        session: warm_worker.Session | None = None,
    ):
        self.groups, self.docs_dir = groups, docs_dir
        self._future, self._session = future, session

    def result(self) -> dict[int, list[Problem]]:
        global _docs, _warm, _warm_docs
        session, self._session = self._session, None
        if session is not None:
            try:
                answer = warm_worker.receive(session)
            except (
                OSError,
                EOFError,
                wire.ProtocolError,
            ):  # the warm worker went away: this run's own one takes over
                session.close()
                self._future = _local_pool().submit(_validate_here, self.groups, self.docs_dir)
            else:
                if _warm is None:  # the line is free again, for the Data Docs and later calls
                    _warm = session
                else:  # another run of this process opened its own meanwhile
                    session.close()
                found = wire.problems_of(_answer(answer))
                if self.docs_dir is not None and _warm is session:
                    try:
                        session.send(wire.BuildDocs(call="build_docs", docs_dir=str(self.docs_dir)))
                        _warm_docs = True
                    except OSError:  # a side product: the run stands without its Data Docs
                        _drop_warm()
                return found
        assert self._future is not None
        found = self._future.result()
        if self.docs_dir is not None:
            _docs = _local_pool().submit(gx_runner.build_docs, self.docs_dir)
        return found


def submit(groups: list[Group], docs_dir: Path | None = None, shared: bool = True) -> Pending:
    """gx_runner.validate sent to the worker: one GX validation per suite for
    every group; with `docs_dir`, the Data Docs are rendered in the background
    after it. The answer is read by the Pending's result()."""
    global _warm
    warm_up(shared)
    if shared and _warm is not None:
        if _warm_docs:  # the Data Docs of an earlier call are answered first, on the same line
            with contextlib.suppress(Exception):
                docs_done()
        try:
            request = wire.validate_request(groups, docs_dir)
        except TypeError:  # a cell with no form on the wire: validated here, as any run without one
            request = None
        if request is not None and _warm is not None:
            session, _warm = _warm, None  # the Pending holds the line until it reads the answer
            try:
                session.send(request)
                return Pending(groups, docs_dir, session=session)
            except (OSError, EOFError, wire.ProtocolError):  # the warm worker went away
                session.close()
    return Pending(groups, docs_dir, future=_local_pool().submit(_validate_here, groups, docs_dir))


def _validate_here(groups: list[Group], docs_dir: Path | None) -> dict[int, list[Problem]]:
    """gx_runner.validate in the run's own worker, as the warm worker runs it."""
    with few_gc_passes():
        return gx_runner.validate(groups, docs_dir)


def validate(
    groups: list[Group], docs_dir: Path | None = None, shared: bool = True
) -> dict[int, list[Problem]]:
    """submit and wait for the answer."""
    return submit(groups, docs_dir, shared).result()


def docs_done() -> Path | None:
    """Wait for the Data Docs started by `validate`; their index page (None
    when none were asked for). Raises what the rendering raised."""
    global _docs, _warm_docs
    if _warm_docs and _warm is not None:
        _warm_docs = False
        try:
            index = _answer(warm_worker.receive(_warm)).index
            if index is None:
                raise wire.ProtocolError("build_docs answered without the index page")
            return Path(index)
        except (OSError, EOFError, wire.ProtocolError):
            _drop_warm()
            raise RuntimeError("the warm GX worker stopped while rendering the Data Docs") from None
    pending, _docs = _docs, None
    return pending.result() if pending is not None else None


def _answer(answer: wire.Answer) -> wire.Answer:
    if answer.status != "ok":  # what the call raised in the worker, as text
        raise RuntimeError(f"the warm GX worker failed: {answer.message or answer.status}")
    return answer


def _drop_warm() -> None:
    global _warm, _warm_docs
    if _warm is not None:
        _warm.close()
    _warm, _warm_docs = None, False


def validate_bidang(
    sheets: dict[int, Sheet], catalogue: Catalogue, bidang: str, docs_dir: Path | None = None
) -> dict[int, list[Problem]]:
    """The sheets of one bidang of one catalogue (the portal's receipts)."""
    found = validate([Group(catalogue, bidang, sheets)], docs_dir, shared=False)
    if docs_dir is not None:
        docs_done()
    return found
