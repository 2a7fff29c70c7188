"""A month with valid data but without the bukti dukung an indicator requires
(CONTRACT §12 evidence_required) is alerted with the missing submissions:
once, to the bidang and the planning team. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from alert_samples import BIDANG_MAIL, PLANNING

from iku.alerts import dispatch
from iku.domain.model import SubmissionRecord, ValueRow
from iku.warehouse.sakip import Sakip

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _sheet(month: int) -> SubmissionRecord:
    return SubmissionRecord(
        sha256=f"sheet{month}",
        bidang="perumahan",
        file_name=f"perumahan-{month}.xlsx",
        source_path=f"/in/{month}.xlsx",
        archive_path=f"/ar/{month}.xlsx",
        size_bytes=10,
        received_at=datetime(2023, month + 1, 5, tzinfo=UTC),
        status="valid",
        year=2023,
        month=month,
        values=[ValueRow("IKU-01", 3.0, None, None, None, 2)],
    )


def test_a_month_without_required_evidence_is_alerted_once(
    make_res, alert_config, smtp, warehouse_url, tmp_path
):
    opd = alert_config / "opd.yaml"
    data = yaml.safe_load(opd.read_text(encoding="utf-8"))
    [iku01] = [i for i in data["indicators"] if i["code"] == "IKU-01"]
    iku01["evidence_required"] = True
    opd.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    res = make_res(warehouse_url, smtp=smtp)
    res.warehouse.migrate()
    for month in (4, 5):
        res.warehouse.record(res.opd, _sheet(month))
    Sakip(res.warehouse).record_evidence(
        res.opd,
        "perumahan",
        "IKU-01",
        2023,
        5,
        "ba.pdf",
        PDF,
        archive_root=tmp_path / "arsip",
        actor="budi",
        role="bidang",
        actor_bidang="perumahan",
    )
    as_of = datetime(2023, 6, 20, tzinfo=UTC)  # the deadlines of April and May have passed
    dispatch.raise_missing_alerts(res, as_of)
    dispatch.raise_missing_alerts(res, as_of)  # again: nothing repeated
    rows = [a for a in res.warehouse.alerts(res.opd) if a["kind"] == "missing_evidence"]
    assert [(a["cause_key"], a["bidang"], a["month"]) for a in rows] == [
        ("missing-evidence:perumahan:2023-04", "perumahan", 4)
    ]
    assert set(rows[0]["payload"]["to"]) >= {*PLANNING, *BIDANG_MAIL["perumahan"]}
    body = rows[0]["payload"]["text"]
    assert "BUKTI DUKUNG" in body and "IKU-01" in body and "April 2023" in body
    # the missing months' alerts name the required evidence too
    missing = next(a for a in res.warehouse.alerts(res.opd) if a["cause_key"] == "missing:perumahan:2023-03")
    assert "Bukti dukung wajib: IKU-01" in missing["payload"]["text"]
