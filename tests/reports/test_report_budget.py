"""The report JSON with budget data and a Perjanjian Kinerja (CONTRACT §11, §12),
from a real warehouse the budget sheets were imported into; figures by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from report_seed import AS_OF

from iku.domain.periods import Period
from iku.reports import load_report_data, report_json


def _by_code(doc):
    return {i["code"]: i for i in doc["indicators"]}


def test_quarter_json_with_budget_and_pk(budget_res):
    doc = report_json(load_report_data(budget_res, Period(2023, 2), AS_OF))
    ind = _by_code(doc)
    i2 = ind["IKU-02"]
    # PK awal (31 Jan) is in force on 30 June; the PK perubahan of 15 August is not yet
    assert (i2["target"], i2["target_source"], i2["target_renstra"], i2["pk_revision"]) == (
        160,
        "pk",
        150,
        "PK awal",
    )
    # 56 of the PK's 160 = 35 %, not 37.33 % of the Renstra's 150
    assert i2["achievement_pct"] == 35.0
    # program 1.04.02 through June: 600 juta of 1.250 juta = 48 %; 35 / 48 = 0.729
    assert i2["budget"] == {"pagu": 1_250_000_000, "realisation": 600_000_000, "absorption_pct": 48.0}
    assert (i2["efficiency_index"], i2["efficiency_label"]) == (0.73, "kurang efisien")
    i4 = ind["IKU-04"]
    assert (i4["target"], i4["target_source"], i4["achievement_pct"]) == (10, "pk", 78.95)
    # program 1.04.03: 225 of 500 juta = 45 %; 78.95 / 45 = 1.754
    assert i4["budget"]["absorption_pct"] == 45.0
    assert (i4["efficiency_index"], i4["efficiency_label"]) == (1.75, "efisien")
    # no program lists IKU-03: both keys null, and the Renstra's target
    assert ind["IKU-03"]["budget"] is None and ind["IKU-03"]["efficiency_index"] is None
    assert ind["IKU-03"]["target_source"] == "renstra"
    # IKU-01: a budget, but no target in 2023, so no capaian and no index
    assert ind["IKU-01"]["budget"]["absorption_pct"] == 48.0 and ind["IKU-01"]["efficiency_index"] is None

    programs = {p["code"]: p for p in doc["programs"]}
    assert list(programs) == ["1.04.02", "1.04.03"]
    p = programs["1.04.02"]
    assert (p["pagu"], p["realisation"], p["absorption_pct"], p["indicators"]) == (
        1_250_000_000,
        600_000_000,
        48.0,
        ["IKU-01", "IKU-02"],
    )
    kegiatan = {k["code"]: k for k in p["kegiatan"]}
    # kegiatan 1.04.02.2.01: 250 juta x 1.5 of 750 juta
    assert (kegiatan["1.04.02.2.01"]["realisation"], kegiatan["1.04.02.2.01"]["absorption_pct"]) == (
        375_000_000,
        50.0,
    )
    assert doc["budget_month"] == 6 and doc["target_date"] == "2023-06-30"


def test_annual_json_takes_the_revised_pk(budget_res):
    # the annual report, made in January: the PK perubahan of 15 August gives IKU-02's target
    made = datetime(2024, 1, 15, 3, 0, tzinfo=UTC)
    doc = report_json(load_report_data(budget_res, Period(2023), made))
    i2 = _by_code(doc)["IKU-02"]
    assert (i2["target"], i2["target_source"], i2["pk_revision"], i2["target_renstra"]) == (
        140,
        "pk",
        "PK perubahan",
        150,
    )
    assert doc["target_date"] == "2023-12-31"
    # the budget runs through June, the last month with a sheet
    assert doc["budget_month"] == 6 and i2["budget"]["realisation"] == 600_000_000


def test_a_report_made_before_the_period_ends_takes_the_pk_of_its_day(budget_res):
    early = datetime(2023, 1, 20, 3, 0, tzinfo=UTC)  # before the PK awal was signed
    doc = report_json(load_report_data(budget_res, Period(2023, 1), early))
    i2 = _by_code(doc)["IKU-02"]
    assert (i2["target"], i2["target_source"], doc["target_date"]) == (150, "renstra", "2023-01-20")


def test_the_recap_adds_each_opd_budget(budget_res):
    from iku.reports import load_recap_data, recap_json
    from iku.reports.html import render_recap_html

    data = load_recap_data(budget_res, Period(2023, 2), AS_OF)
    doc = recap_json(data)
    # 600 + 225 juta of 1.250 + 500 juta = 47.14 %
    total = {"pagu": 1_750_000_000, "realisation": 825_000_000, "absorption_pct": 47.14}
    assert doc["opd"][0]["budget"] == total and doc["opd"][0]["budget_month"] == 6
    assert doc["kabupaten"]["budget"] == total and doc["kabupaten"]["budget_opd_count"] == 1
    html = render_recap_html(data)
    assert "Anggaran per perangkat daerah" in html and "Rp1.750.000.000" in html and "47,14 %" in html


def test_the_recap_without_budget_says_why(seeded_res):
    from iku.reports import load_recap_data, recap_json

    doc = recap_json(load_recap_data(seeded_res, Period(2023, 2), AS_OF))
    assert doc["opd"][0]["budget"] is None and doc["kabupaten"]["budget"] is None
