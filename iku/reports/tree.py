"""The performance tree (pohon kinerja, issue 19 item 5): the cascade RPJMD IKU
→ OPD IKU → program → kegiatan on one page, each node with its target, capaian
and budget absorption, coloured by predicate.

Three layers:
- `build_tree` (pure): the report data of one or more OPD, their budget
  figures and (optionally) the kabupaten's RPJMD IKU in; a `Tree` of `Node`s out.
  It works without programs (the IKU are the leaves) and without budget data
  (absorption None, shown as "–").
- `layout` (pure): the nodes cut into page-sized pieces and placed as boxes in
  columns (one per level), as plain SVG geometry for the template. A piece that
  does not fit one A4 page is split between its children; a node continued on
  the next piece is drawn again, marked "lanjutan".
- `render_tree_html` / `write_tree`: templates/pohon-kinerja.html.j2, written
  beside the reports as pohon-kinerja-Y[-Qn].html, and its PDF printed by the
  project's Chromium (iku.reports.pdf).

Why plain SVG and no kept library: the only tree-drawing library at hand is
graphviz (Prefect's), which needs the `dot` binary at run time, lays out one
unbreakable drawing (an A4 page cuts it) and cannot wrap Indonesian names; the
layout here is a few dozen lines of arithmetic. No script: the page is drawn
once, in Python.

What a node's capaian and colour mean (said on the page too):
- RPJMD and OPD IKU: the capaian and predicate the reports stand by: against
  the year's target at the year's end; mid-year (TW I-III) against the Rencana
  Aksi through the quarter, or, without one, the provisional year-to-date
  capaian without a predicate (as the quarterly report does).
- Program and kegiatan: the Rp half of Tabel E.81: target = pagu, realisasi,
  tingkat capaian = realisasi ÷ pagu × 100 (= the absorption) at the year's
  end; mid-year the absorption against the anggaran kas planned through the
  quarter where one is configured, else no predicate.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from iku import formatting as fmt
from iku import storage
from iku.config import PredicateBand, Rpjmd
from iku.domain.achievement import NO_PLAN, PROVISIONAL, predicate
from iku.domain.budget import (
    BudgetLine,
    Kegiatan,
    Program,
    absorption_pct,
    indicator_budget,
    planned_pct,
)
from iku.domain.periods import QUARTER_NAMES, Period, month_name
from iku.storage import Where

from .content import hash_in, printed_already, with_content_hash
from .model import IndicatorReport, ReportData, predicate_colour
from .recap import RpjmdRow, rpjmd_rows

if TYPE_CHECKING:
    from iku.warehouse.budget import BudgetMonth
    from iku.warehouse.reports import WrittenReport
    from iku.warehouse.store import Warehouse

    from .pdf import PdfPrinter

log = logging.getLogger(__name__)

Kind = Literal["rpjmd", "iku", "program", "kegiatan"]
KIND_LABELS: dict[Kind, str] = {
    "rpjmd": "IKU RPJMD",
    "iku": "IKU Perangkat Daerah",
    "program": "Program",
    "kegiatan": "Kegiatan",
}
NO_BUDGET = "belum ada data anggaran"
NO_PROGRAM = "belum ada program yang dipetakan"
NO_CASH_PLAN = "anggaran kas belum ditetapkan"
NO_PAGU = "pagu belum ada"
BASENAME = "pohon-kinerja"


@dataclass(frozen=True)
class Node:
    """One box of the tree. IKU (RPJMD or OPD): target and realisation in the
    indicator's unit; program and kegiatan: target = pagu and realisation in
    rupiah (unit "Rp"). `capaian` is the percentage the predicate is read from
    (`basis` says against what); `why` says why there is none."""

    kind: Kind
    code: str
    name: str
    target: float | None = None
    realisation: float | None = None
    unit: str = ""
    capaian: float | None = None
    basis: str = ""
    predicate: str | None = None
    why: str | None = None
    provisional: bool = False  # the capaian is mid-year against the annual target: no verdict
    pagu: float | None = None
    budget_realisation: float | None = None
    absorption: float | None = None
    budget_note: str | None = None  # why there is no absorption
    owner: str = ""  # the OPD's code (IKU, program, kegiatan)
    owner_name: str = ""
    also: tuple[str, ...] = ()  # a program shared by several IKU: the other IKU it supports
    children: tuple[Node, ...] = ()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def label(self) -> str:
        """The predicate, or what stands in its place: a mid-year capaian against the
        year's target is "sementara"; none at all is "tanpa predikat"."""
        if self.predicate:
            return self.predicate
        return PROVISIONAL if self.provisional and self.capaian is not None else "tanpa predikat"

    def walk(self) -> Iterable[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class OpdNote:
    """What the page says about one OPD's data above the tree."""

    code: str
    name: str
    budget_month: int | None  # the month the budget figures run through; None: no budget data
    has_programs: bool


@dataclass
class Tree:
    period: Period
    title: str
    heading: str  # the OPD's name, or the kabupaten's
    region: str
    generated_at: datetime
    bands: list[PredicateBand]
    roots: list[Node]
    # with RPJMD IKU configured: the OPD IKU that feed none of them
    unlinked: list[Node] = field(default_factory=list)
    opds: list[OpdNote] = field(default_factory=list)
    has_rpjmd: bool = False
    timezone: str = "Asia/Jakarta"

    @property
    def basename(self) -> str:
        return f"{BASENAME}-{self.period.slug}"

    @property
    def provisional(self) -> bool:
        return self.period.quarter in (1, 2, 3)

    @property
    def nodes(self) -> list[Node]:
        return [n for root in [*self.roots, *self.unlinked] for n in root.walk()]


# -- the builder (pure) ----------------------------------------------------------------


def tree_title(period: Period) -> str:
    return f"Pohon Kinerja {period.title_id}"


def _iku_figures(report: IndicatorReport, provisional: bool) -> dict[str, Any]:
    """Capaian, basis and predicate of an OPD IKU as its report stands by them."""
    a = report.achievement
    year = a.year
    if provisional and a.target_quarter is not None:
        return dict(
            capaian=a.achievement_quarter_pct,
            basis=f"thd Rencana Aksi s.d. {QUARTER_NAMES.get(a.period.quarter or 0, '')}",
            predicate=a.predicate_quarter,
            why=a.why_no_quarter_pct(),
        )
    if provisional:
        return dict(
            capaian=a.achievement_pct,
            basis=f"thd target {year} ({PROVISIONAL})",
            predicate=None,
            why=a.why_no_pct() or NO_PLAN,
            provisional=True,
        )
    return dict(
        capaian=a.achievement_pct, basis=f"thd target {year}", predicate=a.predicate, why=a.why_no_pct()
    )


def _money_figures(
    entry: Program | Kegiatan,
    lines: Mapping[str, BudgetLine] | None,
    period: Period,
    bands: Sequence[PredicateBand],
) -> dict[str, Any]:
    """A program's or kegiatan's Rp half: pagu, realisasi, absorption, and the
    capaian the colour is read from (see the module's docstring)."""
    line = lines.get(entry.code) if lines is not None else None
    if line is None:
        note = NO_BUDGET if not lines else "tidak ada pada data anggaran"
        return dict(unit="Rp", budget_note=note, why=note, basis="", predicate=None)
    absorption = absorption_pct(line.pagu, line.realisation)
    figures = dict(
        unit="Rp",
        target=line.pagu,
        realisation=line.realisation,
        pagu=line.pagu,
        budget_realisation=line.realisation,
        absorption=absorption,
        budget_note=None if absorption is not None else NO_PAGU,
    )
    if period.quarter in (1, 2, 3):
        plan = planned_pct(entry.anggaran_kas, period.year, period.quarter, line.pagu)
        pct = round(absorption / plan * 100, 2) if absorption is not None and plan else None
        figures.update(
            capaian=pct,
            basis=f"thd anggaran kas s.d. {QUARTER_NAMES[period.quarter]}",
            predicate=predicate(pct, bands),
            why=None if pct is not None else (NO_CASH_PLAN if not plan else NO_PAGU),
        )
    else:
        figures.update(
            capaian=absorption,
            basis="realisasi ÷ pagu",
            predicate=predicate(absorption, bands),
            why=None if absorption is not None else NO_PAGU,
        )
    return figures


def _budget_figures(budget: Mapping[str, float | None] | None, has_lines: bool) -> dict[str, Any]:
    if budget is None:
        return dict(budget_note=NO_BUDGET if not has_lines else "program belum ada pada data anggaran")
    return dict(
        pagu=budget["pagu"],
        budget_realisation=budget["realisation"],
        absorption=budget["absorption_pct"],
        budget_note=None if budget["absorption_pct"] is not None else NO_PAGU,
    )


def _opd_iku(data: ReportData, lines: Mapping[str, BudgetLine] | None) -> dict[str, Node]:
    """Every IKU of one OPD with its programs and their kegiatan below it."""
    cat = data.catalogue
    programs = cat.budget_programs
    opd = cat.opd
    out: dict[str, Node] = {}
    for row in data.rows:
        code = row.indicator.code
        mine = [p for p in programs if code in p.indicators]
        children = tuple(
            Node(
                kind="program",
                code=p.code,
                name=p.name,
                owner=opd.code,
                owner_name=opd.name,
                also=tuple(i for i in p.indicators if i != code),
                children=tuple(
                    Node(
                        kind="kegiatan",
                        code=k.code,
                        name=k.name,
                        owner=opd.code,
                        owner_name=opd.name,
                        **_money_figures(k, lines, data.period, data.bands),
                    )
                    for k in p.kegiatan_for(code)
                ),
                **_money_figures(p, lines, data.period, data.bands),
            )
            for p in mine
        )
        budget = indicator_budget(programs, lines, code) if lines else None
        out[code] = Node(
            kind="iku",
            code=code,
            name=row.indicator.name,
            target=row.achievement.target,
            realisation=row.achievement.realisation,
            unit=row.indicator.unit,
            owner=opd.code,
            owner_name=opd.name,
            children=children,
            **_iku_figures(row, data.provisional),
            **(
                _budget_figures(budget, bool(lines))
                if mine
                else dict(budget_note=NO_PROGRAM if not programs else "tidak ada program yang mendukung")
            ),
        )
    return out


def build_tree(
    reports: Sequence[ReportData],
    budgets: Mapping[str, Mapping[str, BudgetLine]] | None = None,
    rpjmd: Rpjmd | None = None,
    *,
    rpjmd_from: Sequence[ReportData] | None = None,
    budget_months: Mapping[str, int] | None = None,
    heading: str | None = None,
    region: str | None = None,
    generated_at: datetime | None = None,
) -> Tree:
    """The tree of `reports` (one OPD's report data, or several OPD's of one period).

    `budgets`: per OPD code, its budget figures per configured code through the
    period's end (iku.warehouse.budget.current_budget(...).lines; `tree_budgets`
    loads them); an OPD missing there has no absorption. `budget_months`: the
    month those figures run through, per OPD (said on the page).
    `rpjmd`: the kabupaten's own IKU; each one fed by an IKU of `reports` becomes
    a root with those IKU below it, computed from `rpjmd_from` (default:
    `reports`; give every OPD's report data when `reports` is one OPD, or the
    kabupaten IKU fed by other OPD too lack their figures)."""
    if not reports:
        raise ValueError("pohon kinerja membutuhkan sedikitnya satu OPD")
    first = reports[0]
    period, bands = first.period, first.bands
    budgets = budgets or {}
    iku: dict[tuple[str, str], Node] = {}
    for data in reports:
        opd = data.catalogue.opd.code
        for code, node in _opd_iku(data, budgets.get(opd)).items():
            iku[(opd, code)] = node

    roots: list[Node] = []
    fed: set[tuple[str, str]] = set()
    indicators = rpjmd.indicators if rpjmd is not None else []
    if indicators:
        for row in rpjmd_rows(Rpjmd(indicators=indicators), list(rpjmd_from or reports)):
            keys = [(f.feed.opd, f.feed.indicator) for f in row.feeds]
            below = tuple(iku[k] for k in keys if k in iku)
            if not below:
                continue  # fed by none of these OPD: another OPD's tree shows it
            fed.update(keys)
            roots.append(_rpjmd_node(row, below, period, budgets, first.provisional))
    unlinked = [n for k, n in iku.items() if k not in fed]
    if not indicators:
        roots, unlinked = unlinked, []

    multi = len(reports) > 1
    opd0 = first.catalogue.opd
    return Tree(
        period=period,
        title=tree_title(period),
        heading=heading or opd0.name,
        region=region if region is not None else ("" if multi else opd0.region),
        generated_at=generated_at or first.generated_at,
        bands=list(bands),
        roots=roots,
        unlinked=unlinked,
        opds=[
            OpdNote(
                d.catalogue.opd.code,
                d.catalogue.opd.name,
                (budget_months or {}).get(d.catalogue.opd.code, period.end_month)
                if budgets.get(d.catalogue.opd.code)
                else None,
                bool(d.catalogue.budget_programs),
            )
            for d in reports
        ],
        has_rpjmd=bool(roots) and bool(indicators),
        timezone=first.timezone,
    )


def _rpjmd_node(
    row: RpjmdRow,
    below: tuple[Node, ...],
    period: Period,
    budgets: Mapping[str, Mapping[str, BudgetLine]],
    provisional: bool,
) -> Node:
    res = row.result
    ind = row.indicator
    figures: dict[str, Any]
    if provisional and res.target_quarter is not None:
        figures = dict(
            capaian=res.achievement_quarter_pct,
            basis=f"thd Rencana Aksi s.d. {QUARTER_NAMES.get(period.quarter or 0, '')}",
            predicate=res.predicate_quarter,
            why=None if res.achievement_quarter_pct is not None else res.why,
        )
    elif provisional:
        figures = dict(
            capaian=res.achievement_pct,
            basis=f"thd target {period.year} ({PROVISIONAL})",
            predicate=None,
            why=res.why or NO_PLAN,
            provisional=True,
        )
    else:
        figures = dict(
            capaian=res.achievement_pct, basis=f"thd target {period.year}", predicate=res.verdict, why=res.why
        )
    # the budget below a kabupaten IKU: every program under its OPD IKU, each counted once
    money: dict[str, Any]
    seen: dict[tuple[str, str], BudgetLine] = {}
    any_lines = False
    for node in below:
        lines = budgets.get(node.owner)
        any_lines = any_lines or bool(lines)
        for p in node.children:
            if lines and p.code in lines:
                seen[(node.owner, p.code)] = lines[p.code]
    if seen:
        pagu = sum(x.pagu for x in seen.values())
        real = sum(x.realisation for x in seen.values())
        money = _budget_figures(
            {"pagu": pagu, "realisation": real, "absorption_pct": absorption_pct(pagu, real)}, True
        )
    else:
        money = dict(budget_note=NO_BUDGET if not any_lines else "program belum ada pada data anggaran")
    return Node(
        kind="rpjmd",
        code=ind.code,
        name=ind.name,
        target=res.target,
        realisation=res.realisation,
        unit=ind.unit,
        children=below,
        **figures,
        **money,
    )


def tree_budgets(wh: Warehouse, reports: Sequence[ReportData]) -> tuple[dict, dict[str, int]]:
    """The budget figures of each OPD of `reports` through its period's end, from
    the warehouse: (budgets, budget_months) as build_tree takes them."""
    from iku.warehouse.budget import current_budget

    budgets: dict[str, dict[str, BudgetLine]] = {}
    months: dict[str, int] = {}
    for data in reports:
        opd = data.catalogue.opd.code
        month: BudgetMonth | None = current_budget(wh, opd, data.period.year, data.period.end_month)
        if month is not None:
            budgets[opd], months[opd] = month.lines, month.month
    return budgets, months


# -- the layout (pure) ------------------------------------------------------------------

# SVG user units; the drawing is scaled to the page width (A4 landscape: 273 mm
# for VIEW_W units, so 1 unit ≈ 0.25 mm and the smallest type, 10.5 units, ≈ 7.4 pt).
VIEW_W = 1100
GAP_X = 30
GAP_Y = 10
PAD = 6
HEAD_H = 17
NAME_SIZE, NAME_LINE = 11.5, 14
FIG_SIZE, FIG_LINE = 10.5, 13
MAX_NAME_LINES = 4
COLUMN_HEAD_H = 20
COLUMN_KINDS: tuple[Kind, ...] = ("rpjmd", "iku", "program", "kegiatan")
# the height one drawing may take: an A4 landscape page (186 mm of content,
# 750 units) less its caption; the first page also holds the title and legend
PAGE_H = 700
FIRST_PAGE_H = 520
MIN_FILL = 150  # less room than this left on a page: the next piece starts a new one


def _char_em(ch: str) -> float:
    """A generous estimate of a character's advance in DejaVu Sans (the widest of
    the fonts the page names), in em: names are wrapped before they overflow
    their box in any of them."""
    if ch in " il.,:;'|!ftrjI()[]/-·":
        return 0.36
    if ch in "mwMW%@":
        return 0.98
    if ch.isupper() or ch.isdigit():
        return 0.72 if ch.isupper() else 0.64
    return 0.62


def text_width(text: str, size: float, bold: bool = False) -> float:
    return sum(_char_em(c) for c in text) * size * (1.12 if bold else 1.0)


def wrap(text: str, width: float, size: float, max_lines: int | None = None, bold: bool = False) -> list[str]:
    """`text` in lines no wider than `width` (a word too long for a line is cut);
    beyond `max_lines` the last line ends with "…"."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while text_width(word, size, bold) > width:  # a code or a link without spaces
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold) > width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}".strip()
        if text_width(candidate, size, bold) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + " …", size, bold) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + " …"]
    return lines or [""]


def rupiah(value: float | None) -> str:
    """Rp1.250.000.000 (whole rupiah, Indonesian grouping); – for none."""
    return fmt.DASH if value is None else f"Rp{fmt.num(value, 0)}"


def rupiah_short(value: float | None) -> str:
    """Rp1,25 miliar, Rp250 juta: a rupiah figure that fits a box."""
    if value is None:
        return fmt.DASH
    from babel.numbers import format_compact_decimal

    return "Rp" + format_compact_decimal(value, format_type="long", locale=fmt.LOCALE, fraction_digits=2)


def figure_lines(node: Node) -> list[str]:
    """The figures of a node, as the box and the list say them (Indonesian numbers)."""
    capaian = (
        f"Capaian {fmt.pct(node.capaian)} {node.basis}".rstrip()
        if node.capaian is not None
        else f"Capaian – ({node.why})"
        if node.why
        else "Capaian –"
    )
    if node.kind in ("rpjmd", "iku"):
        unit = f" {node.unit}" if node.unit and node.unit != "%" else ("%" if node.unit == "%" else "")
        out = [
            f"Target {fmt.num(node.target)}{unit if node.target is not None else ''} · "
            f"Realisasi {fmt.num(node.realisation)}",
            capaian,
        ]
        if node.absorption is not None:
            out.append(
                f"Serapan anggaran {fmt.pct(node.absorption)} ({rupiah_short(node.budget_realisation)} dari {rupiah_short(node.pagu)})"
            )
        else:
            out.append(f"Serapan anggaran – ({node.budget_note or NO_BUDGET})")
        return out
    if node.pagu is None:
        return [f"Pagu – · Serapan – ({node.budget_note or NO_BUDGET})"]
    out = [
        f"Pagu {rupiah_short(node.pagu)} · Realisasi {rupiah_short(node.budget_realisation)}",
        f"Serapan {fmt.pct(node.absorption)}",
    ]
    if node.basis and node.basis != "realisasi ÷ pagu":
        out.append(capaian)
    return out


@dataclass(frozen=True)
class Box:
    """A node placed: its rectangle, header, wrapped lines and colours."""

    node: Node
    x: float
    y: float
    w: float
    h: float
    head: str
    label: str
    name: tuple[str, ...]
    figures: tuple[str, ...]
    fill: str
    ink: str  # the header's text colour, readable on `fill`
    continued: bool


@dataclass(frozen=True)
class Edge:
    path: str


@dataclass(frozen=True)
class Drawing:
    """One SVG: a page-sized piece of the tree, its column headings on top."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    caption: str
    columns: tuple[tuple[float, str], ...]  # (x, heading) of each level drawn


@dataclass(frozen=True)
class _Piece:
    node: Node
    children: tuple[_Piece, ...]
    continued: bool  # drawn before, on an earlier piece


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ink_for(fill: str) -> str:
    """White or the body's dark ink, whichever contrasts more with `fill`."""
    lum = _luminance(fill)
    dark = _luminance("#1b2631")
    return "#ffffff" if (1.05 / (lum + 0.05)) > ((lum + 0.05) / (dark + 0.05)) else "#1b2631"


class _Layout:
    def __init__(self, tree: Tree, columns: int):
        self.tree = tree
        self.columns = columns
        self.col_w = (VIEW_W - (columns - 1) * GAP_X) / columns
        self._heights: dict[int, float] = {}

    def head(self, node: Node) -> str:
        if node.kind == "iku" and len(self.tree.opds) > 1:
            return f"{node.code} · {node.owner}"
        return node.code

    def label(self, node: Node) -> str:
        return node.label

    def content(self, node: Node) -> tuple[list[str], list[str]]:
        inner = self.col_w - 2 * PAD
        name = wrap(node.name, inner, NAME_SIZE, MAX_NAME_LINES, bold=True)
        figures = [line for text in figure_lines(node) for line in wrap(text, inner, FIG_SIZE)]
        return name, figures

    def box_h(self, node: Node) -> float:
        key = id(node)
        if key not in self._heights:
            name, figures = self.content(node)
            self._heights[key] = HEAD_H + PAD + len(name) * NAME_LINE + 4 + len(figures) * FIG_LINE + PAD
        return self._heights[key]

    def height(self, piece: _Piece) -> float:
        below = sum(self.height(c) for c in piece.children) + GAP_Y * max(0, len(piece.children) - 1)
        return max(self.box_h(piece.node), below)

    def split(self, piece: _Piece, limit: float, first: float | None = None) -> list[_Piece]:
        """`piece` in pieces no taller than `limit` (where its children allow);
        with `first`, the first piece no taller than that (the room left on a page)."""
        if self.height(piece) <= (limit if first is None else first) or not piece.children:
            return [piece]
        groups = self.pack(list(piece.children), limit, first, GAP_Y)
        return [_Piece(piece.node, tuple(g), piece.continued or i > 0) for i, g in enumerate(groups)]

    def pack(
        self, queue: list[_Piece], limit: float, first: float | None, gap_y: float
    ) -> list[list[_Piece]]:
        """Pieces packed in order into groups no taller than `limit` (the first no
        taller than `first`); one that does not fit the room left in a group is
        split there, its first children here and the rest after, "lanjutan"."""
        groups: list[list[_Piece]] = [[]]
        used = 0.0
        while queue:
            part = queue.pop(0)
            total = first if first is not None and len(groups) == 1 else limit
            gap = gap_y if groups[-1] else 0
            room = total - used - gap
            h = self.height(part)
            if h <= room:
                groups[-1].append(part)
                used += gap + h
                continue
            if part.children and (room >= MIN_FILL or not groups[-1]):
                pieces = self.split(part, limit, first=room)
                if self.height(pieces[0]) <= room or not groups[-1]:
                    groups[-1].append(pieces[0])
                    used += gap + self.height(pieces[0])
                    queue[:0] = pieces[1:]
                    continue
            if groups[-1] or (first is not None and len(groups) == 1):
                groups.append([])
                used = 0.0
                queue.insert(0, part)
                continue
            groups[-1].append(part)  # taller than a page and nothing to split it at
            used += h
        return [g for g in groups if g]

    def place(self, piece: _Piece, depth: int, top: float, boxes: list[Box], edges: list[Edge]) -> float:
        """Place `piece` with its top at `top`; its height."""
        h = self.height(piece)
        own = self.box_h(piece.node)
        x = depth * (self.col_w + GAP_X)
        below = sum(self.height(c) for c in piece.children) + GAP_Y * max(0, len(piece.children) - 1)
        y_children = top + (h - below) / 2
        y = top + (h - own) / 2
        node = piece.node
        fill = predicate_colour(node.predicate, self.tree.bands)
        name, figures = self.content(node)
        boxes.append(
            Box(
                node,
                x,
                y,
                self.col_w,
                own,
                self.head(node),
                self.label(node),
                tuple(name),
                tuple(figures),
                fill,
                ink_for(fill),
                piece.continued,
            )
        )
        mid = y + own / 2
        cy = y_children
        for child in piece.children:
            ch = self.height(child)
            child_own = self.box_h(child.node)
            child_mid = cy + (ch - child_own) / 2 + child_own / 2
            x0, x1 = x + self.col_w, x + self.col_w + GAP_X
            xm = x0 + GAP_X / 2
            edges.append(Edge(f"M{x0:.1f} {mid:.1f}H{xm:.1f}V{child_mid:.1f}H{x1:.1f}"))
            self.place(child, depth + 1, cy, boxes, edges)
            cy += ch + GAP_Y
        return h


def _piece(node: Node) -> _Piece:
    return _Piece(node, tuple(_piece(c) for c in node.children), False)


def layout(tree: Tree) -> list[Drawing]:
    """The tree as page-sized drawings, roots first, then the unlinked IKU."""
    forests = [(tree.roots, ""), (tree.unlinked, "IKU perangkat daerah yang tidak mengalir ke IKU RPJMD")]
    every = [n for nodes, _ in forests for n in nodes]
    if not every:
        return []
    columns = 4 if tree.has_rpjmd else 3  # the same columns with or without programs
    lay = _Layout(tree, columns)
    drawings: list[Drawing] = []
    for nodes, caption in forests:
        depth0 = 1 if (tree.has_rpjmd and nodes is tree.unlinked) else 0
        pages = lay.pack(
            [_piece(n) for n in nodes], PAGE_H, FIRST_PAGE_H if not drawings else None, GAP_Y * 2
        )
        headings = tuple(
            (i * (lay.col_w + GAP_X), KIND_LABELS[kind])
            for i, kind in enumerate(COLUMN_KINDS[-columns:])
            if i >= depth0
        )
        for i, page in enumerate(p for p in pages if p):
            boxes: list[Box] = []
            edges: list[Edge] = []
            top = float(COLUMN_HEAD_H)
            for part in page:
                top += lay.place(part, depth0, top, boxes, edges) + GAP_Y * 2
            label = caption + (" (lanjutan)" if caption and i else "")
            drawings.append(
                Drawing(VIEW_W, math.ceil(top - GAP_Y * 2) + 2, tuple(boxes), tuple(edges), label, headings)
            )
    return drawings


# -- rendering and writing -------------------------------------------------------------


def legend(tree: Tree) -> list[tuple[str, str, str]]:
    """(label, fill, ink) of each predicate band and of "no predicate"."""
    out = [(b.label, predicate_colour(b.label, tree.bands), "") for b in tree.bands]
    out.append(("Tanpa predikat", predicate_colour(None, tree.bands), ""))
    return [(label, fill, ink_for(fill)) for label, fill, _ in out]


def render_tree_html(tree: Tree) -> str:
    """The page as one self-contained HTML string (no I/O)."""
    from .html import environment

    env = environment()
    html = env.get_template("pohon-kinerja.html.j2").render(
        tree=tree,
        drawings=layout(tree),
        legend=legend(tree),
        figures=figure_lines,
        rupiah=rupiah,
        colour=lambda label: predicate_colour(label, tree.bands),
        ink=ink_for,
        month_name=month_name,
        end_month=month_name(tree.period.end_month),
        generated=tree.generated_at.astimezone(ZoneInfo(tree.timezone)),
    )
    return with_content_hash(html)


def write_tree(
    tree: Tree,
    out_dir: Where,
    *,
    pdf: bool = True,
    printer: PdfPrinter | None = None,
    warehouse: Warehouse | None = None,
    opd: str = "",
) -> list[Where]:
    """Write pohon-kinerja-Y[-Qn].html into `out_dir` (the year folder beside the
    reports) and, with `pdf`, its PDF beside it (by `printer`, else the run's
    pdf_printer(); skipped, with one logged line, without Chromium or when the
    print fails). With `warehouse`, the files go on the record out/index.html
    is built from, under OPD `opd` ("" for a kabupaten-wide tree), and a PDF
    printed from the same content before is kept (no Chromium started)."""
    text = render_tree_html(tree)
    html = storage.write(out_dir / f"{tree.basename}.html", text)
    from .pdf import chromium

    # as the reports: without Chromium the PDF is said skipped, kept or not
    kept = pdf and chromium() is not None and printed_already(html, warehouse) is not None
    printed = None if kept or not pdf else _printed(html, printer)
    if warehouse is not None:
        from dataclasses import replace

        from iku.warehouse.reports import record_reports

        # a PDF printed goes on the record with the content it was printed from
        digest = hash_in(text.encode())
        pdfs = [replace(w, content_hash=digest) for w in tree_written([printed] if printed else [], opd)]
        record_reports(warehouse, [*tree_written([html], opd), *pdfs])
    if kept:
        log.info("PDF tidak berubah, tetap dipakai: %s", html.with_suffix(".pdf"))
        return [html, html.with_suffix(".pdf")]
    return [html] if printed is None else [html, printed]


def _printed(html: Where, printer: PdfPrinter | None) -> Where | None:
    """The PDF of `html` by `printer`, else the run's pdf_printer(); None (logged)
    without Chromium or when the print fails."""
    from .pdf import PdfFailed, pdf_printer

    try:
        if printer is not None:
            return _print(html, printer)
        with pdf_printer() as own:
            return _print(html, own)
    except (PdfFailed, OSError) as exc:
        log.warning("PDF tidak ditulis: %s", exc)
        return None


def _print(html: Where, printer: PdfPrinter) -> Where | None:
    if printer.exe is None:
        from .pdf import skipped

        skipped(html.name)
        return None
    if isinstance(html, Path):
        return printer.print(html)
    with storage.local_copy(html) as local:  # a remote store: printed from a local copy
        printed = printer.print(local)
        return storage.write(html.with_suffix(".pdf"), printed.read_bytes()) if printed else None


def tree_written(paths: Sequence[Where], opd: str = "") -> list[WrittenReport]:
    """The index records of tree files just written (kind "pohon-kinerja"; the
    index lists them beside the reports of the same period)."""
    from iku.warehouse.reports import WrittenReport

    out = []
    for p in paths:
        stem, _, form = p.name.rpartition(".")
        if not stem.startswith(BASENAME + "-"):
            continue
        out.append(
            WrittenReport(
                opd=opd,
                period=stem[len(BASENAME) + 1 :],
                kind=BASENAME,
                format=form,
                location=storage.as_text(p),
            )
        )
    return out


__all__ = [
    "Drawing",
    "Node",
    "Tree",
    "build_tree",
    "layout",
    "render_tree_html",
    "tree_budgets",
    "tree_written",
    "write_tree",
]
