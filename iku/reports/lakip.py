"""Year-end feed for the LKjIP (PermenPANRB 53/2014, Bab III), per indicator:
(a) target vs realisation of the year; (b) the year against every earlier year
of the Renstra, from the monthly sheets or from imported history, saying which;
(c) progress towards the Renstra end target by the rule of the indicator's kind
(iku.domain.renstra), stated in words and without a predicate; (d) the causes
of success or failure, from the bidang's faktor pendorong / penghambat /
tindak lanjut with their months (iku.domain.causes); (e) the year against a
national or provincial standard where one is configured; and the bidang's
keterangan of the year.

`build_lakip_data` is pure; `load_lakip_data` fetches from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from iku.config import Config, Indicator, PredicateBand
from iku.domain import budget as money
from iku.domain.achievement import Achievement, compute, round2
from iku.domain.causes import Cause, Causes, gather_causes
from iku.domain.history import HistoryValue
from iku.domain.model import MonthlyValue
from iku.domain.periods import Period
from iku.domain.pk import PkTarget, pk_target
from iku.domain.renstra import (
    RenstraProgress,
    StandardComparison,
    YearFigure,
    compare_with_standard,
    renstra_progress,
    year_figure,
)
from iku.formatting import num

from .budget_view import NO_BUDGET_DATA, NO_PROGRAMS, BudgetContext, SakipView, efficiency_sentence
from .model import Note, clean_number


@dataclass(frozen=True)
class LakipRow:
    indicator: Indicator
    bidang_name: str
    achievement: Achievement  # the report year from the monthly sheets (flags, missing months)
    years: tuple[YearFigure, ...]  # every Renstra year from the first through the report year
    progress: RenstraProgress
    standard: StandardComparison | None
    causes: Causes
    notes: tuple[Note, ...]
    target_choice: PkTarget | None = None  # the year's PK target as of 31 December (CONTRACT §12)

    @property
    def current(self) -> YearFigure:
        return self.years[-1]


@dataclass
class LakipData:
    config: Config
    year: int
    generated_at: datetime
    rows: list[LakipRow]
    history: list[HistoryValue]
    budget: BudgetContext = field(default_factory=BudgetContext)  # through December (or the last month)
    sakip: SakipView = field(default_factory=SakipView)  # the year's bukti dukung (CONTRACT §12)

    @property
    def renstra(self) -> tuple[int, int]:
        return self.config.catalogue.opd.renstra_period

    @property
    def bands(self) -> list[PredicateBand]:
        return list(self.config.pipeline.predicates)

    @property
    def years(self) -> list[int]:
        return list(range(self.renstra[0], self.year + 1))

    def achievements(self) -> dict[str, float | None]:
        return {r.indicator.code: r.current.achievement_pct for r in self.rows}

    def efficiency(self) -> list[dict[str, object]]:
        """CONTRACT §11 `efficiency`, each element with the LKjIP's sentence and,
        where there is no index, the reason."""
        b = self.budget
        out = []
        for e in money.efficiency(b.programs, b.lines, self.achievements()):
            code = str(e["indicator"])
            mapped = bool(money.programs_of(b.programs, code))
            why = None if e["absorption_pct"] is not None else (NO_BUDGET_DATA if mapped else NO_PROGRAMS)
            pct, absorption, index = e["achievement_pct"], e["absorption_pct"], e["efficiency_index"]
            out.append({**e, "analysis": efficiency_sentence(pct, absorption, index, why)})  # type: ignore[arg-type]
        return out

    def budget_realisation(self) -> dict[str, object]:
        return money.budget_realisation(self.budget.programs, self.budget.lines)

    def supporting_programs(self) -> list[dict[str, object]]:
        codes = [r.indicator.code for r in self.rows]
        return money.supporting_programs(self.budget.programs, self.budget.lines, codes)


def _shown(f: YearFigure) -> YearFigure:
    """The LKjIP says when the monthly sheets outranked an imported figure."""
    u = f.unused_import
    if u is None:
        return f
    return replace(f, source_note=f"angka impor {num(u.realisation)} ({u.source}) tidak dipakai")


def _row(
    config: Config, ind: Indicator, mine: list[MonthlyValue], imported: dict[int, HistoryValue], year: int
) -> LakipRow:
    """One indicator's analyses, from its own monthly values and imported years."""
    cat, pipe = config.catalogue, config.pipeline
    start, _ = cat.opd.renstra_period
    bands = list(pipe.predicates)
    # each year against its Perjanjian Kinerja as it stood at the year's end, else the Renstra's
    targets = {y: pk_target(cat, ind.code, y, date(y, 12, 31)) for y in range(start, year + 1)}
    achievements = {
        y: compute(ind, mine, Period(y), bands, target=targets[y].target) for y in range(start, year + 1)
    }
    years = tuple(
        _shown(year_figure(achievements[y], imported.get(y), ind.polarity, bands)) for y in achievements
    )
    std = ind.standard
    notes = tuple(
        Note(v.month, v.bidang, v.note.strip(), v.file_name)
        for v in sorted(mine, key=lambda v: v.month)
        if v.year == year and v.note and v.note.strip()
    )
    return LakipRow(
        indicator=ind,
        bidang_name=cat.bidang_by_code(ind.bidang).name,
        achievement=achievements[year],
        years=years,
        progress=renstra_progress(ind.kind, ind.polarity, years, ind.targets, cat.opd.renstra_period),
        standard=compare_with_standard(years[-1].realisation, std.value, std.source, ind.polarity)
        if std
        else None,
        causes=gather_causes(mine, ind.code, year),
        notes=notes,
        target_choice=targets[year],
    )


def check_year(config: Config, year: int) -> None:
    """A LKjIP is written for a Renstra year only (exit 2 on the command line)."""
    start, end = config.catalogue.opd.renstra_period
    if not start <= year <= end:
        raise ValueError(f"tahun {year} di luar periode Renstra {start}–{end}")


def build_lakip_data(
    config: Config,
    values: list[MonthlyValue],
    year: int,
    generated_at: datetime | None = None,
    history: list[HistoryValue] | None = None,
    budget: BudgetContext | None = None,
) -> LakipData:
    check_year(config, year)
    # every revision is listed; only the current ones count
    history = sorted(history or [], key=lambda h: (h.indicator, h.year, h.revision))
    by_code: dict[str, list[MonthlyValue]] = {}
    for v in values:  # grouped once: 200 indicators x every year's values adds up
        by_code.setdefault(v.indicator, []).append(v)
    imported: dict[str, dict[int, HistoryValue]] = {}
    for h in (h for h in history if h.is_current):
        imported.setdefault(h.indicator, {})[h.year] = h
    rows = [
        _row(config, ind, by_code.get(ind.code, []), imported.get(ind.code, {}), year)
        for ind in config.catalogue.indicators
    ]
    tz = ZoneInfo(config.pipeline.timezone)
    return LakipData(config, year, generated_at or datetime.now(tz), rows, history, budget or BudgetContext())


def load_lakip_data(res, year: int) -> LakipData:
    """Every year's current figures and the imported history: the LKjIP
    compares the year with the earlier ones."""
    from iku.warehouse.history import history_values

    from .budget_view import load_budget, load_sakip

    check_year(res.config, year)  # before touching the warehouse
    values = res.warehouse.current_values(res.opd, None)
    history = history_values(res.warehouse, res.opd, current_only=False)
    cat = res.config.catalogue
    budget = load_budget(res.warehouse, res.opd, cat.budget_programs, Period(year), cat.opd.renstra_period[0])
    data = build_lakip_data(res.config, values, year, history=history, budget=budget)
    data.sakip = load_sakip(res, Period(year))
    return data


def _ident(r: LakipRow) -> dict:
    ind = r.indicator
    return {"code": ind.code, "name": ind.name, "unit": ind.unit, "bidang": ind.bidang}


def _figure_json(f: YearFigure) -> dict:
    return {
        "year": f.year,
        "target": clean_number(f.target),
        "realisation": clean_number(round2(f.realisation)),
        "achievement_pct": f.achievement_pct,
        "predicate": f.predicate,
        "source": f.source,
        "source_note": f.source_note,
    }


def _progress_json(r: LakipRow, data: LakipData) -> dict:
    p = r.progress
    return {
        **_ident(r),
        "basis": p.basis,
        "rule": p.rule,
        "through_year": data.year,
        "value": clean_number(round2(p.value)),
        "value_year": p.value_year,
        "basis_target": clean_number(p.basis_target),
        "end_year": data.renstra[1],
        "end_target": clean_number(p.end_target),
        "progress_pct": p.progress_pct,
        "years_without_data": list(p.years_without_data),
        "note": p.note,
    }


def _standard_json(r: LakipRow) -> dict:
    s = r.standard
    if s is None:
        return {**_ident(r), "standard": None, "realisation": None, "meets": None, "gap": None}
    return {
        **_ident(r),
        "standard": {"value": clean_number(s.value), "source": s.source},
        "realisation": clean_number(round2(s.realisation)),
        "meets": s.meets,
        "gap": clean_number(s.gap),
    }


def _causes_json(causes: tuple[Cause, ...]) -> list[dict]:
    return [{"text": c.text, "months": list(c.months), "files": list(c.files)} for c in causes]


def causes_json(causes: Causes) -> dict:
    """faktor pendorong, penghambat and tindak lanjut, each with its months and files."""
    return {
        "supporting": _causes_json(causes.supporting),
        "inhibiting": _causes_json(causes.inhibiting),
        "follow_up": _causes_json(causes.follow_up),
    }


def lakip_json(data: LakipData) -> dict:
    opd = data.config.catalogue.opd
    tz = data.config.pipeline.timezone
    return {
        "year": data.year,
        "opd": {"code": opd.code, "name": opd.name, "region": opd.region},
        # CONTRACT §11: realisation through December, or the last month with a budget sheet
        "budget_month": data.budget.month if data.budget.has_data else None,
        "budget_realisation": data.budget_realisation(),
        "efficiency": data.efficiency(),
        "supporting_programs": data.supporting_programs(),
        "renstra_period": list(data.renstra),
        "target_vs_realisation": [
            {
                **_ident(r),
                **{k: v for k, v in _figure_json(r.current).items() if k != "year"},
                "months_missing": list(r.current.months_missing),
                "target_source": r.target_choice.target_source if r.target_choice else "renstra",
                "target_renstra": clean_number(r.indicator.target(data.year)),
            }
            for r in data.rows
        ],
        # CONTRACT §12: each indicator's bukti dukung of the year, with the portal's links
        "evidence": [
            {
                **_ident(r),
                "evidence": [e.as_dict(tz) for e in data.sakip.evidence.get(r.indicator.code, ())],
                "evidence_missing": list(data.sakip.evidence_missing.get(r.indicator.code, ())),
            }
            for r in data.rows
        ],
        "year_comparison": [{**_ident(r), "years": [_figure_json(f) for f in r.years]} for r in data.rows],
        "renstra_progress": [_progress_json(r, data) for r in data.rows],
        "standard_comparison": [_standard_json(r) for r in data.rows],
        "causes": [
            {
                **_ident(r),
                "achievement_pct": r.current.achievement_pct,
                "predicate": r.current.predicate,
                **causes_json(r.causes),
            }
            for r in data.rows
        ],
        "notes": [
            {
                **_ident(r),
                "notes": [
                    {"month": n.month, "bidang": n.bidang, "text": n.text, "file": n.file_name}
                    for n in r.notes
                ],
            }
            for r in data.rows
        ],
        "history": [
            {
                "code": h.indicator,
                "year": h.year,
                "realisation": clean_number(h.realisation),
                "source": h.source,
                "note": h.note,
                "file": h.file_name,
                "imported_at": h.imported_at.isoformat(),
                "revision": h.revision,
                "is_current": h.is_current,
            }
            for h in data.history
        ],
    }


__all__ = ["LakipData", "LakipRow", "build_lakip_data", "lakip_json", "load_lakip_data"]
