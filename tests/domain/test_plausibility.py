"""Plausibility warnings (CONTRACT §12): "perlu dicek" with the reason, never a refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iku.config import ConfigError, PlausibleRange, load_config
from iku.domain.model import MonthlyValue, ValueRow
from iku.domain.plausibility import check_month, check_sheet
from iku.shipped import shipped

CATALOGUE = load_config(shipped("config")).catalogue
COUNT = CATALOGUE.indicator("IKU-02")
RATIO = CATALOGUE.indicator("IKU-04")
LEVEL = COUNT.model_copy(update={"code": "IKU-09", "kind": "level"})


def row(code, realisation=None, numerator=None, denominator=None):
    return ValueRow(code, realisation, numerator, denominator, None, 5)


def history(code, values, year=2023, first_month=1, denominators=None):
    out = []
    for i, v in enumerate(values):
        num, den = (v, denominators[i]) if denominators else (None, None)
        out.append(
            MonthlyValue(
                "perumahan", code, year, first_month + i, None if denominators else v, num, den, None,
                "f.xlsx", "sha", 1, datetime(2023, 1, 1, tzinfo=UTC),
            )
        )  # fmt: skip
    return out


def test_1500_typed_for_15_is_caught_by_the_months_spread():
    past = history("IKU-02", [12, 15, 18, 14, 16])
    [warning] = check_month(COUNT, 2023, 6, row("IKU-02", 1500), past)
    assert warning.rule == "history" and warning.value == 1500
    assert warning.message == (
        "perlu dicek: IKU-02 bernilai 1.500, jauh di atas bulan-bulan sebelumnya (median 15 dari 5 bulan)"
    )
    assert warning.as_dict()["month"] == 6
    assert check_month(COUNT, 2023, 6, row("IKU-02", 15), past) == []
    assert check_month(COUNT, 2023, 6, row("IKU-02", 50), past) == []  # a good month is not a slip
    assert check_month(COUNT, 2023, 6, row("IKU-02", 53), past) != []


def test_1500_for_15_with_one_earlier_month_is_a_jump():
    [warning] = check_month(LEVEL, 2023, 2, row("IKU-09", 1500), history("IKU-09", [15]))
    assert warning.rule == "jump"
    assert warning.message == "perlu dicek: IKU-09 bernilai 1.500, 100 kali bulan sebelumnya (15)"
    [count] = check_month(COUNT, 2023, 3, row("IKU-02", 1500), history("IKU-02", [15, 9]))
    assert count.message.endswith("100 kali bulan tertinggi sebelumnya (15)")


def test_a_level_that_drops_to_a_hundredth_is_caught_a_count_that_drops_is_not():
    [warning] = check_month(LEVEL, 2023, 2, row("IKU-09", 0.15), history("IKU-09", [15]))
    assert "hanya 1/100 dari bulan sebelumnya (15)" in warning.message
    assert check_month(COUNT, 2023, 6, row("IKU-02", 0), history("IKU-02", [12, 15, 18, 14, 16])) == []


def test_lumpy_counts_and_short_histories_say_nothing():
    # nothing for months, then a finished batch: the ordinary life of a count
    assert check_month(COUNT, 2023, 8, row("IKU-02", 150), history("IKU-02", [0] * 7)) == []
    assert check_month(COUNT, 2023, 1, row("IKU-02", 1500), []) == []  # no history at all
    # a later month is no history of an earlier one
    assert check_month(COUNT, 2023, 1, row("IKU-02", 1500), history("IKU-02", [15], first_month=2)) == []


def test_the_history_runs_across_years():
    past = history("IKU-02", [12, 15, 18], year=2022, first_month=10) + history("IKU-02", [14, 16])
    [warning] = check_month(COUNT, 2023, 3, row("IKU-02", 1500), past)
    assert "dari 5 bulan" in warning.message


def test_a_ratio_is_checked_as_its_percentage_and_its_penyebut():
    past = history("IKU-04", [40, 42], denominators=[100, 100])
    assert check_month(RATIO, 2023, 3, row("IKU-04", None, 45, 100), past) == []
    warnings = check_month(RATIO, 2023, 3, row("IKU-04", None, 45, 10000), past)
    assert [w.rule for w in warnings] == ["jump", "jump"]
    assert (
        warnings[0].message == "perlu dicek: IKU-04 bernilai 0,45, hanya 1/93,33 dari bulan sebelumnya (42)"
    )
    assert warnings[1].message == "perlu dicek: IKU-04 penyebut 10.000, 100 kali bulan sebelumnya (100)"


def test_the_configured_range():
    ranged = RATIO.model_copy(update={"plausible_range": PlausibleRange(min=0, max=100)})
    [warning] = check_month(ranged, 2023, 1, row("IKU-04", None, 150, 100), [])
    assert (warning.rule, warning.message) == (
        "range",
        "perlu dicek: IKU-04 bernilai 150, di atas batas wajar 100",
    )
    low = COUNT.model_copy(update={"plausible_range": PlausibleRange(min=5)})
    [below] = check_month(low, 2023, 1, row("IKU-02", 2.5), [])
    assert below.message == "perlu dicek: IKU-02 bernilai 2,5, di bawah batas wajar 5"


def test_a_sheet_gets_one_list_in_row_order():
    rows = [row("IKU-02", 1500), row("IKU-04", None, 1, 2), row("IKU-99", 3)]
    past = history("IKU-02", [12, 15, 18, 14, 16])
    assert [w.indicator for w in check_sheet(CATALOGUE.indicators, 2023, 6, rows, past)] == ["IKU-02"]


def _edit_indicator(config_dir, text):
    path = config_dir / "opd.yaml"
    source = path.read_text(encoding="utf-8")
    anchor = "    formula: Perbaiki Rumah Tidak Layak huni"
    assert anchor in source
    path.write_text(source.replace(anchor, text + "\n" + anchor, 1), encoding="utf-8")
    return load_config(config_dir)


def test_range_and_evidence_in_the_catalogue(config_copy):
    config = _edit_indicator(
        config_copy, "    plausible_range: {min: 0, max: 400}\n    evidence_required: true"
    )
    ind = config.catalogue.indicator("IKU-02")
    assert ind.plausible_range == PlausibleRange(min=0, max=400) and ind.evidence_required
    assert not config.catalogue.indicator("IKU-01").evidence_required


def test_a_range_written_backwards_is_one_line(config_copy):
    with pytest.raises(ConfigError, match="plausible_range: min 400 lebih besar dari max 10"):
        _edit_indicator(config_copy, "    plausible_range: {min: 400, max: 10}")


def test_a_runs_history_hands_the_rule_what_the_whole_history_would():
    """History.before gives check_sheet only the months the rule reads; the warnings
    are those of the whole history, month by month over years with gaps and an
    indicator that skips months (the run checks file after file this way)."""
    from iku.domain.plausibility import History, check_rows

    values = []
    for i in range(60):  # five years of perumahan's months, a gap in the middle
        year, month = 2019 + i // 12, i % 12 + 1
        if 20 <= i < 26:
            continue
        values += history("IKU-02", [12 + (i * 7) % 9], year=year, first_month=month)
        if i % 3:  # IKU-09 reported in two months of three
            values += history("IKU-09", [40 + i % 5], year=year, first_month=month)
    runs = History(values)
    indicators = [COUNT, LEVEL]
    checked = 0
    for year, month in [(2019, 3), (2021, 2), (2022, 7), (2023, 12), (2024, 1)]:
        rows = [row("IKU-02", 1500), row("IKU-09", 4000)]
        earlier = runs.before("perumahan", year, month, ["IKU-02", "IKU-09"])
        assert all(len(vs) <= 24 for vs in earlier.values())
        whole = check_sheet(indicators, year, month, rows, values)
        assert check_rows(indicators, year, month, rows, earlier) == whole
        checked += len(whole)
    assert checked >= 8  # the slips were caught, not silently dropped
    assert runs.before("perkim", 2023, 1, ["IKU-02"]) == {"IKU-02": []}
    runs.replace("perumahan", 2018, 12, history("IKU-02", [13], year=2018, first_month=12))
    assert [v.month for v in runs.before("perumahan", 2019, 1, ["IKU-02"])["IKU-02"]] == [12]
    # a new revision of a month replaces the earlier one, and drops what it no longer holds
    runs.replace("perumahan", 2018, 12, history("IKU-09", [41], year=2018, first_month=12))
    assert runs.before("perumahan", 2019, 1, ["IKU-02", "IKU-09"]) == {
        "IKU-02": [],
        "IKU-09": history("IKU-09", [41], year=2018, first_month=12),
    }
