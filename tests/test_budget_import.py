"""Importing budget sheets end to end (read, check, archive, record) on SQLite
and PostgreSQL, and the budget template read back by the same reader."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest
from budgetkit import sipd_rows, with_programs, write_sheet

from iku.budget_import import import_budget
from iku.budget_template import budget_template_bytes, write_budget_template
from iku.resources import build_resources
from iku.warehouse.budget import budget_files, current_budget


@pytest.fixture
def res(iku_env, config_copy, warehouse_url, monkeypatch):
    monkeypatch.setenv("IKU_CONFIG_DIR", str(with_programs(config_copy)))
    monkeypatch.setenv("IKU_WAREHOUSE_URL", warehouse_url)
    return build_resources()


def test_a_sipd_export_is_loaded_archived_and_revised(res, tmp_path):
    march = write_sheet(tmp_path / "LRA Maret 2024.xlsx", sipd_rows(month=3))
    done = import_budget(res, march, (2024, 3))
    assert (done.status, done.year, done.month, done.revision, done.problems, done.warnings) == (
        "loaded",
        2024,
        3,
        1,
        [],
        [],
    )
    assert done.left_out == [("1.04.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA")]
    data = march.read_bytes()
    assert done.sha256 == hashlib.sha256(data).hexdigest()
    archived = res.settings.archive_dir / done.sha256[:2] / f"{done.sha256}.xlsx"
    assert str(done.archive_path) == str(archived) and archived.read_bytes() == data
    figures = current_budget(res.warehouse, res.opd, 2024, 3)
    assert figures is not None
    assert {c: (x.pagu, x.realisation) for c, x in figures.lines.items()} == {
        "1.04.02": (1_250_000_000, 400_000_000),
        "1.04.02.2.01": (750_000_000, 250_000_000),
        "1.04.02.2.01.0001": (500_000_000, 200_000_000),
        "1.04.02.2.01.0002": (250_000_000, 50_000_000),
        "1.04.02.2.02": (500_000_000, 150_000_000),
        "1.04.03": (500_000_000, 150_000_000),
        "1.04.03.2.01": (500_000_000, 150_000_000),
    }

    copy = tmp_path / "salinan.xlsx"
    copy.write_bytes(data)
    again = import_budget(res, copy, None)  # the period from the title row this time
    assert again.status == "unchanged" and again.recorded_before is not None and again.revision == 1

    corrected = write_sheet(tmp_path / "LRA Maret 2024 revisi.xlsx", sipd_rows(month=3, scale=1.1))
    revised = import_budget(res, corrected, None)
    assert (revised.status, revised.revision) == ("loaded", 2)
    assert current_budget(res.warehouse, res.opd, 2024, 3).lines["1.04.02"].realisation == pytest.approx(
        440_000_000
    )
    history = budget_files(res.warehouse, res.opd, 2024)
    assert [(f["file_name"], f["revision"], f["is_current"]) for f in history] == [
        ("LRA Maret 2024 revisi.xlsx", 2, True),
        ("LRA Maret 2024.xlsx", 1, False),
    ]

    # April's cumulative figures below March's: loaded, with a warning per code
    april = import_budget(res, write_sheet(tmp_path / "april.xlsx", sipd_rows(month=4, scale=0.9)), (2024, 4))
    assert april.status == "loaded" and april.problems == []
    assert len(april.warnings) == 7
    assert april.warnings[0].message.startswith(
        "Realisasi kumulatif 1.04.02 (Rp360.000.000,00) lebih rendah daripada bulan sebelumnya (Rp440.000.000,00)"
    )
    assert budget_files(res.warehouse, res.opd, 2024)[0]["warnings"][0]["column"] == "realisasi"


def test_a_file_with_problems_is_refused_whole_and_every_problem_listed(res, tmp_path):
    rows = sipd_rows(month=5)
    rows[12][3] = "1.500.000.000,00"  # program 1.04.02: realisasi above its pagu (row 13)
    rows[16][2] = "-500.000.000,00"  # account 5.1.02 negative (row 17)
    rows[20][0] = "5.1.02.O1.01.0024"  # a letter O for a zero: no code (row 21)
    rows[25][0] = "1.04.02.2.02.0001"  # the same sub kegiatan twice (row 26)
    path = write_sheet(tmp_path / "lra-mei.xlsx", rows)
    done = import_budget(res, path, (2024, 5))
    assert done.refused and done.lines == []
    assert [(p.row, p.column) for p in done.problems] == [
        (13, "realisasi"),
        (17, "anggaran"),
        (21, "kode"),
        (26, "kode"),
    ]
    assert current_budget(res.warehouse, res.opd, 2024) is None
    stored = budget_files(res.warehouse, res.opd)[0]
    assert stored["status"] == "invalid" and len(stored["problems"]) == 4
    assert (res.settings.archive_dir / done.sha256[:2] / f"{done.sha256}.xlsx").exists()
    # the same refused bytes again: refused again with the same problems, one record
    assert [p.row for p in import_budget(res, path, (2024, 5)).problems] == [13, 17, 21, 26]
    assert len(budget_files(res.warehouse, res.opd)) == 1


def test_a_period_other_than_the_file_s_and_a_missing_file_are_refused(res, tmp_path):
    path = write_sheet(tmp_path / "lra.xlsx", sipd_rows(month=3))
    wrong = import_budget(res, path, (2024, 4))
    assert wrong.refused
    assert [p.message for p in wrong.problems] == [
        "Berkas menyatakan periode Maret 2024, sedangkan yang diminta April 2024."
    ]
    missing = import_budget(res, tmp_path / "tidak-ada.xlsx", (2024, 4))
    assert missing.refused and "tidak ditemukan" in missing.problems[0].message
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert "rusak" in import_budget(res, broken, (2024, 4)).problems[0].message.lower()


def test_the_template_filled_in_is_read_back_with_the_higher_rows_summed(res, tmp_path):
    out = write_budget_template(res.config, 2024, 3, tmp_path / "anggaran.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["Anggaran"]
    assert [c.value for c in ws[6]] == ["Kode", "Uraian", "Anggaran (Rp)", "Realisasi s.d. Bulan Ini (Rp)"]
    assert ws["A3"].value == "Keadaan s.d. 31 Maret 2024"
    codes = {ws.cell(r, 1).value: r for r in range(7, ws.max_row + 1)}
    assert list(codes) == [
        "1.04.02",
        "1.04.02.2.01",
        "1.04.02.2.01.0001",
        "1.04.02.2.01.0002",
        "1.04.02.2.02",
        "1.04.03",
        "1.04.03.2.01",
    ]
    typed = {
        "1.04.02.2.01.0001": (500_000_000, 200_000_000),
        "1.04.02.2.01.0002": (250_000_000, 50_000_000.5),
        "1.04.02.2.02": (500_000_000, 150_000_000),
        "1.04.03.2.01": (500_000_000, 150_000_000),
    }
    for code, row in codes.items():
        locked = ws.cell(row, 3).protection.locked
        assert locked == (code not in typed)  # only the lowest configured level takes input
    for code, (pagu, real) in typed.items():
        ws.cell(codes[code], 3).value, ws.cell(codes[code], 4).value = pagu, real
    wb.save(out)
    done = import_budget(res, out, None)
    assert done.status == "loaded" and (done.year, done.month) == (2024, 3) and done.left_out == []
    lines = current_budget(res.warehouse, res.opd, 2024).lines
    assert (lines["1.04.02.2.01"].pagu, lines["1.04.02.2.01"].realisation) == (750_000_000, 250_000_000.5)
    assert (lines["1.04.02"].pagu, lines["1.04.02"].realisation) == (1_250_000_000, 400_000_000.5)
    assert (lines["1.04.03"].pagu, lines["1.04.03"].realisation) == (500_000_000, 150_000_000)


def test_without_programs_there_is_no_template_and_no_import(iku_env, config_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config_copy))
    res = build_resources()
    with pytest.raises(ValueError, match="no programs"):
        budget_template_bytes(res.config, 2024, 3)
    done = import_budget(res, write_sheet(tmp_path / "lra.xlsx", sipd_rows(month=3)), (2024, 3))
    assert done.refused and "belum mendaftar program" in done.problems[0].message


def test_in_the_kabupaten_layout_each_opd_keeps_its_own_budget(iku_env, tmp_path, monkeypatch):
    from kabupatenkit import SEED, TWIN, kabupaten_config

    from iku.config import UnknownOpd

    config = kabupaten_config(tmp_path / "kab", dinkes=False)
    with_programs(config / "opd" / f"{TWIN}.yaml", file=None)
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config))
    res = build_resources()  # every OPD; the first (the seed) has no programs
    path = write_sheet(tmp_path / "lra.xlsx", sipd_rows(month=3))
    assert import_budget(res, path, (2024, 3)).refused  # the seed: no programs listed
    done = import_budget(res, path, (2024, 3), TWIN)  # the same bytes are another OPD's file
    assert done.status == "loaded"
    assert current_budget(res.warehouse, TWIN, 2024).lines["1.04.02"].pagu == 1_250_000_000
    assert current_budget(res.warehouse, SEED, 2024) is None
    with pytest.raises(UnknownOpd):
        import_budget(res, path, (2024, 3), "tidak-ada")
