"""The Renstra progress rule and the standard comparison, against figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

from iku.config import load_config
from iku.domain.renstra import (
    SOURCE_LABELS,
    YearFigure,
    compare_with_standard,
    from_history,
    renstra_progress,
    year_figure,
)

BANDS = load_config(Path(__file__).resolve().parents[2] / "config").pipeline.predicates
RENSTRA = (2022, 2026)
EVERY_YEAR_150 = dict.fromkeys(range(2022, 2027), 150.0)


def fig(year, realisation, source="pipeline", target=150.0):
    return YearFigure(year, target, realisation, None, None, source if realisation is not None else None)


def test_count_sums_the_years_against_the_sum_of_all_targets():
    # 120 (2022, imported) + 56 (2023) = 176 of 5 x 150 = 750 -> 23.466.. -> 23.47
    p = renstra_progress("count", "up", [fig(2022, 120, "history"), fig(2023, 56)], EVERY_YEAR_150, RENSTRA)
    assert (p.basis, p.value, p.basis_target, p.end_target, p.progress_pct) == (
        "cumulative",
        176,
        750,
        150,
        23.47,
    )
    assert p.rule == "kumulatif: jumlah realisasi 2022–2023 dibandingkan jumlah target 2022–2026"
    assert p.value_year is None and p.years_without_data == ()
    assert p.note == "termasuk data historis (impor): 2022"


def test_count_names_the_years_without_data_instead_of_counting_them_as_zero():
    p = renstra_progress(
        "count", "up", [fig(2022, None), fig(2023, 56), fig(2024, 100)], EVERY_YEAR_150, RENSTRA
    )
    # 156 / 750 = 20.8 %, but 2022 is unknown and said so
    assert p.value == 156 and p.progress_pct == 20.8
    assert p.years_without_data == (2022,) and p.note == "tanpa data: 2022"


def test_count_without_every_target_gives_no_percentage():
    targets = {2022: 20.0, 2023: None, 2024: None, 2025: None, 2026: None}
    p = renstra_progress(
        "count", "up", [fig(2022, 20, target=20.0), fig(2023, 5, target=None)], targets, RENSTRA
    )
    assert p.value == 25 and p.basis_target is None and p.progress_pct is None
    assert p.note == "target Renstra belum ditetapkan untuk semua tahun"


def test_ratio_takes_the_latest_year_against_the_end_target_never_a_sum():
    targets = dict.fromkeys(range(2022, 2027), 10.0)
    # 2022: 10 %, 2023: 7.89 % -> 7.89 / 10 = 78.9 %; never 17.89
    p = renstra_progress(
        "ratio", "up", [fig(2022, 10.0, target=10), fig(2023, 7.89, target=10)], targets, RENSTRA
    )
    assert (p.basis, p.value, p.value_year, p.basis_target, p.end_target, p.progress_pct) == (
        "latest",
        7.89,
        2023,
        10,
        10,
        78.9,
    )
    assert (
        "rasio tidak dijumlahkan" in p.rule
        and "realisasi tahun 2023 dibandingkan target tahun 2026" in p.rule
    )


def test_level_falls_back_to_the_last_year_with_data_and_down_polarity():
    targets = dict.fromkeys(range(2022, 2027), 4.0)
    # down: (2 x 4 - 5) / 4 = 75 %; 2024 has no data, so 2023's value stands
    p = renstra_progress(
        "level",
        "down",
        [fig(2022, 6.0, target=4), fig(2023, 5.0, target=4), fig(2024, None, target=4)],
        targets,
        RENSTRA,
    )
    assert (p.value, p.value_year, p.progress_pct, p.years_without_data) == (5.0, 2023, 75.0, (2024,))


def test_no_data_at_all():
    p = renstra_progress("ratio", "up", [fig(2022, None, target=10.0)], {2026: 10.0}, RENSTRA)
    assert p.value is None and p.progress_pct is None and p.value_year is None


def test_history_year_is_a_full_year_with_its_predicate():
    f = from_history(2022, 120, 150.0, "up", BANDS, "LKjIP 2022")
    # 120 / 150 = 80 % -> Tinggi (>= 76)
    assert (f.achievement_pct, f.predicate, f.source, f.source_note) == (
        80.0,
        "Tinggi",
        "history",
        "LKjIP 2022",
    )
    assert f.source_label == SOURCE_LABELS["history"] == "data historis (impor)"


def test_standard_comparison_by_polarity():
    up = compare_with_standard(92.5, 100, "SPM nasional", "up")
    assert (up.meets, up.gap, up.position) == (False, -7.5, "belum memenuhi standar")
    assert compare_with_standard(100, 100, "SPM nasional", "up").meets is True
    down = compare_with_standard(3.2, 5, "standar provinsi", "down")
    assert (down.meets, down.gap, down.position) == (True, -1.8, "memenuhi standar")
    none = compare_with_standard(None, 5, "standar provinsi", "down")
    assert (none.meets, none.position) == (None, "belum ada realisasi")


def test_one_rule_for_where_a_year_comes_from():
    """The sheets win where they hold the year, history fills the years before
    the pipeline; the quarterly report and the LKjIP both use this rule."""
    from dataclasses import replace

    from iku.domain.achievement import compute
    from iku.domain.history import HistoryValue
    from iku.domain.periods import Period

    config = load_config(Path(__file__).resolve().parents[2] / "config")
    ind = next(i for i in config.catalogue.indicators if i.kind == "count")
    empty = compute(ind, [], Period(2023), BANDS)
    held = replace(empty, realisation=140.0)
    imported = HistoryValue(ind.code, 2023, 120.0, "LKjIP 2023", None, "lkjip.xlsx", None, 1)  # type: ignore[arg-type]

    from_sheets = year_figure(held, imported, ind.polarity, BANDS)
    assert (from_sheets.source, from_sheets.realisation, from_sheets.unused_import) == (
        "pipeline",
        140.0,
        imported,
    )
    from_import = year_figure(empty, imported, ind.polarity, BANDS)
    assert (from_import.source, from_import.realisation, from_import.source_note) == (
        "history",
        120.0,
        "LKjIP 2023",
    )
    nothing = year_figure(empty, None, ind.polarity, BANDS)
    assert (nothing.source, nothing.realisation, nothing.unused_import) == (None, None, None)
