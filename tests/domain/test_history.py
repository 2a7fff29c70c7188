"""Reading an imported-history file: rows, Indonesian numbers, and one problem per fault."""

from __future__ import annotations

from iku.domain.history import HistoryBounds, HistoryRow, parse_history

CODES = ["IKU-01", "IKU-02", "IKU-03", "IKU-04", "IKU-05"]
# pipeline started in 2024: history may cover 2022 and 2023
BOUNDS = HistoryBounds((2022, 2026), before=2024, pipeline_start=2024)


def parse(cells, bounds=BOUNDS):
    return parse_history(cells, CODES, bounds, "riwayat.xlsx")


def test_valid_rows_with_title_rows_loose_headers_and_indonesian_numbers():
    cells = [
        ["Realisasi IKU dari LKjIP", None, None],
        [],
        ["Kode Indikator", "TAHUN", "Realisasi", "Sumber", "Keterangan", "lain"],
        ["iku-02", 2022.0, "1.250", "LKjIP 2022", None, "x"],
        ["IKU-04", "2023", "9,85", None, "angka BPS", None],
        [None, None, None, None, None, None],
        ["IKU-02", 2023, 130, "LKjIP 2023", "", None],
    ]
    rows, problems = parse(cells)
    assert problems == []
    assert rows == [
        HistoryRow("IKU-02", 2022, 1250.0, "LKjIP 2022", None, 4),
        HistoryRow("IKU-04", 2023, 9.85, "riwayat.xlsx", "angka BPS", 5),
        HistoryRow("IKU-02", 2023, 130.0, "LKjIP 2023", None, 7),
    ]


def test_every_faulty_row_is_named_with_its_row_column_and_fix():
    cells = [
        ["kode_indikator", "tahun", "realisasi"],
        ["IKU-09", 2022, 5],  # row 2: unknown code
        ["IKU-02", 2019, 5],  # row 3: before the Renstra
        ["IKU-02", 2024, 5],  # row 4: the pipeline holds 2024
        ["IKU-02", "dua ribu", 5],  # row 5: not a year
        ["IKU-03", 2022, "abc"],  # row 6: not a number
        ["IKU-03", 2023, None],  # row 7: empty
        ["IKU-05", 2022, -1],  # row 8: negative
        ["IKU-01", 2022, 20],  # row 9: fine
        ["IKU-01", 2022, 21],  # row 10: the same indicator and year again
    ]
    rows, problems = parse(cells)
    got = [(p.row, p.column, p.message) for p in problems]
    assert got == [
        (
            2,
            "kode_indikator",
            "Kode indikator 'IKU-09' tidak ada dalam katalog IKU (IKU-01, IKU-02, IKU-03, IKU-04, IKU-05).",
        ),
        (3, "tahun", "Tahun 2019 di luar periode Renstra 2022–2026."),
        (
            4,
            "tahun",
            "Tahun 2024 tidak dapat diimpor: data bulanan sudah tercatat mulai tahun 2024. "
            "Data historis hanya untuk tahun sebelum 2024.",
        ),
        (5, "tahun", "Tahun 'dua ribu' bukan tahun empat angka. Tulis tahunnya, misalnya 2022."),
        (6, "realisasi", "Realisasi 'abc' bukan angka. Tulis angka saja, misalnya 120 atau 9,85."),
        (7, "realisasi", "Realisasi kosong. Tulis angka saja, misalnya 120 atau 9,85."),
        (8, "realisasi", "Realisasi tidak boleh negatif."),
        (10, "kode_indikator", "IKU-01 tahun 2022 sudah ada di baris 9: satu baris per indikator dan tahun."),
    ]
    assert [r.source_row for r in rows] == [9]


def test_without_pipeline_data_only_finished_years():
    bounds = HistoryBounds((2022, 2026), before=2026, pipeline_start=None)
    rows, problems = parse([["kode_indikator", "tahun", "realisasi"], ["IKU-02", 2026, 1]], bounds)
    assert rows == []
    assert [p.message for p in problems] == [
        "Tahun 2026 belum berakhir. Data historis hanya untuk tahun sebelum 2026."
    ]


def test_structure_problems():
    _, problems = parse([["a", "b"], [1, 2]])
    assert problems[0].message.startswith("Baris judul kolom tidak ditemukan")
    _, problems = parse([["kode_indikator", "tahun"], ["IKU-02", 2022]])
    assert [(p.row, p.column) for p in problems] == [(1, "realisasi")]
    _, problems = parse([["kode_indikator", "tahun", "realisasi"]])
    assert problems[0].message == "Tidak ada baris data di bawah baris judul kolom."


def test_a_decimal_comma_in_a_comma_csv_is_refused_not_guessed():
    # "IKU-04,2022,9,85,LKjIP 2022" split by commas: 9 and a stray 85 would shift sumber
    cells = [["kode_indikator", "tahun", "realisasi", "sumber"], ["IKU-04", "2022", "9", "85", "LKjIP 2022"]]
    rows, problems = parse(cells)
    assert rows == [] and [(p.row, p.column) for p in problems] == [(2, None)]
    assert 'tanda kutip ("9,85")' in problems[0].message
