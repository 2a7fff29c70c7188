"""The Excel files re-read with openpyxl: layout, values, achievement, hostile notes."""

from __future__ import annotations

import json

import openpyxl
import pytest
from report_seed import AS_OF, FORMULA_NOTES, SCRIPT_NOTE, add_factors

from iku.domain.periods import Period
from iku.reports import load_report_data, render_report


@pytest.fixture
def q2_book(seeded_res, tmp_path):
    add_factors(seeded_res.warehouse)
    paths = render_report(load_report_data(seeded_res, Period(2023, 2), AS_OF), tmp_path)
    return openpyxl.load_workbook(paths[1])


def _row_of(ws, code: str, col: int, first: int = 1) -> int:
    return next(r for r in range(first, ws.max_row + 1) if code in str(ws.cell(r, col).value or ""))


def test_e81_sheet_layout_and_figures(q2_book):
    assert q2_book.sheetnames == [
        "Tabel E.81",
        "Evaluasi Capaian",
        "Data Bulanan",
        "Status Penyampaian",
        "Bukti Dukung",
    ]
    ws = q2_book["Tabel E.81"]
    assert ws["A1"].value == "TABEL E.81 EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH"
    assert ws["A3"].value == "Periode pelaksanaan: Triwulan II Tahun 2023"
    header = [c.value for c in ws[5]]
    assert header[:4] == [
        "No",
        "Sasaran",
        "Program/Kegiatan",
        "Indikator Kinerja Program (outcome)/Kegiatan (output)",
    ]
    assert header[5] == "Target Renstra Perangkat Daerah akhir periode (2022–2026)"
    assert header[13:18:2] == [f"Realisasi kinerja pada Triwulan {q}" for q in ("II", "III", "IV")]
    assert [c.value for c in ws[6]][5:9] == ["K", "Rp", "K", "Rp"]
    # the regulation's column numbers, 1 to 17, each K/Rp pair under one number
    assert [c.value for c in ws[7] if c.value is not None] == list(range(1, 18))
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"F5:G5", "A5:A6", "B8:B9"} <= merged  # two indicators share the first sasaran
    assert ws.freeze_panes == "E8"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 14  # F4/folio
    # one page wide (fitToWidth 1 is the default, left out), as many pages down as needed
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage

    r2 = _row_of(ws, "IKU-02", 4)
    k = [ws.cell(r2, c).value for c in range(6, 26, 2)]
    # Renstra 5 x 150 = 750; 2022 gave 120; target 150; TW I 32, TW II 24; 56 so far;
    # 120 + 56 = 176 of 750 = 23.47 % (no predicate on partial Renstra progress)
    assert k == [750, 120, 150, 32, 24, None, None, 56, 176, 23.47]
    # no programs in the seed: the Rp halves stay for the evaluator
    assert all(ws.cell(r2, c).value is None for c in range(7, 27, 2))
    assert ws.cell(r2, 7).fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.cell(r2, 5).value == "49 Unit"  # the baseline, as the seed states it
    r4 = _row_of(ws, "IKU-04", 4)
    assert [ws.cell(r4, c).value for c in (6, 8, 20, 22, 24)] == [10, 10, 7.89, 7.89, 78.95]
    r1 = _row_of(ws, "IKU-01", 4)
    assert ws.cell(r1, 6).value == "belum ditetapkan" and ws.cell(r1, 24).value is None
    assert "target belum ditetapkan" in ws.cell(r1, 27).value
    # every row tall enough for its wrapped text
    assert ws.row_dimensions[_row_of(ws, "IKU-05", 4)].height >= 60

    # closing rows: the average says what it runs over; the bidang's words with code and month
    closing = {ws.cell(r, 1).value: r for r in range(r2, ws.max_row + 1) if ws.cell(r, 1).value}
    avg = closing["Rata-rata capaian kinerja (%)"]
    # no Rencana Aksi in the seed: the year to date, provisional: (37.33 + 100 + 78.95) / 3 = 72.09
    # under the capaian column 13 (K), the OPD's absorption beside it (Rp: none here)
    assert ws.cell(avg, 20).value == 72.09 and ws.cell(avg, 21).value is None
    assert (
        "rata-rata 3 dari 5 indikator" in ws.cell(avg, 6).value
        and "IKU-01 (target belum ditetapkan)" in ws.cell(avg, 6).value
    )
    assert ws.cell(closing["Predikat kinerja"], 20).value == "sementara (belum akhir tahun)"
    assert (
        ws.cell(closing["Faktor pendorong keberhasilan pencapaian"], 6).value
        == "IKU-04 (Mei): Swadaya masyarakat tinggi"
    )
    assert (
        ws.cell(closing["Faktor penghambat pencapaian kinerja"], 6).value
        == "IKU-04 (Juni): Hujan deras menunda pekerjaan"
    )
    follow = closing["Tindak lanjut yang diperlukan dalam triwulan berikutnya"]
    assert ws.cell(follow, 6).value == "IKU-04 (Juni): Pekerjaan dilanjutkan Juli"
    assert ws.cell(follow, 6).fill.fgColor.rgb.endswith("FFF2CC")  # editable, marked for the evaluator


def test_evaluation_sheet_quarter_against_rencana_aksi(seeded_res, tmp_path):
    add_factors(seeded_res.warehouse)
    from iku.config import Pengesahan

    cfg = seeded_res.config
    cat = cfg.catalogue
    opd = cat.opd.model_copy(
        update={
            "pengesahan": Pengesahan(
                place="Kuala Tungkal",
                title="Kepala Dinas",
                name="Nama Kepala",
                rank="Pembina (IV/a)",
                nip="19700101 199503 1 001",
            )
        }
    )
    inds = [
        i.model_copy(update={"rencana_aksi": {2023: (30, 70, 110, 150)}}) if i.code == "IKU-02" else i
        for i in cat.indicators
    ]
    seeded_res.config = cfg.model_copy(
        update={"catalogue": cat.model_copy(update={"opd": opd, "indicators": inds})}
    )
    paths = render_report(load_report_data(seeded_res, Period(2023, 2), AS_OF), tmp_path)
    ws = openpyxl.load_workbook(paths[1])["Evaluasi Capaian"]
    header = [c.value for c in ws[4]]
    r2 = _row_of(ws, "IKU-02", 2)
    got = {h: ws.cell(r2, i + 1).value for i, h in enumerate(header)}
    # 56 of the 70 planned by June: 80 % Tinggi; 56 of 150: 37.33 %, provisional
    assert got["Rencana Aksi s.d. TW II"] == 70 and got["Capaian thd Rencana Aksi (%)"] == 80
    assert got["Predikat TW II"] == "Tinggi"
    assert (
        got["Capaian s.d. Juni thd target 2023 (%)"] == 37.33 and got["Sifat capaian tahunan"] == "sementara"
    )
    # the projection follows the plan: 56 done + the 80 planned after June = 136: 90.67 %
    assert (
        got["Proyeksi capaian akhir tahun (%)"] == 90.67 and got["Dasar proyeksi"] == "menurut Rencana Aksi"
    )
    r4 = _row_of(ws, "IKU-04", 2)
    got4 = {h: ws.cell(r4, i + 1).value for i, h in enumerate(header)}
    assert got4["Faktor penghambat"] == "Juni: Hujan deras menunda pekerjaan"
    assert got4["Tindak lanjut"] == "Juni: Pekerjaan dilanjutkan Juli"
    labels = {ws.cell(r, 1).value: r for r in range(r4, ws.max_row + 1) if ws.cell(r, 1).value}
    plan = labels["Rata-rata capaian terhadap Rencana Aksi s.d. Triwulan II Tahun 2023"]
    assert (ws.cell(plan, 6).value, ws.cell(plan, 7).value) == (80, "Tinggi")
    assert ws.cell(plan, 8).value.startswith(
        "rata-rata 1 dari 5 indikator; tanpa capaian: IKU-01 (rencana aksi belum ditetapkan)"
    )
    texts = [str(c.value) for row in ws.iter_rows(min_row=plan) for c in row if c.value]
    assert "Nama Kepala" in texts and "NIP. 19700101 199503 1 001" in texts and "Pembina (IV/a)" in texts
    doc = json.loads(paths[2].read_text(encoding="utf-8"))
    iku02 = next(i for i in doc["indicators"] if i["code"] == "IKU-02")
    assert (iku02["target_quarter"], iku02["achievement_quarter_pct"], iku02["predicate_quarter"]) == (
        70,
        80.0,
        "Tinggi",
    )
    assert (iku02["achievement_pct"], iku02["predicate"]) == (
        37.33,
        None,
    )  # §7 meaning kept; provisional: no verdict


def test_annual_evaluation_sheet_has_the_quarters(seeded_res, tmp_path):
    paths = render_report(load_report_data(seeded_res, Period(2023), AS_OF), tmp_path)
    ws = openpyxl.load_workbook(paths[1])["Evaluasi Capaian"]
    header = [c.value for c in ws[4]]
    assert header[5:11] == [
        "Realisasi TW I",
        "Realisasi TW II",
        "Realisasi TW III",
        "Realisasi TW IV",
        "Realisasi 2023",
        "Tingkat capaian (%)",
    ]
    r2 = _row_of(ws, "IKU-02", 2)
    assert [ws.cell(r2, c).value for c in range(6, 13)] == [32, 24, None, None, 56, 37.33, "Sangat Rendah"]
    labels = {ws.cell(r, 1).value: r for r in range(r2, ws.max_row + 1) if ws.cell(r, 1).value}
    final = labels["Rata-rata tingkat capaian kinerja 2023"]
    # the year is over: a verdict, over the three indicators with a target
    assert (ws.cell(final, 6).value, ws.cell(final, 7).value) == (72.09, "Sedang")
    assert ws.cell(final, 8).value.startswith("rata-rata 3 dari 5 indikator")


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
