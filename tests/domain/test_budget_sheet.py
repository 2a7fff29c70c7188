"""Reading budget realisation sheets (CONTRACT §11): SIPD-style exports with
title rows, subtotal rows at every level and account rows, never counted twice."""

from __future__ import annotations

import pytest
from budgetkit import PROGRAMS, rp, sipd_rows, write_sheet

from iku.domain.budget import BudgetLine
from iku.domain.budget_sheet import (
    code_figures,
    cumulative_drops,
    find_header,
    parse_budget,
    read_rows,
    row_kind,
    title_period,
)
from iku.domain.sheet import read_cells


def figures(sheet) -> dict[str, tuple[float, float]]:
    return {line.code: (line.pagu, line.realisation) for line in sheet.lines}


def test_a_sipd_export_gives_each_configured_code_its_own_row_or_the_sum_below(tmp_path):
    path = write_sheet(tmp_path / "lra-maret.xlsx", sipd_rows(month=3))
    sheet = parse_budget(read_cells(path.read_bytes(), ".xlsx"), PROGRAMS)
    assert sheet.problems == []
    assert (sheet.year, sheet.month) == (2024, 3)  # from "s.d. 31 Maret 2024" in a title row
    assert figures(sheet) == {
        # own subtotal rows: never added to the rows below them
        "1.04.02": (1_250_000_000, 400_000_000),
        "1.04.02.2.01": (750_000_000, 250_000_000),
        "1.04.02.2.01.0001": (500_000_000, 200_000_000),
        "1.04.02.2.01.0002": (250_000_000, 50_000_000),
        "1.04.02.2.02": (500_000_000, 150_000_000),
        # no row of their own: the sum of the sub kegiatan below (300+200, 120+30 million)
        "1.04.03": (500_000_000, 150_000_000),
        "1.04.03.2.01": (500_000_000, 150_000_000),
    }
    assert {line.code: line.level for line in sheet.lines}["1.04.02.2.01.0002"] == "sub_kegiatan"
    assert sheet.figures["1.04.02"].name == "Program Pengembangan Perumahan"  # the catalogue's name
    # the secretariat's program is named and left out, not refused
    assert sheet.left_out == [("1.04.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA")]


def test_rows_below_the_deepest_configured_code_belong_to_its_nearest_configured_parent():
    # no sub kegiatan or kegiatan rows, only accounts (with their own subtotals) below the kegiatan
    cells = [
        ["Kode", "Uraian", "Pagu", "Realisasi"],
        ["1.04.03.2.01", "Penataan Kawasan Permukiman Kumuh", None, None],  # a heading: no figures
        ["5.1", "BELANJA OPERASI", "300.000.000,00", "100.000.000,00"],
        ["5.1.02", "Belanja Barang dan Jasa", "300.000.000,00", "100.000.000,00"],
        ["5.1.02.01.01.0024", "ATK", "100.000.000,00", "40.000.000,00"],
        ["5.1.02.01.01.0026", "Bahan Cetak", "200.000.000,00", "60.000.000,00"],
        ["5.2", "BELANJA MODAL", "50.000.000,00", "25.000.000,00"],
        ["5.2.03.01.01.0001", "Bangunan", "50.000.000,00", "25.000.000,00"],
    ]
    sheet = parse_budget(cells, PROGRAMS, period=(2024, 6))
    assert sheet.problems == []
    assert figures(sheet) == {
        "1.04.03": (350_000_000, 125_000_000),
        "1.04.03.2.01": (350_000_000, 125_000_000),
    }


def test_a_file_with_problems_lists_every_problem_with_row_and_column():
    cells = [
        ["Laporan Realisasi Anggaran s.d. 30 April 2024"],
        ["Kode", "Uraian", "Anggaran", "Realisasi"],
        ["1.04.02", "Program", "1.000.000,00", "2.000.000,00"],  # realisasi above pagu
        ["1.04.02.2.01", "Kegiatan", "-5.000,00", "0"],  # negative
        ["SEKRETARIAT", "bukan kode", "1.000,00", "0"],  # no code
        ["1.04.02.2.01", "Kegiatan lagi", "5.000,00", "0"],  # the same code twice
        ["1.04.02.2.02", "Kegiatan", "lima juta", "0"],  # no number
    ]
    sheet = parse_budget(cells, PROGRAMS)
    found = [(p.row, p.column) for p in sheet.problems]
    assert found == [(3, "realisasi"), (4, "anggaran"), (5, "kode"), (6, "kode"), (7, "anggaran")]
    messages = " | ".join(p.message for p in sheet.problems)
    assert "melebihi anggaran" in messages and "negatif" in messages
    assert "'SEKRETARIAT' bukan kode" in messages and "lebih dari sekali (pertama di baris 4)" in messages
    assert "'lima juta' bukan angka" in messages
    assert sheet.lines == []  # refused whole: nothing attributed


def test_the_same_account_under_two_sub_kegiatan_is_no_duplicate_but_twice_under_one_is():
    rows, problems = read_rows(
        [
            ["kode", "anggaran", "realisasi"],
            ["1.04.02.2.01.0001", "10", "1"],
            ["5.1.02.01.01.0024", "10", "1"],
            ["1.04.02.2.01.0002", "10", "1"],
            ["5.1.02.01.01.0024", "10", "1"],
            ["5.1.02.01.01.0024", "10", "1"],
        ],
        find_header([["kode", "anggaran", "realisasi"]]),
    )
    assert [(p.row, p.column) for p in problems] == [(6, "kode")]
    assert [r.key for r in rows][-1] == "1.04.02.2.01.0002|5.1.02.01.01.0024"


@pytest.mark.parametrize(
    ("header", "pagu", "realisation"),
    [
        (["Kode", "Uraian", "Anggaran Murni", "Anggaran Setelah Perubahan", "Realisasi", "Sisa", "%"], 3, 4),
        (["KODE REKENING", "URAIAN", "PAGU", "Realisasi Bulan Ini", "Realisasi s.d. Bulan Ini"], 2, 4),
        (
            ["kode", "uraian", "anggaran", "realisasi s.d. bulan lalu", "realisasi (Rp)", "sisa anggaran"],
            2,
            4,
        ),
    ],
)
def test_headers_are_matched_loosely_preferring_the_pagu_as_it_stands_and_the_cumulative_realisasi(
    header, pagu, realisation
):
    found = find_header([["LRA"], [], header])
    assert found is not None and (found.row, found.code, found.pagu, found.realisation) == (
        2,
        0,
        pagu,
        realisation,
    )


def test_the_period_comes_from_the_columns_the_title_or_the_caller_and_they_must_agree():
    assert title_period([["Keadaan s/d 31 Desember 2023"], ["x"]], 2) == (2023, 12)
    assert title_period([["Sampai dengan tanggal 30 Juni 2024"]], 1) == (2024, 6)
    rows = [["tahun", "bulan", "kode", "pagu", "realisasi"], [2024, "Mei", "1.04.03", "10", "5"]]
    assert (parse_budget(rows, PROGRAMS).year, parse_budget(rows, PROGRAMS).month) == (2024, 5)
    clash = parse_budget(rows, PROGRAMS, period=(2024, 6))
    assert [p.message for p in clash.problems] == [
        "Berkas menyatakan periode Mei 2024, sedangkan yang diminta Juni 2024."
    ]
    none = parse_budget([["kode", "pagu", "realisasi"], ["1.04.03", "10", "5"]], PROGRAMS)
    assert len(none.problems) == 1 and "Periode tidak ditemukan" in none.problems[0].message


def test_codes_are_classified_as_permendagri_90_writes_them():
    assert [row_kind(c) for c in ("1.04.02", "1.04.02.2.01", "1.04.02.2.01.0001", "X.XX.01")] == [
        "program",
        "kegiatan",
        "sub_kegiatan",
        "program",
    ]
    assert [row_kind(c) for c in ("5.1", "5.1.02.01.01.0024", "1", "1.04", "1.04.0.00.0.00.01.0000")] == [
        "akun",
        "akun",
        "above",
        "above",
        "above",
    ]
    assert [row_kind(c) for c in ("SEKRETARIAT", "1.4.2", "1.04.02.2.1", "5.1.2")] == [None] * 4


def test_a_heading_row_without_figures_falls_back_to_the_rows_below():
    rows, _ = read_rows(
        [
            ["kode", "pagu", "realisasi"],
            ["1.04.02", None, None],
            ["1.04.02.2.01", rp(7), rp(2)],
            ["1.04.02.2.02", rp(3), rp(1)],
        ],
        find_header([["kode", "pagu", "realisasi"]]),
    )
    assert code_figures("1.04.02", rows) == (10, 3)
    assert code_figures("1.04.03", rows) is None


def test_a_cumulative_drop_is_a_warning_naming_the_code():
    before = {
        "1.04.02": BudgetLine("1.04.02", "program", "P", 1e9, 4e8),
        "1.04.03": BudgetLine("1.04.03", "program", "Q", 5e8, 1e8),
    }
    now = {
        "1.04.02": BudgetLine("1.04.02", "program", "P", 1e9, 3.5e8),
        "1.04.03": BudgetLine("1.04.03", "program", "Q", 5e8, 1e8),
    }
    warnings = cumulative_drops(now, before)
    assert len(warnings) == 1
    assert warnings[0].message.startswith(
        "Realisasi kumulatif 1.04.02 (Rp350.000.000,00) lebih rendah daripada bulan sebelumnya (Rp400.000.000,00)"
    )
    assert cumulative_drops(now, {}) == []


def test_a_semicolon_csv_with_murni_and_perubahan_columns_reads_the_pagu_as_it_stands(tmp_path):
    text = (
        "LAPORAN REALISASI ANGGARAN;;;;;\n"
        "Keadaan sampai dengan 31 Agustus 2024;;;;;\n"
        "Kode;Uraian;Anggaran Murni;Anggaran Perubahan;Realisasi s.d. Bulan Ini;Sisa\n"
        "1.04.03;Program Kawasan Permukiman;400.000.000,00;450.000.000,00;300.000.000,50;149.999.999,50\n"
        "1.04.03.2.01;Penataan Kawasan Kumuh;400.000.000,00;450.000.000,00;300.000.000,50;149.999.999,50\n"
    )
    path = tmp_path / "lra.csv"
    path.write_text(text, encoding="utf-8")
    sheet = parse_budget(read_cells(path.read_bytes(), ".csv"), PROGRAMS)
    assert sheet.problems == [] and (sheet.year, sheet.month) == (2024, 8)
    assert figures(sheet) == {
        "1.04.03": (450_000_000, 300_000_000.5),
        "1.04.03.2.01": (450_000_000, 300_000_000.5),
    }


def test_numbers_typed_as_numbers_read_like_indonesian_text(tmp_path):
    rows = [["Kode", "Uraian", "Pagu", "Realisasi"], ["1.04.03.2.01", "Penataan", 450000000, 300000000.5]]
    sheet = parse_budget(
        read_cells(write_sheet(tmp_path / "n.xlsx", rows).read_bytes(), ".xlsx"), PROGRAMS, (2024, 8)
    )
    assert figures(sheet)["1.04.03"] == (450_000_000, 300_000_000.5)


def test_rows_above_the_programs_may_repeat_and_are_not_checked_as_they_are_never_counted():
    cells = [
        ["kode", "uraian", "anggaran", "realisasi"],
        [1, 2, 3, 4],  # SIPD numbers its columns below the header
        ["5", "BELANJA", "900", "90"],  # an account summary before any program
        ["1.04", "URUSAN PERUMAHAN", "500", "50"],
        ["1.04.03", "Program Kawasan Permukiman", "500", "50"],
        ["1.04", "URUSAN PERUMAHAN (lanjutan)", "400", "40"],
        ["5", "BELANJA", "900", "90"],
    ]
    sheet = parse_budget(cells, PROGRAMS, (2024, 2))
    assert sheet.problems == [] and figures(sheet) == {"1.04.03": (500, 50)}


def test_a_file_without_any_listed_program_is_refused_and_a_missing_program_is_a_warning():
    other = [["kode", "uraian", "anggaran", "realisasi"], ["1.03.02", "Program Jalan", "900", "90"]]
    sheet = parse_budget(other, PROGRAMS, (2024, 2))
    assert [p.message for p in sheet.problems] == [
        "Tidak ada angka untuk program mana pun dalam katalog OPD ini (1.04.02, 1.04.03)."
    ]
    assert sheet.left_out == [("1.03.02", "Program Jalan")] and sheet.lines == []
    partial = parse_budget(
        [*other, ["1.04.03", "Program Kawasan Permukiman", "500", "50"]], PROGRAMS, (2024, 2)
    )
    assert partial.problems == [] and [line.code for line in partial.lines] == ["1.04.03"]
    assert [w.message for w in partial.warnings] == [
        "Program 1.04.02 (Program Pengembangan Perumahan) tidak ada di berkas ini; anggarannya kosong bulan ini."
    ]
