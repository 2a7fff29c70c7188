"""HTML reports from the Jinja2 templates in templates/: autoescaped, one
self-contained file each (inline CSS and SVG), A4 landscape when printed."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from iku import formatting as fmt
from iku.config import Catalogue
from iku.domain.periods import QUARTER_NAMES, month_name
from iku.files import write_atomically
from iku.formatting import STATUS_LABELS
from iku.shipped import shipped

from .charts import trend_svg
from .model import ReportData, predicate_colour
from .recap import RecapData

TEMPLATES = shipped("templates")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its extension: notes are user text
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=fmt.num, fixed=fmt.fixed, pct=fmt.pct, day=fmt.day, stamp=fmt.stamp, month_name=month_name
    )
    return env


def report_title(data: ReportData) -> str:
    if data.period.quarter is not None:
        return f"Laporan Evaluasi Kinerja {QUARTER_NAMES[data.period.quarter]} Tahun {data.period.year}"
    return f"Laporan Pengukuran Kinerja Tahunan {data.period.year}"


def render_html(data: ReportData) -> str:
    """The report as one HTML string, from already-loaded data (no I/O)."""
    cat = data.catalogue
    months = list(range(1, data.period.end_month + 1))
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            opd=cat.opd,
            title=report_title(data),
            end_month_name=month_name(data.period.end_month),
            quarter_name=QUARTER_NAMES.get(data.period.quarter or 0, ""),
            show_projection=data.period.quarter in (1, 2, 3),
            months=months,
            bidang=cat.bidang,
            matrix={(s.bidang, s.month): s for s in data.submissions},
            status_labels=STATUS_LABELS,
            status_label=STATUS_LABELS.get,
            colour=lambda label: predicate_colour(label, data.bands),
            chart=lambda row: trend_svg(row.achievement, row.indicator.unit),
        )
    )


def render_recap_html(data: RecapData) -> str:
    """The kabupaten recap as one HTML string (no I/O)."""
    return (
        environment()
        .get_template("recap.html.j2")
        .render(data=data, colour=lambda label: predicate_colour(label, data.bands))
    )


_REPORT_FILE = re.compile(r"^(iku|lakip)-(\d{4})(?:-Q([1-4]))?\.(html|pdf|xlsx|json)$")
_EXT_ORDER = {"html": 0, "pdf": 1, "xlsx": 2, "json": 3}


def write_index(output_dir: Path, catalogue: Catalogue, tz: str) -> Path:
    """$IKU_OUTPUT_DIR/index.html linking every report found under it."""
    found: dict[int, dict[tuple[int, str], list[Path]]] = {}
    for path in sorted(output_dir.glob("*/*")):
        m = _REPORT_FILE.match(path.name)
        if not m or path.parent.name != m.group(2):
            continue
        kind, year, quarter, _ = m.groups()
        key = (int(quarter), "q") if quarter else ((5, "annual") if kind == "iku" else (6, "lakip"))
        found.setdefault(int(year), {}).setdefault(key, []).append(path)
    years = []
    for year in sorted(found, reverse=True):
        items = []
        for (order, what), paths in sorted(found[year].items()):
            title = {"annual": f"Laporan tahunan {year}", "lakip": f"Bahan LAKIP/LKjIP {year} (Bab III)"}.get(
                what, f"{QUARTER_NAMES.get(order)} {year}"
            )
            files = [
                {"name": p.name, "href": f"{year}/{p.name}"}
                for p in sorted(paths, key=lambda p: _EXT_ORDER[p.suffix[1:]])
            ]
            items.append((title, files))
        years.append((year, items))
    from .validation_page import FOLDER, validation_pages

    validations = [
        {"href": f"{FOLDER}/{p.name}", "title": _validation_title(p.name)}
        for p in validation_pages(output_dir)
    ]
    html = (
        environment()
        .get_template("index.html.j2")
        .render(opd=catalogue.opd, years=years, updated=datetime.now(ZoneInfo(tz)), validations=validations)
    )
    return write_atomically(output_dir / "index.html", html)


def _validation_title(name: str) -> str:
    """'validasi-20230508-090000.html' -> 'Pemeriksaan 8 Mei 2023 09.00'."""
    try:
        when = datetime.strptime(name, "validasi-%Y%m%d-%H%M%S.html")
    except ValueError:
        return name
    return f"Pemeriksaan {fmt.day(when)} {when:%H.%M}"
