"""The kabupaten recap (`iku recap`): each OPD's IKU, predicates, averages,
indicators without targets and reporting rates, from a real consolidation of
three OPD (two with the very same codes) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml
from kabupatenkit import DINKES, SEED, TWIN, dinkes_rows, kabupaten_config
from sheetkit import sheet_rows, write_xlsx

from flows.pipeline import load_new_files
from iku.domain.periods import Period
from iku.domain.recap import reporting_rate
from iku.domain.status import MonthSubmission
from iku.reports import load_recap_data, recap_json, render_recap
from iku.resources import build_resources
from iku.settings import Settings

WIB = ZoneInfo("Asia/Jakarta")


def _at(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def _cell(status: str, month: int = 1) -> MonthSubmission:
    return MonthSubmission("b", 2023, month, status, None, datetime(2023, 2, 10, tzinfo=WIB))  # type: ignore[arg-type]


def test_reporting_rate_counts_only_what_is_due():
    cells = [_cell(s) for s in ("on_time", "on_time", "late", "invalid", "missing", "pending", "pending")]
    rate = reporting_rate(cells)
    assert (rate.expected, rate.received, rate.on_time, rate.pending) == (5, 3, 2, 2)
    assert (rate.reporting_pct, rate.on_time_pct) == (60.0, 40.0)
    assert reporting_rate([_cell("pending")]).reporting_pct is None  # nothing due: no rate, not 0 %


RPJMD = """
indicators:
  - code: IKD-01
    name: Rumah tidak layak huni yang diperbaiki
    unit: Unit
    polarity: up
    targets: {2023: 300}
    rule: sum
    sources: [disperkim-tjb/IKU-02, disperkim-twin/IKU-02]
  - code: IKD-02
    name: Rumah tidak layak huni yang diperbaiki (Disperkim)
    unit: Unit
    polarity: up
    targets: {2023: 150}
    rule: value
    sources: [disperkim-tjb/IKU-02]
  - code: IKD-03
    name: Rata-rata layanan dasar
    unit: "%"
    polarity: up
    rule: mean
    sources: [dinkes-tjb/IKU-01, disperkim-tjb/IKU-04]
"""


@pytest.fixture
def kabupaten(tmp_path, warehouse_url):
    config = kabupaten_config(tmp_path / "config")
    (config / "rpjmd.yaml").write_text(RPJMD, encoding="utf-8")
    settings = Settings(
        config_dir=config,
        warehouse_url=warehouse_url,
        inbox_dir=tmp_path / "inbox",
        output_dir=tmp_path / "out",
        archive_dir=tmp_path / "archive",
    )
    res = build_resources(settings)
    inbox = tmp_path / "inbox"
    for month in (1, 2, 3):  # the seed OPD: perumahan on time, perkim late in March
        on_time = datetime(2023, month + 1, 5, 9, tzinfo=WIB)
        _at(
            write_xlsx(inbox / SEED / "perumahan" / f"{month}.xlsx", sheet_rows(month=month, value=40)),
            on_time,
        )
        late = datetime(2023, month + 1, 12 if month == 3 else 5, 9, tzinfo=WIB)
        _at(write_xlsx(inbox / SEED / "perkim" / f"{month}.xlsx", sheet_rows("perkim", month=month)), late)
    # the Dinkes: kesmas in January only; the twin sends nothing at all
    _at(
        write_xlsx(inbox / DINKES / "kesmas" / "1.xlsx", dinkes_rows(month=1)),
        datetime(2023, 2, 1, tzinfo=WIB),
    )
    load_new_files(res)
    return res


def test_recap_across_opd(kabupaten, tmp_path):
    as_of = datetime(2023, 4, 15, tzinfo=WIB)  # the March deadline (10 April) has passed
    data = load_recap_data(kabupaten, Period.parse("2023-Q1"), as_of)
    by = {o.code: o for o in data.opds}
    assert list(by) == [DINKES, SEED, TWIN]

    seed, twin, dinkes = by[SEED], by[TWIN], by[DINKES]
    assert (seed.rate.expected, seed.rate.received, seed.rate.on_time, seed.rate.late) == (6, 6, 5, 1)
    assert (twin.rate.expected, twin.rate.received, twin.rate.missing) == (6, 0, 6)
    assert (dinkes.rate.expected, dinkes.rate.received) == (9, 1)
    assert data.rate.expected == 21 and data.rate.received == 7
    assert dict(seed.bidang_rates[1][2].as_json())["late"] == 1  # perkim, March

    # the same codes, different figures: the twin's IKU-02 has no data, the seed's does
    seed_02 = next(r for r in seed.report.rows if r.indicator.code == "IKU-02")
    twin_02 = next(r for r in twin.report.rows if r.indicator.code == "IKU-02")
    assert seed_02.achievement.realisation == 120 and twin_02.achievement.realisation is None
    assert seed.without_target == ["IKU-01", "IKU-05"] and dinkes.without_target == []
    assert sum(n for _, n in seed.distribution) == len(seed.report.rows) == 5
    assert sum(n for _, n in data.distribution) == data.indicators == 14

    payload = recap_json(data)
    assert payload["period"] == "Q1" and [o["code"] for o in payload["opd"]] == [DINKES, SEED, TWIN]
    assert payload["kabupaten"]["submissions"]["reporting_pct"] == round(700 / 21, 2)
    seed_json = payload["opd"][1]
    assert seed_json["without_target"] == ["IKU-01", "IKU-05"]
    assert seed_json["submissions"]["bidang"][0] == {
        "bidang": "perumahan",
        **seed.bidang_rates[0][2].as_json(),
    }
    assert seed_json["average"]["without"][0] == {"code": "IKU-01", "why": "target belum ditetapkan"}

    paths = render_recap(data, tmp_path / "out" / "2023")
    assert [p.name for p in paths] == ["rekap-2023-Q1.html", "rekap-2023-Q1.xlsx", "rekap-2023-Q1.json"]
    html = paths[0].read_text(encoding="utf-8")
    assert "Dinas Kesehatan" in html and "Rekapitulasi Kinerja Perangkat Daerah Triwulan I Tahun 2023" in html
    wb = openpyxl.load_workbook(paths[1])
    assert wb.sheetnames == ["Ringkasan", "IKU", "Penyampaian", "IKU Kabupaten"]
    assert wb["IKU"].max_row == 4 + 14 - 1 + 1
    assert json.loads(paths[2].read_text(encoding="utf-8")) == json.loads(json.dumps(payload))


def test_the_kabupaten_own_iku_from_the_opd_that_feed_them(kabupaten, tmp_path):
    """config/rpjmd.yaml: the sum with a feed lacking data stays empty and names it;
    the value of one OPD indicator gets its capaian; no target, no capaian."""
    data = load_recap_data(kabupaten, Period.parse("2023-Q1"), datetime(2023, 4, 15, tzinfo=WIB))
    by = {k.indicator.code: k for k in data.rpjmd}
    total, value, mean = by["IKD-01"].result, by["IKD-02"].result, by["IKD-03"].result
    assert total.realisation is None and total.missing == (f"{TWIN}/IKU-02",)
    assert total.why == f"data belum lengkap ({TWIN}/IKU-02)"
    assert (value.realisation, value.target, value.achievement_pct) == (120, 150, 80.0)
    assert value.predicate is None and value.verdict is None  # Q1: provisional, no predicate (N3)
    assert mean.target is None and mean.achievement_pct is None and mean.why == "target belum ditetapkan"
    seed_04 = next(r for r in data.opds[1].report.rows if r.indicator.code == "IKU-04")
    assert mean.realisation == round((90 + seed_04.achievement.realisation) / 2, 2)

    payload = recap_json(data)["rpjmd"]
    assert [k["code"] for k in payload] == ["IKD-01", "IKD-02", "IKD-03"]
    assert payload[1] == {
        "code": "IKD-02",
        "name": "Rumah tidak layak huni yang diperbaiki (Disperkim)",
        "unit": "Unit",
        "polarity": "up",
        "rule": "value",
        "weighted": False,
        "target": 150,
        "realisation": 120,
        "achievement_pct": 80.0,
        "predicate": None,  # Q1: provisional
        "verdict": None,
        "why": None,
        "feeds": [
            {
                "opd": SEED,
                "indicator": "IKU-02",
                "name": "Perbaikan Rumah Tidak Layak Huni bagi MBR",
                "unit": "Unit",
                "realisation": 120,
                "weight": 1.0,
            }
        ],
        "missing": [],
        # a quarterly recap: against the kabupaten's Rencana Aksi (none configured here)
        "target_quarter": None,
        "achievement_quarter_pct": None,
        "predicate_quarter": None,
    }
    assert payload[0]["missing"] == [f"{TWIN}/IKU-02"] and payload[0]["feeds"][1]["realisation"] is None

    html_path, xlsx_path, _ = render_recap(data, tmp_path / "out" / "2023")
    html = html_path.read_text(encoding="utf-8")
    assert "IKU kabupaten (RPJMD)" in html and "Jumlah dari:" in html and "Rata-rata dari:" in html
    assert "80,00 %" in html  # Indonesian numbers
    ws = openpyxl.load_workbook(xlsx_path)["IKU Kabupaten"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert rows[0][:7] == ["IKD-01", "Rumah tidak layak huni yang diperbaiki", "Unit", 300, "-", "-", None]
    assert rows[0][7] == f"jumlah dari {SEED}/IKU-02, {TWIN}/IKU-02"
    assert rows[1][0] == f"{SEED}/IKU-02" and rows[1][4] == 120
    assert rows[2][0] == f"{TWIN}/IKU-02" and rows[2][4] == "belum ada data"
    assert rows[3][:7] == [
        "IKD-02",
        "Rumah tidak layak huni yang diperbaiki (Disperkim)",
        "Unit",
        150,
        120,
        80,
        None,  # Q1: provisional, no predicate (issue 17 N3)
    ]


def test_the_kabupaten_rencana_aksi_judges_the_quarter(kabupaten, tmp_path):
    """rencana_aksi in rpjmd.yaml: the quarterly recap holds the kabupaten IKU
    against the target through the quarter's end, as the OPD reports do."""
    rpjmd_file = kabupaten.settings.config_dir / "rpjmd.yaml"
    doc = yaml.safe_load(rpjmd_file.read_text(encoding="utf-8"))
    doc["indicators"][1]["rencana_aksi"] = {2023: [100, 150, 150, 150]}  # IKD-02, the seed's IKU-02
    rpjmd_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    res = build_resources(kabupaten.settings)
    data = load_recap_data(res, Period.parse("2023-Q1"), datetime(2023, 4, 15, tzinfo=WIB))
    plan = data.rpjmd[1].result
    assert (plan.realisation, plan.target_quarter, plan.achievement_quarter_pct) == (120, 100, 120.0)
    assert (
        plan.predicate_quarter == "Sangat Tinggi" and plan.verdict is None
    )  # the year's is still provisional
    assert data.rpjmd[0].result.target_quarter is None
    payload = recap_json(data)["rpjmd"]
    assert (payload[1]["target_quarter"], payload[1]["predicate_quarter"]) == (100, "Sangat Tinggi")
    html_path, xlsx_path, _ = render_recap(data, tmp_path / "out")
    html = html_path.read_text(encoding="utf-8")
    assert "Rencana Aksi s.d. Triwulan I" in html and "Capaian thd Rencana Aksi (%)" in html
    ws = openpyxl.load_workbook(xlsx_path)["IKU Kabupaten"]
    assert ws.cell(4, 10).value.startswith("Rencana Aksi s.d.")
    ikd02 = next(r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] == "IKD-02")
    assert ikd02[9:12] == (100, 120, "Sangat Tinggi")
    # the year's recap has no quarter to judge
    annual = load_recap_data(res, Period.parse("2023"), datetime(2024, 1, 15, tzinfo=WIB))
    assert not annual.rpjmd_planned and "target_quarter" not in recap_json(annual)["rpjmd"][1]


def test_a_weighted_mean_counts_each_source_by_its_weight(kabupaten, tmp_path):
    """weights: a source that matters more counts more; the reports say so."""
    rpjmd_file = kabupaten.settings.config_dir / "rpjmd.yaml"
    doc = yaml.safe_load(rpjmd_file.read_text(encoding="utf-8"))
    doc["indicators"][2]["weights"] = [3, 1]
    rpjmd_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    res = build_resources(kabupaten.settings)
    data = load_recap_data(res, Period.parse("2023-Q1"), datetime(2023, 4, 15, tzinfo=WIB))
    row = data.rpjmd[2]
    seed_04 = next(r for r in data.opds[1].report.rows if r.indicator.code == "IKU-04")
    assert row.result.realisation == round((3 * 90 + seed_04.achievement.realisation) / 4, 2)
    assert row.rule_text == f"rata-rata tertimbang dari {DINKES}/IKU-01 (bobot 3), {SEED}/IKU-04 (bobot 1)"
    payload = recap_json(data)["rpjmd"][2]
    assert payload["weighted"] is True and [f["weight"] for f in payload["feeds"]] == [3.0, 1.0]
    html = render_recap(data, tmp_path / "out")[0].read_text(encoding="utf-8")
    assert "Rata-rata tertimbang dari:" in html and "(bobot 3)" in html


@pytest.mark.browser
def test_the_printed_recap_carries_the_kabupaten_iku(kabupaten, tmp_path):
    import shutil
    import subprocess

    from browser import browser_required, chromium_path

    from iku.reports import write_pdf

    if chromium_path() is None or shutil.which("pdftotext") is None:
        if browser_required():
            pytest.fail("chromium and poppler-utils are required in CI")
        pytest.skip("chromium or poppler-utils not installed")
    data = load_recap_data(kabupaten, Period.parse("2023"), datetime(2024, 1, 15, tzinfo=WIB))
    pdf = write_pdf(render_recap(data, tmp_path / "out" / "2023")[0])
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "IKU kabupaten (RPJMD)" in text and "Dihitung dari indikator OPD" in text
    assert "IKD-03" in text and "Rata-rata dari:" in text and "target belum ditetapkan" in text
