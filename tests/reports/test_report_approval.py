"""A report of an approved, locked quarter (CONTRACT §12): the submissions
carry their verification and lock, the JSON and the HTML state the approval
(by whom, when, in WIB)."""

from __future__ import annotations

from datetime import UTC, datetime

from report_seed import AS_OF

from iku.domain.periods import Period
from iku.reports import load_report_data, render_html, report_json
from iku.warehouse.sakip import Sakip

APPROVED_AT = datetime(2023, 4, 12, 3, 30, tzinfo=UTC)  # 10.30 WIB


def _approve_q1(res) -> None:
    sakip = Sakip.for_pipeline(res.warehouse, res.config.pipeline)
    bidang = [b.code for b in res.config.catalogue.bidang]
    for b in bidang:
        for month in (1, 2, 3):
            sakip.verify(res.opd, b, 2023, month, actor="kasubag", role="perencana", now=APPROVED_AT)
    sakip.approve(res.opd, 2023, 1, bidang, actor="Ir. Kepala Dinas", role="kepala", now=APPROVED_AT)


def test_a_locked_quarter_states_its_approval(seeded_res):
    _approve_q1(seeded_res)
    data = load_report_data(seeded_res, Period(2023, 2), AS_OF)
    doc = report_json(data)
    assert doc["approvals"] == [
        {
            "quarter": 1,
            "state": "disetujui",
            "locked": True,
            "approved_by": "Ir. Kepala Dinas",
            "approved_at": "2023-04-12T10:30:00+07:00",
        }
    ]
    subs = {(s["bidang"], s["month"]): s for s in doc["submissions"]}
    assert (subs[("perumahan", 2)]["verification"], subs[("perumahan", 2)]["locked"]) == (
        "diverifikasi",
        True,
    )
    assert subs[("perumahan", 2)]["verification_by"] == "kasubag"
    # April is in the open quarter: received, not verified, not locked
    assert (subs[("perumahan", 4)]["verification"], subs[("perumahan", 4)]["locked"]) == ("diterima", False)
    html = render_html(data)
    assert "Triwulan I 2023 telah disetujui oleh Ir. Kepala Dinas pada 12 April 2023 pukul 10.30 WIB" in html
    assert "terkunci" in html


def test_an_open_quarter_states_none(seeded_res):
    doc = report_json(load_report_data(seeded_res, Period(2023, 1), AS_OF))
    assert doc["approvals"] == []
    assert all(s["locked"] is False for s in doc["submissions"])
