"""iku/validation without GX: the tables the suites check, and the messages a
bidang reads when a row fails (the GX run itself is covered by the consolidation
tests)."""

from __future__ import annotations

from conftest import REPO
from sheetkit import sheet_rows

from iku.config import load_config
from iku.domain.kinds import kinds_needing
from iku.domain.sheet import parse_sheet
from iku.validation.frames import ROW_COLUMNS, build_frames
from iku.validation.suites import ROW_SUITE, load_suite_json, render_problem

CONFIG = load_config(REPO / "config")


def _sheet(rows):
    return parse_sheet(rows, {"realisasi", "pembilang", "penyebut"}, CONFIG.pipeline.limits)


def test_rows_carry_the_kind_and_coverage_counts_codes():
    rows = sheet_rows(month=4)
    rows[2][2] = 5  # IKU-02 says May in an April file
    rows[3][4] = "abc"  # IKU-03 realisasi not a number
    rows.append(rows[1][:])  # IKU-01 twice
    frames = build_frames({7: _sheet(rows)}, CONFIG.catalogue, "perumahan")
    assert list(frames.rows.columns) == ROW_COLUMNS
    first = frames.rows.iloc[0]
    assert (first.file_id, first.excel_row, first.kind) == (7, 2, "count")
    assert 5 in set(frames.rows["bulan"])
    bad = frames.rows[frames.rows.kode_indikator == "IKU-03"].iloc[0]
    assert bad.realisasi_unparsed == "abc" and bad.realisasi != bad.realisasi  # NaN, not 0
    counts = dict(zip(frames.coverage.kode_indikator, frames.coverage.occurrences))
    assert counts == {"IKU-01": 2, "IKU-02": 1, "IKU-03": 1, "IKU-05": 1}
    assert frames.raw[(7, 4)]["realisasi"] == "abc"


def test_a_foreign_code_gets_no_kind_so_no_number_rule_fires_for_it():
    rows = sheet_rows(month=4)
    rows[1][3] = "IKU-04"  # perkim's indicator in a perumahan file
    frames = build_frames({1: _sheet(rows)}, CONFIG.catalogue, "perumahan")
    foreign = frames.rows[frames.rows.kode_indikator == "IKU-04"].iloc[0]
    assert foreign.kind is None or foreign.kind != foreign.kind  # None or NaN: no kind
    assert all(k in {"count", "ratio", "level"} for k in frames.rows.kind.dropna())
    assert kinds_needing("realisasi") == {"count", "level"}


def test_messages_show_the_cell_as_typed_and_name_row_and_column():
    suite = load_suite_json(ROW_SUITE)
    meta = next(e["meta"] for e in suite["expectations"] if e["kwargs"].get("column") == "realisasi_unparsed")
    problem = render_problem(meta, {"excel_row": 9, "realisasi": "12,5 unit"})
    assert (problem.row, problem.column) == (9, "realisasi")
    assert problem.message.startswith("Realisasi '12,5 unit' bukan angka.")
    # a whole float shows without ".0"; a {name} the run lacks shows as "?"
    shown = render_problem({"column": "tahun", "message": "Tahun {value} ({missing})"}, {"tahun": 2031.0})
    assert shown.message == "Tahun 2031 (?)" and shown.row is None


def test_every_row_message_is_indonesian_and_names_a_column():
    for exp in load_suite_json(ROW_SUITE)["expectations"]:
        meta = exp["meta"]
        assert meta["column"] and meta["message"].endswith((".", ")")), meta
        assert not any(word in meta["message"].lower() for word in (" must ", " should ", " value ")), meta
