"""The budget computations and §11 JSON shapes, against hand-computed figures."""

from __future__ import annotations

import json

import pytest
from budgetkit import PROGRAMS

from iku.domain.budget import (
    EFFICIENCY_RULE,
    BudgetLine,
    Program,
    absorption_pct,
    budget_realisation,
    catalogue_problems,
    efficiency,
    efficiency_index,
    efficiency_label,
    indicator_budget,
    indicator_json,
    indicator_pagu_renstra,
    indicator_quarter_realisation,
    monthly_absorption,
    opd_total,
    planned_pct,
    programs_json,
    quarter_realisation,
    supporting_programs,
)


def line(code, level, pagu, real):
    return BudgetLine(code, level, code, pagu, real)


# The March figures of budgetkit.sipd_rows
LINES = {
    "1.04.02": line("1.04.02", "program", 1_250_000_000, 400_000_000),
    "1.04.02.2.01": line("1.04.02.2.01", "kegiatan", 750_000_000, 250_000_000),
    "1.04.02.2.01.0001": line("1.04.02.2.01.0001", "sub_kegiatan", 500_000_000, 200_000_000),
    "1.04.02.2.01.0002": line("1.04.02.2.01.0002", "sub_kegiatan", 250_000_000, 50_000_000),
    "1.04.02.2.02": line("1.04.02.2.02", "kegiatan", 500_000_000, 150_000_000),
    "1.04.03": line("1.04.03", "program", 500_000_000, 150_000_000),
    "1.04.03.2.01": line("1.04.03.2.01", "kegiatan", 500_000_000, 150_000_000),
}


def test_absorption_and_efficiency_by_the_stated_rule():
    assert absorption_pct(1_750_000_000, 550_000_000) == 31.43  # 31,428...
    assert (
        absorption_pct(0, 10) is None
        and absorption_pct(None, 10) is None
        and absorption_pct(10, None) is None
    )
    assert efficiency_index(80, 32) == 2.5 and efficiency_label(2.5) == "efisien"
    assert efficiency_index(25, 32) == 0.78 and efficiency_label(0.78) == "kurang efisien"
    assert efficiency_index(32, 32) == 1 and efficiency_label(1.0) == "efisien"
    assert efficiency_index(None, 32) is None and efficiency_index(80, None) is None
    assert efficiency_index(80, 0) is None and efficiency_label(None) is None
    assert "capaian kinerja (%) dibagi penyerapan anggaran (%)" in EFFICIENCY_RULE


def test_an_indicator_s_budget_is_the_sum_over_the_programs_listing_it():
    assert indicator_budget(PROGRAMS, LINES, "IKU-01") == {
        "pagu": 1_250_000_000,
        "realisation": 400_000_000,
        "absorption_pct": 32.0,
    }
    both = (*PROGRAMS, Program("1.04.04", "Program Lain", ("IKU-04",)))
    lines = {**LINES, "1.04.04": line("1.04.04", "program", 250_000_000, 200_000_000)}
    assert indicator_budget(both, lines, "IKU-04") == {
        "pagu": 750_000_000,
        "realisation": 350_000_000,
        "absorption_pct": 46.67,
    }
    assert indicator_budget(PROGRAMS, LINES, "IKU-03") is None  # no program lists it
    assert indicator_budget(PROGRAMS, {}, "IKU-01") is None  # no budget data yet
    assert indicator_json(PROGRAMS, {}, "IKU-01", 80.0) == {"budget": None, "efficiency_index": None}
    assert indicator_json(PROGRAMS, LINES, "IKU-01", 80.0)["efficiency_index"] == 2.5


def test_the_opd_total_and_the_lakip_shapes():
    assert opd_total(PROGRAMS, LINES) == {
        "pagu": 1_750_000_000,
        "realisation": 550_000_000,
        "absorption_pct": 31.43,
    }
    realisation = budget_realisation(PROGRAMS, LINES)
    assert realisation["total"]["absorption_pct"] == 31.43
    first = realisation["programs"][0]
    assert (first["code"], first["indicators"], first["absorption_pct"]) == (
        "1.04.02",
        ["IKU-01", "IKU-02"],
        32.0,
    )
    kegiatan = first["kegiatan"][0]
    assert (kegiatan["code"], kegiatan["pagu"], kegiatan["absorption_pct"]) == (
        "1.04.02.2.01",
        750_000_000,
        33.33,
    )
    assert [s["absorption_pct"] for s in kegiatan["sub_kegiatan"]] == [40.0, 20.0]
    assert budget_realisation(PROGRAMS, {})["total"] == {
        "pagu": None,
        "realisation": None,
        "absorption_pct": None,
    }

    eff = efficiency(PROGRAMS, LINES, {"IKU-01": 80.0, "IKU-03": 50.0, "IKU-04": 15.0})
    assert eff == [
        {
            "indicator": "IKU-01",
            "achievement_pct": 80.0,
            "absorption_pct": 32.0,
            "efficiency_index": 2.5,
            "label": "efisien",
        },
        {
            "indicator": "IKU-03",
            "achievement_pct": 50.0,
            "absorption_pct": None,
            "efficiency_index": None,
            "label": None,
        },
        {
            "indicator": "IKU-04",
            "achievement_pct": 15.0,
            "absorption_pct": 30.0,
            "efficiency_index": 0.5,
            "label": "kurang efisien",
        },
    ]
    support = supporting_programs(PROGRAMS, LINES, ["IKU-01", "IKU-02"])
    # IKU-01: both kegiatan of 1.04.02 (1.04.02.2.02 names no indicator, so supports all of its program's)
    assert [k["code"] for k in support[0]["programs"][0]["kegiatan"]] == ["1.04.02.2.01", "1.04.02.2.02"]
    # IKU-02: 1.04.02.2.01 supports IKU-01 only
    assert [k["code"] for k in support[1]["programs"][0]["kegiatan"]] == ["1.04.02.2.02"]
    assert support[1]["programs"][0]["realisation"] == 400_000_000
    json.dumps([programs_json(PROGRAMS, LINES), realisation, eff, support])  # plain JSON, nothing else


def test_realisation_per_quarter_from_cumulative_months():
    def month(real):
        return {"1.04.02": line("1.04.02", "program", 1e9, real)}

    by_month = {1: month(50), 3: month(200), 5: month(350), 11: month(900)}
    # TW I: 200; TW II: 350 - 200 (May is the last month with data); TW III: none; TW IV: 900 - 350
    assert quarter_realisation(by_month, "1.04.02") == [200, 150, None, 550]
    assert quarter_realisation(by_month, "1.04.03") == [None, None, None, None]


def test_the_plan_share_of_the_pagu():
    plan = {2024: (150e6, 400e6, 600e6, 750e6)}  # anggaran kas, cumulative per triwulan
    assert planned_pct(plan, 2024, 2, 750e6) == 53.33
    assert planned_pct(plan, 2025, 2, 750e6) is None and planned_pct(plan, 2024, 2, None) is None


@pytest.mark.parametrize(
    ("programs", "message"),
    [
        (
            [Program("1.04.2", "P")],
            "kode program '1.04.2' tidak berbentuk kode Permendagri 90/2019 (contoh: 1.04.02)",
        ),
        (
            [Program("1.04.02", "P", ("IKU-09",))],
            "program 1.04.02: indikator IKU-09 tidak ada dalam katalog IKU",
        ),
        ([Program("1.04.02", "P"), Program("1.04.02", "Q")], "kode '1.04.02' ditulis lebih dari sekali"),
    ],
)
def test_catalogue_problems_are_one_indonesian_line_each(programs, message):
    assert catalogue_problems(programs, ["IKU-01"]) == [message]


def test_e81_rupiah_columns_of_an_indicator():
    def month(a, b):
        return {"1.04.02": line("1.04.02", "program", 1e9, a), "1.04.03": line("1.04.03", "program", 5e8, b)}

    by_month = {
        3: month(2e8, 1e8),
        6: month(5e8, 1.5e8),
        7: {"1.04.03": line("1.04.03", "program", 5e8, 2e8)},
    }
    both = (PROGRAMS[0], Program("1.04.03", "Q", ("IKU-01",), pagu_renstra={2024: 4e8}))
    # TW I 2e8 + 1e8; TW II (5e8 - 2e8) + (1.5e8 - 1e8); TW III only 1.04.03 (July) 2e8 - 1.5e8
    assert indicator_quarter_realisation(both, by_month, "IKU-01") == [3e8, 3.5e8, 5e7, None]
    assert indicator_quarter_realisation(both, by_month, "IKU-03") == [None] * 4
    assert indicator_pagu_renstra(both, "IKU-01", 2024) == 4e8  # 1.04.02 configures none
    assert indicator_pagu_renstra(both, "IKU-01", 2025) is None
    assert monthly_absorption(by_month, "1.04.02") == {3: 20.0, 6: 50.0}
