"""Reports: achievement per indicator rendered as HTML, Excel (Tabel E.81) and
JSON (CONTRACT §7), and the year-end LAKIP feed.

`render_report(data, out_dir)` / `render_lakip(data, out_dir)` render from
already-loaded data (no warehouse access), so the rendering can be timed alone."""

from __future__ import annotations

import json
from collections.abc import Callable

from iku.storage import Where, write

from .excel import render_excel
from .html import render_html, render_recap_html
from .index import write_index, written
from .lakip import LakipData, build_lakip_data, lakip_json, load_lakip_data
from .lakip_excel import render_lakip_excel
from .lakip_kabupaten import KabupatenLakipData, build_kabupaten_lakip, kabupaten_lakip_json
from .model import ReportData, build_report_data, load_report_data, report_json
from .pdf import PdfFailed, PdfPrinter, pdf_printer, write_pdf
from .recap import RecapData, build_recap, load_recap_data, recap_json


def dump_json(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _write_each(base: Where, *parts: tuple[str, Callable[[], str | bytes]]) -> list[Where]:
    """Render and write each file in turn (a renderer that fails leaves the earlier files written)."""
    return [write(base.with_suffix(suffix), render()) for suffix, render in parts]


def render_report(data: ReportData, out_dir: Where) -> list[Where]:
    """Write iku-<period>.html/.xlsx/.json into `out_dir` (the year folder)."""
    return _write_each(
        out_dir / data.basename,
        (".html", lambda: render_html(data)),
        (".xlsx", lambda: render_excel(data)),
        (".json", lambda: dump_json(report_json(data))),
    )


def render_recap(data: RecapData, out_dir: Where) -> list[Where]:
    """Write rekap-<period>.html/.xlsx/.json into `out_dir` (the year folder)."""
    from .recap_excel import render_recap_excel

    return _write_each(
        out_dir / data.basename,
        (".html", lambda: render_recap_html(data)),
        (".xlsx", lambda: render_recap_excel(data)),
        (".json", lambda: dump_json(recap_json(data))),
    )


def render_kabupaten_lakip(data: KabupatenLakipData, out_dir: Where) -> list[Where]:
    """Write lakip-kabupaten-<year>.xlsx/.json into `out_dir` (the year folder)."""
    from .lakip_kabupaten_excel import render_kabupaten_lakip_excel

    return _write_each(
        out_dir / f"lakip-kabupaten-{data.year}",
        (".xlsx", lambda: render_kabupaten_lakip_excel(data)),
        (".json", lambda: dump_json(kabupaten_lakip_json(data))),
    )


def render_lakip(data: LakipData, out_dir: Where) -> list[Where]:
    return _write_each(
        out_dir / f"lakip-{data.year}",
        (".xlsx", lambda: render_lakip_excel(data)),
        (".json", lambda: dump_json(lakip_json(data))),
    )


__all__ = [
    "KabupatenLakipData",
    "LakipData",
    "PdfFailed",
    "PdfPrinter",
    "RecapData",
    "ReportData",
    "build_kabupaten_lakip",
    "build_lakip_data",
    "build_recap",
    "build_report_data",
    "lakip_json",
    "load_lakip_data",
    "load_recap_data",
    "load_report_data",
    "pdf_printer",
    "recap_json",
    "render_excel",
    "render_html",
    "render_lakip",
    "render_lakip_excel",
    "render_recap",
    "render_report",
    "report_json",
    "write_index",
    "write_pdf",
    "written",
]
