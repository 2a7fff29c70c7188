"""Inline SVG charts: no scripts, no fonts or images to fetch, printable."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from markupsafe import Markup, escape

from iku.domain.achievement import Achievement, MonthPoint
from iku.domain.periods import MONTHS_ID
from iku.formatting import num

W, H = 380, 170
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 12, 34
BAR, LINE, PACE = "#9ec5e8", "#1f5f99", "#c0392b"


def _nice_max(value: float, ticks: int = 4) -> float:
    """The smallest top of the axis >= value whose tick step is 1, 2, 2.5 or 5 x 10^k."""
    if value <= 0:
        return float(ticks)
    if not math.isfinite(value) or value > 1e300:  # no nicer top near the float limit
        return float(value) if math.isfinite(value) else sys.float_info.max
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= raw:
            return step * magnitude * ticks
    return value  # pragma: no cover


@dataclass(frozen=True)
class _Plot:
    """The drawing area: twelve month slots across, 0..top up."""

    top: float
    pw: float = W - LEFT - RIGHT
    ph: float = H - TOP - BOTTOM

    @property
    def step(self) -> float:
        return self.pw / 12

    def x(self, m: int) -> float:
        return LEFT + self.step * (m - 0.5)

    def y(self, v: float) -> float:
        return TOP + self.ph - (v / self.top) * self.ph


def trend_svg(ach: Achievement, unit: str = "") -> Markup:
    """Bars: each month's own figure; solid line: the value to date; dashed: the
    target's pace (the year target spread evenly, or the level to hold)."""
    points = list(ach.trend)
    pace = _pace(ach, points)
    plotted = [v for p in points for v in (p.value, p.cumulative) if v is not None]
    plotted += [v for v in pace if v is not None]
    plot = _Plot(_nice_max(max(plotted, default=0) * 1.05))
    out = [
        f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="Tren bulanan {escape(ach.code)}" class="chart">'
    ]
    out += _grid(plot) + _bars(plot, points) + _lines(plot, points, pace)
    for m in range(1, 13):
        out.append(
            f'<text x="{plot.x(m):.1f}" y="{H - BOTTOM + 12}" text-anchor="middle" font-size="9">'
            f"{MONTHS_ID[m - 1][:3]}</text>"
        )
    out.append(_legend(unit))
    out.append("</svg>")
    return Markup("".join(out))


def _pace(ach: Achievement, points: list[MonthPoint]) -> list[float | None]:
    """The target's pace per month, extended to December so the reader sees where the year must end."""
    pace = [p.target_pace for p in points]
    if ach.target and points:
        level = points[0].target_pace == ach.target  # a level holds the target all year
        pace += [ach.target if level else ach.target * m / 12 for m in range(len(points) + 1, 13)]
    return pace


def _grid(plot: _Plot) -> list[str]:
    out = []
    for i in range(5):  # grid and y labels
        v = plot.top * i / 4
        y = plot.y(v)
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9">{num(v)}</text>')
    return out


def _bars(plot: _Plot, points: list[MonthPoint]) -> list[str]:
    out = []
    step, ph = plot.step, plot.ph
    for p in points:
        if p.value is not None:
            bh = max(0.0, (p.value / plot.top) * ph)
            out.append(
                f'<rect x="{plot.x(p.month) - step * 0.3:.1f}" y="{TOP + ph - bh:.1f}" width="{step * 0.6:.1f}" '
                f'height="{bh:.1f}" fill="{BAR}"><title>{MONTHS_ID[p.month - 1]}: {num(p.value)}</title></rect>'
            )
        else:  # no valid data that month: mark it, never draw a zero
            out.append(
                f'<text x="{plot.x(p.month):.1f}" y="{TOP + ph - 3}" text-anchor="middle" font-size="9" '
                f'fill="#c0392b">?</text>'
            )
    return out


def _lines(plot: _Plot, points: list[MonthPoint], pace: list[float | None]) -> list[str]:
    """The dashed pace, then the value to date with a dot per month."""
    out = []
    pace_pts = [(m, v) for m, v in enumerate(pace, start=1) if v is not None]
    if pace_pts:
        coords = " ".join(f"{plot.x(m):.1f},{plot.y(v):.1f}" for m, v in pace_pts)
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{PACE}" stroke-width="1.5" stroke-dasharray="5,3"/>'
        )
    # only months with data: a month without a sheet is not a flat line
    cum = [(p.month, p.cumulative) for p in points if p.value is not None and p.cumulative is not None]
    if cum:
        coords = " ".join(f"{plot.x(m):.1f},{plot.y(v):.1f}" for m, v in cum)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for m, v in cum:
            out.append(f'<circle cx="{plot.x(m):.1f}" cy="{plot.y(v):.1f}" r="2.5" fill="{LINE}"/>')
    return out


def _legend(unit: str) -> str:
    ly = H - 8
    return (
        f'<rect x="{LEFT}" y="{ly - 7}" width="10" height="7" fill="{BAR}"/>'
        f'<text x="{LEFT + 13}" y="{ly}" font-size="9">bulan ini</text>'
        f'<line x1="{LEFT + 70}" x2="{LEFT + 86}" y1="{ly - 3}" y2="{ly - 3}" stroke="{LINE}" stroke-width="2"/>'
        f'<text x="{LEFT + 89}" y="{ly}" font-size="9">s.d. bulan ini</text>'
        f'<line x1="{LEFT + 160}" x2="{LEFT + 176}" y1="{ly - 3}" y2="{ly - 3}" stroke="{PACE}" '
        f'stroke-width="1.5" stroke-dasharray="5,3"/>'
        f'<text x="{LEFT + 179}" y="{ly}" font-size="9">laju target{(" (" + str(escape(unit)) + ")") if unit else ""}</text>'
    )


PLAN = "#7d3c98"


def absorption_svg(
    code: str, absorption: dict[int, float | None], plan: dict[int, float | None] | None = None
) -> Markup:
    """Solid line: the budget absorbed through each month with a budget sheet (%
    of the pagu as it stood); dashed: the anggaran kas planned through the end of
    each triwulan (% of the same pagu), where configured. A month without a sheet
    is not drawn, never a zero."""
    shown = {m: v for m, v in absorption.items() if v is not None and math.isfinite(v)}
    planned = {m: v for m, v in (plan or {}).items() if v is not None and math.isfinite(v)}
    plot = _Plot(_nice_max(max([100.0, *shown.values(), *planned.values()])))
    out = [
        f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="Penyerapan anggaran bulanan {escape(code)}" class="chart">'
    ]
    out += _grid(plot)
    if planned:
        coords = " ".join(f"{plot.x(m):.1f},{plot.y(v):.1f}" for m, v in sorted(planned.items()))
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{PLAN}" stroke-width="1.5" stroke-dasharray="5,3"/>'
        )
        for m, v in sorted(planned.items()):
            out.append(
                f'<rect x="{plot.x(m) - 2.5:.1f}" y="{plot.y(v) - 2.5:.1f}" width="5" height="5" fill="{PLAN}">'
                f"<title>Anggaran kas s.d. {MONTHS_ID[m - 1]}: {num(v)} %</title></rect>"
            )
    if shown:
        coords = " ".join(f"{plot.x(m):.1f},{plot.y(v):.1f}" for m, v in sorted(shown.items()))
        out.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for m, v in sorted(shown.items()):
            out.append(
                f'<circle cx="{plot.x(m):.1f}" cy="{plot.y(v):.1f}" r="2.5" fill="{LINE}">'
                f"<title>{MONTHS_ID[m - 1]}: {num(v)} %</title></circle>"
            )
    for m in range(1, 13):
        out.append(
            f'<text x="{plot.x(m):.1f}" y="{H - BOTTOM + 12}" text-anchor="middle" font-size="9">'
            f"{MONTHS_ID[m - 1][:3]}</text>"
        )
    ly = H - 8
    out.append(
        f'<line x1="{LEFT}" x2="{LEFT + 16}" y1="{ly - 3}" y2="{ly - 3}" stroke="{LINE}" stroke-width="2"/>'
        f'<text x="{LEFT + 19}" y="{ly}" font-size="9">penyerapan s.d. bulan ini (%)</text>'
    )
    if planned:
        out.append(
            f'<line x1="{LEFT + 160}" x2="{LEFT + 176}" y1="{ly - 3}" y2="{ly - 3}" stroke="{PLAN}" '
            f'stroke-width="1.5" stroke-dasharray="5,3"/>'
            f'<text x="{LEFT + 179}" y="{ly}" font-size="9">anggaran kas (%)</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
