"""The rule of the kabupaten's own IKU (RPJMD): sum, mean or value of the OPD
indicators that feed it, then capaian and predikat by the §4 formulas. Pure."""

from __future__ import annotations

import math

import pytest

from iku.config import PredicateBand
from iku.domain.rpjmd import Feed, combine, evaluate

BANDS = [
    PredicateBand(min=91, label="Sangat Tinggi"),
    PredicateBand(min=76, label="Tinggi"),
    PredicateBand(min=66, label="Sedang"),
    PredicateBand(min=51, label="Rendah"),
    PredicateBand(min=None, label="Sangat Rendah"),
]


def feeds(*values: float | None) -> list[Feed]:
    return [Feed(f"opd-{i}", "IKU-01", v) for i, v in enumerate(values, start=1)]


def test_sum_mean_and_value():
    assert combine("sum", [120, 30, 0]) == 150
    assert combine("mean", [90, 95]) == 92.5
    assert combine("value", [14.2]) == 14.2
    assert combine("mean", [90, 60], [2, 1]) == 80  # weighted: (2×90 + 60) / 3
    assert combine("mean", [90, 60], [1, 1]) == combine("mean", [90, 60])
    with pytest.raises(ValueError):
        combine("mean", [90, 60], [1])
    with pytest.raises(ValueError, match="exactly one"):
        combine("value", [1, 2])


def test_a_feed_without_data_leaves_the_kabupaten_figure_empty_and_is_named():
    assert combine("sum", [120, None]) is None
    assert combine("mean", [90, math.nan]) is None  # a stored NaN is no figure either
    assert combine("sum", []) is None
    result = evaluate("sum", feeds(120, None, 5), 170, "up", BANDS)
    assert result.realisation is None and result.achievement_pct is None and result.predicate is None
    assert result.missing == ("opd-2/IKU-01",)
    assert result.why == "data belum lengkap (opd-2/IKU-01)"


def test_capaian_and_predicate_by_polarity():
    up = evaluate("sum", feeds(120, 30), 170, "up", BANDS)
    assert (up.realisation, up.achievement_pct, up.predicate, up.verdict) == (150, 88.24, "Tinggi", "Tinggi")
    assert up.why is None and up.missing == ()
    # lower is better (stunting): 2 x 14 - 15 = 13 over 14
    down = evaluate("value", feeds(15), 14, "down", BANDS)
    assert (down.achievement_pct, down.predicate) == (92.86, "Sangat Tinggi")
    mean = evaluate("mean", feeds(90, 80.5), 90, "up", BANDS)
    assert (mean.realisation, mean.achievement_pct) == (85.25, 94.72)


def test_no_target_no_capaian():
    result = evaluate("sum", feeds(120, 30), None, "up", BANDS)
    assert result.realisation == 150 and result.achievement_pct is None and result.predicate is None
    assert result.why == "target belum ditetapkan"
    zero = evaluate("sum", feeds(1), 0, "up", BANDS)
    assert zero.achievement_pct is None and zero.why == "target nol"


def test_mid_year_the_predicate_is_no_verdict():
    result = evaluate("sum", feeds(60, 10), 170, "up", BANDS, provisional=True)
    assert result.achievement_pct is not None and result.predicate is None and result.verdict is None


def test_the_rencana_aksi_judges_the_quarter_by_the_polarity():
    up = evaluate("sum", feeds(60, 10), 170, "up", BANDS, provisional=True, target_quarter=70)
    assert (up.achievement_quarter_pct, up.predicate_quarter) == (100.0, "Sangat Tinggi")
    down = evaluate("value", feeds(16), 14, "down", BANDS, provisional=True, target_quarter=15)
    assert down.achievement_quarter_pct == round((2 * 15 - 16) / 15 * 100, 2)
    none = evaluate("sum", feeds(60, None), 170, "up", BANDS, target_quarter=70)
    assert none.achievement_quarter_pct is None and none.predicate_quarter is None
