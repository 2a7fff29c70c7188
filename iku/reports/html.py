"""HTML reports from the Jinja2 templates in templates/: autoescaped, one
self-contained file each (inline CSS and SVG), A4 landscape when printed."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from iku import formatting as fmt
from iku.domain.budget import EFFICIENCY_RULE
from iku.domain.periods import QUARTER_NAMES, month_name
from iku.formatting import STATUS_LABELS
from iku.shipped import shipped

from .budget_view import absorption_charts
from .charts import absorption_svg, trend_svg
from .content import with_content_hash
from .model import ReportData, predicate_colour
from .notes import short_notes
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
        num=fmt.num,
        fixed=fmt.fixed,
        pct=fmt.pct,
        day=fmt.day,
        stamp=fmt.stamp,
        month_name=month_name,
        rupiah=rupiah,
    )
    return env


def rupiah(value: float | None) -> str:
    """Rp1.250.000.000 (whole rupiah, Indonesian grouping); – for none."""
    return fmt.DASH if value is None else f"Rp{fmt.num(value, 0)}"


def report_title(data: ReportData) -> str:
    if data.period.quarter is not None:
        return f"Laporan Evaluasi Kinerja {QUARTER_NAMES[data.period.quarter]} Tahun {data.period.year}"
    return f"Laporan Pengukuran Kinerja Tahunan {data.period.year}"


def render_html(data: ReportData) -> str:
    """The report as one HTML string, from already-loaded data (no I/O)."""
    cat = data.catalogue
    months = list(range(1, data.period.end_month + 1))
    html = (
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
            efficiency_rule=EFFICIENCY_RULE,
            absorption_charts=absorption_charts(data.budget, data.period.year)
            if data.budget.has_data
            else [],
            absorption_svg=absorption_svg,
            approvals=[a.statement(data.period.year, data.timezone) for a in data.approvals],
            opd_budget=data.opd_budget(),
            programs=data.programs_json(),
            short_notes=short_notes,
            long_notes=[r for r in data.rows if not short_notes(r.notes).complete],
        )
    )
    return with_content_hash(html)


def render_recap_html(data: RecapData) -> str:
    """The kabupaten recap as one HTML string (no I/O)."""
    return with_content_hash(
        environment()
        .get_template("recap.html.j2")
        .render(data=data, colour=lambda label: predicate_colour(label, data.bands))
    )
