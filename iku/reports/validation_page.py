"""The validation page of a consolidation run (out/validasi/): for people, in
Indonesian, self-contained (no scripts, no outside requests): every new file with
its result and, for each invalid or unreadable one, every problem with the row a
person sees in Excel, the column and the fix. GX Data Docs stay for engineers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from iku.config import Catalogue
from iku.domain.model import SubmissionRecord
from iku.domain.periods import month_name
from iku.domain.status import file_status_counts
from iku.domain.text import shown_name
from iku.formatting import FILE_STATUS_LABELS, held_advice, held_reason, tz_label
from iku.storage import Where, write

from .html import environment

FOLDER = "validasi"


def page_name(run_at: datetime) -> str:
    return f"validasi-{run_at:%Y%m%d-%H%M%S}.html"


def render_validation_page(
    records: list[SubmissionRecord], catalogue: Catalogue, tz: str, run_at: datetime
) -> str:
    zone = ZoneInfo(tz)
    local = run_at.astimezone(zone)
    files = [
        {
            "name": shown_name(r.file_name),
            "bidang": r.bidang,
            "period": f"{month_name(r.month)} {r.year}" if r.year and r.month else "–",
            "received_at": r.received_at.astimezone(zone),
            "status": r.status,
            "status_label": FILE_STATUS_LABELS[r.status],
            "problems": r.problems,
            "sha256": r.sha256,
            # CONTRACT §12: "perlu dicek" (never a refusal) and a file a locked quarter holds
            "warnings": [str(w["message"]) for w in r.warnings or []],
            "locked": f"{held_reason(r.held, tz)}; {held_advice(r.held)}" if r.held else None,
        }
        # the files that need work first, then by bidang and name
        for r in sorted(records, key=lambda r: (r.status == "valid", r.bidang, r.file_name))
    ]
    return (
        environment()
        .get_template("validation.html.j2")
        .render(
            opd=catalogue.opd,
            files=files,
            counts=file_status_counts(records),
            run_at=local,
            tz=tz_label(tz),
        )
    )


def write_validation_page(
    output_dir: Where, records: list[SubmissionRecord], catalogue: Catalogue, tz: str, run_at: datetime
) -> Where:
    """out/validasi/validasi-<run time>.html; the index links the latest ones."""
    html = render_validation_page(records, catalogue, tz, run_at)
    return write(output_dir / FOLDER / page_name(run_at.astimezone(ZoneInfo(tz))), html)
