"""Plausibility warnings (CONTRACT §12): a month's figure that is allowed but
unlikely is "perlu dicek", with the reason; never a refusal (a typing slip such
as 1500 for 15 passes every rule of the sheet). Pure: the indicator, the
month's figures and the indicator's earlier months in, warnings out.

The figure checked is the month's own: realisasi for count and level
indicators, pembilang ÷ penyebut × 100 for ratios (and the penyebut itself,
which should move slowly). Three rules, the first two on that figure:

- range: outside the indicator's `plausible_range` (min, max) in the catalogue;
- history: with at least MIN_HISTORY earlier months, a figure more than
  K_MAD robust standard deviations (1.4826 × the median absolute deviation,
  at least a share of the median: MIN_RELATIVE_SPREAD) from the earlier
  months' median; with a steady count of 15 a month, above 52,5. Counts are
  lumpy (nothing for months, then a finished batch), so for them only a figure
  far above is flagged, and a history without spread (all the same) says nothing;
- jump: a level, a ratio or a penyebut that is JUMP_FACTOR times the previous
  month's or less than its 1/JUMP_FACTOR (a slipped decimal or digits typed
  twice); for a count with too short a history, JUMP_FACTOR times its largest
  earlier month. One history warning per figure: the jump is not repeated when
  the spread rule already spoke.

Earlier months are those before the month checked (across years, the last
HISTORY_MONTHS of them), from the current data of the warehouse.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from babel import Locale
from babel.numbers import parse_pattern

from iku.domain.parameters import CheckedIndicator as Indicator

from .model import MonthlyValue

MIN_HISTORY = 4
HISTORY_MONTHS = 24
K_MAD = 5.0
MAD_SCALE = 1.4826  # the MAD of a normal sample times this estimates its standard deviation
# the least spread assumed, as a share of the median: a steady history must not
# flag an ordinary good month (counts vary most)
MIN_RELATIVE_SPREAD = {"count": 0.5, "ratio": 0.25, "level": 0.25}
JUMP_FACTOR = 10.0
CHECK_LABEL = "perlu dicek"

Rule = Literal["range", "history", "jump"]


class Figures(Protocol):
    """A sheet row (ValueRow) or a stored month (MonthlyValue)."""

    @property
    def indicator(self) -> str: ...
    @property
    def realisation(self) -> float | None: ...
    @property
    def numerator(self) -> float | None: ...
    @property
    def denominator(self) -> float | None: ...


@dataclass(frozen=True)
class PlausibilityWarning:
    indicator: str
    year: int
    month: int
    rule: Rule
    value: float
    message: str  # Indonesian, begins with "perlu dicek"

    def as_dict(self) -> dict[str, object]:
        """The shape kept in submission.warnings (JSON)."""
        return {
            "indicator": self.indicator,
            "year": self.year,
            "month": self.month,
            "rule": self.rule,
            "value": self.value,
            "message": self.message,
        }


def shown(value: float) -> str:
    """A number as Indonesian readers write it (1.500; 15,25): Babel's
    format_decimal, its pattern and locale parsed once (half its cost)."""
    return str(_SHOWN.apply(round(value, 2), _ID))


_SHOWN = parse_pattern("#,##0.##")
_ID = Locale.parse("id_ID")


def figure(kind: str, row: Figures) -> float | None:
    """The month's own figure of an indicator of `kind`; None when it has none."""
    if kind == "ratio":
        if row.numerator is None or row.denominator is None or row.denominator <= 0:
            return None
        return row.numerator / row.denominator * 100
    return row.realisation


def _figures(kind: str, rows: Iterable[Figures]) -> list[float]:
    """figure() of each row that has one, in order: a row's month checks against
    24 earlier ones, so the realisation of a kind other than ratio is read
    without a call per month (the same rule as figure's)."""
    if kind == "ratio":
        return [f for f in (figure(kind, r) for r in rows) if f is not None]
    return [r.realisation for r in rows if r.realisation is not None]


def _earlier(indicator: str, year: int, month: int, history: Iterable[MonthlyValue]) -> list[MonthlyValue]:
    when = year * 12 + month  # one integer compares faster than a (year, month) pair
    found = sorted(
        (v for v in history if v.indicator == indicator and v.year * 12 + v.month < when),
        key=_month_key,
    )
    return found[-HISTORY_MONTHS:]


def _month_key(v: MonthlyValue) -> int:
    return v.year * 12 + v.month


def _range(ind: Indicator, value: float) -> str | None:
    bounds = ind.plausible_range
    if bounds is None:
        return None
    if bounds.min is not None and value < bounds.min:
        return f"di bawah batas wajar {shown(bounds.min)}"
    if bounds.max is not None and value > bounds.max:
        return f"di atas batas wajar {shown(bounds.max)}"
    return None


def _median(values: Sequence[float]) -> float:
    """statistics.median without its generic checks (a run takes thousands)."""
    ordered = sorted(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def _spread(kind: str, value: float, earlier: Sequence[float]) -> str | None:
    if len(earlier) < MIN_HISTORY:
        return None
    center = _median(earlier)
    mad = _median([abs(x - center) for x in earlier])
    scale = max(MAD_SCALE * mad, MIN_RELATIVE_SPREAD[kind] * abs(center))
    if scale == 0:  # every earlier month the same zero: nothing to measure against
        return None
    far_above = value > center + K_MAD * scale
    far_below = value < center - K_MAD * scale and kind != "count"
    if not (far_above or far_below):
        return None
    where = "di atas" if far_above else "di bawah"
    return f"jauh {where} bulan-bulan sebelumnya (median {shown(center)} dari {len(earlier)} bulan)"


def _jump(value: float, previous: float, against: str, *, up_only: bool = False) -> str | None:
    if previous == 0 or value == 0 or (value > 0) != (previous > 0):
        return None
    factor = value / previous
    if factor >= JUMP_FACTOR:
        return f"{shown(factor)} kali {against} ({shown(previous)})"
    if factor <= 1 / JUMP_FACTOR and not up_only:
        return f"hanya 1/{shown(1 / factor)} dari {against} ({shown(previous)})"
    return None


def check_month(
    ind: Indicator, year: int, month: int, row: Figures, history: Iterable[MonthlyValue]
) -> list[PlausibilityWarning]:
    """The warnings of one indicator's month; `history` may hold any months (it is filtered)."""
    return _check(ind, year, month, row, _earlier(ind.code, year, month, history))


def _check(
    ind: Indicator, year: int, month: int, row: Figures, earlier: Sequence[MonthlyValue]
) -> list[PlausibilityWarning]:
    """check_month given the indicator's earlier months already chosen: its
    last HISTORY_MONTHS before (year, month), oldest first."""
    found: list[tuple[Rule, float, str]] = []
    value = figure(ind.kind, row)
    if value is not None:
        if reason := _range(ind, value):
            found.append(("range", value, f"bernilai {shown(value)}, {reason}"))
        past = _figures(ind.kind, earlier)
        rule: Rule = "history"
        said = _spread(ind.kind, value, past)
        if said is None and past:
            rule = "jump"
            if ind.kind != "count":
                said = _jump(value, past[-1], "bulan sebelumnya")
            elif len(past) < MIN_HISTORY:  # a count's months vary: only far above its largest
                said = _jump(value, max(past), "bulan tertinggi sebelumnya", up_only=True)
        if said:
            found.append((rule, value, f"bernilai {shown(value)}, {said}"))
    if ind.kind == "ratio" and row.denominator is not None:
        previous = [v.denominator for v in earlier if v.denominator is not None]
        if previous and (said := _jump(row.denominator, previous[-1], "bulan sebelumnya")):
            found.append(("jump", row.denominator, f"penyebut {shown(row.denominator)}, {said}"))
    return [
        PlausibilityWarning(ind.code, year, month, rule, v, f"{CHECK_LABEL}: {ind.code} {reason}")
        for rule, v, reason in found
    ]


class History:
    """The current figures of an OPD's bidang-months, as a run checks file after
    file (oldest first). Kept per (bidang, indicator) as a series in month
    order, so `before` hands each indicator exactly the months the rule reads
    (its last HISTORY_MONTHS) by bisection: a run costs the same per file
    however long the warehouse's history is, and nothing is filtered or sorted
    again per file (a whole history per file made the run quadratic in it)."""

    def __init__(self, values: Iterable[MonthlyValue] = ()):
        # (bidang, indicator) -> month keys in order, and key -> that month's figures
        self._keys: dict[tuple[str, str], list[int]] = {}
        self._series: dict[tuple[str, str], dict[int, MonthlyValue]] = {}
        # (bidang, month key) -> the indicators the month's current revision holds
        self._held: dict[tuple[str, int], list[str]] = {}
        for v in values:
            self._put(v.bidang, _month_key(v), v)

    def _put(self, bidang: str, key: int, v: MonthlyValue) -> None:
        series = self._series.setdefault((bidang, v.indicator), {})
        if key not in series:
            bisect.insort(self._keys.setdefault((bidang, v.indicator), []), key)
            self._held.setdefault((bidang, key), []).append(v.indicator)
        series[key] = v

    def replace(self, bidang: str, year: int, month: int, values: Iterable[MonthlyValue]) -> None:
        """A new current revision of the bidang-month: what the earlier one held
        and this one does not is gone."""
        key = year * 12 + month
        for code in self._held.pop((bidang, key), []):
            del self._series[(bidang, code)][key]
            keys = self._keys[(bidang, code)]
            del keys[bisect.bisect_left(keys, key)]
        for v in values:
            self._put(bidang, key, v)

    def before(
        self, bidang: str, year: int, month: int, codes: Iterable[str]
    ) -> dict[str, list[MonthlyValue]]:
        """Each indicator of `codes`: its last HISTORY_MONTHS figures before
        (year, month), oldest first (the `earlier` of check_rows)."""
        when = year * 12 + month
        found: dict[str, list[MonthlyValue]] = {}
        for code in codes:
            keys = self._keys.get((bidang, code))
            if not keys:
                found[code] = []
                continue
            end = bisect.bisect_left(keys, when)
            series = self._series[(bidang, code)]
            found[code] = [series[k] for k in keys[max(0, end - HISTORY_MONTHS) : end]]
        return found


def check_sheet(
    indicators: Iterable[Indicator],
    year: int,
    month: int,
    rows: Iterable[Figures],
    history: Iterable[MonthlyValue],
) -> list[PlausibilityWarning]:
    """The warnings of a sheet's rows (one per indicator), in row order;
    `history` may hold any months (it is filtered)."""
    past: dict[str, list[MonthlyValue]] = {}
    for v in history:
        past.setdefault(v.indicator, []).append(v)
    return check_rows(
        indicators, year, month, rows, {code: _earlier(code, year, month, vs) for code, vs in past.items()}
    )


def check_rows(
    indicators: Iterable[Indicator],
    year: int,
    month: int,
    rows: Iterable[Figures],
    earlier: Mapping[str, Sequence[MonthlyValue]],
) -> list[PlausibilityWarning]:
    """check_sheet given each indicator's earlier months already chosen (its
    last HISTORY_MONTHS before the month, oldest first: History.before)."""
    by_code = {i.code: i for i in indicators}
    return [
        w
        for row in rows
        if row.indicator in by_code
        for w in _check(by_code[row.indicator], year, month, row, earlier.get(row.indicator, ()))
    ]
