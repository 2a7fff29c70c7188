"""How the terminal shows things (the `iku` commands and the demo): the
submission matrix and the table of a file's problems, so every command looks
the same. Labels, glyphs and styles come from iku.formatting (their one home)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

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


def status_table(
    cells: Iterable[MonthSubmission], bidang: list[str], year: int, as_of: datetime, wide: bool = False
) -> Table:
    """The bidang x month matrix; glyphs (with the legend as caption) or words when `wide`."""
    cells = list(cells)
    table = Table(
        title=f"Status penyampaian {year} (per {as_of:%d-%m-%Y %H.%M})",
        caption=None if wide else legend(),
    )
    table.add_column("Bidang", no_wrap=True)
    months = sorted({c.month for c in cells}) or list(range(1, 13))
    for m in months:
        table.add_column(f"{m:02d}", justify="center", no_wrap=True)
    for code in bidang:
        table.add_row(code, *(status_cell(c.status, wide) for c in cells if c.bidang == code))
    return table


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
