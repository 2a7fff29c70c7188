"""Achievement rules (CONTRACT §4) against figures computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from iku.config import Indicator, load_config
from iku.domain.achievement import (
    AT_RISK,
    NO_DATA,
    NO_TARGET,
    ZERO_TARGET,
    Basis,
    achievement_pct,
    compute,
    predicate,
    round2,
)
from iku.domain.model import MonthlyValue
from iku.domain.periods import Period

CONFIG = load_config(Path(__file__).resolve().parents[2] / "config")
BANDS = CONFIG.pipeline.predicates
RISK = CONFIG.pipeline.at_risk_below_pct


def ind(kind="count", polarity="up", target=150.0, code="IKU-90") -> Indicator:
    return Indicator(
        code=code,
        name="Uji",
        tujuan="t",
        sasaran="s",
        unit="Unit",
        bidang="perumahan",
        kind=kind,
        polarity=polarity,
        targets={2023: target},
    )


def mv(month, realisation=None, num=None, den=None, *, year=2023, code="IKU-90", revision=1, note=None):
    return MonthlyValue(
        bidang="perumahan",
        indicator=code,
        year=year,
        month=month,
        realisation=realisation,
        numerator=num,
        denominator=den,
        note=note,
        file_name=f"f{month}-{revision}.xlsx",
        sha256=f"{month:02d}{revision:062d}",
        revision=revision,
        received_at=datetime(2023, month, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "pct,label",
    [
        (None, None),
        (150, "Sangat Tinggi"),
        (91, "Sangat Tinggi"),
        (90.99, "Tinggi"),
        (76, "Tinggi"),
        (75.99, "Sedang"),
        (66, "Sedang"),
        (65.99, "Rendah"),
        (51, "Rendah"),
        (50.99, "Sangat Rendah"),
        (0, "Sangat Rendah"),
    ],
)
def test_predicate_scale(pct, label):
    assert predicate(pct, BANDS) == label


def test_achievement_formulae():
    assert achievement_pct(75, 150, "up") == 50.0
    assert achievement_pct(8, 10, "down") == 120.0  # (20 - 8) / 10
    assert achievement_pct(25, 10, "down") == 0.0  # floored at 0
    assert achievement_pct(1, 3, "up") == 33.33
    assert achievement_pct(2, 3, "up") == 66.67
    assert achievement_pct(None, 10, "up") is None
    assert achievement_pct(5, None, "up") is None
    assert round2(0.125) == 0.13  # half-up, not banker's


def test_count_up_quarter_and_year_to_date():
    values = [mv(1, 10), mv(2, 20), mv(3, 5), mv(4, 15), mv(5, 0), mv(6, 25), mv(7, 99)]
    a = compute(ind(), values, Period(2023, 2), BANDS, RISK)
    assert a.realisation == 75  # 10+20+5+15+0+25, July is after the period
    assert a.realisation_quarter == 40  # 15+0+25
    assert a.quarters == {1: 35, 2: 40, 3: None, 4: None}
    assert a.achievement_pct == 50.0  # 75 / 150
    assert a.predicate is None  # TW II: provisional, no verdict
    assert a.months_missing == ()
    # pace: 75 over 6 months -> 150 a year -> 100 %
    assert a.projected_value == 150 and a.projected_pct == 100.0 and not a.at_risk
    assert a.trend[5].cumulative == 75 and a.trend[5].target_pace == 75.0


def test_count_down_polarity():
    i = ind(polarity="down", target=10)
    values = [mv(m, 1) for m in range(1, 13)]
    a = compute(i, values, Period(2023), BANDS, RISK)
    assert a.realisation == 12
    assert a.achievement_pct == 80.0  # (20 - 12) / 10
    assert a.predicate == "Tinggi"
    assert a.realisation_quarter is None and a.projected_pct is None  # annual: no projection


def test_ratio_sums_numerators_over_latest_denominator():
    i = ind(kind="ratio", target=10, code="IKU-04")
    values = [
        mv(1, num=1.0, den=50, code="IKU-04"),
        mv(2, num=0.5, den=50, code="IKU-04"),
        mv(3, num=1.5, den=40, code="IKU-04"),
    ]
    a = compute(i, values, Period(2023, 1), BANDS, RISK)
    # 100 * (1 + 0.5 + 1.5) / 40 = 7.5; never (2 + 1 + 3.75)
    assert a.realisation == pytest.approx(7.5)
    assert a.realisation_quarter == pytest.approx(7.5)
    assert a.achievement_pct == 75.0 and a.predicate is None  # provisional in TW I
    # pace: 3 ha in 3 months -> 12 ha / 40 = 30 % -> 300 % of target
    assert a.projected_pct == 300.0 and not a.at_risk


def test_ratio_down_polarity_and_quarter_alone():
    i = ind(kind="ratio", polarity="down", target=20, code="IKU-04")
    values = [mv(1, num=2, den=100, code="IKU-04"), mv(4, num=3, den=60, code="IKU-04")]
    a = compute(i, values, Period(2023, 2), BANDS, RISK)
    assert a.realisation == pytest.approx(100 * 5 / 60)  # 8.33
    assert a.realisation_quarter == pytest.approx(100 * 3 / 60)  # 5.0
    assert a.achievement_pct == 158.33  # (40 - 8.333) / 20
    assert a.months_missing == (2, 3, 5, 6)


def test_level_is_latest_value_both_polarities():
    up = compute(
        ind(kind="level", target=80), [mv(1, 60), mv(2, 70), mv(5, 64)], Period(2023, 2), BANDS, RISK
    )
    assert up.realisation == 64 and up.realisation_quarter == 64
    assert up.quarters[1] == 70
    assert up.achievement_pct == 80.0
    assert up.projected_value == 64 and up.projected_pct == 80.0 and not up.at_risk
    down = compute(ind(kind="level", polarity="down", target=5), [mv(3, 6)], Period(2023, 1), BANDS, RISK)
    assert down.achievement_pct == 80.0  # (10 - 6) / 5


def test_missing_target_gives_no_achievement():
    a = compute(ind(target=None), [mv(1, 4)], Period(2023, 1), BANDS, RISK)
    assert a.realisation == 4 and a.achievement_pct is None and a.predicate is None
    assert NO_TARGET in a.flags
    assert not a.at_risk


def test_zero_target_gives_no_percentage():
    a = compute(ind(target=0), [mv(1, 4), mv(2, 0), mv(3, 1)], Period(2023, 1), BANDS, RISK)
    assert a.realisation == 5 and a.achievement_pct is None and a.predicate is None
    assert ZERO_TARGET in a.flags


def test_no_data_is_null_not_zero():
    a = compute(ind(), [mv(1, 5, year=2022)], Period(2023, 1), BANDS, RISK)
    assert a.realisation is None and a.realisation_quarter is None
    assert a.achievement_pct is None and a.predicate is None
    assert NO_DATA in a.flags and a.months_missing == (1, 2, 3)


def test_quarter_without_data_but_year_to_date_with_data():
    a = compute(ind(), [mv(1, 30), mv(2, 30), mv(3, 30)], Period(2023, 2), BANDS, RISK)
    assert a.realisation == 90 and a.realisation_quarter is None
    assert a.flags == ("data belum lengkap (April, Mei, Juni)",)


def test_revision_supersedes_earlier_figure():
    values = [mv(1, 10, revision=1), mv(1, 12, revision=2), mv(2, 3)]
    a = compute(ind(), values, Period(2023, 1), BANDS, RISK)
    assert a.realisation == 15  # 12 + 3, never 10 + 12 + 3


def test_invalid_month_left_out_is_flagged_not_zeroed():
    # February's sheet was invalid: the warehouse holds no figure for it.
    # A usable row missing its required number counts as no data too.
    values = [mv(1, 40), mv(3, 20), mv(4, None)]
    a = compute(ind(target=240), values, Period(2023, 2), BANDS, RISK)
    assert a.realisation == 60
    assert a.months_missing == (2, 4, 5, 6)
    assert "data belum lengkap (Februari, April, Mei, Juni)" in a.flags
    # pace over the two months reported: 30 a month -> 360 -> 150 %
    assert a.projected_value == 360 and a.projected_pct == 150.0


def test_early_warning_marks_berisiko():
    a = compute(ind(target=150), [mv(m, 5) for m in range(1, 10)], Period(2023, 3), BANDS, RISK)
    assert a.realisation == 45 and a.achievement_pct == 30.0
    assert a.projected_value == 60 and a.projected_pct == 40.0  # 5 a month -> 60 of 150
    assert a.at_risk and AT_RISK in a.flags
    q4 = compute(ind(target=150), [mv(m, 5) for m in range(1, 13)], Period(2023, 4), BANDS, RISK)
    assert q4.projected_pct is None and not q4.at_risk


def test_json_figures_rounded():
    i = ind(kind="ratio", target=10, code="IKU-04")
    a = compute(i, [mv(1, num=1, den=3, code="IKU-04")], Period(2023, 1), BANDS, RISK)
    assert a.as_json() == {
        "target": 10,
        "realisation": 33.33,
        "realisation_quarter": 33.33,
        "achievement_pct": 333.33,
        "predicate": None,  # TW I: provisional, no verdict (issue 17 N3)
    }


def planned(kind="count", polarity="up", plan=(30.0, 70.0, 110.0, 150.0), target=150.0) -> Indicator:
    return ind(kind, polarity, target).model_copy(update={"rencana_aksi": {2023: plan}})


def test_quarter_is_judged_against_its_rencana_aksi_and_the_year_stays_provisional():
    # TW II: 10 + 14 + 8 + 15 + 9 = 56 (no June) against the plan's 70 through June
    values = [mv(m, v) for m, v in {1: 10, 2: 14, 3: 8, 4: 15, 5: 9}.items()]
    a = compute(planned(), values, Period(2023, 2), BANDS, RISK)
    assert (a.target_quarter, a.achievement_quarter_pct, a.predicate_quarter) == (70.0, 80.0, "Tinggi")
    # beside it, the year to date against 150: 37.33 %, provisional, with the pace's projection
    assert (a.achievement_pct, a.provisional) == (37.33, True)
    # the projection follows the plan: 56 done + the 80 still planned after June = 136 of 150
    assert (a.projected_pct, a.projection_basis) == (90.67, Basis.PLAN)
    # a down indicator against its plan: (2 x 20 - 25) / 20 = 75 %
    down = compute(planned(polarity="down", plan=(10, 20, 30, 40)), [mv(1, 25)], Period(2023, 2), BANDS)
    assert (down.achievement_quarter_pct, down.predicate_quarter) == (75.0, "Sedang")


def test_ratio_plan_is_the_value_expected_at_the_quarter_end():
    # 100 x (1.5 + 1.5) / 38 = 7.894...; against 5 % planned by June: 157.89 %
    values = [mv(2, num=1.5, den=40), mv(5, num=1.5, den=38)]
    a = compute(planned("ratio", plan=(2.5, 5.0, 7.5, 10.0), target=10.0), values, Period(2023, 2), BANDS)
    assert (a.achievement_quarter_pct, a.predicate_quarter, a.achievement_pct) == (
        157.89,
        "Sangat Tinggi",
        78.95,
    )


def test_without_a_plan_no_quarterly_verdict_and_year_end_is_final():
    values = [mv(m, 15) for m in range(1, 13)]
    mid = compute(ind(), values, Period(2023, 3), BANDS)
    assert (mid.target_quarter, mid.achievement_quarter_pct, mid.predicate_quarter) == (None, None, None)
    assert mid.provisional and mid.why_no_quarter_pct() == "rencana aksi belum ditetapkan"
    for period in (Period(2023, 4), Period(2023)):
        end = compute(ind(), values, period, BANDS)
        assert not end.provisional and (end.achievement_pct, end.predicate) == (120.0, "Sangat Tinggi")
    assert compute(planned(), values, Period(2023), BANDS).target_quarter is None  # annual: no quarter


def test_average_says_what_it_runs_over():
    from iku.domain.achievement import average

    avg = average(
        [
            ("IKU-01", None, NO_TARGET),
            ("IKU-02", 80.0, None),
            ("IKU-04", 157.89, None),
            ("IKU-05", None, None),
        ],
        BANDS,
    )
    # (80 + 157.89) / 2 = 118.945 -> 118.95 half-up
    assert (avg.pct, avg.predicate, avg.over) == (118.95, "Sangat Tinggi", ("IKU-02", "IKU-04"))
    assert avg.describe() == (
        "rata-rata 2 dari 4 indikator; tanpa capaian: IKU-01 (target belum ditetapkan), IKU-05 (belum ada data)"
    )
    provisional = average([("IKU-02", 37.33, None), ("IKU-03", 100.0, None)], BANDS, verdict=False)
    assert (provisional.pct, provisional.predicate) == (68.67, None)  # 137.33 / 2 = 68.665 -> 68.67
    assert average([("IKU-01", None, NO_TARGET)], BANDS).pct is None


def test_rencana_aksi_config_is_checked():
    with pytest.raises(ValueError, match="tidak boleh turun"):
        Indicator.model_validate(ind().model_dump() | {"rencana_aksi": {2023: (30.0, 20.0, None, 150.0)}})
    with pytest.raises(ValueError, match="tidak boleh negatif"):
        Indicator.model_validate(ind().model_dump() | {"rencana_aksi": {2023: (-1, None, None, None)}})
    ok = Indicator.model_validate(ind("ratio").model_dump() | {"rencana_aksi": {2023: (5, 4, None, 10)}})
    assert ok.quarter_target(2023, 2) == 4 and ok.quarter_target(2023, 3) is None
    assert ok.quarter_target(2024, 1) is None


def test_headline_average_is_the_rencana_aksi_where_a_quarter_has_one_else_the_year():
    from iku.domain.achievement import headline_average

    values = [mv(m, v) for m, v in {1: 10, 2: 14, 3: 8, 4: 15, 5: 9}.items()]
    other = [mv(m, 5, code="IKU-91") for m in range(1, 6)]
    q2 = Period(2023, 2)
    # IKU-02-like with a plan (56 of 70: 80 %), IKU-91 without one: the plan's average runs over one
    rows = [
        ("IKU-90", compute(planned(), values, q2, BANDS)),
        ("IKU-91", compute(ind(code="IKU-91"), other, q2, BANDS)),
    ]
    label, avg = headline_average(rows, BANDS, q2)
    assert label == "Rata-rata capaian terhadap Rencana Aksi s.d. Triwulan II Tahun 2023"
    assert (avg.pct, avg.predicate, avg.over) == (80.0, "Tinggi", ("IKU-90",))
    assert avg.without == (("IKU-91", "rencana aksi belum ditetapkan"),)
    # no plan at all: the year to date against 150, provisional (no predicate) mid-year
    rows = [("IKU-90", compute(ind(), values, q2, BANDS))]
    label, avg = headline_average(rows, BANDS, q2)
    assert label == "Rata-rata capaian s.d. Triwulan II Tahun 2023 terhadap target tahunan (sementara)"
    assert (avg.pct, avg.predicate) == (37.33, None)
    # the year's end: the annual capaian with its predicate (120 of 150 is 80 %: Tinggi)
    year = [("IKU-90", compute(planned(), [mv(m, 10) for m in range(1, 13)], Period(2023), BANDS))]
    label, avg = headline_average(year, BANDS, Period(2023))
    assert (label, avg.pct, avg.predicate) == ("Rata-rata tingkat capaian kinerja 2023", 80.0, "Tinggi")


def lumpy(year=2023, months=range(1, 13)) -> list[MonthlyValue]:
    """An indicator that comes in one lump: nothing until August, then 2."""
    return [mv(m, 2 if m == 8 else 0, year=year) for m in months]


def test_provisional_capaian_and_its_projection_carry_no_predicate():
    """Issue 17 N3: mid-year neither the year-to-date capaian nor the projection,
    nor their averages, is a verdict."""
    from iku.domain.achievement import projected_average, year_average

    a = compute(
        ind(kind="ratio", target=10), [mv(m, num=0.1, den=100) for m in (1, 2, 3)], Period(2023, 1), BANDS
    )
    assert a.provisional and a.achievement_pct is not None and a.predicate is None
    assert a.as_json()["predicate"] is None
    assert projected_average([("IKU-90", a)], BANDS).predicate is None
    assert year_average([("IKU-90", a)], BANDS, verdict=False).predicate is None
    final = compute(ind(target=150), [mv(m, 5) for m in range(1, 13)], Period(2023, 4), BANDS)
    assert final.predicate == "Sangat Rendah"  # TW IV: the year's verdict


def test_a_lumpy_indicator_follows_its_rencana_aksi_not_a_straight_line():
    """Issue 17 N3: 0 until August then 2 is on course in TW II when the plan
    says nothing is due before TW III; the straight line would call it berisiko."""
    so_far = lumpy(months=range(1, 7))
    plain = compute(ind(target=2), so_far, Period(2023, 2), BANDS, RISK)
    assert plain.projection_basis is Basis.PACE and plain.at_risk  # nothing planned to follow
    with_plan = compute(planned(plan=(0, 0, 2, 2), target=2), so_far, Period(2023, 2), BANDS, RISK)
    assert (with_plan.projected_value, with_plan.projected_pct) == (2, 100.0)
    assert with_plan.projection_basis is Basis.PLAN and not with_plan.at_risk
    # behind the plan is still at risk: TW III planned 2, nothing came
    late = compute(
        planned(plan=(0, 0, 2, 2), target=2), lumpy(months=range(1, 8)), Period(2023, 3), BANDS, RISK
    )
    assert late.projected_pct == 0.0 and late.at_risk


def test_a_lumpy_indicator_follows_the_earlier_years_pattern():
    """Without a Rencana Aksi, the share earlier full years had reached by now."""
    earlier = lumpy(2021) + lumpy(2022)
    a = compute(ind(target=2), lumpy(months=range(1, 7)), Period(2023, 2), BANDS, RISK, earlier=earlier)
    assert (a.projected_pct, a.projection_basis, a.at_risk) == (100.0, Basis.EARLIER_YEARS, False)
    # an incomplete earlier year says nothing: back to the pace of the months so far
    partial = compute(
        ind(target=2),
        lumpy(months=range(1, 7)),
        Period(2023, 2),
        BANDS,
        RISK,
        earlier=lumpy(2022, range(1, 12)),
    )
    assert partial.projection_basis is Basis.PACE
    # a level stands where it is
    level = compute(ind(kind="level", target=2), [mv(1, 1)], Period(2023, 1), BANDS, RISK, earlier=earlier)
    assert (level.projected_value, level.projection_basis) == (1, Basis.LATEST)
