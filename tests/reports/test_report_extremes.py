"""No stored value crashes a report: figures far beyond the limits (as an older
version could store, or a hand edit), infinity and NaN give no figure, never
an exception, an inf in JSON or a broken chart."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from iku import reports
from iku.domain.model import SubmissionRecord, ValueRow
from iku.domain.periods import Period
from iku.resources import build_resources
from iku.settings import Settings

EXTREMES = {1: 1e300, 2: 1e300, 3: float("inf"), 4: -1e300, 5: float("nan"), 6: 1e-300, 7: 1.7e308}


def _strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def extreme_res(iku_env, warehouse_url):
    res = build_resources(Settings(warehouse_url=warehouse_url))
    wh = res.warehouse
    wh.migrate()
    for month, v in EXTREMES.items():
        sheets = {
            "perumahan": [
                ValueRow(c, v, None, None, "catatan", 2) for c in ("IKU-01", "IKU-02", "IKU-03", "IKU-05")
            ],
            "perkim": [ValueRow("IKU-04", None, v, v / 2 if v == v else v, "catatan", 2)],
        }
        for bidang, rows in sheets.items():
            name = f"{bidang}-{month}.xlsx"
            wh.record(
                res.opd,
                SubmissionRecord(
                    sha256=hashlib.sha256(name.encode()).hexdigest(),
                    bidang=bidang,
                    file_name=name,
                    source_path=name,
                    archive_path=name,
                    size_bytes=1,
                    received_at=datetime(2023, month + 1, 1, tzinfo=UTC),
                    status="valid",
                    year=2023,
                    month=month,
                    values=rows,
                ),
            )
    return res


def test_reports_and_lakip_survive_any_stored_value(extreme_res):
    out = extreme_res.output_dir / "2023"
    as_of = datetime(2024, 2, 1, tzinfo=UTC)
    for text in ("2023-Q1", "2023-Q2", "2023-Q3", "2023"):
        data = reports.load_report_data(extreme_res, Period.parse(text), as_of)
        paths = reports.render_report(data, out)
        assert {p.suffix for p in paths} >= {".html", ".xlsx", ".json"}
        body = _strict_json(next(p for p in paths if p.suffix == ".json").read_text(encoding="utf-8"))
        for ind in body["indicators"]:
            for key in ("realisation", "achievement_pct"):
                assert ind[key] is None or isinstance(ind[key], (int, float))
        html = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
        assert "inf," not in html and "NaN" not in html
    paths = reports.render_lakip(reports.load_lakip_data(extreme_res, 2023), out)
    _strict_json(next(p for p in paths if p.suffix == ".json").read_text(encoding="utf-8"))
