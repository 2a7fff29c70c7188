"""Achievement of an indicator over a period (CONTRACT §4). Pure: config
Indicator + the warehouse's current MonthlyValues in, frozen dataclasses out.

- count: months are summed; ratio: 100 x sum(pembilang) / penyebut of the latest
  month with data (ratios are never summed); level: the latest month stands.
- A missing target gives no achievement ("target belum ditetapkan"); months
  without data are named ("data belum lengkap") instead of silently lowering
  the figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import Enum
from typing import Any

from iku.domain.kinds import NUMBER_FIELDS, number_columns
from iku.domain.model import MonthlyValue
from iku.domain.parameters import Indicator, PredicateBand
from iku.domain.periods import Period, month_name, quarter_months

NO_TARGET = "target belum ditetapkan"
ZERO_TARGET = "target bernilai nol: capaian tidak dihitung"
INCOMPLETE = "data belum lengkap"
NO_DATA = "belum ada data"
AT_RISK = "berisiko"
NO_PLAN = "rencana aksi belum ditetapkan"
PROVISIONAL = "sementara"


def finite(value: float | None) -> float | None:
    """The value, or None when it is not a finite number: a stored figure far
    beyond the limits must show as no figure, never as inf or NaN (or crash)."""
    if value is None or not math.isfinite(value):
        return None
    return value


def round2(value: float | None) -> float | None:
    """Half-up to 2 decimals, as people round by hand (not banker's rounding)."""
    if value is None or not math.isfinite(value):
        return None
    if abs(value) >= 1e15:  # no decimals left to round, and beyond Decimal's 28 digits
        return float(value)
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def predicate(pct: float | None, bands: Sequence[PredicateBand]) -> str | None:
    """Permendagri 86/2017 label: the first band (highest min first) reached wins."""
    if pct is None:
        return None
    for band in bands:
        if band.min is None or pct >= band.min:
            return band.label
    return None  # pragma: no cover - config guarantees a catch-all band


def achievement_pct(realisation: float | None, target: float | None, polarity: str) -> float | None:
    """Capaian (%) against the year's target; None without a target or a realisation.
    A zero target cannot be a denominator, so it gives no percentage either."""
    if realisation is None or target is None or target == 0:
        return None
    if not (math.isfinite(realisation) and math.isfinite(target)):
        return None
    if polarity == "up":
        pct = realisation / target * 100
    else:
        pct = max(0.0, (2 * target - realisation) / target * 100)
    return round2(pct)  # None when it overflowed


def _usable(ind: Indicator, v: MonthlyValue) -> bool:
    """Every number the kind needs is there and finite (and a denominator can divide)."""
    columns = number_columns(ind.kind)
    if any(finite(getattr(v, NUMBER_FIELDS[column])) is None for column in columns):
        return False
    return "penyebut" not in columns or _n(v.denominator) > 0


def _n(value: float | None) -> float:
    """A number `_usable` has already vouched for."""
    assert value is not None
    return value


def current_by_month(ind: Indicator, values: Iterable[MonthlyValue], year: int) -> dict[int, MonthlyValue]:
    """The indicator's usable figure per month of `year`; when several revisions
    are passed, the highest revision wins (the warehouse normally passes one)."""
    chosen: dict[int, MonthlyValue] = {}
    for v in values:
        if v.indicator != ind.code or v.year != year or not 1 <= v.month <= 12:
            continue
        best = chosen.get(v.month)
        if best is None or v.revision > best.revision:
            chosen[v.month] = v
    return {m: v for m, v in sorted(chosen.items()) if _usable(ind, v)}


def aggregate(ind: Indicator, by_month: dict[int, MonthlyValue], months: Iterable[int]) -> float | None:
    """The indicator's value over `months` by its kind; None when no month has data."""
    rows = [by_month[m] for m in sorted(months) if m in by_month]
    if not rows:
        return None
    if ind.kind == "count":
        return finite(float(sum(_n(r.realisation) for r in rows)))
    if ind.kind == "ratio":
        return finite(100 * sum(_n(r.numerator) for r in rows) / _n(rows[-1].denominator))
    return finite(float(_n(rows[-1].realisation)))  # level


class Basis(Enum):
    """What a year-end projection rests on (CONTRACT §4), and how a report names it."""

    PLAN = "rencana_aksi"  # this year's Rencana Aksi: the share of the year planned by now
    EARLIER_YEARS = "pola_tahun_sebelumnya"  # the share earlier full years had reached by now
    PACE = "laju_rata_rata"  # the months so far, each worth a twelfth
    LATEST = "nilai_terakhir"  # a level stands where it is

    @property
    def label(self) -> str:
        return {
            Basis.PLAN: "menurut Rencana Aksi",
            Basis.EARLIER_YEARS: "menurut pola bulanan tahun sebelumnya",
            Basis.PACE: "menurut laju rata-rata bulan berjalan",
            Basis.LATEST: "nilai terakhir",
        }[self]


def _accumulated(ind: Indicator, v: MonthlyValue) -> float:
    """What a month adds to the year: a count's realisasi, a ratio's pembilang."""
    return _n(v.numerator) if ind.kind == "ratio" else _n(v.realisation)


def _plan_share(ind: Indicator, year: int, quarter: int | None, target: float | None) -> float | None:
    """The share of the year the Rencana Aksi plans through `quarter` (None without one)."""
    if quarter is None or target is None:
        return None
    now, year_end = ind.quarter_target(year, quarter), ind.quarter_target(year, 4)
    whole = year_end if year_end else target
    if now is None or not whole or not math.isfinite(now / whole):
        return None
    return min(max(now / whole, 0.0), 1.0)


def _earlier_share(
    ind: Indicator, earlier: Iterable[MonthlyValue], year: int, end_month: int
) -> float | None:
    """The mean share of a year the earlier full years (12 months with data, a
    total above zero) had reached by `end_month` (None without such a year)."""
    by_year: dict[int, list[MonthlyValue]] = {}
    for v in earlier:
        if v.indicator == ind.code and v.year < year:
            by_year.setdefault(v.year, []).append(v)
    shares = []
    for y, values in sorted(by_year.items()):
        months = current_by_month(ind, values, y)
        total = sum(_accumulated(ind, v) for v in months.values())
        if len(months) == 12 and total > 0:
            shares.append(sum(_accumulated(ind, months[m]) for m in range(1, end_month + 1)) / total)
    return sum(shares) / len(shares) if shares else None


def _project(
    ind: Indicator,
    by_month: dict[int, MonthlyValue],
    period: Period,
    target: float | None,
    earlier: Iterable[MonthlyValue],
) -> tuple[float | None, Basis | None]:
    """The year-end value and what it rests on. A level stands where it is.
    With the share of the year due by now (the Rencana Aksi's, else the earlier
    years' pattern), what is done plus what is still due: an indicator that
    comes in one lump (0 until August, then 2) is on course while its plan or
    its past say nothing is due yet. Else the pace of the months so far."""
    end = period.end_month
    rows = [by_month[m] for m in range(1, end + 1) if m in by_month]
    if not rows:
        return None, None
    if ind.kind == "level":
        return finite(float(_n(rows[-1].realisation))), Basis.LATEST
    done = aggregate(ind, by_month, range(1, end + 1))
    for basis, share in (
        (Basis.PLAN, _plan_share(ind, period.year, period.quarter, target)),
        (Basis.EARLIER_YEARS, _earlier_share(ind, earlier, period.year, end)),
    ):
        if share is not None and target is not None and done is not None:
            return finite(done + target * (1 - share)), basis
    if ind.kind == "count":
        return finite(sum(_n(r.realisation) for r in rows) / len(rows) * 12), Basis.PACE
    return (
        finite(100 * (sum(_n(r.numerator) for r in rows) / len(rows) * 12) / _n(rows[-1].denominator)),
        Basis.PACE,
    )


@dataclass(frozen=True)
class MonthPoint:
    """One month of the trend chart: the month's own figure, the year-to-date
    value through it, and the target's pace at that month."""

    month: int
    value: float | None
    cumulative: float | None
    target_pace: float | None


@dataclass(frozen=True)
class Achievement:
    code: str
    year: int
    period: Period
    target: float | None
    realisation: float | None  # year-to-date through the period's end
    realisation_quarter: float | None  # the quarter alone (quarterly periods)
    quarters: dict[int, float | None]  # TW I-IV each alone; None after the period
    achievement_pct: float | None
    predicate: str | None
    months_missing: tuple[int, ...]
    projected_value: float | None = None  # early warning, Q1-Q3 only
    projected_pct: float | None = None
    projection_basis: Basis | None = None
    at_risk: bool = False
    # Rencana Aksi (quarterly periods): the cumulative target through the
    # quarter's end and the year-to-date realisation against it.
    target_quarter: float | None = None
    achievement_quarter_pct: float | None = None
    predicate_quarter: str | None = None
    # Mid-year (TW I-III) the year-to-date capaian against the annual target is
    # not a verdict: it is shown as "sementara", beside the projection.
    provisional: bool = False
    trend: tuple[MonthPoint, ...] = ()
    flags: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The per-indicator figures of CONTRACT §7 (identity fields added by the caller)."""
        return {
            "target": self.target,
            "realisation": round2(self.realisation),
            "realisation_quarter": round2(self.realisation_quarter),
            "achievement_pct": self.achievement_pct,
            "predicate": self.predicate,
        }

    def why_no_pct(self) -> str | None:
        """Why there is no capaian against the year's target (None when there is one)."""
        return _why_none(self.achievement_pct, self.target, NO_TARGET, "target nol")

    def why_no_quarter_pct(self) -> str | None:
        """Why there is no capaian against the Rencana Aksi (None when there is one)."""
        return _why_none(self.achievement_quarter_pct, self.target_quarter, NO_PLAN, "target triwulan nol")


def _why_none(pct: float | None, target: float | None, no_target: str, zero_target: str) -> str | None:
    """No capaian: no target, a zero target, or no data (None when there is a capaian)."""
    if pct is not None:
        return None
    if target is None:
        return no_target
    if target == 0:
        return zero_target
    return NO_DATA


def missing_label(months: Sequence[int]) -> str:
    return f"{INCOMPLETE} ({', '.join(month_name(m) for m in months)})"


class RenstraTarget(Enum):
    """compute()'s default: the Renstra's target of the year (None is a target too: none set)."""

    OF_YEAR = "renstra"


def compute(
    ind: Indicator,
    values: Iterable[MonthlyValue],
    period: Period,
    bands: Sequence[PredicateBand],
    at_risk_below_pct: float | None = None,
    *,
    target: float | RenstraTarget | None = RenstraTarget.OF_YEAR,
    earlier: Iterable[MonthlyValue] = (),
) -> Achievement:
    """Everything the reports show for one indicator in one period. `target`:
    the year's target to measure against (the Perjanjian Kinerja's, CONTRACT
    §12); by default the Renstra's. `earlier`: monthly figures of earlier
    years, whose pattern through the year a projection may follow.

    In TW I-III the capaian against the year's target is provisional and
    carries no predicate, nor does its projection (issue 17 N3); the
    quarter's verdict is the one against the Rencana Aksi."""
    year, end = period.year, period.end_month
    by_month = current_by_month(ind, values, year)
    if isinstance(target, RenstraTarget):
        target = ind.target(year)
    months = list(range(1, end + 1))
    realisation = aggregate(ind, by_month, months)
    quarters = {
        q: (aggregate(ind, by_month, quarter_months(q)) if 3 * q <= end else None) for q in range(1, 5)
    }
    realisation_quarter = quarters[period.quarter] if period.quarter else None
    pct = achievement_pct(realisation, target, ind.polarity)
    missing = tuple(m for m in months if m not in by_month)

    projected_value = projected_pct = None
    basis = None
    at_risk = False
    provisional = period.quarter in (1, 2, 3)
    if provisional:
        projected_value, basis = _project(ind, by_month, period, target, earlier)
        projected_pct = achievement_pct(projected_value, target, ind.polarity)
        at_risk = (
            at_risk_below_pct is not None and projected_pct is not None and projected_pct < at_risk_below_pct
        )

    target_quarter = ind.quarter_target(year, period.quarter) if period.quarter else None
    quarter_pct = achievement_pct(realisation, target_quarter, ind.polarity)

    return Achievement(
        code=ind.code,
        year=year,
        period=period,
        target=target,
        realisation=realisation,
        realisation_quarter=realisation_quarter,
        quarters=quarters,
        achievement_pct=pct,
        predicate=None if provisional else predicate(pct, bands),
        months_missing=missing,
        projected_value=projected_value,
        projected_pct=projected_pct,
        projection_basis=basis,
        at_risk=at_risk,
        target_quarter=target_quarter,
        achievement_quarter_pct=quarter_pct,
        predicate_quarter=predicate(quarter_pct, bands),
        provisional=provisional,
        trend=_trend(ind, by_month, target, end),
        flags=_flags(target, realisation, missing, at_risk),
    )


def _trend(
    ind: Indicator, by_month: dict[int, MonthlyValue], target: float | None, end: int
) -> tuple[MonthPoint, ...]:
    """Each month's own figure, the value to date and the target's pace."""
    trend = []
    for m in range(1, end + 1):
        own = aggregate(ind, by_month, [m])
        cum = aggregate(ind, by_month, range(1, m + 1))
        if target is None:
            pace = None
        elif ind.kind == "level":
            pace = finite(target)  # a level should stand at the target all year
        else:
            pace = finite(target * m / 12)
        trend.append(MonthPoint(m, own, cum, pace))
    return tuple(trend)


def _flags(
    target: float | None, realisation: float | None, missing: tuple[int, ...], at_risk: bool
) -> tuple[str, ...]:
    """What the reader must know beside the figure: no target, missing months, at risk."""
    flags: list[str] = []
    if target is None:
        flags.append(NO_TARGET)
    elif target == 0:
        flags.append(ZERO_TARGET)
    if realisation is None:
        flags.append(NO_DATA)
    elif missing:
        flags.append(missing_label(missing))
    if at_risk:
        flags.append(AT_RISK)
    return tuple(flags)


@dataclass(frozen=True)
class Average:
    """An average capaian that says what it covers: the indicators it runs over
    and those left out, each with the reason."""

    pct: float | None
    predicate: str | None  # None when the average is not a verdict (provisional)
    over: tuple[str, ...]
    without: tuple[tuple[str, str], ...]  # (code, why it has no capaian)

    @property
    def total(self) -> int:
        return len(self.over) + len(self.without)

    def describe(self) -> str:
        """E.g. 'rata-rata 3 dari 5 indikator; tanpa capaian: IKU-01 (target belum ditetapkan)'."""
        text = f"rata-rata {len(self.over)} dari {self.total} indikator"
        if self.without:
            text += "; tanpa capaian: " + ", ".join(f"{code} ({why})" for code, why in self.without)
        return text


def average(
    items: Iterable[tuple[str, float | None, str | None]],
    bands: Sequence[PredicateBand],
    verdict: bool = True,
) -> Average:
    """The mean of the capaian that exist, rounded half-up to 2 decimals.

    `items` are (code, capaian or None, why there is none). `verdict=False`
    gives no predicate: a mid-year figure against an annual target is not one."""
    over, without, values = [], [], []
    for code, pct, why in items:
        if pct is None:
            without.append((code, why or NO_DATA))
        else:
            over.append(code)
            values.append(pct)
    # summed as decimals, so 80 and 157.89 average to 118.95 as by hand (not 118.94)
    mean: float | None = None
    if values:
        with localcontext() as ctx:
            ctx.prec = 400  # any float up to 1.8e308 keeps its 2 decimals (28 digits would raise)
            total = sum((Decimal(repr(v)) for v in values), Decimal(0))
            mean = float((total / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP))
    return Average(mean, predicate(mean, bands) if verdict else None, tuple(over), tuple(without))


Coded = Sequence[tuple[str, Achievement]]  # (indicator code, its achievement), in report order


def plan_average(rows: Coded, bands: Sequence[PredicateBand]) -> Average:
    """The mean capaian against the Rencana Aksi of the quarter (a verdict)."""
    return average(((c, a.achievement_quarter_pct, a.why_no_quarter_pct()) for c, a in rows), bands)


def year_average(rows: Coded, bands: Sequence[PredicateBand], verdict: bool = True) -> Average:
    """The mean year-to-date capaian against the year's target."""
    return average(((c, a.achievement_pct, a.why_no_pct()) for c, a in rows), bands, verdict=verdict)


def projected_average(rows: Coded, bands: Sequence[PredicateBand]) -> Average:
    """The mean projected year-end capaian (TW I-III): a forecast, no predicate."""
    return average(((c, a.projected_pct, a.why_no_pct()) for c, a in rows), bands, verdict=False)


def year_headline(rows: Coded, bands: Sequence[PredicateBand], period: Period) -> tuple[str, Average]:
    """The year-to-date average with its label: provisional (no predicate) in TW I-III."""
    if period.quarter in (1, 2, 3):
        label = f"Rata-rata capaian s.d. {period.title_id} terhadap target tahunan ({PROVISIONAL})"
        return label, year_average(rows, bands, verdict=False)
    return f"Rata-rata tingkat capaian kinerja {period.year}", year_average(rows, bands)


def headline_average(rows: Coded, bands: Sequence[PredicateBand], period: Period) -> tuple[str, Average]:
    """The one average a report leads with, and its label: Tabel E.81's closing
    row "Rata-rata capaian kinerja", the first average of the HTML report and
    the OPD's figure in the kabupaten recap.

    A quarterly report where some indicator has a Rencana Aksi target for the
    quarter is judged against the Rencana Aksi (the quarter's own verdict, as
    Permendagri 86/2017 evaluates each TW); otherwise the year-to-date capaian
    against the year's target, a predicate only at the year's end."""
    if period.quarter is not None and any(a.target_quarter is not None for _, a in rows):
        return f"Rata-rata capaian terhadap Rencana Aksi s.d. {period.title_id}", plan_average(rows, bands)
    return year_headline(rows, bands, period)
