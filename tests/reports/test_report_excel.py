"""The Excel files re-read with openpyxl: layout, values, achievement, hostile notes."""

from __future__ import annotations

import openpyxl
import pytest
from report_seed import AS_OF, FORMULA_NOTES, SCRIPT_NOTE

from iku.domain.periods import Period
from iku.reports import load_report_data, render_report


@pytest.fixture
def q2_book(seeded_res, tmp_path):
    paths = render_report(load_report_data(seeded_res, Period(2023, 2), AS_OF), tmp_path)
    return openpyxl.load_workbook(paths[1])


def test_evaluation_sheet_layout_and_figures(q2_book):
    assert q2_book.sheetnames == ["Evaluasi Renja", "Data Bulanan", "Status Penyampaian"]
    ws = q2_book["Evaluasi Renja"]
    assert ws["A1"].value == "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH"
    assert ws["A3"].value == "Periode pelaksanaan: Triwulan II Tahun 2023"
    header = [c.value for c in ws[5]]
    assert header[:6] == [
        "No",
        "Sasaran",
        "Indikator Kinerja",
        "Satuan",
        "Target akhir Renstra (2026)",
        "Target tahun berjalan (2023)",
    ]
    assert header[6] == "Realisasi Kinerja pada Triwulan"
    assert header[10:14] == [
        "Realisasi tahun berjalan (s.d. TW II)",
        "Tingkat capaian (%)",
        "Predikat",
        "Bidang penanggung jawab",
    ]
    assert [c.value for c in ws[6]][6:10] == ["I", "II", "III", "IV"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"G5:J5", "A5:A6", "L5:L6", "B8:B9"} <= merged  # two indicators share the first sasaran
    assert ws.freeze_panes == "D8"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9

    rows = {ws.cell(r, 3).value.split("(")[-1].rstrip(")"): r for r in range(8, 13)}
    r2 = rows["IKU-02"]
    assert [ws.cell(r2, c).value for c in range(5, 14)] == [
        150,
        150,
        32,
        24,
        None,
        None,
        56,
        37.33,
        "Sangat Rendah",
    ]
    assert ws.cell(r2, 12).number_format == "0.00"
    assert ws.cell(r2, 13).fill.fgColor.rgb.endswith("E74C3C")  # Sangat Rendah red
    r4 = rows["IKU-04"]
    assert (
        ws.cell(r4, 11).value == 7.89 and ws.cell(r4, 12).value == 78.95 and ws.cell(r4, 13).value == "Tinggi"
    )
    r1 = rows["IKU-01"]
    assert ws.cell(r1, 6).value == "belum ditetapkan" and ws.cell(r1, 12).value is None
    assert "target belum ditetapkan" in ws.cell(r1, 15).value
    assert "data belum lengkap (Juni)" in ws.cell(r2, 15).value
    # footer: average of the achievements there are (37.33, 100, 78.95)
    assert ws.cell(13, 1).value == "Rata-rata tingkat capaian kinerja"
    assert ws.cell(13, 12).value == 72.09 and ws.cell(13, 13).value == "Sedang"


def test_hostile_notes_stay_text(q2_book):
    ws = q2_book["Data Bulanan"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Kode", "Indikator", "Bidang"] and "Berkas sumber" in header and "SHA-256" in header
    col = header.index("Keterangan") + 1
    notes = {
        ws.cell(r, col).value: ws.cell(r, col) for r in range(2, ws.max_row + 1) if ws.cell(r, col).value
    }
    for text in FORMULA_NOTES + [SCRIPT_NOTE]:
        assert text in notes, text
        assert notes[text].data_type == "s"  # a string, never a formula
    # every value carries its source file; February is the revision
    files = {
        (ws.cell(r, 1).value, ws.cell(r, 5).value): ws.cell(r, header.index("Berkas sumber") + 1).value
        for r in range(2, ws.max_row + 1)
    }
    assert files[("IKU-02", "Februari")] == "perumahan-2023-02-rev.xlsx"
    assert ws.cell(2, header.index("Revisi") + 1).value == 1
    # no cell in any sheet is a formula
    for sheet in q2_book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)


def test_status_sheet(q2_book):
    ws = q2_book["Status Penyampaian"]
    assert [c.value for c in ws[1]][:7] == ["Bidang", "Januari", "Februari", "Maret", "April", "Mei", "Juni"]
    assert [c.value for c in ws[2]][1:7] == ["Tepat waktu"] * 5 + ["Tidak valid"]
    assert [c.value for c in ws[3]][1:7] == ["Tepat waktu"] * 5 + ["Terlambat"]
