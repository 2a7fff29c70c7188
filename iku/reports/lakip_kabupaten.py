"""Year-end LKjIP feed of the kabupaten itself: each IKU of config/rpjmd.yaml
year by year, from the first year every feeding OPD indicator has in its own
LKjIP feed through the report year, against its RPJMD target of that year and
the target of the RPJMD's last configured year (PermenPANRB 53/2014, Bab III:
the year, earlier years, the end-of-period target).

Each year's kabupaten figure is computed by the IKU's rule (iku.domain.rpjmd)
from the OPD figures the OPD's own LKjIP feed shows for that year, from the
monthly sheets or from imported history, so the two can never disagree.
`build_kabupaten_lakip` is pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from iku.config import PredicateBand, Rpjmd, RpjmdIndicator
from iku.domain.causes import Causes
from iku.domain.renstra import YearFigure
from iku.domain.rpjmd import Feed, RpjmdResult, evaluate

from .lakip import LakipData, causes_json
from .model import clean_number
from .recap import rule_text


@dataclass(frozen=True)
class Source:
    """An OPD indicator feeding a kabupaten IKU, as the feed names it."""

    opd: str
    opd_name: str
    indicator: str
    name: str
    unit: str
    weight: float
    current: YearFigure  # the report year, in the OPD's own feed
    causes: Causes  # the OPD bidang's faktor pendorong / penghambat / tindak lanjut of the year

    @property
    def ref(self) -> str:
        return f"{self.opd}/{self.indicator}"


@dataclass(frozen=True)
class KabupatenYear:
    year: int
    result: RpjmdResult
    figures: tuple[YearFigure, ...]  # each source's year, in the order of the sources


@dataclass(frozen=True)
class KabupatenLakipRow:
    indicator: RpjmdIndicator
    sources: tuple[Source, ...]
    years: tuple[KabupatenYear, ...]  # the first year every source has, through the report year

    @property
    def weighted(self) -> bool:
        return self.indicator.weights is not None

    @property
    def rule_text(self) -> str:
        return rule_text(self.indicator, [(s.ref, s.weight) for s in self.sources])

    @property
    def end_target(self) -> tuple[int, float] | None:
        """The target of the RPJMD's last configured year."""
        years = [y for y, t in self.indicator.targets.items() if t is not None]
        return (max(years), float(self.indicator.targets[max(years)] or 0)) if years else None


@dataclass
class KabupatenLakipData:
    year: int
    region: str
    generated_at: datetime
    rows: list[KabupatenLakipRow]
    bands: list[PredicateBand]
    # CONTRACT §11: each OPD's pagu, realisation and absorption (null figures without data)
    opd_budgets: list[dict] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted({y.year for r in self.rows for y in r.years})


def _row(ind: RpjmdIndicator, lakips: dict[str, LakipData], bands: list[PredicateBand]) -> KabupatenLakipRow:
    sources, figures = [], []
    for i, (opd, code) in enumerate(ind.feeds()):
        data = lakips[opd]
        row = next(r for r in data.rows if r.indicator.code == code)
        name = data.config.catalogue.opd.name
        sources.append(
            Source(
                opd,
                name,
                code,
                row.indicator.name,
                row.indicator.unit,
                ind.weight(i),
                row.current,
                row.causes,
            )
        )
        figures.append({f.year: f for f in row.years})
    common = sorted(set.intersection(*(set(f) for f in figures)))
    years = []
    for y in common:
        year_figures = tuple(f[y] for f in figures)
        feeds = [
            Feed(s.opd, s.indicator, f.realisation, s.weight)
            for s, f in zip(sources, year_figures, strict=True)
        ]
        result = evaluate(ind.rule, feeds, ind.target(y), ind.polarity, bands)
        years.append(KabupatenYear(y, result, year_figures))
    return KabupatenLakipRow(ind, tuple(sources), tuple(years))


def build_kabupaten_lakip(
    rpjmd: Rpjmd,
    lakips: dict[str, LakipData],
    year: int,
    region: str,
    generated_at: datetime | None = None,
) -> KabupatenLakipData | None:
    """The kabupaten's feed from every feeding OPD's own feed of `year`; None
    when rpjmd.yaml names no IKU or an OPD it needs is not among `lakips`."""
    needed = {opd for ind in rpjmd.indicators for opd, _ in ind.feeds()}
    if not rpjmd.indicators or not needed <= set(lakips):
        return None
    first = next(iter(lakips.values()))
    bands = first.bands
    rows = [_row(ind, lakips, bands) for ind in rpjmd.indicators]
    tz = ZoneInfo(first.config.pipeline.timezone)
    return KabupatenLakipData(
        year,
        region,
        generated_at or datetime.now(tz),
        rows,
        bands,
        [opd_budget(lk) for lk in lakips.values()],
    )


def opd_budget(lakip: LakipData) -> dict:
    """One OPD's line of the kabupaten's budget table."""
    opd = lakip.config.catalogue.opd
    total = lakip.budget_realisation()["total"]
    return {
        "opd": opd.code,
        "name": opd.name,
        **total,  # type: ignore[dict-item]
        "budget_month": lakip.budget.month if lakip.budget.has_data else None,
    }


def _result_json(y: KabupatenYear, row: KabupatenLakipRow) -> dict:
    r = y.result
    return {
        "year": y.year,
        "target": clean_number(r.target),
        "realisation": clean_number(r.realisation),
        "achievement_pct": r.achievement_pct,
        "predicate": r.predicate,
        "why": r.why,
        "missing": list(r.missing),
        "feeds": [
            {
                "opd": s.opd,
                "indicator": s.indicator,
                "realisation": clean_number(f.realisation),
                "source": f.source,
            }
            for s, f in zip(row.sources, y.figures, strict=True)
        ],
    }


def kabupaten_lakip_json(data: KabupatenLakipData) -> dict:
    return {
        "year": data.year,
        "region": data.region,
        "years": data.years,
        "opd_budget": data.opd_budgets,
        "indicators": [
            {
                "code": r.indicator.code,
                "name": r.indicator.name,
                "unit": r.indicator.unit,
                "polarity": r.indicator.polarity,
                "rule": r.indicator.rule,
                "weighted": r.weighted,
                "sources": [
                    {
                        "opd": s.opd,
                        "indicator": s.indicator,
                        "name": s.name,
                        "unit": s.unit,
                        "weight": s.weight,
                    }
                    for s in r.sources
                ],
                "end_target": {"year": r.end_target[0], "target": clean_number(r.end_target[1])}
                if r.end_target
                else None,
                "years": [_result_json(y, r) for y in r.years],
                # the causes of success or failure, from the OPD indicators' own feeds
                "causes": [
                    {
                        "opd": s.opd,
                        "indicator": s.indicator,
                        "achievement_pct": s.current.achievement_pct,
                        "predicate": s.current.predicate,
                        **causes_json(s.causes),
                    }
                    for s in r.sources
                ],
            }
            for r in data.rows
        ],
    }
