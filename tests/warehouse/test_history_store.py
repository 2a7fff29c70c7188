"""Imported history in the warehouse, on SQLite and PostgreSQL: stored once per
file, a changed figure becomes the next revision with the earlier one kept."""

from __future__ import annotations

from report_seed import OPD, seed

from iku.domain.history import HistoryRow
from iku.warehouse import Warehouse
from iku.warehouse.history import first_pipeline_year, history_values, import_history

ROWS = [
    HistoryRow("IKU-02", 2022, 120.0, "LKjIP 2022", None, 2),
    HistoryRow("IKU-04", 2022, 9.85, "LKjIP 2022", "angka BPS", 3),
]


def test_import_is_idempotent_and_a_changed_figure_keeps_the_earlier_one(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    assert first_pipeline_year(wh, OPD) is None
    first = import_history(wh, OPD, "a" * 64, "riwayat.xlsx", ROWS)
    assert (first.added, first.replaced, first.unchanged, first.already_imported_at) == (2, 0, 0, None)
    again = import_history(wh, OPD, "a" * 64, "riwayat-salinan.xlsx", ROWS)
    assert again.already_imported_at is not None and (again.added, again.replaced) == (0, 0)

    corrected = [ROWS[0], HistoryRow("IKU-04", 2022, 10.5, "LKjIP 2022 (revisi)", None, 3)]
    third = import_history(wh, OPD, "b" * 64, "riwayat-revisi.xlsx", corrected)
    assert (third.added, third.replaced, third.unchanged) == (0, 1, 1)

    current = {(h.indicator, h.year): h for h in history_values(wh, OPD)}
    assert current[("IKU-02", 2022)].realisation == 120 and current[("IKU-02", 2022)].revision == 1
    assert current[("IKU-02", 2022)].file_name == "riwayat.xlsx"
    iku04 = current[("IKU-04", 2022)]
    assert (iku04.realisation, iku04.source, iku04.revision, iku04.file_name) == (
        10.5,
        "LKjIP 2022 (revisi)",
        2,
        "riwayat-revisi.xlsx",
    )
    every = [(h.indicator, h.realisation, h.revision) for h in history_values(wh, OPD, current_only=False)]
    assert every == [("IKU-02", 120.0, 1), ("IKU-04", 9.85, 1), ("IKU-04", 10.5, 2)]
    assert history_values(wh, "another-opd") == []


def test_first_pipeline_year_is_the_first_valid_sheet(warehouse_url):
    wh = seed(warehouse_url)
    assert first_pipeline_year(wh, OPD) == 2022
