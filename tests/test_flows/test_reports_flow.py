"""The report and LAKIP flows end to end on a real Prefect test server."""

from __future__ import annotations

import json

import pytest
from browser import chromium_path
from report_seed import seed

from flows.reports import lakip_flow, report_flow
from iku.settings import Settings

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def test_report_and_lakip_flows(prefect_server, iku_env):
    seed(Settings().warehouse_url)
    out = iku_env / "out"
    paths = report_flow("2023-Q2", as_of="2023-07-20")
    expected = [out / "2023" / f"iku-2023-Q2.{ext}" for ext in ("html", "xlsx", "json")]
    if chromium_path():  # the signable PDF beside the HTML
        expected.append(out / "2023" / "iku-2023-Q2.pdf")
    assert paths == expected
    doc = json.loads(paths[2].read_text(encoding="utf-8"))
    assert doc["period"] == "Q2" and len(doc["submissions"]) == 12
    assert {i["code"]: i["achievement_pct"] for i in doc["indicators"]}["IKU-02"] == 37.33

    lakip = lakip_flow(2023)
    assert lakip == [out / "2023" / "lakip-2023.xlsx", out / "2023" / "lakip-2023.json"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2023/iku-2023-Q2.html"' in index and 'href="2023/lakip-2023.xlsx"' in index
    if chromium_path():
        assert 'href="2023/iku-2023-Q2.pdf"' in index


def test_scheduled_report_without_period_takes_the_last_quarter_past_its_deadline(prefect_server, iku_env):
    from flows.serve import scheduled_report_flow

    out = iku_env / "out" / "2023"
    # 10 July: June's deadline has not passed yet, so Q1, never the empty Q2 or Q3
    assert scheduled_report_flow(kind="quarterly", as_of="2023-07-10")[2] == str(out / "iku-2023-Q1.json")
    assert scheduled_report_flow(kind="quarterly", as_of="2023-07-11")[2] == str(out / "iku-2023-Q2.json")
    assert scheduled_report_flow(kind="annual", as_of="2024-01-05")[2] == str(
        iku_env / "out" / "2022" / "iku-2022.json"
    )
    assert scheduled_report_flow(kind="lakip", period="2023")[1] == str(out / "lakip-2023.json")
    with pytest.raises(ValueError, match="does not fit"):
        scheduled_report_flow(kind="quarterly", period="2023")
