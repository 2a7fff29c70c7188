"""What happens to a sheet sent through the portal: read and validated by the
consolidation's own code (iku.consolidation.read_file, the GX suites through the
validation worker), then written atomically into the bidang's source folder,
where the normal consolidation picks it up like any dropped file.

Invalid and unreadable uploads are stored too ("nothing is lost"): they are
archived, recorded and alerted by the consolidation exactly like a dropped file.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from iku import storage
from iku.config import Catalogue
from iku.consolidation import IncomingFile, read_file, to_record
from iku.domain.model import Problem, ValueRow
from iku.domain.plausibility import PlausibilityWarning
from iku.domain.sheet import Sheet
from iku.formatting import held_advice, held_reason
from iku.resources import Resources
from iku.warehouse.files import has_file

_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,5}$")


@dataclass
class Receipt:
    sha256: str
    bidang: str
    year: int | None
    month: int | None
    status: str  # valid | invalid | unreadable
    problems: list[Problem] = field(default_factory=list)
    values: list[ValueRow] = field(default_factory=list)
    stored_as: str | None = None  # file name in the source folder
    duplicate: bool = False  # the same bytes were received before
    # "perlu dicek" against the bidang's history: told, never a refusal (CONTRACT §12)
    warnings: list[PlausibilityWarning] = field(default_factory=list)
    # the month's quarter is approved and locked: the file is kept, never current
    locked: bool = False
    locked_reason: str | None = None  # why, and what to do (Indonesian), while `locked`

    def as_json(self) -> dict:
        return {
            "sha256": self.sha256,
            "bidang": self.bidang,
            "year": self.year,
            "month": self.month,
            "status": self.status,
            "problems": [p.as_dict() for p in self.problems],
            "warnings": [w.as_dict() for w in self.warnings],
            "locked": self.locked,
            "locked_reason": self.locked_reason,
        }


# HTML5 multipart (browsers, httpx) sends a line feed, a carriage return and a
# quote in a file name as these escapes
_FORM_ESCAPES = {"%0a": "\n", "%0d": "\r", "%22": '"'}


def clean_name(name: str | None) -> str:
    """The sender's file name without control characters (a trailing line feed,
    sent raw or as the form's %0A) and surrounding blanks (issue 17 L1)."""
    text = re.sub("%0[aAdD]|%22", lambda m: _FORM_ESCAPES[m.group(0).lower()], name or "")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


def safe_extension(name: str | None) -> str:
    """Only the extension of the sender's file name is used, and only when it is
    plain (the name itself never reaches the disk)."""
    ext = Path(clean_name(name).replace("\\", "/")).suffix.lower()
    return ext if _SAFE_EXTENSION.match(ext) else ".bin"


class _Batcher:
    """One GX run costs about the same for one sheet as for twenty (its fixed
    cost dominates), so the sheets of uploads that arrive while a validation
    runs wait for the next run together: one GX validation per bidang per
    batch, exactly as the consolidation validates all new sheets of a bidang
    at once. A lone upload waits for nothing."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[Catalogue, str, Sheet, Future]] = []
        self._thread: threading.Thread | None = None

    def validate(self, catalogue: Catalogue, bidang: str, sheet: Sheet) -> list[Problem]:
        done: Future = Future()
        with self._cond:
            self._queue.append((catalogue, bidang, sheet, done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="iku-web-validate")
                self._thread.start()
            self._cond.notify()
        return done.result()

    def _run(self) -> None:
        from iku.validation.worker import validate_bidang

        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                batch, self._queue = self._queue, []
            groups: dict[tuple[int, str], list] = {}
            for item in batch:
                groups.setdefault((id(item[0]), item[1]), []).append(item)
            for (_, bidang), items in groups.items():
                try:
                    found = validate_bidang({i: it[2] for i, it in enumerate(items)}, items[0][0], bidang)
                    for i, it in enumerate(items):
                        it[3].set_result(found[i])
                except BaseException as exc:  # every waiting upload gets the failure
                    for it in items:
                        if not it[3].done():
                            it[3].set_exception(exc)


_batcher = _Batcher()


def check(res: Resources, bidang: str, data: bytes, extension: str) -> Receipt:
    """The receipt by the consolidation's rules: reading, then the GX suites."""
    sha = hashlib.sha256(data).hexdigest()
    f = IncomingFile(
        bidang=bidang, path=Path(f"upload{extension}"), sha256=sha, data=data, received_at=datetime.now(UTC)
    )
    outcome = read_file(f, res.config)
    problems: list[Problem] = []
    # the same condition as tasks/consolidate_steps.py validate_sheets
    if outcome.sheet is not None and outcome.sheet.rows and not outcome.sheet.problems:
        problems = _batcher.validate(res.config.catalogue, bidang, outcome.sheet)
    record = to_record(outcome, problems, Path())
    receipt = Receipt(
        sha256=sha,
        bidang=bidang,
        year=record.year,
        month=record.month,
        status=record.status,
        problems=record.problems,
        values=record.values,
    )
    if receipt.status == "valid" and receipt.year and receipt.month:
        from .cycle import sakip_of, sheet_warnings

        receipt.warnings = sheet_warnings(res, bidang, receipt.year, receipt.month, list(receipt.values))
        held = sakip_of(res).held(res.opd, receipt.year, receipt.month)
        if held is not None:
            tz = res.config.pipeline.timezone
            receipt.locked = True
            receipt.locked_reason = f"{held_reason(held, tz)}; {held_advice(held)}."
    return receipt


def stored_name(receipt: Receipt, extension: str) -> str:
    """Named by content, so the same bytes sent twice land in one file."""
    period = f"{receipt.year}-{receipt.month:02d}" if receipt.year and receipt.month else "tanpa-periode"
    return f"portal-{period}-{receipt.sha256[:16]}{extension}"


def receive(res: Resources, bidang: str, data: bytes, sender_name: str | None) -> Receipt:
    """Check a sheet and land it in the bidang's source folder (once)."""
    extension = safe_extension(sender_name)
    receipt = check(res, bidang, data, extension)
    name = stored_name(receipt, extension)
    folder = res.source_dir(bidang)
    receipt.stored_as = name
    if has_file(res.warehouse, res.opd, receipt.sha256) or storage.exists(folder / name):
        receipt.duplicate = True
        return receipt
    # the consolidation never sees a half-written sheet (hidden temp name, then rename)
    storage.write(folder / name, data, mode=0o640, sync=True)
    return receipt


def pending_files(res: Resources, bidang: str) -> list[str]:
    """Portal files in the source folder the consolidation has not processed yet."""
    folder = res.source_dir(bidang)
    if not storage.is_dir(folder):
        return []
    names = sorted(n for n in storage.file_names(folder) if n.startswith("portal-"))
    out = []
    for name in names:
        sha16 = name.rsplit(".", 1)[0].rsplit("-", 1)[-1]
        out.append((name, sha16))
    known = {h[:16] for h in res.warehouse.known_hashes(res.opd)}
    return [name for name, sha16 in out if sha16 not in known]
