"""check_missing_flow and reminder_flow on a real Prefect test server, with a
real SMTP server on loopback: what the schedule would do on a given day."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from loopback import SmtpReceiver, WebhookReceiver

from iku.domain.model import SubmissionRecord, ValueRow
from iku.resources import build_resources

pytestmark = [pytest.mark.prefect, pytest.mark.slow]
WIB = ZoneInfo("Asia/Jakarta")
OPD_SUBJECT = "Dinas Perumahan dan Kawasan Permukiman (disperkim-tjb)"  # every alert names its OPD


@pytest.fixture
def alerting(iku_env, config_copy, monkeypatch):
    """iku_env with bidang addresses, e-mail to a loopback SMTP server and a webhook."""
    opd = config_copy / "opd.yaml"
    data = yaml.safe_load(opd.read_text(encoding="utf-8"))
    for b in data["bidang"]:
        b["email"] = [f"{b['code']}@disperkim.example"]
    opd.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        for key, value in {
            "IKU_CONFIG_DIR": str(config_copy),
            "IKU_SMTP_HOST": "127.0.0.1",
            "IKU_SMTP_PORT": str(smtp.port),
            "IKU_ALERT_EMAIL_FROM": "iku@disperkim.example",
            "IKU_ALERT_EMAIL_TO": "perencanaan@disperkim.example",
            "IKU_ALERT_WEBHOOK_URL": hook.url,
        }.items():
            monkeypatch.setenv(key, value)
        yield smtp, hook


def _valid(bidang: str, year: int, month: int, received: datetime) -> SubmissionRecord:
    sha = hashlib.sha256(f"{bidang}{year}{month}".encode()).hexdigest()
    return SubmissionRecord(
        sha256=sha,
        bidang=bidang,
        file_name=f"{bidang}-{month:02d}.xlsx",
        source_path="x",
        archive_path="y",
        size_bytes=1,
        received_at=received,
        status="valid",
        year=year,
        month=month,
        values=[ValueRow("IKU-02", 1.0, None, None, None, 2)],
    )


def test_check_missing_alerts_once_per_bidang_and_month(prefect_server, alerting):
    from flows.alerts import check_missing_flow

    smtp, hook = alerting
    res = build_resources()
    for month in range(1, 5):  # perumahan sent Jan-Apr on time; perkim sent nothing
        res.warehouse.record(
            res.opd, _valid("perumahan", 2023, month, datetime(2023, month + 1, 5, tzinfo=WIB))
        )

    found = check_missing_flow(as_of="2023-05-11")
    assert found == [{"bidang": "perkim", "year": 2023, "month": m} for m in range(1, 5)]
    assert len(smtp.mails) == 4
    assert {m.subject for m in smtp.mails} == {
        f"[IKU] Laporan belum masuk: Bidang Perumahan dan Permukiman, {name} 2023 — {OPD_SUBJECT}"
        for name in ("Januari", "Februari", "Maret", "April")
    }
    assert sorted(smtp.mails[0].rcpt_tos) == ["perencanaan@disperkim.example", "perkim@disperkim.example"]
    assert [b["kind"] for b in hook.bodies] == ["missing_submission"] * 4
    assert set(hook.bodies[0]) == {
        "kind",
        "bidang",
        "year",
        "month",
        "file",
        "problems",
        "message",
        "opd",
        "opd_name",
    }

    # the same check again (the next day, or by hand) finds the same and sends nothing new
    assert check_missing_flow(as_of="2023-05-12") == found
    assert len(smtp.mails) == 4 and len(hook.bodies) == 4
    # May is not due before 10 June: nothing missing yet
    assert check_missing_flow(period="2023-05", as_of="2023-06-10") == []


def test_reminders_on_h3_and_h1_only_to_bidang_not_yet_submitted(prefect_server, alerting):
    from flows.alerts import reminder_flow

    smtp, _ = alerting
    res = build_resources()
    res.warehouse.record(res.opd, _valid("perumahan", 2023, 4, datetime(2023, 5, 3, tzinfo=WIB)))

    assert reminder_flow(as_of="2023-05-08") == []  # not a reminder day
    assert reminder_flow(as_of="2023-05-07") == [{"bidang": "perkim", "year": 2023, "month": 4}]
    assert reminder_flow(as_of="2023-05-07") == [{"bidang": "perkim", "year": 2023, "month": 4}]
    assert len(smtp.mails) == 1  # the re-run repeated nothing
    mail = smtp.mails[0]
    assert "Pengingat H-3" in mail.subject and "April 2023" in mail.subject
    assert sorted(mail.rcpt_tos) == ["perencanaan@disperkim.example", "perkim@disperkim.example"]
    assert "10 Mei 2023 pukul 23.59 WIB" in mail.text
    reminder_flow(as_of="2023-05-09")  # H-1 is its own reminder
    assert [("H-1" in m.subject) for m in smtp.mails] == [False, True]
