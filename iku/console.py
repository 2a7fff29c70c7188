"""How the terminal shows things (the `iku` commands and the demo): the
submission matrix and the table of a file's problems, so every command looks
the same. Labels, glyphs and styles come from iku.formatting (their one home)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.table import Table

from iku.domain.status import MonthSubmission
from iku.formatting import FILE_STATUS_LABELS, STATUS_GLYPHS, STATUS_LABELS, STATUS_STYLES, num


def count(n: int) -> str:
    """A count in Indonesian style: 2.000."""
    return num(n, 0)


def status_cell(status: str, wide: bool = False) -> str:
    shown = STATUS_LABELS[status].lower() if wide else STATUS_GLYPHS[status]
    return f"[{STATUS_STYLES[status]}]{shown}[/]"


def legend() -> str:
    return "  ".join(f"{status_cell(s)} {STATUS_LABELS[s].lower()}" for s in STATUS_GLYPHS)


# the verification of a month beside its status (CONTRACT §12), and a locked month's column
CHECK_MARKS = {"diverifikasi": "v", "dikembalikan": "k"}
LOCK_MARK = "🔒"


def status_table(
    cells: Iterable[MonthSubmission],
    bidang: list[str],
    year: int,
    as_of: datetime,
    wide: bool = False,
    checks: Mapping[tuple[str, int], Any] | None = None,
) -> Table:
    """The bidang x month matrix; glyphs (with the legend as caption) or words when `wide`.
    `checks`: (bidang, month) -> an object with `state` and `locked` (iku.warehouse.sakip.MonthView):
    a verified or returned month is marked beside its status, a locked month on its column."""
    cells = list(cells)
    checks = checks or {}
    caption = None if wide else legend()
    if checks:
        marks = f"{CHECK_MARKS['diverifikasi']} diverifikasi  {CHECK_MARKS['dikembalikan']} dikembalikan  {LOCK_MARK} disetujui dan dikunci"
        caption = marks if caption is None else f"{caption}\n{marks}"
    table = Table(title=f"Status penyampaian {year} (per {as_of:%d-%m-%Y %H.%M})", caption=caption)
    table.add_column("Bidang", no_wrap=True)
    months = sorted({c.month for c in cells}) or list(range(1, 13))
    locked = {m for (_, m), v in checks.items() if v.locked}
    for m in months:
        table.add_column(f"{m:02d}{LOCK_MARK if m in locked else ''}", justify="center", no_wrap=True)
    for code in bidang:
        table.add_row(
            code, *(_cell(c, wide, checks.get((c.bidang, c.month))) for c in cells if c.bidang == code)
        )
    return table


def _cell(c: MonthSubmission, wide: bool, check: Any) -> str:
    state = getattr(check, "state", None)
    # the state is today's; a cell shown as it stood before its file came (--as-of) has none
    if state not in CHECK_MARKS or c.status not in ("on_time", "late"):
        return status_cell(c.status, wide)
    return f"{status_cell(c.status, wide)}{', ' + state if wide else CHECK_MARKS[state]}"


def problems_table(files: Iterable[dict], title: str = "Berkas bermasalah") -> Table | None:
    """One row per problem: file, bidang, status, row, column, message.
    `files`: dicts with file, bidang, status and problems ({row, column, message})."""
    files = list(files)
    if not files:
        return None
    table = Table(title=title, show_lines=False)
    for name, opts in (
        ("Berkas", {"overflow": "fold"}),
        ("Bidang", {"no_wrap": True}),
        ("Status", {"no_wrap": True}),
        ("Baris", {"justify": "right", "no_wrap": True}),
        ("Kolom", {"no_wrap": True}),
        ("Masalah", {"overflow": "fold"}),
    ):
        table.add_column(name, **opts)
    for f in files:
        problems = f.get("problems") or [{"row": None, "column": None, "message": "-"}]
        for i, p in enumerate(problems):
            first = i == 0
            table.add_row(
                f["file"] if first else "",
                f["bidang"] if first else "",
                FILE_STATUS_LABELS.get(f["status"], f["status"]) if first else "",
                "" if p.get("row") is None else str(p["row"]),
                p.get("column") or "",
                p["message"],
            )
    return table
