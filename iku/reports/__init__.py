"""Reports: achievement per indicator rendered as HTML, Excel (Tabel E.81) and
JSON (CONTRACT §7), and the year-end LAKIP feed.

`render_report(data, out_dir)` / `render_lakip(data, out_dir)` render from
already-loaded data (no warehouse access), so the rendering can be timed alone."""

from __future__ import annotations

import json

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


def render_report(data: ReportData, out_dir: Where) -> list[Where]:
    """Write iku-<period>.html/.xlsx/.json into `out_dir` (the year folder)."""
    base = out_dir / data.basename
    return [
        write(base.with_suffix(".html"), render_html(data)),
        write(base.with_suffix(".xlsx"), render_excel(data)),
        write(base.with_suffix(".json"), dump_json(report_json(data))),
    ]


def render_recap(data: RecapData, out_dir: Where) -> list[Where]:
    """Write rekap-<period>.html/.xlsx/.json into `out_dir` (the year folder)."""
    from .recap_excel import render_recap_excel

    base = out_dir / data.basename
    return [
        write(base.with_suffix(".html"), render_recap_html(data)),
        write(base.with_suffix(".xlsx"), render_recap_excel(data)),
        write(base.with_suffix(".json"), dump_json(recap_json(data))),
    ]


def render_kabupaten_lakip(data: KabupatenLakipData, out_dir: Where) -> list[Where]:
    """Write lakip-kabupaten-<year>.xlsx/.json into `out_dir` (the year folder)."""
    from .lakip_kabupaten_excel import render_kabupaten_lakip_excel

    base = out_dir / f"lakip-kabupaten-{data.year}"
    return [
        write(base.with_suffix(".xlsx"), render_kabupaten_lakip_excel(data)),
        write(base.with_suffix(".json"), dump_json(kabupaten_lakip_json(data))),
    ]


def render_lakip(data: LakipData, out_dir: Where) -> list[Where]:
    base = out_dir / f"lakip-{data.year}"
    return [
        write(base.with_suffix(".xlsx"), render_lakip_excel(data)),
        write(base.with_suffix(".json"), dump_json(lakip_json(data))),
    ]


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
