"""The data a report shows, built once and handed to every renderer (HTML,
Excel, JSON), so rendering can be timed apart from the warehouse.

`build_report_data` is pure (config + values + submission matrix in);
`load_report_data` fetches those from the warehouse first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from iku.config import Catalogue, Config, Indicator, PredicateBand
from iku.domain import budget as money
from iku.domain.achievement import (
    Achievement,
    Average,
    compute,
    headline_average,
    projected_average,
    year_headline,
)
from iku.domain.history import HistoryValue
from iku.domain.model import MonthlyValue
from iku.domain.periods import Period, quarter_months
from iku.domain.pk import PkTarget, pk_targets
from iku.domain.renstra import (
    RenstraProgress,
    YearFigure,
    from_achievement,
    renstra_progress,
    year_figure,
)
from iku.domain.status import MonthSubmission

from .budget_view import (
    NO_BUDGET_DATA,
    NO_PROGRAMS,
    Approval,
    BudgetContext,
    SakipView,
    target_day,
)

NO_ACHIEVEMENT = "Tanpa capaian"
NO_VERDICT = "Tanpa predikat (capaian sementara)"


@dataclass(frozen=True)
class Note:
    month: int
    bidang: str
    text: str
    file_name: str


@dataclass(frozen=True)
class IndicatorReport:
    indicator: Indicator
    bidang_name: str
    achievement: Achievement
    notes: tuple[Note, ...] = ()
    # Tabel E.81: column 7 (through last year) and columns 14-15 (through this period)
    renstra_before: RenstraProgress | None = None
    renstra: RenstraProgress | None = None
    # the bidang's faktor pendorong / penghambat / tindak lanjut of the period's months
    supporting: tuple[Note, ...] = ()
    inhibiting: tuple[Note, ...] = ()
    follow_up: tuple[Note, ...] = ()
    # CONTRACT §12: the target measured against (PK or Renstra), None in bare builds
    target_choice: PkTarget | None = None
    # CONTRACT §11: the budget of the programs listing the indicator, through the
    # period's end; None without budget data (`budget_note` says why)
    budget: dict[str, float | None] | None = None
    budget_note: str | None = None
    programs: tuple[dict, ...] = ()  # program_figures of each program listing it
    efficiency_index: float | None = None

    @property
    def efficiency_label(self) -> str | None:
        return money.efficiency_label(self.efficiency_index)

    @property
    def target_source(self) -> str:
        return self.target_choice.target_source if self.target_choice else "renstra"

    @property
    def target_renstra(self) -> float | None:
        if self.target_choice:
            return self.target_choice.target_renstra
        return self.indicator.target(self.achievement.year)

    def why_no_efficiency(self) -> str | None:
        """Why there is no efficiency index (None when there is one)."""
        if self.efficiency_index is not None:
            return None
        if self.budget is None:
            return self.budget_note or NO_BUDGET_DATA
        if self.achievement.achievement_pct is None:
            return f"capaian kinerja belum ada ({self.achievement.why_no_pct() or 'tanpa capaian'})"
        return "penyerapan anggaran 0 %" if not self.budget.get("absorption_pct") else None

    @property
    def verdict(self) -> str | None:
        """The predicate the report stands by: against the Rencana Aksi in TW I-III
        (none without one: the annual capaian is then only provisional), against
        the year's target at the year's end."""
        a = self.achievement
        return a.predicate_quarter if a.provisional else a.predicate


@dataclass(frozen=True)
class SasaranGroup:
    sasaran: str
    tujuan: str
    rows: tuple[IndicatorReport, ...]


@dataclass(frozen=True)
class SourceFile:
    file_name: str
    sha256: str
    bidang: str
    year: int
    month: int
    revision: int
    received_at: datetime


@dataclass
class ReportData:
    catalogue: Catalogue
    period: Period
    as_of: datetime
    generated_at: datetime
    groups: list[SasaranGroup]
    submissions: list[MonthSubmission]
    values: list[MonthlyValue]  # current figures of the year through the period's end
    sources: list[SourceFile]
    bands: list[PredicateBand]
    at_risk_below_pct: float
    timezone: str = "Asia/Jakarta"
    extra: dict = field(default_factory=dict)
    budget: BudgetContext = field(default_factory=BudgetContext)
    sakip: SakipView = field(default_factory=SakipView)
    target_day: date | None = None  # the day whose Perjanjian Kinerja gave the targets
    e81_paper: str = "f4"  # pipeline.yaml reports.e81_paper

    @property
    def approvals(self) -> tuple[Approval, ...]:
        return self.sakip.approvals

    @property
    def has_pk(self) -> bool:
        return any(r.target_source == "pk" for r in self.rows)

    def programs_json(self) -> list[dict]:
        """CONTRACT §11 top-level `programs` (empty without programs)."""
        return money.programs_json(self.budget.programs, self.budget.lines)

    def opd_budget(self) -> dict[str, float | None] | None:
        return money.opd_total(self.budget.programs, self.budget.lines)

    @property
    def rows(self) -> list[IndicatorReport]:
        return [r for g in self.groups for r in g.rows]

    @property
    def basename(self) -> str:
        return f"iku-{self.period.slug}"

    @property
    def is_quarterly(self) -> bool:
        return self.period.quarter is not None

    @property
    def provisional(self) -> bool:
        """TW I-III: the year-to-date capaian against the annual target is not final."""
        return self.period.quarter in (1, 2, 3)

    @property
    def has_plan(self) -> bool:
        """Some indicator has a Rencana Aksi target for this quarter."""
        return any(r.achievement.target_quarter is not None for r in self.rows)

    def summary(self) -> list[tuple[str, int]]:
        """How many indicators fall in each predicate band (the verdict: Rencana
        Aksi mid-year, the year's target at its end), plus those without one."""
        empty = NO_VERDICT if self.provisional else NO_ACHIEVEMENT
        counts = Counter(r.verdict or empty for r in self.rows)
        out = [(b.label, counts.get(b.label, 0)) for b in self.bands]
        out.append((empty, counts.get(empty, 0)))
        return out

    def coded(self) -> list[tuple[str, Achievement]]:
        return [(r.indicator.code, r.achievement) for r in self.rows]

    def headline_average(self) -> tuple[str, Average]:
        """The average the report leads with (see iku.domain.achievement.headline_average)."""
        return headline_average(self.coded(), self.bands, self.period)

    def averages(self) -> list[tuple[str, Average]]:
        """The averages the report states, the headline first, each saying what it runs over."""
        rows, bands = self.coded(), self.bands
        out = [headline_average(rows, bands, self.period)]
        if self.is_quarterly and self.has_plan:  # the headline is the Rencana Aksi's: the year's beside it
            out.append(year_headline(rows, bands, self.period))
        if self.provisional:
            out.append(("Rata-rata proyeksi capaian akhir tahun", projected_average(rows, bands)))
        return out

    def at_risk(self) -> list[IndicatorReport]:
        return [r for r in self.rows if r.achievement.at_risk]


def _period_months(period: Period) -> list[int]:
    return quarter_months(period.quarter) if period.quarter else list(range(1, 13))


def build_report_data(
    config: Config,
    values: list[MonthlyValue],
    submissions: list[MonthSubmission],
    period: Period,
    as_of: datetime,
    generated_at: datetime | None = None,
    history: list[HistoryValue] | None = None,
    budget: BudgetContext | None = None,
    sakip: SakipView | None = None,
) -> ReportData:
    """`values`: current monthly figures (earlier Renstra years too, for Tabel
    E.81's Renstra columns); `history`: imported figures of years before the
    pipeline, used where no monthly sheet holds that year; `budget`: the
    budget figures (CONTRACT §11); `sakip`: verification and approvals (§12).
    Each indicator is measured against the Perjanjian Kinerja's target in
    force on `target_day(period, as_of)` (the period's last day, or the
    report's day when earlier), else the Renstra's."""
    cat, pipe = config.catalogue, config.pipeline
    tz = ZoneInfo(pipe.timezone)
    budget = budget or BudgetContext()
    day = target_day(period, as_of, pipe.timezone)
    year = period.year
    targets = pk_targets(cat, year, day)
    end = period.end_month
    in_scope = sorted(
        (v for v in values if v.year == year and v.month <= end),
        key=lambda v: (v.indicator, v.month, v.revision),
    )
    renstra = cat.opd.renstra_period
    earlier_values: dict[str, list[MonthlyValue]] = {}
    for v in values:
        if renstra[0] <= v.year < year:
            earlier_values.setdefault(v.indicator, []).append(v)
    imported = {(h.indicator, h.year): h for h in history or []}

    groups: dict[str, list[IndicatorReport]] = {}
    tujuan: dict[str, str] = {}
    for ind in cat.indicators:
        mine = [v for v in in_scope if v.indicator == ind.code]
        earlier = [
            year_figure(
                compute(ind, earlier_values.get(ind.code, []), Period(y), pipe.predicates),
                imported.get((ind.code, y)),
                ind.polarity,
                pipe.predicates,
            )
            for y in range(renstra[0], year)
        ]
        row = _indicator_report(
            config, ind, mine, earlier, period, targets[ind.code], earlier_values.get(ind.code, [])
        )
        groups.setdefault(ind.sasaran, []).append(_with_budget(row, budget))
        tujuan.setdefault(ind.sasaran, ind.tujuan)

    return ReportData(
        catalogue=cat,
        period=period,
        as_of=as_of,
        generated_at=generated_at or datetime.now(tz),
        groups=[SasaranGroup(s, tujuan[s], tuple(rows)) for s, rows in groups.items()],
        submissions=list(submissions),
        values=in_scope,
        sources=_sources(in_scope, tz),
        bands=list(pipe.predicates),
        at_risk_below_pct=pipe.at_risk_below_pct,
        timezone=pipe.timezone,
        budget=budget,
        sakip=sakip or SakipView(),
        target_day=day,
        e81_paper=pipe.reports.e81_paper,
    )


def _with_budget(row: IndicatorReport, budget: BudgetContext) -> IndicatorReport:
    """The indicator's budget (the sum over the programs listing it), its
    programs' figures and its efficiency index, or why there are none."""
    code = row.indicator.code
    mine = money.programs_of(budget.programs, code)
    lines = budget.lines
    figures = money.indicator_budget(budget.programs, lines, code)
    note = None if figures else (NO_PROGRAMS if not mine else NO_BUDGET_DATA)
    absorption = figures["absorption_pct"] if figures else None
    return replace(
        row,
        budget=figures,
        budget_note=note,
        programs=tuple(money.program_figures(p, lines, code) for p in mine),
        efficiency_index=money.efficiency_index(row.achievement.achievement_pct, absorption),
    )


def _indicator_report(
    config: Config,
    ind: Indicator,
    mine: list[MonthlyValue],
    earlier: list[YearFigure],
    period: Period,
    choice: PkTarget | None = None,
    earlier_months: Sequence[MonthlyValue] = (),
) -> IndicatorReport:
    """One indicator's row: its achievement, the bidang's words of the period's
    months, and the Renstra progress through last year and through this period."""
    cat, pipe = config.catalogue, config.pipeline
    renstra = cat.opd.renstra_period
    # the earlier years' months: the pattern a projection follows without a Rencana Aksi
    if choice is None:
        ach = compute(ind, mine, period, pipe.predicates, pipe.at_risk_below_pct, earlier=earlier_months)
    else:
        ach = compute(
            ind,
            mine,
            period,
            pipe.predicates,
            pipe.at_risk_below_pct,
            target=choice.target,
            earlier=earlier_months,
        )
    note_months = set(_period_months(period))

    def texts(attr: str) -> tuple[Note, ...]:
        return tuple(
            Note(v.month, v.bidang, text.strip(), v.file_name)
            for v in mine
            if (text := getattr(v, attr)) and text.strip() and v.month in note_months
        )

    return IndicatorReport(
        indicator=ind,
        bidang_name=cat.bidang_by_code(ind.bidang).name,
        achievement=ach,
        notes=texts("note"),
        supporting=texts("supporting"),
        inhibiting=texts("inhibiting"),
        follow_up=texts("follow_up"),
        target_choice=choice,
        renstra_before=renstra_progress(ind.kind, ind.polarity, earlier, ind.targets, renstra)
        if earlier
        else None,
        renstra=renstra_progress(
            ind.kind, ind.polarity, [*earlier, from_achievement(ach)], ind.targets, renstra
        ),
    )


def _sources(in_scope: list[MonthlyValue], tz: ZoneInfo) -> list[SourceFile]:
    """Each source file once, by month, bidang and revision."""
    seen: dict[str, SourceFile] = {}
    for v in in_scope:
        seen.setdefault(
            v.sha256,
            SourceFile(
                v.file_name, v.sha256, v.bidang, v.year, v.month, v.revision, v.received_at.astimezone(tz)
            ),
        )
    return sorted(seen.values(), key=lambda s: (s.month, s.bidang, s.revision))


def load_report_data(res, period: Period, as_of: datetime) -> ReportData:
    """Fetch the inputs from the warehouse (iku.queries), then build."""
    from iku.queries import report_inputs  # keeps this module importable without a DB

    from .budget_view import load_budget, load_sakip

    inputs = report_inputs(res, period, as_of)
    cat = res.config.catalogue
    budget = load_budget(res.warehouse, res.opd, cat.budget_programs, period, cat.opd.renstra_period[0])
    return build_report_data(
        res.config,
        inputs.values,
        inputs.submissions,
        period,
        as_of,
        history=inputs.history,
        budget=budget,
        sakip=load_sakip(res, period),
    )


def clean_number(value: float | None) -> float | int | None:
    """150.0 -> 150 in JSON, as a person would write it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def report_json(data: ReportData) -> dict:
    """CONTRACT §7, key for key."""
    indicators = []
    for r in data.rows:
        ind, fig = r.indicator, r.achievement.as_json()
        indicators.append(
            {
                "code": ind.code,
                "name": ind.name,
                "unit": ind.unit,
                "bidang": ind.bidang,
                "target": clean_number(fig["target"]),
                "realisation": clean_number(fig["realisation"]),
                "realisation_quarter": clean_number(fig["realisation_quarter"])
                if data.is_quarterly
                else None,
                "achievement_pct": fig["achievement_pct"],
                "predicate": fig["predicate"],
                # CONTRACT §12: where the target comes from, the Renstra's beside it
                "target_source": r.target_source,
                "target_renstra": clean_number(r.target_renstra),
                "pk_revision": r.target_choice.revision_label if r.target_choice else None,
                # CONTRACT §11: null without budget data
                "budget": r.budget,
                "efficiency_index": r.efficiency_index,
                "efficiency_label": r.efficiency_label,
                # CONTRACT §12: the bukti dukung of each month through the period's end
                "evidence": [e.as_dict(data.timezone) for e in data.sakip.evidence.get(ind.code, ())],
                "evidence_missing": list(data.sakip.evidence_missing.get(ind.code, ())),
            }
        )
        if data.is_quarterly:
            a = r.achievement
            indicators[-1].update(
                target_quarter=clean_number(a.target_quarter),
                achievement_quarter_pct=a.achievement_quarter_pct,
                predicate_quarter=a.predicate_quarter,
                # additions: the year-to-date capaian is provisional in TW I-III
                provisional=a.provisional,
                projected_pct=a.projected_pct,
                projection_basis=a.projection_basis.value if a.projection_basis else None,
            )
    return {
        "year": data.period.year,
        "period": data.period.label,
        "indicators": indicators,
        "submissions": [_submission_json(data, s) for s in data.submissions],
        "programs": data.programs_json(),
        "budget_month": data.budget.month if data.budget.has_data else None,
        "target_date": data.target_day.isoformat() if data.target_day else None,
        "approvals": [a.as_dict(data.timezone) for a in data.approvals],
    }


def _submission_json(data: ReportData, s: MonthSubmission) -> dict:
    """§7's entry with §12's `verification` and `locked` (and the return note)."""
    state = data.sakip.months.get((s.bidang, s.month))
    locked = any(a.quarter == (s.month - 1) // 3 + 1 for a in data.approvals)
    extra = dict(state) if state else {"verification": None, "locked": locked}
    extra["locked"] = bool(extra.get("locked")) or locked
    return {**s.as_json(), **extra}


# Colours by band position (highest band first), so a relabelled scale keeps them.
PREDICATE_PALETTE = ["#1e8449", "#58d68d", "#f4d03f", "#eb984e", "#e74c3c"]
NO_PREDICATE_COLOUR = "#d5d8dc"


def predicate_colour(label: str | None, bands: list[PredicateBand]) -> str:
    for i, band in enumerate(bands):
        if band.label == label:
            return PREDICATE_PALETTE[min(i, len(PREDICATE_PALETTE) - 1)]
    return NO_PREDICATE_COLOUR
