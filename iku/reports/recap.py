"""The kabupaten recap (`iku recap`): every OPD of the installation side by
side for one quarter or year: each OPD's IKU with capaian and predikat, the
spread over the predicate bands, the average per OPD with the indicators that
lack a target, and how complete and timely each OPD's submissions were.

Each OPD's figures come from the same build as its own report
(iku.reports.model), so the recap never disagrees with the OPD's report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from iku.config import PredicateBand, Rpjmd, RpjmdIndicator
from iku.domain.achievement import Average, average, round2
from iku.domain.periods import QUARTER_NAMES, Period
from iku.domain.recap import NO_RATE, ReportingRate, add_distributions, reporting_rate
from iku.domain.rpjmd import RULE_ID, Feed, RpjmdResult, evaluate
from iku.formatting import num

from .model import ReportData, clean_number, load_report_data


@dataclass(frozen=True)
class OpdRecap:
    report: ReportData
    rate: ReportingRate
    bidang_rates: tuple[tuple[str, str, ReportingRate], ...]  # (code, name, rate)

    @property
    def code(self) -> str:
        return self.report.catalogue.opd.code

    @property
    def name(self) -> str:
        return self.report.catalogue.opd.name

    @property
    def distribution(self) -> list[tuple[str, int]]:
        return self.report.summary()

    @property
    def headline(self) -> tuple[str, Average]:
        """The average the OPD's own report leads with (it says what it runs over)."""
        return self.report.headline_average()

    @property
    def budget(self) -> dict[str, float | None] | None:
        """The OPD's pagu, realisation and absorption over its programs (CONTRACT §11); None without data."""
        return self.report.opd_budget()

    @property
    def budget_why(self) -> str:
        """Why an OPD has no budget figures."""
        b = self.report.budget
        return "program belum dipetakan" if not b.has_programs else "belum ada data realisasi anggaran"

    @property
    def without_target(self) -> list[str]:
        year = self.report.period.year
        return [r.indicator.code for r in self.report.rows if r.indicator.target(year) is None]


@dataclass(frozen=True)
class FeedRow:
    """An OPD indicator feeding a kabupaten IKU, as the recap names it."""

    feed: Feed
    opd_name: str
    name: str
    unit: str


@dataclass(frozen=True)
class RpjmdRow:
    """One IKU of the kabupaten itself with the OPD indicators that feed it."""

    indicator: RpjmdIndicator
    feeds: tuple[FeedRow, ...]
    result: RpjmdResult

    @property
    def weighted(self) -> bool:
        return self.indicator.weights is not None

    @property
    def rule_label(self) -> str:
        return rule_label(self.indicator)

    @property
    def rule_text(self) -> str:
        return rule_text(self.indicator, [(f.feed.ref, f.feed.weight) for f in self.feeds])


def rule_label(ind: RpjmdIndicator) -> str:
    return RULE_ID[ind.rule] + (" tertimbang" if ind.weights is not None else "")


def rule_text(ind: RpjmdIndicator, sources: Sequence[tuple[str, float]]) -> str:
    """How a kabupaten IKU is computed, in words: e.g. "jumlah dari disperkim-tjb/IKU-02,
    dinkes-tjb/IKU-03", "rata-rata tertimbang dari dinkes-tjb/IKU-01 (bobot 2), dpmptsp-tjb/IKU-01
    (bobot 1)"; `sources` are (opd/code, weight)."""
    weighted = ind.weights is not None
    parts = (ref + (f" (bobot {num(weight)})" if weighted else "") for ref, weight in sources)
    return f"{rule_label(ind)} dari {', '.join(parts)}"


@dataclass
class RecapData:
    period: Period
    as_of: datetime
    generated_at: datetime
    region: str
    opds: list[OpdRecap]
    bands: list[PredicateBand]
    timezone: str = "Asia/Jakarta"
    rpjmd: list[RpjmdRow] = field(default_factory=list)  # the kabupaten's own IKU

    @property
    def basename(self) -> str:
        return f"rekap-{self.period.slug}"

    @property
    def title(self) -> str:
        if self.period.quarter:
            return f"Rekapitulasi Kinerja Perangkat Daerah {QUARTER_NAMES[self.period.quarter]} Tahun {self.period.year}"
        return f"Rekapitulasi Kinerja Perangkat Daerah Tahun {self.period.year}"

    @property
    def rate(self) -> ReportingRate:
        return sum((o.rate for o in self.opds), NO_RATE)

    @property
    def distribution(self) -> list[tuple[str, int]]:
        return add_distributions(o.distribution for o in self.opds)

    @property
    def average(self) -> Average:
        """Over every OPD's IKU with a capaian, each indicator counting once;
        a predicate only at the year's end (mid-year the capaian is provisional)."""
        items = (
            (f"{o.code}/{r.indicator.code}", r.achievement.achievement_pct, r.achievement.why_no_pct())
            for o in self.opds
            for r in o.report.rows
        )
        return average(items, self.bands, verdict=not self.opds or not self.opds[0].report.provisional)

    @property
    def indicators(self) -> int:
        return sum(len(o.report.rows) for o in self.opds)

    @property
    def budget(self) -> dict[str, float | None] | None:
        """The pagu, realisation and absorption summed over the OPD with budget data; None when none has."""
        from iku.domain.budget import absorption_pct

        given = [b for o in self.opds if (b := o.budget) is not None]
        if not given:
            return None
        pagu = sum(b["pagu"] or 0 for b in given)
        real = sum(b["realisation"] or 0 for b in given)
        return {"pagu": pagu, "realisation": real, "absorption_pct": absorption_pct(pagu, real)}

    @property
    def budget_opds(self) -> int:
        return sum(1 for o in self.opds if o.budget is not None)

    @property
    def rpjmd_planned(self) -> bool:
        """A quarterly recap whose kabupaten IKU have a Rencana Aksi target to show."""
        return any(k.result.target_quarter is not None for k in self.rpjmd)


def rpjmd_rows(rpjmd: Rpjmd, reports: list[ReportData]) -> list[RpjmdRow]:
    """Each kabupaten IKU from the realisations of the OPD indicators that feed it,
    as their own reports compute them (pure)."""
    rows = {(d.catalogue.opd.code, r.indicator.code): (d, r) for d in reports for r in d.rows}
    out = []
    for ind in rpjmd.indicators:
        feeds = []
        for i, (opd, code) in enumerate(ind.feeds()):
            data, row = rows.get((opd, code), (None, None))
            feed = Feed(opd, code, row.achievement.realisation if row is not None else None, ind.weight(i))
            feeds.append(
                FeedRow(
                    feed,
                    data.catalogue.opd.name if data is not None else opd,
                    row.indicator.name if row is not None else code,
                    row.indicator.unit if row is not None else "",
                )
            )
        period = reports[0].period
        result = evaluate(
            ind.rule,
            [f.feed for f in feeds],
            ind.target(period.year),
            ind.polarity,
            reports[0].bands,
            provisional=reports[0].provisional,
            target_quarter=ind.quarter_target(period.year, period.quarter) if period.quarter else None,
        )
        out.append(RpjmdRow(ind, tuple(feeds), result))
    return out


def build_recap(
    reports: list[ReportData],
    region: str,
    generated_at: datetime | None = None,
    rpjmd: Rpjmd | None = None,
) -> RecapData:
    """The recap from each OPD's report data (pure)."""
    if not reports:
        raise ValueError("rekap membutuhkan sedikitnya satu OPD")
    first = reports[0]
    opds = []
    for data in reports:
        cells = data.submissions
        bidang = tuple(
            (b.code, b.name, reporting_rate(c for c in cells if c.bidang == b.code))
            for b in data.catalogue.bidang
        )
        opds.append(OpdRecap(data, reporting_rate(cells), bidang))
    return RecapData(
        period=first.period,
        as_of=first.as_of,
        generated_at=generated_at or datetime.now(ZoneInfo(first.timezone)),
        region=region,
        opds=opds,
        bands=first.bands,
        timezone=first.timezone,
        rpjmd=rpjmd_rows(rpjmd, reports) if rpjmd is not None else [],
    )


def load_recap_data(res, period: Period, as_of: datetime) -> RecapData:
    """Every OPD the run covers, each loaded as for its own report."""
    reports = [load_report_data(unit, period, as_of) for unit in res.units()]
    rpjmd = res.installation.rpjmd if res.installation is not None else None
    return build_recap(reports, res.kabupaten_name, rpjmd=rpjmd)


def _average_json(label: str, avg: Average) -> dict:
    return {
        "label": label,
        "pct": avg.pct,
        "predicate": avg.predicate,
        "over": list(avg.over),
        "without": [{"code": code, "why": why} for code, why in avg.without],
    }


def recap_json(data: RecapData) -> dict:
    opds = []
    for o in data.opds:
        label, avg = o.headline
        submissions: dict[str, object] = dict(o.rate.as_json())
        submissions["bidang"] = [{"bidang": code, **rate.as_json()} for code, _, rate in o.bidang_rates]
        opds.append(
            {
                "code": o.code,
                "name": o.name,
                "indicators": [
                    {
                        "code": r.indicator.code,
                        "name": r.indicator.name,
                        "unit": r.indicator.unit,
                        "bidang": r.indicator.bidang,
                        "target": clean_number(r.achievement.target),
                        "realisation": clean_number(r.achievement.as_json()["realisation"]),
                        "achievement_pct": r.achievement.achievement_pct,
                        "predicate": r.achievement.predicate,
                        "verdict": r.verdict,
                    }
                    for r in o.report.rows
                ],
                "predicates": dict(o.distribution),
                "average": _average_json(label, avg),
                "without_target": o.without_target,
                "submissions": submissions,
                # CONTRACT §11: the OPD's pagu, realisation and absorption; null without data
                "budget": o.budget,
                "budget_month": o.report.budget.month if o.budget else None,
            }
        )
    return {
        "year": data.period.year,
        "period": data.period.label,
        "as_of": data.as_of.isoformat(),
        "region": data.region,
        "opd": opds,
        "kabupaten": {
            "opd_count": len(data.opds),
            "indicators": data.indicators,
            "predicates": dict(data.distribution),
            "average": _average_json("Rata-rata capaian seluruh IKU perangkat daerah", data.average),
            "submissions": data.rate.as_json(),
            "budget": data.budget,
            "budget_opd_count": data.budget_opds,
        },
        "rpjmd": [rpjmd_json(row, quarterly=data.period.quarter is not None) for row in data.rpjmd],
    }


def rpjmd_json(row: RpjmdRow, quarterly: bool = False) -> dict:
    ind, res = row.indicator, row.result
    plan = (
        {
            "target_quarter": clean_number(res.target_quarter),
            "achievement_quarter_pct": res.achievement_quarter_pct,
            "predicate_quarter": res.predicate_quarter,
        }
        if quarterly
        else {}
    )
    return {
        "code": ind.code,
        "name": ind.name,
        "unit": ind.unit,
        "polarity": ind.polarity,
        "rule": ind.rule,
        "weighted": ind.weights is not None,
        "target": clean_number(res.target),
        "realisation": clean_number(res.realisation),
        "achievement_pct": res.achievement_pct,
        "predicate": res.predicate,
        "verdict": res.verdict,
        "why": res.why,
        "feeds": [
            {
                "opd": f.feed.opd,
                "indicator": f.feed.indicator,
                "name": f.name,
                "unit": f.unit,
                "realisation": clean_number(round2(f.feed.realisation)),
                "weight": f.feed.weight,
            }
            for f in row.feeds
        ],
        "missing": list(res.missing),
        **plan,
    }
