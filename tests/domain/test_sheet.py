import io

import pytest

from iku.config import Limits
from iku.domain.sheet import UnreadableFile, check_container, normalise_header, parse_sheet, read_cells

LIMITS = Limits()


def test_header_found_below_title_rows_and_matched_loosely():
    cells = [
        ["LAPORAN REALISASI"],
        ["Bidang Perumahan"],
        [],
        ["Bidang", "TAHUN", "Bulan", "Kode Indikator", "realisasi", "Keterangan", "lain"],
        ["Perumahan", "2023", "Mei", "iku-01", "1.250", "ok", "x"],
    ]
    sheet = parse_sheet(cells, {"realisasi"}, LIMITS)
    assert sheet.problems == []
    row = sheet.rows[0]
    assert (row.row, row.bidang, row.tahun, row.bulan, row.kode_indikator) == (
        5,
        "perumahan",
        2023,
        5,
        "IKU-01",
    )
    assert row.numbers["realisasi"] == 1250.0 and row.keterangan == "ok"
    assert normalise_header(" kode-indikator ") == "kode_indikator"


def test_missing_required_column_is_a_problem_not_a_crash():
    sheet = parse_sheet(
        [["bidang", "tahun", "bulan", "kode_indikator"], ["perkim", 2023, 4, "IKU-04"]],
        {"pembilang", "penyebut"},
        LIMITS,
    )
    assert {p.column for p in sheet.problems} == {"pembilang", "penyebut"}
    assert all("tidak ditemukan" in p.message for p in sheet.problems)


def test_text_that_is_not_a_number_is_kept_for_the_message():
    sheet = parse_sheet(
        [
            ["bidang", "tahun", "bulan", "kode_indikator", "realisasi"],
            ["perumahan", 2023, 4, "IKU-01", "abc"],
        ],
        {"realisasi"},
        LIMITS,
    )
    assert sheet.rows[0].numbers["realisasi"] is None and sheet.rows[0].unparsed["realisasi"] == "abc"


def test_row_limit():
    rows = [["bidang", "tahun", "bulan", "kode_indikator", "realisasi"]] + [
        ["perumahan", 2023, 4, "IKU-01", 1]
    ] * 6
    sheet = parse_sheet(rows, {"realisasi"}, Limits(max_rows=5))
    assert sheet.rows == [] and "Terlalu banyak baris" in sheet.problems[0].message


def test_empty_sheet_is_unreadable():
    with pytest.raises(UnreadableFile, match="kosong"):
        parse_sheet([[None, ""], []], {"realisasi"}, LIMITS)


def test_csv_comma_and_semicolon():
    for sep in (",", ";"):
        data = f"bidang{sep}tahun{sep}bulan\nperkim{sep}2023{sep}4\n".encode()
        assert read_cells(data, ".csv")[1] == ["perkim", "2023", "4"]


def test_container_checks():
    with pytest.raises(UnreadableFile, match="tidak didukung"):
        check_container(b"%PDF-1.4", ".pdf", LIMITS)
    with pytest.raises(UnreadableFile, match="terlalu besar"):
        check_container(b"x" * 101, ".csv", Limits(max_file_bytes=100))
    with pytest.raises(UnreadableFile, match="rusak"):
        check_container(b"PK\x03\x04 not a zip", ".xlsx", LIMITS)


def test_zip_bomb_is_refused_before_parsing():
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * 60_000_000)
    with pytest.raises(UnreadableFile, match="zip bomb"):
        check_container(buf.getvalue(), ".xlsx", LIMITS)


@pytest.mark.parametrize(
    "writer, extension", [("write_xlsx", ".xlsx"), ("write_xls", ".xls"), ("write_ods", ".ods")]
)
def test_every_accepted_workbook_format_reads_the_same(tmp_path, writer, extension):
    import sheetkit

    rows = [["Laporan Realisasi Bidang Perumahan"]] + sheetkit.sheet_rows(value=1250.5)[0:2]
    path = getattr(sheetkit, writer)(tmp_path / f"april{extension}", rows)
    data = path.read_bytes()
    check_container(data, extension, LIMITS)
    sheet = parse_sheet(read_cells(data, extension), {"realisasi"}, LIMITS)
    assert sheet.problems == []
    row = sheet.rows[0]
    assert (row.row, row.bidang, row.tahun, row.bulan, row.kode_indikator) == (
        3,
        "perumahan",
        2023,
        4,
        "IKU-01",
    )
    assert row.numbers["realisasi"] == 1250.5 and row.keterangan == "catatan IKU-01"


def test_sheet_named_realisasi_is_preferred_over_the_first(tmp_path):
    import xlsxwriter

    path = tmp_path / "two-sheets.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Petunjuk").write(0, 0, "baca dulu")
    ws = wb.add_worksheet("REALISASI")
    for c, v in enumerate(["bidang", "tahun", "bulan", "kode_indikator", "realisasi"]):
        ws.write(0, c, v)
    for c, v in enumerate(["perkim", 2023, 4, "IKU-04", 1]):
        ws.write(1, c, v)
    wb.close()
    cells = read_cells(path.read_bytes(), ".xlsx")
    assert cells[1][3] == "IKU-04"


def test_encrypted_workbook_is_unreadable():
    # Excel saves a password-protected .xlsx as an OLE compound file, not a zip
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504 + b"EncryptedPackage" + b"\0" * 1000
    with pytest.raises(UnreadableFile, match="terenkripsi"):
        check_container(ole, ".xlsx", LIMITS)


def test_faktor_columns_are_read_when_present_and_none_when_absent():
    cells = [
        [
            "Bidang",
            "Tahun",
            "Bulan",
            "Kode Indikator",
            "Realisasi",
            "Faktor Pendorong",
            "FAKTOR-PENGHAMBAT",
            "Tindak Lanjut",
        ],
        ["perumahan", 2023, 4, "IKU-01", 3, "Dana DAK cair", "  ", "Percepat verifikasi"],
    ]
    row = parse_sheet(cells, {"realisasi"}, LIMITS).rows[0]
    assert row.factors == {
        "faktor_pendorong": "Dana DAK cair",
        "faktor_penghambat": None,
        "tindak_lanjut": "Percepat verifikasi",
    }
    plain = parse_sheet([cells[0][:5], cells[1][:5]], {"realisasi"}, LIMITS).rows[0]
    assert set(plain.factors.values()) == {None}


def test_unquoted_decimal_comma_in_a_comma_csv_is_a_row_problem_not_a_shifted_value():
    data = (
        b"bidang,tahun,bulan,kode_indikator,realisasi\n"
        b"perumahan,2023,5,IKU-01,9,85\n"
        b'perumahan,2023,5,IKU-02,"9,85"\n'
    )
    sheet = parse_sheet(read_cells(data, ".csv"), {"realisasi"}, LIMITS, strict_width=True)
    assert [p.row for p in sheet.row_problems] == [2]
    assert "kanan kolom terakhir" in sheet.row_problems[0].message
    assert sheet.rows[1].numbers["realisasi"] == 9.85
    # a spreadsheet may carry notes beside the table: only CSV rows are held to the header's width
    assert parse_sheet(read_cells(data, ".csv"), {"realisasi"}, LIMITS).row_problems == []


def test_all_rows_in_one_month_is_one_domain_rule():
    """A row whose tahun or bulan differs from what most rows say is a problem of
    that cell (CONTRACT §2); the GX suite does not restate the rule."""
    import json

    from conftest import REPO
    from sheetkit import sheet_rows

    rows = sheet_rows(month=4)
    rows[3][2] = "Mei"  # IKU-03 says May in an April file (Excel row 4)
    rows[4][1] = 2024  # IKU-05 says 2024 (Excel row 5)
    sheet = parse_sheet(rows, {"realisasi"}, LIMITS)
    assert [(p.row, p.column) for p in sheet.row_problems] == [(4, "bulan"), (5, "tahun")]
    assert sheet.row_problems[0].message.startswith(
        "Bulan Mei berbeda dengan baris lain di berkas ini (bulan 4)."
    )
    assert "Tahun 2024 berbeda dengan baris lain di berkas ini (2023)" in sheet.row_problems[1].message
    assert len(sheet.rows) == 4  # the other rows are still checked
    assert parse_sheet(sheet_rows(month=4), {"realisasi"}, LIMITS).row_problems == []
    suite = json.loads((REPO / "expectations" / "submission_rows.json").read_text(encoding="utf-8"))
    assert not [e for e in suite["expectations"] if "berbeda dengan baris lain" in e["meta"]["message"]]
