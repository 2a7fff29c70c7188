"""The report as a PDF to sign: the HTML printed by Debian's headless Chromium.

The layout is the HTML's own print CSS (templates/partials/style.css): A4
landscape, page numbers in the @page margin boxes, headings kept with what
follows, tables breaking between rows with their header repeated, the
pengesahan block last and never split. Without Chromium the PDF is skipped
(one logged line): the HTML, Excel and JSON are written all the same.

`write_pdf` prints one file with one Chromium process (`--print-to-pdf`, about
1 s of start-up each). `pdf_printer()` prints many from one Chromium (two at
once on two cores) driven over the DevTools protocol (iku/reports/chromium.py):
every OPD's report of a run and the recap start Chromium once. Both give the
same PDF (the same print settings: the CSS page size, backgrounds, no header
or footer of Chromium's)."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from .chromium import HEADLESS_FLAGS, Browser, CdpError, ChromiumGone, find_chromium

log = logging.getLogger(__name__)
T = TypeVar("T")

CHROMIUM_NAMES = ("/usr/bin/chromium", "chromium", "chromium-browser")
FLAGS = [
    *HEADLESS_FLAGS,
    "--no-pdf-header-footer",  # page numbers come from the CSS, not Chromium's URL and date
]
TIMEOUT_SECONDS = 120
# Page.printToPDF with what `--print-to-pdf --no-pdf-header-footer` uses.
PRINT_PARAMS = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False}
# Chromium prints at about one core per PDF (0.17 s wall, 0.2 s CPU for a 9-page
# report) while Python writes the next report: as many print at once as this
# process may use cores. Measured for 40 OPD (`iku report`, all OPD, two
# cores): 8.0 s with one, 7.0 s with two.
LANES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
# A batch whose Chromium died this often prints the rest one process per file.
MAX_RESTARTS = 3

__all__ = [
    "CHROMIUM_NAMES",
    "FLAGS",
    "HEADLESS_FLAGS",
    "PdfFailed",
    "PdfPrinter",
    "chromium",
    "pdf_printer",
    "skipped",
    "write_pdf",
]


def chromium() -> str | None:
    """Chromium's path; IKU_CHROMIUM overrides (an empty value turns PDFs off)."""
    if "IKU_CHROMIUM" in os.environ:
        return find_chromium((os.environ["IKU_CHROMIUM"],)) if os.environ["IKU_CHROMIUM"] else None
    return find_chromium(CHROMIUM_NAMES)


class PdfFailed(Exception):
    """Chromium ran but gave no PDF; the message is one line."""


def skipped(pdf: Path | str, to: logging.Logger | logging.LoggerAdapter | None = None) -> None:
    """Say once per file why no PDF was written, in the operator's words: switched
    off on purpose (IKU_CHROMIUM empty) is no warning. `to`: a run's logger."""
    name = getattr(pdf, "name", str(pdf))
    if os.environ.get("IKU_CHROMIUM", None) == "":
        (to or log).info("PDF tidak dibuat (dimatikan: IKU_CHROMIUM kosong): %s", name)
    else:
        (to or log).warning("PDF tidak dibuat: Chromium tidak ditemukan (apt-get install chromium): %s", name)


def _target(html: Path, pdf: Path | None) -> tuple[Path, Path]:
    html = Path(html).resolve()
    return html, Path(pdf) if pdf else html.with_suffix(".pdf")


def _tmp(pdf: Path) -> Path:
    return pdf.with_name(f".{pdf.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def write_pdf(html: Path, pdf: Path | None = None) -> Path | None:
    """Print `html` to `pdf` (default: beside it, .pdf) with a Chromium of its
    own; None when Chromium is missing."""
    html, pdf = _target(html, pdf)
    exe = chromium()
    if exe is None:
        skipped(pdf)
        return None
    return _print_one_process(exe, html, pdf)


def _print_one_process(exe: str, html: Path, pdf: Path) -> Path:
    tmp = _tmp(pdf)
    # a profile of its own: two reports printed at once must not share one
    with tempfile.TemporaryDirectory(prefix="iku-pdf-", ignore_cleanup_errors=True) as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html.as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            tmp.unlink(missing_ok=True)
            raise PdfFailed(
                f"Chromium tidak selesai mencetak {html.name} dalam {TIMEOUT_SECONDS} detik"
            ) from None
    if not tmp.exists() or tmp.stat().st_size == 0 or not tmp.read_bytes().startswith(b"%PDF"):
        tmp.unlink(missing_ok=True)
        raise PdfFailed(f"Chromium tidak menghasilkan PDF untuk {html.name}")
    os.replace(tmp, pdf)
    return pdf


class _Lane:
    """One Chromium with one tab, used by one thread at a time."""

    def __init__(self) -> None:
        self.browser: Browser | None = None
        self.session = ""
        self.frame = ""  # the tab's main frame, which each report's HTML is written into

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
        self.browser, self.session, self.frame = None, "", ""


class PdfPrinter:
    """Prints many HTML files from one headless Chromium per lane (`workers`
    lanes; each started at its first print, closed by `close()`;
    pdf_printer() does both).

    `print` prints at once; `submit` runs a job (which calls `print`) in the
    background, so Chromium prints one report while Python writes the next.
    A failed print costs only its PDF (PdfFailed). A Chromium that exits or
    stops answering is closed and a new one started for the next file (the file
    it died on is tried once more in the new one, unless it ran out of time);
    after MAX_RESTARTS in one batch the rest is printed one process per file."""

    def __init__(self, exe: str | None, timeout: float = TIMEOUT_SECONDS, workers: int = 1) -> None:
        self.exe = exe
        self.timeout = timeout
        self.starts = 0  # Chromium processes started
        self.restarts = 0
        self.one_process = False
        self.closing = False
        self._all_lanes = [_Lane() for _ in range(max(1, workers))]
        self._idle = list(self._all_lanes)  # lanes no thread uses now
        self._warming = 0  # lanes starting their Chromium for warm_up
        self._lane_free = threading.Condition()
        self._pool: ThreadPoolExecutor | None = None
        self._state = threading.Lock()

    def submit(self, job: Callable[..., T], *args: Any) -> Future[T]:
        """`job(*args)` in a background thread of this printer, in order of submission."""
        with self._state:
            if self.closing:
                raise PdfFailed("pencetak PDF sudah ditutup")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(len(self._all_lanes), thread_name_prefix="iku-pdf")
            return self._pool.submit(job, *args)

    def warm_up(self) -> None:
        """Start Chromium in the background now (its start, about 1 s, then runs
        while the first report is written); nothing without Chromium."""
        if self.exe is not None and not self.closing:
            self.submit(self._warm)

    def _warm(self) -> None:
        lane = self._take(warming=True)
        try:
            with contextlib.suppress(PdfFailed):
                self._ready(lane)
        finally:
            self._give_back(lane, warming=True)

    def _take(self, warming: bool = False) -> _Lane:
        """A lane for this thread: one whose Chromium runs; else one to start,
        unless one is starting already (it is waited for: a lone report never
        starts a second Chromium; a second starts when the first is printing)."""
        with self._lane_free:
            while True:
                running = [lane for lane in self._idle if lane.browser is not None]
                if running or (self._idle and (warming or not self._warming)):
                    lane = (running or self._idle)[0]
                    break
                self._lane_free.wait()
            self._idle.remove(lane)
            self._warming += warming
            return lane

    def _give_back(self, lane: _Lane, warming: bool = False) -> None:
        with self._lane_free:
            self._idle.append(lane)
            self._warming -= warming
            self._lane_free.notify_all()

    def print(self, html: Path, pdf: Path | None = None) -> Path | None:
        """Print `html` to `pdf` (default: beside it, .pdf); None when Chromium is missing."""
        html, pdf = _target(html, pdf)
        if self.exe is None:
            skipped(pdf)
            return None
        if not html.is_file():
            raise PdfFailed(f"{html.name} tidak ditemukan")
        lane = self._take()
        try:
            data = self._print_in_lane(lane, html)
        finally:
            self._give_back(lane)
        if data is None:  # Chromium died too often in this batch
            return _print_one_process(self.exe, html, pdf)
        tmp = _tmp(pdf)
        try:
            tmp.write_bytes(data)
            os.replace(tmp, pdf)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return pdf

    def _print_in_lane(self, lane: _Lane, html: Path) -> bytes | None:
        for attempt in (1, 2):
            if not self._ready(lane):
                return None
            assert lane.browser is not None
            started = time.monotonic()
            try:
                return _print_page(lane.browser, lane.session, lane.frame, html, self.timeout)
            except ChromiumGone as exc:
                self._lost(lane, f"{exc} saat mencetak {html.name}")
                timed_out = time.monotonic() - started >= self.timeout
                if timed_out or attempt == 2 or self.closing:
                    raise PdfFailed(f"Chromium tidak mencetak {html.name}: {exc}") from None
        raise AssertionError("unreachable")

    def _ready(self, lane: _Lane) -> bool:
        """The lane's Chromium and tab, started (again) when needed; False: print one process per file."""
        if self.closing:
            raise PdfFailed("pencetak PDF sudah ditutup")
        if lane.browser is not None and lane.browser.alive:
            return True
        if lane.browser is not None:
            self._lost(lane, "Chromium berhenti di antara dua cetakan")
        if self.one_process:
            return False
        assert self.exe is not None
        browser = Browser(self.exe)
        try:
            browser.start()
            target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})
            tree = browser.call("Page.getFrameTree", session=session["sessionId"])
        except (ChromiumGone, CdpError, OSError) as exc:
            browser.close()
            if self.closing:
                raise PdfFailed("pencetak PDF sudah ditutup") from None
            self.one_process = True
            log.warning(
                "Chromium untuk PDF tidak dapat dijalankan (%s): tiap PDF dicetak dengan prosesnya sendiri",
                exc,
            )
            return False
        except BaseException:
            browser.close()
            raise
        with self._state:
            self.starts += 1
        lane.browser, lane.session, lane.frame = (
            browser,
            session["sessionId"],
            tree["frameTree"]["frame"]["id"],
        )
        return True

    def _lost(self, lane: _Lane, why: str) -> None:
        lane.close()
        if self.closing:
            return
        with self._state:
            self.restarts += 1
            if self.restarts > MAX_RESTARTS:
                self.one_process = True
        if self.one_process:
            log.warning("Chromium untuk PDF: %s; sisanya dicetak satu proses per PDF", why)
        else:
            log.warning("Chromium untuk PDF: %s; dijalankan lagi", why)

    def close(self) -> None:
        """Stop: jobs not started are dropped, a print under way ends (its
        Chromium is killed), every Chromium is closed and its profile removed."""
        with self._state:
            self.closing = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            for lane in self._all_lanes:  # a print under way fails at once
                if lane.browser is not None:
                    lane.browser.kill()
            pool.shutdown(wait=True)
        for lane in self._all_lanes:
            lane.close()


def _print_page(browser: Browser, session: str, frame: str, html: Path, timeout: float) -> bytes:
    """Write `html` into the lane's tab and print it. Written, not navigated to:
    a navigation costs Chromium a new document load (about 0.05 s of CPU a
    report); the reports are self-contained (tests/reports/test_pdf_printer.py),
    so nothing they would load relative to their folder is missed."""
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    try:
        text = html.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:  # not a report this pipeline wrote
        raise PdfFailed(f"{html.name} bukan HTML UTF-8 ({exc.reason})") from None
    try:
        try:
            browser.call(
                "Page.setDocumentContent", {"frameId": frame, "html": text}, session=session, timeout=left()
            )
        except CdpError as exc:
            raise PdfFailed(f"Chromium tidak dapat membuka {html.name}: {exc}") from None
        try:
            printed = browser.call("Page.printToPDF", PRINT_PARAMS, session=session, timeout=left())
        except CdpError as exc:
            raise PdfFailed(f"Chromium tidak menghasilkan PDF untuk {html.name}: {exc}") from None
    finally:
        browser.events.clear()  # this page's events are of no use any more
    data = base64.b64decode(printed.get("data", ""))
    if not data.startswith(b"%PDF"):
        raise PdfFailed(f"Chromium tidak menghasilkan PDF untuk {html.name}")
    return data


_current: ContextVar[PdfPrinter | None] = ContextVar("iku_pdf_printer", default=None)


@contextlib.contextmanager
def pdf_printer(workers: int | None = None) -> Iterator[PdfPrinter]:
    """A PdfPrinter for many PDFs, closed at the end (its processes killed, its
    profile removed, also on an exception or Ctrl-C). `workers`: how many
    Chromium print at once, by default LANES; a second one starts only when
    two PDFs wait at once, so a single report still starts one Chromium.
    Nested inside another pdf_printer() it is the outer one, so a run that
    writes every OPD's report and then the recap starts Chromium once."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    printer = PdfPrinter(chromium(), workers=LANES if workers is None else workers)
    token = _current.set(printer)
    try:
        yield printer
    finally:
        _current.reset(token)
        printer.close()
