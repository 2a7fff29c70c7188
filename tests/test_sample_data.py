"""Generated sample sheets: the scenario they describe is the one they carry."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from python_calamine import CalamineWorkbook

from iku.config import load_config
from iku.domain.numbers import parse_number
from iku.domain.periods import deadline, month_number
from iku.sample_data import generate_bulk, generate_year, plan_year

REPO = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "config")


def _table(path: Path) -> list[list[object]]:
    """Header row onward, header names normalised the way the contract matches them."""
    if path.suffix == ".csv":
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines(), delimiter=";"))
    else:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Realisasi").to_python()
    h = next(i for i, r in enumerate(rows) if str(r[0]).strip().lower() == "bidang")
    assert h <= 10
    header = [str(c).strip().lower().replace(" ", "_") for c in rows[h]]
    return [dict(zip(header, r)) for r in rows[h + 1 :] if any(str(c).strip() for c in r)]


def test_scenario_statuses(config):
    sc = plan_year(config, 2023)
    assert len(sc.expected_status) == 2 * 12
    assert sc.with_status("missing") == [("perkim", 2)]
    assert sc.with_status("invalid") == [("perkim", 7), ("perumahan", 9)]
    assert sc.with_status("late") == [("perkim", 10), ("perumahan", 3), ("perumahan", 4)]
    assert sum(v == "on_time" for v in sc.expected_status.values()) == 24 - 6
    assert {f.problem for f in sc.invalid_files} == {"negative", "missing_row", "numerator_gt_denominator"}
    # the invalid March file is corrected by a revision after the deadline
    march = [f for f in sc.files if (f.bidang, f.month) == ("perumahan", 3)]
    assert [f.valid for f in march] == [False, True]
    assert not march[0].late and march[1].late
    # June: two valid files in time; the later one's figures are current
    june = [f for f in sc.files if (f.bidang, f.month) == ("perumahan", 6)]
    assert [f.valid for f in june] == [True, True] and june[0].received_at < june[1].received_at
    assert june[0].figures != june[1].figures
    assert sc.expected_values[("perumahan", 6, "IKU-02")] == june[1].figures[1]
    # nothing from a missing or invalid-only month is current data
    assert ("perkim", 2, "IKU-04") not in sc.expected_values
    assert ("perkim", 7, "IKU-04") not in sc.expected_values


def test_plan_is_deterministic_and_seeded(config):
    assert plan_year(config, 2023, seed=3).files == plan_year(config, 2023, seed=3).files
    assert plan_year(config, 2023, seed=3).files != plan_year(config, 2023, seed=4).files


def test_through_month_leaves_later_events_out(config):
    sc = plan_year(config, 2024, through_month=3)
    assert {m for _, m in sc.expected_status} == {1, 2, 3}
    assert sc.with_status("missing") == [("perkim", 2)]
    assert all(f.month <= 3 for f in sc.files)


def test_yearly_figures_are_realistic(config):
    for seed in (1, 2, 3):
        sc = plan_year(config, 2023, seed=seed)
        # full-year figures before faults: counts near the target, IKU-04 near 10 %
        months = {}
        for f in sc.files:
            if f.valid:
                for fig in f.figures:
                    months[(f.month, fig.indicator)] = fig
        iku02 = sum(months[(m, "IKU-02")].realisation for m in range(1, 13) if (m, "IKU-02") in months)
        assert 120 <= iku02 <= 170
        ratio = [months[(m, "IKU-04")] for m in range(1, 13) if (m, "IKU-04") in months]
        assert all(r.denominator == 98.5 and 0 <= r.numerator <= r.denominator for r in ratio)
        pct = 100 * sum(r.numerator for r in ratio) / 98.5
        assert 5 <= pct <= 11


def test_files_carry_the_plan(config, tmp_path):
    sc = plan_year(config, 2023, seed=7)
    paths = generate_year(config, tmp_path / "inbox", 2023, seed=7)
    assert [p.relative_to(tmp_path / "inbox").as_posix() for p in paths] == [f.relpath for f in sc.files]
    assert {p.suffix for p in paths} == {".xlsx", ".csv"}
    styles = {f.style for f in sc.files}
    assert {"xlsx", "xlsx_titled", "csv_semicolon", "xlsx_text"} <= styles
    saw_month_name = saw_text_comma = False
    for sf, path in zip(sc.files, paths):
        assert path.parent.name == sf.bidang  # each bidang's own folder
        mtime = datetime.fromtimestamp(path.stat().st_mtime, TZ)
        assert abs((mtime - sf.received_at).total_seconds()) < 1
        assert (mtime > deadline(2023, sf.month, 10, "Asia/Jakarta")) == sf.late
        rows = _table(path)
        assert len(rows) == len(sf.figures)
        for row, fig in zip(rows, sf.figures):
            assert row["bidang"] == sf.bidang and int(float(row["tahun"])) == 2023
            assert month_number(row["bulan"]) == sf.month
            saw_month_name |= isinstance(row["bulan"], str) and not row["bulan"].isdigit()
            assert row["kode_indikator"] == fig.indicator
            for col, want in (
                ("realisasi", fig.realisation),
                ("pembilang", fig.numerator),
                ("penyebut", fig.denominator),
            ):
                got = row[col]
                saw_text_comma |= isinstance(got, str) and "," in got
                assert parse_number(got if got != "" else None) == want
    assert saw_month_name and saw_text_comma


def test_same_seed_same_bytes(config, tmp_path):
    a = generate_year(config, tmp_path / "a", 2023, through_month=2)
    b = generate_year(config, tmp_path / "b", 2023, through_month=2)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_bulk_files_are_distinct_and_valid(config, tmp_path):
    paths = generate_bulk(config, tmp_path / "bulk", 150, seed=5)
    assert len(paths) == 150 and all(p.suffix == ".xlsx" for p in paths)
    assert len({hashlib.sha256(p.read_bytes()).digest() for p in paths}) == 150
    assert {p.parent.name for p in paths} == {"perumahan", "perkim"}
    periods = set()
    for p in paths:
        rows = _table(p)
        codes = [r["kode_indikator"] for r in rows]
        assert codes == [i.code for i in config.catalogue.indicators_of(p.parent.name)]
        periods.add((p.parent.name, int(rows[0]["tahun"]), int(rows[0]["bulan"])))
        for r in rows:
            if r["kode_indikator"] == "IKU-04":
                assert 0 <= r["pembilang"] <= r["penyebut"] and r["penyebut"] > 0
            else:
                assert r["realisasi"] >= 0
    assert (
        len(periods) == 120
    )  # 2 bidang x 12 months x 5 Renstra years; periods repeat: later files are revisions


def test_sheets_pass_the_reader(config, tmp_path):
    """When the colleague's reader is present, every generated file is structurally sound."""
    sheet_mod = pytest.importorskip("iku.domain.sheet")
    required = {"perumahan": {"realisasi"}, "perkim": {"pembilang", "penyebut"}}
    for path in generate_year(config, tmp_path / "inbox", 2023):
        cells = sheet_mod.read_cells(path.read_bytes(), path.suffix)
        sheet = sheet_mod.parse_sheet(cells, required[path.parent.name], config.pipeline.limits)
        assert not sheet.problems, (path.name, sheet.problems)
        assert sheet.period()[0] == path.parent.name
