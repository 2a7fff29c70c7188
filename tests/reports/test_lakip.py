"""The LKjIP feed (Bab III analyses): JSON and the workbook re-read with
openpyxl, figures worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import openpyxl
import pytest
from report_seed import FORMULA_NOTES, JKT, OPD, SCRIPT_NOTE

from iku.domain.history import HistoryRow
from iku.domain.model import SubmissionRecord, ValueRow
from iku.reports import load_lakip_data, render_lakip
from iku.resources import build_resources
from iku.settings import Settings
from iku.warehouse import Warehouse
from iku.warehouse.history import import_history

SHEETS = [
    "Target vs Realisasi",
    "Perbandingan Antar Tahun",
    "Capaian Renstra",
    "Analisis Penyebab",
    "Standar",
    "Catatan Bidang",
    "Bukti Dukung",
    "Data Historis",
    "Realisasi Anggaran",
    "Analisis Efisiensi",
    "Program Penunjang",
]
LONG_CAUSE = (
    "Pelaksanaan perbaikan rumah terhambat karena hujan deras berkepanjangan di beberapa kecamatan "
    "sehingga material tidak dapat diangkut ke lokasi tepat waktu"
)


def record(wh: Warehouse, bidang: str, year: int, month: int, values: list[ValueRow]) -> None:
    name = f"{bidang}-{year}-{month:02d}-lakip.xlsx"
    wh.record(
        OPD,
        SubmissionRecord(
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            bidang=bidang,
            file_name=name,
            source_path=f"/inbox/{bidang}/{name}",
            archive_path=f"/archive/{name}",
            size_bytes=1000,
            received_at=datetime(year, month, 28, 9, 0, tzinfo=JKT).astimezone(UTC),
            status="valid",
            year=year,
            month=month,
            values=values,
        ),
    )


def perumahan(iku02: float, **faktor) -> list[ValueRow]:
    return [
        ValueRow("IKU-01", 1, None, None, None, 2),
        ValueRow("IKU-02", iku02, None, None, None, 3, **faktor),
        ValueRow("IKU-03", 0, None, None, None, 4),
        ValueRow("IKU-05", 0, None, None, None, 5),
    ]


def written(res, year, tmp_path):
    paths = render_lakip(load_lakip_data(res, year), tmp_path)
    assert [p.name for p in paths] == [f"lakip-{year}.xlsx", f"lakip-{year}.json"]
    return json.loads(paths[1].read_text(encoding="utf-8")), openpyxl.load_workbook(paths[0])


def by_code(items):
    return {i["code"]: i for i in items}


def row_of(ws, code):
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == code)


def test_seeded_year_all_analyses(seeded_res_any, tmp_path):
    wh = seeded_res_any.warehouse
    # July: faktor columns; a cause repeated in two months is one cause with both months
    record(wh, "perumahan", 2023, 7, perumahan(4, supporting="Dukungan DAK", inhibiting=LONG_CAUSE))
    record(wh, "perumahan", 2023, 8, perumahan(6, inhibiting=LONG_CAUSE, follow_up="Percepat pengiriman"))
    doc, wb = written(seeded_res_any, 2023, tmp_path)

    tvr = by_code(doc["target_vs_realisation"])
    # 10 + 14 + 8 + 15 + 9 + 4 + 6 = 66 of 150 -> 44 %
    assert tvr["IKU-02"]["realisation"] == 66 and tvr["IKU-02"]["achievement_pct"] == 44.0
    assert tvr["IKU-02"]["months_missing"] == [6, 9, 10, 11, 12] and tvr["IKU-02"]["source"] == "pipeline"

    years = by_code(doc["year_comparison"])["IKU-02"]["years"]
    assert years[0] == {
        "year": 2022,
        "target": 150,
        "realisation": 120,
        "achievement_pct": 80.0,
        "predicate": "Tinggi",
        "source": "pipeline",
        "source_note": None,
    }
    assert [y["year"] for y in years] == [2022, 2023]

    prog = by_code(doc["renstra_progress"])
    # count: 120 + 66 = 186 of 5 x 150 = 750 -> 24.8 %; the end target is 2026's own 150, as in Tabel E.81
    p2 = prog["IKU-02"]
    assert (p2["basis"], p2["value"], p2["basis_target"], p2["end_target"], p2["progress_pct"]) == (
        "cumulative",
        186,
        750,
        150,
        24.8,
    )
    assert "predicate" not in p2 and p2["rule"].startswith("kumulatif: jumlah realisasi 2022–2023")
    assert prog["IKU-01"]["basis_target"] is None and prog["IKU-01"]["progress_pct"] is None
    # ratio: 2023 = 100 x 3 / 38 = 7.89 %, against the 2026 target of 10 -> 78.95 %
    p4 = prog["IKU-04"]
    assert (p4["basis"], p4["value"], p4["value_year"], p4["end_target"], p4["progress_pct"]) == (
        "latest",
        7.89,
        2023,
        10,
        78.95,
    )

    causes = by_code(doc["causes"])["IKU-02"]
    assert causes["supporting"] == [
        {"text": "Dukungan DAK", "months": [7], "files": ["perumahan-2023-07-lakip.xlsx"]}
    ]
    assert [(c["text"], c["months"]) for c in causes["inhibiting"]] == [(LONG_CAUSE, [7, 8])]
    assert [c["text"] for c in causes["follow_up"]] == ["Percepat pengiriman"]
    assert by_code(doc["causes"])["IKU-04"]["inhibiting"] == []
    assert all(s["standard"] is None for s in doc["standard_comparison"])
    notes = {i["code"]: [n["text"] for n in i["notes"]] for i in doc["notes"]}
    assert notes["IKU-02"] == [SCRIPT_NOTE, FORMULA_NOTES[0]] and notes["IKU-04"] == ["kendala cuaca"]
    assert doc["history"] == []

    assert wb.sheetnames == SHEETS
    ws = wb["Target vs Realisasi"]
    assert [c.value for c in ws[4]][:9] == [
        "No",
        "Kode",
        "Indikator Kinerja",
        "Satuan",
        "Target 2023",
        "Realisasi 2023",
        "Capaian (%)",
        "Predikat",
        "Sumber data",
    ]
    r = row_of(ws, "IKU-02")
    assert [c.value for c in ws[r]][4:9] == [150, 66, 44, "Sangat Rendah", "data bulanan (pipeline)"]
    ws = wb["Perbandingan Antar Tahun"]
    assert [c.value for c in ws[4]][4:10] == [
        "Target 2022",
        "Realisasi 2022",
        "Capaian 2022 (%)",
        "Target 2023",
        "Realisasi 2023",
        "Capaian 2023 (%)",
    ]
    assert [c.value for c in ws[row_of(ws, "IKU-02")]][4:10] == [150, 120, 80, 150, 66, 44]
    ws = wb["Capaian Renstra"]
    header = [c.value for c in ws[4]]
    assert header[4:10] == [
        "Cara menghitung",
        "Realisasi kinerja Renstra s.d. tahun berjalan (2023)",
        "Target Renstra Perangkat Daerah akhir periode (2022–2026)",
        "Target tahun 2026 saja",
        "Progres s.d. tahun berjalan (%)",
        "Keterangan",
    ]
    assert not any("Predikat" in str(h) for h in header)
    # the same labels and figures as Tabel E.81 columns 6 and 14 (750 = 5 x 150 for a count)
    assert [c.value for c in ws[row_of(ws, "IKU-02")]][5:9] == [186, 750, 150, 24.8]
    assert [c.value for c in ws[row_of(ws, "IKU-04")]][5:9] == [7.89, 10, 10, 78.95]

    ws = wb["Analisis Penyebab"]
    r = row_of(ws, "IKU-02")
    assert [c.value for c in ws[r]][3:8] == [
        44,
        "Sangat Rendah",
        "• Dukungan DAK (Juli)",
        f"• {LONG_CAUSE} (Juli, Agustus)",
        "• Percepat pengiriman (Agustus)",
    ]
    # the long cause wraps to several lines: the row is tall enough to show them
    assert ws.row_dimensions[r].height >= 4 * 12
    ws = wb["Catatan Bidang"]
    cells = [ws.cell(r, 5) for r in range(5, ws.max_row + 1)]
    hostile = [c for c in cells if c.value in FORMULA_NOTES]
    assert len(hostile) == 4 and all(c.data_type == "s" for c in hostile)
    assert wb["Data Historis"]["A5"].value == "belum ada data historis yang diimpor"


def first_year(settings: Settings):
    """A first year in production (2024), with 2022-2023 imported from earlier LKjIP."""
    res = build_resources(settings)
    wh = res.warehouse
    for m in (1, 2):
        record(wh, "perumahan", 2024, m, perumahan(30))
        record(wh, "perkim", 2024, m, [ValueRow("IKU-04", None, 2, 40, None, 2)])
    import_history(
        wh, OPD, "b" * 64, "riwayat-awal.xlsx", [HistoryRow("IKU-02", 2023, 130, "LKjIP 2023", None, 2)]
    )
    rows = [
        HistoryRow("IKU-02", 2022, 120, "LKjIP 2022", None, 2),
        HistoryRow("IKU-02", 2023, 140, "LKjIP 2023", None, 3),
        HistoryRow("IKU-04", 2022, 9.5, "LKjIP 2022", None, 4),
        HistoryRow("IKU-04", 2023, 10.25, "LKjIP 2023", "revisi BPS", 5),
    ]
    import_history(wh, OPD, "c" * 64, "riwayat-lkjip.xlsx", rows)
    # a first, wrong 2023 figure for IKU-02 was replaced by the file above: kept, no longer current
    return res


@pytest.fixture
def first_year_res(iku_env, warehouse_url):
    return first_year(Settings(warehouse_url=warehouse_url))


def test_first_year_in_production_compares_with_imported_history(first_year_res, tmp_path):
    doc, wb = written(first_year_res, 2024, tmp_path)
    years = by_code(doc["year_comparison"])
    assert [
        (y["year"], y["realisation"], y["source"], y["source_note"]) for y in years["IKU-02"]["years"]
    ] == [
        (2022, 120, "history", "LKjIP 2022"),
        (2023, 140, "history", "LKjIP 2023"),
        (2024, 60, "pipeline", None),
    ]
    # a history year is a full year: 140 / 150 = 93.33 % Sangat Tinggi
    assert years["IKU-02"]["years"][1]["achievement_pct"] == 93.33
    assert years["IKU-02"]["years"][1]["predicate"] == "Sangat Tinggi"
    # no history imported for IKU-01: its earlier years say so
    assert [y["source"] for y in years["IKU-01"]["years"]] == [None, None, "pipeline"]

    prog = by_code(doc["renstra_progress"])
    # 120 + 140 + 60 = 320 of 750 -> 42.67 %
    assert (prog["IKU-02"]["value"], prog["IKU-02"]["progress_pct"]) == (320, 42.67)
    assert prog["IKU-02"]["note"] == "termasuk data historis (impor): 2022, 2023"
    assert prog["IKU-01"]["years_without_data"] == [2022, 2023]
    # ratio 2024: 100 x (2 + 2) / 40 = 10 % -> the latest value, from the pipeline
    assert (prog["IKU-04"]["value"], prog["IKU-04"]["value_year"]) == (10, 2024)
    assert {(h["code"], h["year"], h["file"]) for h in doc["history"]} >= {
        ("IKU-04", 2023, "riwayat-lkjip.xlsx")
    }

    ws = wb["Perbandingan Antar Tahun"]
    r = row_of(ws, "IKU-02")
    assert [c.value for c in ws[r]][4:13] == [150, 120, 80, 150, 140, 93.33, 150, 60, 40]
    assert ws.cell(r, 6).font.i and not ws.cell(r, 12).font.i  # imported figures in italics
    assert ws.cell(r, 14).value == (
        "2022: data historis (impor) – LKjIP 2022\n"
        "2023: data historis (impor) – LKjIP 2023\n"
        "2024: data bulanan (pipeline)"
    )
    assert ws.row_dimensions[r].height >= 3 * 12
    ws = wb["Data Historis"]
    assert [c.value for c in ws[5]][:5] == ["IKU-02", 2022, 120, "LKjIP 2022", None]
    # the replaced figure stays on record, marked, and counts nowhere (2023 is 140 above)
    assert [[c.value for c in ws[r]][i] for r in (6, 7) for i in (1, 2, 7, 8)] == [
        2023, 130, 1, "tidak", 2023, 140, 2, "ya",
    ]  # fmt: skip
    replaced = [h for h in doc["history"] if not h["is_current"]]
    assert [(h["code"], h["year"], h["realisation"], h["file"]) for h in replaced] == [
        ("IKU-02", 2023, 130, "riwayat-awal.xlsx")
    ]


def test_standard_when_configured(iku_env, config_copy, tmp_path):
    opd = config_copy / "opd.yaml"
    text = opd.read_text(encoding="utf-8")
    # IKU-04 gains a standard (the seed states none: this is a test's own)
    opd.write_text(
        text.replace(
            "    kind: ratio\n", "    kind: ratio\n    standard: {value: 12, source: standar provinsi}\n"
        ),
        encoding="utf-8",
    )
    res = first_year(Settings(config_dir=config_copy))
    assert res.config.catalogue.indicators_by_code["IKU-04"].standard.value == 12
    doc, wb = written(res, 2024, tmp_path)
    std = by_code(doc["standard_comparison"])
    # 10 % against a standard of 12 %: not met, 2 short
    assert std["IKU-04"]["standard"] == {"value": 12, "source": "standar provinsi"}
    assert (std["IKU-04"]["realisation"], std["IKU-04"]["meets"], std["IKU-04"]["gap"]) == (10, False, -2)
    assert std["IKU-02"]["standard"] is None
    ws = wb["Standar"]
    assert [c.value for c in ws[row_of(ws, "IKU-04")]][4:9] == [
        12,
        "standar provinsi",
        10,
        -2,
        "belum memenuhi standar",
    ]
    assert ws.cell(row_of(ws, "IKU-02"), 5).value == "standar belum ditetapkan"


def test_year_outside_the_renstra(seeded_res):
    with pytest.raises(ValueError, match="di luar periode Renstra"):
        load_lakip_data(seeded_res, 2030)


def test_renstra_columns_agree_with_tabel_e81(seeded_res, tmp_path):
    """The LKjIP and Tabel E.81 show the same Renstra target and progress under the same labels."""
    from report_seed import AS_OF

    from iku.domain.periods import Period
    from iku.reports import load_report_data, render_report

    _, lakip = written(seeded_res, 2023, tmp_path)
    e81 = openpyxl.load_workbook(
        render_report(load_report_data(seeded_res, Period(2023), AS_OF), tmp_path)[1]
    )
    e81 = e81["Tabel E.81"]
    header = {c.value: c.column for c in e81[5] if c.value}
    target_col = header["Target Renstra Perangkat Daerah akhir periode (2022–2026)"]
    done_col = header["Realisasi kinerja Renstra s.d. tahun berjalan (2023)"]
    ws = lakip["Capaian Renstra"]
    for code in ("IKU-02", "IKU-03", "IKU-04"):
        e_row = next(r for r in range(1, e81.max_row + 1) if f"({code};" in str(e81.cell(r, 4).value))
        l_row = row_of(ws, code)
        assert e81.cell(e_row, target_col).value == ws.cell(l_row, 7).value
        assert e81.cell(e_row, done_col).value == ws.cell(l_row, 6).value
