"""Tabel E.81 with both halves (issue 19): the Rp columns read back with
openpyxl against hand figures, the PK target in column 8, the paper and the
print scale that keeps the type at 7 pt or more."""

from __future__ import annotations

import openpyxl
import pytest
from report_seed import AS_OF

from iku.domain.periods import Period
from iku.reports import load_report_data, render_report
from iku.reports.e81 import E81_WIDTHS, MIN_POINTS, PAPERS, column_px, print_scale
from iku.reports.workbook import FONT_POINTS


def _row_of(ws, code: str, col: int = 4) -> int:
    return next(r for r in range(1, ws.max_row + 1) if code in str(ws.cell(r, col).value or ""))


@pytest.fixture
def e81(budget_res, tmp_path):
    paths = render_report(load_report_data(budget_res, Period(2023, 2), AS_OF), tmp_path)
    return openpyxl.load_workbook(paths[1])["Tabel E.81"]


def test_every_rp_half_filled_from_the_budget_sheets(e81):
    ws = e81
    r2 = _row_of(ws, "IKU-02")
    rp = [ws.cell(r2, c).value for c in range(7, 27, 2)]
    # 6: the Renstra pagu configured (2024 only: 1.300 juta); 7: December 2022, 800 juta;
    # 8: pagu 1.250 juta; 9: TW I 400 juta; 10: TW II 600 - 400 = 200 juta; 11-12: not yet;
    # 13: 600 juta through June; 14: 800 + 600 juta; 15: 600 / 1.250 = 48 %
    assert rp == [
        1_300_000_000,
        800_000_000,
        1_250_000_000,
        400_000_000,
        200_000_000,
        "–",
        "–",
        600_000_000,
        1_400_000_000,
        48.0,
    ]
    # the K half of column 8 is the PK's target (PK awal: 160), the Renstra's named beside it
    assert ws.cell(r2, 10).value == 160
    ket = ws.cell(r2, 27).value
    assert "Target kolom 8: PK awal, 31 Januari 2023; target Renstra 150" in ket
    assert "Rp kolom 6: pagu Renstra tahun 2024 saja" in ket
    # filled cells are no longer yellow; rupiah shown in millions, the cell holds rupiah
    assert not ws.cell(r2, 11).fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.cell(r2, 11).number_format == "#,##0.00,,"
    # column 3: the program and the kegiatan supporting IKU-02 (1.04.02.2.01 supports IKU-01 only)
    assert ws.cell(r2, 3).value == (
        "1.04.02 Program Pengembangan Perumahan\n  1.04.02.2.02 Penyediaan Rumah Layak Huni bagi MBR"
    )
    r1 = _row_of(ws, "IKU-01")
    assert "1.04.02.2.01 Pendataan Penyediaan dan Rehabilitasi Rumah Korban Bencana" in ws.cell(r1, 3).value
    # IKU-04: program 1.04.03, no Renstra pagu: "–" with the reason
    r4 = _row_of(ws, "IKU-04")
    assert [ws.cell(r4, c).value for c in (7, 9, 11, 21, 23, 25)] == [
        "–",
        300_000_000,
        500_000_000,
        225_000_000,
        525_000_000,
        45.0,
    ]
    assert "Rp kolom 6: pagu Renstra belum ditetapkan" in ws.cell(r4, 27).value
    # IKU-03: no program lists it: the Rp halves stay yellow, for the evaluator
    r3 = _row_of(ws, "IKU-03")
    assert all(ws.cell(r3, c).value is None for c in range(7, 27, 2))
    assert ws.cell(r3, 7).fill.fgColor.rgb.endswith("FFF2CC")
    assert "Rp: program belum dipetakan ke indikator" in ws.cell(r3, 27).value


def test_the_headline_average_sits_under_the_capaian_columns(e81):
    ws = e81
    avg = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Rata-rata capaian kinerja (%)")
    # (35 + 100 + 78.95) / 3 = 71.32 under column 13 K; the OPD's absorption
    # (600 + 225) / (1.250 + 500) juta = 47.14 % under column 13 Rp
    assert (ws.cell(avg, 20).value, ws.cell(avg, 21).value) == (71.32, 47.14)
    assert ws.cell(avg, 22).value == "Penyerapan anggaran OPD 47,14 %"
    assert ws.cell(5, 20).value.startswith("Realisasi capaian kinerja Renja yang dievaluasi")


def test_paper_and_print_scale(e81, budget_res, tmp_path, monkeypatch):
    assert e81.page_setup.paperSize == 14 and e81.page_setup.orientation == "landscape"
    # the arithmetic of print_scale: xlsxwriter's pixels at 96 dpi against F4's printable width
    natural_mm = sum(column_px(w) for w in E81_WIDTHS) * 25.4 / 96
    assert natural_mm == pytest.approx(403.2, abs=0.1)
    assert print_scale("f4") == pytest.approx((330.2 - 12.7) / natural_mm)
    assert FONT_POINTS * print_scale("f4") >= MIN_POINTS
    assert print_scale("a3") == 1.0
    assert PAPERS["f4"][0] == 14 and PAPERS["a3"][0] == 8
    # A3 by configuration
    pipe = budget_res.config.pipeline
    budget_res.config = budget_res.config.model_copy(
        update={
            "pipeline": pipe.model_copy(
                update={"reports": pipe.reports.model_copy(update={"e81_paper": "a3"})}
            )
        }
    )
    paths = render_report(load_report_data(budget_res, Period(2023, 2), AS_OF), tmp_path / "a3")
    assert openpyxl.load_workbook(paths[1])["Tabel E.81"].page_setup.paperSize == 8


def test_the_paper_key_is_checked():
    from pydantic import ValidationError

    from iku.config import Reports

    assert Reports().e81_paper == "f4"
    with pytest.raises(ValidationError):
        Reports(e81_paper="a4")  # type: ignore[arg-type]


def test_evaluation_sheet_has_the_rp_side(budget_res, tmp_path):
    paths = render_report(load_report_data(budget_res, Period(2023, 2), AS_OF), tmp_path)
    ws = openpyxl.load_workbook(paths[1])["Evaluasi Capaian"]
    header = [c.value for c in ws[4]]
    r2 = _row_of(ws, "IKU-02", 2)
    got = {h: ws.cell(r2, i + 1).value for i, h in enumerate(header)}
    assert got["Sumber target"] == "PK (PK awal)" and got["Target 2023"] == 160
    assert (got["Pagu program (Rp)"], got["Realisasi anggaran s.d. Juni (Rp)"]) == (
        1_250_000_000,
        600_000_000,
    )
    assert (got["Penyerapan anggaran (%)"], got["Indeks efisiensi"]) == (48.0, 0.73)
    assert "Indeks efisiensi 0,73 (kurang efisien)" in got["Keterangan"]
    r3 = _row_of(ws, "IKU-03", 2)
    got3 = {h: ws.cell(r3, i + 1).value for i, h in enumerate(header)}
    assert (got3["Sumber target"], got3["Pagu program (Rp)"], got3["Indeks efisiensi"]) == (
        "Renstra",
        "–",
        "–",
    )
    assert "Indeks efisiensi tidak dihitung: program belum dipetakan ke indikator" in got3["Keterangan"]
