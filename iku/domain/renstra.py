"""Where an indicator stands over the Renstra years (LKjIP Bab III). Pure: the
yearly figures in, frozen dataclasses out.

A year's figure comes either from the monthly sheets the pipeline holds or from
imported history (the earlier LKjIP), and says which. Progress towards the
Renstra end follows the indicator's kind:

- count: the years add up, so the realisation summed over the Renstra years so
  far is set against the sum of every Renstra year's target;
- ratio and level: a value stands rather than accumulates (ratios are never
  summed), so the latest year's value is set against the last year's target.

Progress part-way through the Renstra is a share of the road travelled, not a
verdict: it carries no predicate (the Permendagri scale judges a finished
period against its own target).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from iku.domain.parameters import PredicateBand

from .achievement import Achievement, achievement_pct, predicate, round2
from .history import HistoryValue

YearSource = Literal["pipeline", "history"]
SOURCE_LABELS: dict[str | None, str] = {
    "pipeline": "data bulanan (pipeline)",
    "history": "data historis (impor)",
    None: "belum ada data",
}
PROGRESS_LABEL = "progres s.d. tahun berjalan"


@dataclass(frozen=True)
class YearFigure:
    """One Renstra year of one indicator: its target, realisation and capaian,
    and where the realisation comes from (None: no data for that year)."""

    year: int
    target: float | None
    realisation: float | None
    achievement_pct: float | None
    predicate: str | None
    source: YearSource | None
    source_note: str | None = None  # for history: the document it was taken from
    months_missing: tuple[int, ...] = ()
    # an imported figure for this year that the monthly sheets outrank (not used)
    unused_import: HistoryValue | None = field(default=None, compare=False)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


def from_achievement(a: Achievement) -> YearFigure:
    """A year the pipeline holds monthly sheets for."""
    return YearFigure(
        year=a.year,
        target=a.target,
        realisation=a.realisation,
        achievement_pct=a.achievement_pct,
        predicate=a.predicate,
        source="pipeline" if a.realisation is not None else None,
        months_missing=a.months_missing,
    )


def from_history(
    year: int,
    realisation: float,
    target: float | None,
    polarity: str,
    bands: Sequence[PredicateBand],
    source_note: str | None = None,
) -> YearFigure:
    """A year before the pipeline, as an earlier LKjIP reported it (a full year)."""
    pct = achievement_pct(realisation, target, polarity)
    return YearFigure(year, target, realisation, pct, predicate(pct, bands), "history", source_note)


def year_figure(
    a: Achievement, imported: HistoryValue | None, polarity: str, bands: Sequence[PredicateBand]
) -> YearFigure:
    """One Renstra year of one indicator, where every report takes it from: the
    monthly sheets win where they hold the year; imported history fills the
    years before the pipeline. An import the sheets outrank is kept as
    `unused_import`, so a report can say it was not used."""
    if a.realisation is None and imported is not None:
        return from_history(a.year, imported.realisation, a.target, polarity, bands, imported.source)
    figure = from_achievement(a)
    return replace(figure, unused_import=imported) if imported is not None else figure


@dataclass(frozen=True)
class RenstraProgress:
    basis: Literal["cumulative", "latest"]
    rule: str  # the rule in words, for the reader of the LKjIP
    value: float | None  # the cumulative realisation, or the latest value
    value_year: int | None  # "latest": the year the value comes from
    basis_target: float | None  # "cumulative": the sum of all Renstra targets; "latest": the end target
    end_target: float | None  # the target of the Renstra's last year (as Tabel E.81 shows it)
    progress_pct: float | None  # progres s.d. tahun berjalan: no predicate on purpose
    years_without_data: tuple[int, ...]
    note: str | None = None


def _years(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}–{b}"


def _years_text(years: Sequence[int]) -> str:
    return ", ".join(str(y) for y in years)


def _through_and_missing(figures: Sequence[YearFigure], start: int) -> tuple[int, tuple[int, ...]]:
    """The last year the figures reach, and the years among them without data."""
    through = max((f.year for f in figures), default=start)
    return through, tuple(f.year for f in figures if f.realisation is None)


def _cumulative(
    polarity: str,
    figures: Sequence[YearFigure],
    targets: Mapping[int, float | None],
    renstra: tuple[int, int],
) -> RenstraProgress:
    start, end = renstra
    through, missing = _through_and_missing(figures, start)
    done = [f.realisation for f in figures if f.realisation is not None]
    value = float(sum(done)) if done else None
    all_targets = [targets.get(y) for y in range(start, end + 1)]
    given = [t for t in all_targets if t is not None]
    total = float(sum(given)) if len(given) == len(all_targets) else None
    notes = [] if total is not None else ["target Renstra belum ditetapkan untuk semua tahun"]
    imported = [f.year for f in figures if f.source == "history"]
    if imported:
        notes.append(f"termasuk data historis (impor): {_years_text(imported)}")
    if missing:
        notes.append(f"tanpa data: {_years_text(missing)}")
    rule = f"kumulatif: jumlah realisasi {_years(start, through)} dibandingkan jumlah target {_years(start, end)}"
    pct = achievement_pct(value, total, polarity)
    return RenstraProgress(
        "cumulative", rule, value, None, total, targets.get(end), pct, missing, "; ".join(notes) or None
    )


def _latest(
    kind: str,
    polarity: str,
    figures: Sequence[YearFigure],
    targets: Mapping[int, float | None],
    renstra: tuple[int, int],
) -> RenstraProgress:
    start, end = renstra
    through, missing = _through_and_missing(figures, start)
    end_target = targets.get(end)
    known = [f for f in sorted(figures, key=lambda f: f.year) if f.realisation is not None]
    latest = known[-1] if known else None
    notes = [] if end_target is not None else [f"target tahun {end} belum ditetapkan"]
    if latest is not None and latest.source == "history":
        notes.append(f"nilai dari data historis (impor) {latest.year}")
    if missing:
        notes.append(f"tanpa data: {_years_text(missing)}")
    value_year = latest.year if latest else None
    value = latest.realisation if latest else None
    what = "rasio tidak dijumlahkan antartahun" if kind == "ratio" else "nilai terakhir yang berlaku"
    rule = f"nilai terakhir: realisasi tahun {value_year or through} dibandingkan target tahun {end} ({what})"
    pct = achievement_pct(value, end_target, polarity)
    return RenstraProgress(
        "latest", rule, value, value_year, end_target, end_target, pct, missing, "; ".join(notes) or None
    )


def renstra_progress(
    kind: str,
    polarity: str,
    figures: Sequence[YearFigure],
    targets: Mapping[int, float | None],
    renstra: tuple[int, int],
) -> RenstraProgress:
    """Progress through the last year in `figures` towards the Renstra end:
    `count` sums the years against the sum of every year's target; `ratio`
    and `level` set the latest value against the last year's target.

    `figures` are the indicator's years from the Renstra's first year on;
    `targets` its yearly targets. The note names the years without data and
    those taken from imported history."""
    if kind == "count":
        return _cumulative(polarity, figures, targets, renstra)
    return _latest(kind, polarity, figures, targets, renstra)


@dataclass(frozen=True)
class StandardComparison:
    """The year's realisation against a national or provincial standard."""

    value: float
    source: str
    realisation: float | None
    meets: bool | None  # None: no realisation to compare
    gap: float | None  # realisation - standard

    @property
    def position(self) -> str:
        if self.meets is None:
            return "belum ada realisasi"
        return "memenuhi standar" if self.meets else "belum memenuhi standar"


def compare_with_standard(
    realisation: float | None, value: float, source: str, polarity: str
) -> StandardComparison:
    """`up`: meeting means reaching at least the standard; `down`: at most."""
    if realisation is None:
        return StandardComparison(value, source, None, None, None)
    meets = realisation >= value if polarity == "up" else realisation <= value
    return StandardComparison(value, source, realisation, meets, round2(realisation - value))
