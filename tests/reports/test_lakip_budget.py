"""The LKjIP's budget parts (CONTRACT §11): the sheets Realisasi Anggaran,
Analisis Efisiensi and Program Penunjang read back with openpyxl, and the keys of
lakip-Y.json with and without budget data; figures by hand (tests/budgetkit.py,
the budget_res fixture: 2023 through June)."""

from __future__ import annotations

import json

import openpyxl

from iku.domain.budget import EFFICIENCY_RULE
from iku.reports import lakip_json, load_lakip_data, render_lakip


def _rows(ws, first: int = 5):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=first)]


def test_lakip_json_budget_keys(budget_res):
    doc = lakip_json(load_lakip_data(budget_res, 2023))
    br = doc["budget_realisation"]
    assert [(p["code"], p["pagu"], p["realisation"], p["absorption_pct"]) for p in br["programs"]] == [
        ("1.04.02", 1_250_000_000, 600_000_000, 48.0),
        ("1.04.03", 500_000_000, 225_000_000, 45.0),
    ]
    # the OPD: 825 juta of 1.750 juta = 47.14 % (the unlisted penunjang program left out)
    assert br["total"] == {"pagu": 1_750_000_000, "realisation": 825_000_000, "absorption_pct": 47.14}
    eff = {e["indicator"]: e for e in doc["efficiency"]}
    # IKU-02 for the year: 56 of the PK perubahan's 140 = 40 %; 40 / 48 = 0.83
    assert eff["IKU-02"] == {
        "indicator": "IKU-02",
        "achievement_pct": 40.0,
        "absorption_pct": 48.0,
        "efficiency_index": 0.83,
        "label": "kurang efisien",
        "analysis": "Capaian kinerja 40,00 % dengan penyerapan anggaran 48,00 %: indeks efisiensi 0,83 "
        "(kurang efisien; capaian kinerja tertinggal dari anggaran yang terserap).",
    }
    assert (eff["IKU-04"]["efficiency_index"], eff["IKU-04"]["label"]) == (1.75, "efisien")
    assert (
        eff["IKU-03"]["efficiency_index"] is None and "program belum dipetakan" in eff["IKU-03"]["analysis"]
    )
    sup = {s["indicator"]: s["programs"] for s in doc["supporting_programs"]}
    assert [p["code"] for p in sup["IKU-01"]] == ["1.04.02"]
    assert [k["code"] for k in sup["IKU-01"][0]["kegiatan"]] == ["1.04.02.2.01", "1.04.02.2.02"]
    assert [k["code"] for k in sup["IKU-02"][0]["kegiatan"]] == ["1.04.02.2.02"]
    assert sup["IKU-03"] == [] and doc["budget_month"] == 6
    tvr = {t["code"]: t for t in doc["target_vs_realisation"]}
    assert (tvr["IKU-02"]["target"], tvr["IKU-02"]["target_source"], tvr["IKU-02"]["target_renstra"]) == (
        140,
        "pk",
        150,
    )


def test_lakip_json_without_budget(seeded_res):
    doc = lakip_json(load_lakip_data(seeded_res, 2023))
    assert doc["budget_realisation"] == {
        "programs": [],
        "total": {"pagu": None, "realisation": None, "absorption_pct": None},
    }
    assert doc["budget_month"] is None
    assert all(e["absorption_pct"] is None and e["efficiency_index"] is None for e in doc["efficiency"])
    assert all(s["programs"] == [] for s in doc["supporting_programs"])


def test_lakip_budget_sheets(budget_res, tmp_path):
    paths = render_lakip(load_lakip_data(budget_res, 2023), tmp_path)
    wb = openpyxl.load_workbook(paths[0])
    ws = wb["Realisasi Anggaran"]
    assert ws["A2"].value.endswith("realisasi s.d. Juni 2023")
    rows = {r[1]: r for r in _rows(ws) if r[1]}
    # program, kegiatan, sub kegiatan: pagu, realisasi, sisa, penyerapan
    assert rows["1.04.02"][3:8] == ["IKU-01, IKU-02", 1_250_000_000, 600_000_000, 650_000_000, 48.0]
    assert rows["1.04.02.2.01"][4:8] == [750_000_000, 375_000_000, 375_000_000, 50.0]
    assert rows["1.04.02.2.01.0002"][4:8] == [250_000_000, 75_000_000, 175_000_000, 30.0]
    assert rows["1.04.03.2.01"][4:8] == [500_000_000, 225_000_000, 275_000_000, 45.0]
    total = next(r for r in _rows(ws) if r[0] and str(r[0]).startswith("Jumlah Perangkat Daerah"))
    assert total[4:8] == [1_750_000_000, 825_000_000, 925_000_000, 47.14]

    ws = wb["Analisis Efisiensi"]
    eff = {r[1]: r for r in _rows(ws) if r[1]}
    assert eff["IKU-02"][4:8] == [40.0, 48.0, 0.83, "kurang efisien"]
    assert eff["IKU-02"][8].startswith("Capaian kinerja 40,00 % dengan penyerapan anggaran 48,00 %")
    assert eff["IKU-04"][4:8] == [78.95, 45.0, 1.75, "efisien"]
    # a missing side: no number, the reason in words
    assert eff["IKU-03"][5:8] == ["–", "–", "–"] and "belum dipetakan" in eff["IKU-03"][8]
    assert any(r[0] == EFFICIENCY_RULE for r in _rows(ws))

    ws = wb["Program Penunjang"]
    sup = _rows(ws)
    iku01 = next(i for i, r in enumerate(sup) if r[1] == "IKU-01")
    assert sup[iku01][3:9] == [
        "1.04.02",
        "Program Pengembangan Perumahan",
        1_250_000_000,
        600_000_000,
        650_000_000,
        48.0,
    ]
    assert sup[iku01 + 1][3] == "1.04.02.2.01" and sup[iku01 + 1][6] == 375_000_000
    iku03 = next(r for r in sup if r[1] == "IKU-03")
    assert iku03[3] == "program belum dipetakan ke indikator"
    assert json.loads(paths[1].read_text(encoding="utf-8"))["budget_month"] == 6
