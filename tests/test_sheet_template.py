"""The pre-filled submission sheet: readable by both readers, prefilled, locked, validated."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from iku.config import load_config
from iku.sheet_template import HEADER, HEADER_ROW, write_template

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "config")


def _header_index(rows):
    return next(i for i, r in enumerate(rows) if [str(c) for c in r[: len(HEADER)]] == HEADER)


def test_calamine_reads_header_and_prefilled_rows(config, tmp_path):
    out = write_template(config, "perumahan", 2023, 4, tmp_path / "t.xlsx")
    wb = CalamineWorkbook.from_path(str(out))
    assert wb.sheet_names == ["Realisasi", "Petunjuk"]
    rows = wb.get_sheet_by_name("Realisasi").to_python()
    h = _header_index(rows)
    assert h == HEADER_ROW and h <= 10  # the reader looks at most 10 title rows down
    titles = " ".join(str(r[0]) for r in rows[:h])
    assert "Bidang Perumahan" in titles and "Bulan April 2023" in titles
    assert "10 Mei 2023" in titles  # the deadline, in Indonesian
    body = rows[h + 1 :]
    assert [r[3] for r in body] == ["IKU-01", "IKU-02", "IKU-03", "IKU-05"]  # catalogue order
    for r in body:
        assert r[0] == "perumahan" and int(r[1]) == 2023 and int(r[2]) == 4
        assert r[6] == r[7] == r[8] == ""  # nothing typed yet


def test_openpyxl_sees_protection_locks_and_validations(config, tmp_path):
    out = write_template(config, "perkim", 2024, 12, tmp_path / "perkim.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["Realisasi"]
    assert ws.protection.sheet is True
    assert not ws.protection.password  # no password: guards against slips only
    hdr = HEADER_ROW + 1
    assert [c.value for c in ws[hdr]] == HEADER
    row = hdr + 1
    assert [ws.cell(row, i).value for i in (1, 2, 3, 4)] == ["perkim", 2024, 12, "IKU-04"]
    # ratio indicator: pembilang/penyebut open, realisasi locked and greyed
    realisasi, pembilang, penyebut, keterangan = (ws.cell(row, i) for i in (7, 8, 9, 10))
    assert ws.cell(row, 1).protection.locked and ws.cell(row, 4).protection.locked
    assert realisasi.protection.locked
    assert realisasi.fill.fgColor.rgb.endswith("BFBFBF")
    assert not pembilang.protection.locked and not penyebut.protection.locked
    assert not keterangan.protection.locked
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(dvs) >= {pembilang.coordinate, penyebut.coordinate}
    assert realisasi.coordinate not in dvs
    assert dvs[pembilang.coordinate].type == "decimal"
    assert dvs[pembilang.coordinate].operator == "greaterThanOrEqual"
    assert dvs[penyebut.coordinate].operator == "greaterThan"
    assert "pembilang" in dvs[pembilang.coordinate].prompt.lower()
    assert "Petunjuk" in wb.sheetnames


def test_count_indicators_use_realisasi_only(config, tmp_path):
    out = write_template(config, "perumahan", 2023, 1, tmp_path / "p.xlsx")
    ws = openpyxl.load_workbook(out)["Realisasi"]
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    for row in range(HEADER_ROW + 2, HEADER_ROW + 6):
        assert not ws.cell(row, 7).protection.locked
        assert ws.cell(row, 8).protection.locked and ws.cell(row, 9).protection.locked
        dv = dvs[ws.cell(row, 7).coordinate]
        assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
        assert dv.prompt and "bulan ini" in dv.prompt


def test_instructions_sheet_in_indonesian(config, tmp_path):
    out = write_template(config, "perumahan", 2023, 12, tmp_path / "p.xlsx")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Petunjuk").to_python()
    text = "\n".join(str(r[0]) for r in rows)
    for phrase in (
        "Cara mengisi",
        "1.234,5",
        "Batas waktu",
        "10 Januari 2024",
        "Ke mana dikirim",
        "tidak valid",
        "pembilang",
        "Keterangan",
        "Faktor Pendorong",
        "Tindak Lanjut",
        "folder bersama (shared folder) Bidang Perumahan",
        "target 2023: 150 Unit",
        "target belum ditetapkan",
    ):
        assert phrase in text, phrase


def test_template_passes_the_sheet_reader_structurally(config, tmp_path):
    """When the reader exists, it must find the header and the four codes."""
    sheet_mod = pytest.importorskip("iku.domain.sheet")
    out = write_template(config, "perumahan", 2023, 2, tmp_path / "p.xlsx")
    cells = sheet_mod.read_cells(out.read_bytes(), ".xlsx")
    sheet = sheet_mod.parse_sheet(cells, {"realisasi"}, config.pipeline.limits)
    assert not sheet.problems
    assert [r.kode_indikator for r in sheet.rows] == ["IKU-01", "IKU-02", "IKU-03", "IKU-05"]
    assert sheet.period() == ("perumahan", 2023, 2)


def test_people_headers_and_faktor_columns_are_read_back(config, tmp_path):
    """Headers as people say them ("Kode Indikator") and the optional faktor
    columns, typed into the template, reach the reader (CONTRACT §2)."""
    out = write_template(config, "perkim", 2023, 6, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["Realisasi"]
    assert "Kode Indikator" in HEADER and "kode_indikator" not in HEADER
    row = HEADER_ROW + 2
    col = {name: HEADER.index(name) + 1 for name in HEADER}
    ws.cell(row, col["Pembilang"], 1.5)
    ws.cell(row, col["Penyebut"], 98.5)
    ws.cell(row, col["Faktor Pendorong"], "Swadaya warga")
    ws.cell(row, col["Faktor Penghambat"], "Lahan belum bersertifikat")
    ws.cell(row, col["Tindak Lanjut"], "Koordinasi dengan BPN")
    assert not ws.cell(row, col["Tindak Lanjut"]).protection.locked
    wb.save(out)
    from iku.domain.sheet import parse_sheet, read_cells

    sheet = parse_sheet(
        read_cells(out.read_bytes(), ".xlsx"), {"pembilang", "penyebut"}, config.pipeline.limits
    )
    assert not sheet.problems
    assert sheet.rows[0].factors == {
        "faktor_pendorong": "Swadaya warga",
        "faktor_penghambat": "Lahan belum bersertifikat",
        "tindak_lanjut": "Koordinasi dengan BPN",
    }


def test_prints_on_a4_and_uses_the_configured_hint(config, tmp_path):
    bidang = [
        b.model_copy(update={"submission_hint": "Kirim ke folder 'IKU Perkim' di komputer Subbag Program."})
        if b.code == "perkim"
        else b
        for b in config.catalogue.bidang
    ]
    cfg = config.model_copy(update={"catalogue": config.catalogue.model_copy(update={"bidang": bidang})})
    out = write_template(cfg, "perkim", 2023, 6, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    # one page wide (fitToWidth defaults to 1 and is then omitted), as many pages tall as needed
    assert wb["Petunjuk"].page_setup.fitToWidth in (None, 1) and wb["Petunjuk"].page_setup.fitToHeight == 0
    text = "\n".join(str(c.value) for c in wb["Petunjuk"]["A"] if c.value)
    assert "Kirim ke folder 'IKU Perkim' di komputer Subbag Program." in text
