"""Alert delivery against a real SMTP server (aiosmtpd) and a real HTTP receiver
on 127.0.0.1: recipients, subjects, problems, one alert per cause, retries."""

from __future__ import annotations

import logging
import ssl
from datetime import datetime

import pytest
from alert_samples import BIDANG_MAIL, INVALID_PROBLEMS, PLANNING, WIB, record
from loopback import SmtpReceiver, WebhookReceiver, free_port, self_signed_cert

from iku.alerts import dispatch
from iku.alerts.email import EmailError, send_email
from tasks.alerts import deliver_alerts, raise_submission_alerts, send_recap

FAST = [0, 0, 0]


def test_one_alert_per_bad_file_by_email_and_webhook_never_repeated(
    warehouse_url, smtp, hook, make_res, caplog
):
    caplog.set_level(logging.DEBUG)
    res = make_res(warehouse_url, smtp, hook)
    bad = record("invalid", problems=INVALID_PROBLEMS, name="realisasi-april.xlsx")
    broken = record(
        "unreadable",
        bidang="perkim",
        year=None,
        month=None,
        name="rusak.xlsx",
        problems=[dispatch.messages.Problem("Berkas rusak: bukan berkas Excel yang sah.")],
    )
    records = [bad, broken, record("valid", month=3)]

    assert raise_submission_alerts.fn(res, records) == 4  # 2 files x 2 channels
    assert deliver_alerts.fn(res, backoff=FAST) == {"delivered": 4, "failed": 0}

    assert len(smtp.mails) == 2
    by_subject = {m.subject: m for m in smtp.mails}
    opd = "Dinas Perumahan dan Kawasan Permukiman (disperkim-tjb)"  # every subject names its OPD
    invalid_mail = by_subject[
        f"[IKU] Berkas tidak valid: Bidang Perumahan, April 2023 (realisasi-april.xlsx) — {opd}"
    ]
    assert sorted(invalid_mail.rcpt_tos) == sorted(PLANNING + BIDANG_MAIL["perumahan"])
    assert invalid_mail.mail_from == "iku@disperkim.example"
    assert invalid_mail.message["X-IKU-Alert"] == f"invalid:{bad.sha256}:disperkim-tjb"
    for p in INVALID_PROBLEMS:
        assert p.message in invalid_mail.text
    assert "Baris 7, kolom realisasi" in invalid_mail.text
    assert "Baris 9, kolom kode_indikator" in invalid_mail.text
    unreadable_mail = by_subject[
        f"[IKU] Berkas tidak dapat dibaca: Bidang Perumahan dan Permukiman (rusak.xlsx) — {opd}"
    ]
    assert sorted(unreadable_mail.rcpt_tos) == sorted(PLANNING + BIDANG_MAIL["perkim"])

    kinds = {b["kind"]: b for b in hook.bodies}
    assert set(kinds) == {"invalid_submission", "unreadable_file"}
    assert kinds["invalid_submission"]["problems"][0] == {
        "row": 7,
        "column": "realisasi",
        "message": "Nilai realisasi negatif (-5).",
    }
    assert kinds["unreadable_file"]["file"] == "rusak.xlsx"

    # a re-run (same records, e.g. the next consolidation) repeats nothing
    assert raise_submission_alerts.fn(res, records) == 0
    assert deliver_alerts.fn(res, backoff=FAST) == {"delivered": 0, "failed": 0}
    assert len(smtp.mails) == 2 and len(hook.bodies) == 2

    rows = res.warehouse.alerts(res.opd)
    assert len(rows) == 4 and all(r["delivered_at"] is not None and r["attempts"] == 1 for r in rows)
    assert {r["channel"] for r in rows} == {"email", "webhook"}
    webhook_row = next(r for r in rows if r["channel"] == "webhook")
    assert "iku-secret-token" not in webhook_row["recipient"]  # the URL's secret is not stored
    assert "iku-secret-token" not in caplog.text  # nor logged


def test_smtp_refusal_is_retried_after_back_off(warehouse_url, make_res):
    with SmtpReceiver(refuse=1) as smtp:
        res = make_res(warehouse_url, smtp)
        raise_submission_alerts.fn(res, [record("invalid", problems=INVALID_PROBLEMS)])
        waits = []
        assert dispatch.deliver(res, sleep=waits.append) == {"delivered": 1, "failed": 0}
    assert smtp.refused == 1 and len(smtp.mails) == 1
    assert waits == [1.0]  # the first back-off of config/pipeline.yaml
    (row,) = res.warehouse.alerts(res.opd)
    assert row["attempts"] == 2 and row["delivered_at"] is not None


def test_webhook_500_is_retried_with_back_off(warehouse_url, make_res):
    with WebhookReceiver(statuses=[500, 500]) as hook:
        res = make_res(warehouse_url, hook=hook)
        raise_submission_alerts.fn(res, [record("invalid", problems=INVALID_PROBLEMS)])
        waits = []
        assert dispatch.deliver(res, sleep=waits.append) == {"delivered": 1, "failed": 0}
    assert hook.hits == 3 and len(hook.bodies) == 1
    assert waits == [1.0, 4.0]


def test_what_still_fails_is_kept_and_sent_by_the_next_run(warehouse_url, make_res, caplog):
    dead_port = free_port()  # nothing listens here: the connection is refused
    with WebhookReceiver(statuses=[500] * 20) as hook:
        res = make_res(
            warehouse_url,
            hook=hook,
            smtp_host="127.0.0.1",
            smtp_port=dead_port,
            alert_email_from="iku@disperkim.example",
            alert_email_to=PLANNING[0],
        )
        records = [record("invalid", problems=INVALID_PROBLEMS, name=f"f{i}.xlsx") for i in range(3)]
        assert raise_submission_alerts.fn(res, records) == 6
        result = deliver_alerts.fn(res, backoff=FAST)  # never raises
        assert result == {"delivered": 0, "failed": 6}
        # a dead channel costs one back-off sequence per run, not one per alert
        assert hook.hits == 4
    rows = res.warehouse.alerts(res.opd)
    assert all(r["delivered_at"] is None for r in rows)
    tried = [r for r in rows if r["attempts"]]
    assert len(tried) == 2 and all(r["attempts"] == 4 and r["last_error"] for r in tried)
    assert "HTTP 500" in next(r["last_error"] for r in tried if r["channel"] == "webhook")

    # the next run, with both channels back, sends everything that was left
    with SmtpReceiver() as smtp, WebhookReceiver() as hook2:
        res2 = make_res(warehouse_url, smtp, hook2)
        assert deliver_alerts.fn(res2, backoff=FAST) == {"delivered": 6, "failed": 0}
        assert len(smtp.mails) == 3 and len(hook2.bodies) == 3
    assert all(r["delivered_at"] is not None for r in res.warehouse.alerts(res.opd))


def test_recap_once_to_the_planning_team(warehouse_url, smtp, hook, make_res):
    res = make_res(warehouse_url, smtp, hook)
    wh = res.warehouse
    late = record("valid", month=3, received=datetime(2023, 4, 14, 8, tzinfo=WIB), name="maret.xlsx")
    invalid = record("invalid", bidang="perkim", month=4, problems=INVALID_PROBLEMS[:1], name="april.xlsx")
    for r in (late, invalid):
        wh.record(res.opd, r)
    as_of = datetime(2023, 5, 8, 10, 0, tzinfo=WIB)  # after both files came in
    assert send_recap.fn(res, [late, invalid], as_of, backoff=FAST) is True
    assert send_recap.fn(res, [late, invalid], as_of, backoff=FAST) is False  # never twice
    assert send_recap.fn(res, [], as_of) is False
    (mail,) = smtp.mails
    assert sorted(mail.rcpt_tos) == sorted(PLANNING)  # the planning team only
    assert mail.subject.startswith(
        "[IKU] Rekap konsolidasi 8 Mei 2023: 2 berkas baru, 1 terlambat, 1 tidak valid"
    )
    text = mail.text
    assert "maret.xlsx (valid)" in text and "april.xlsx (TIDAK VALID, 1 masalah)" in text
    assert "Terlambat (1):" in text
    # Jan-Mar of perkim and Jan-Feb of perumahan are past their deadlines with nothing in
    assert "Belum masuk setelah batas waktu (5):" in text
    (body,) = hook.bodies
    assert body["kind"] == "recap" and len(body["missing"]) == 5


def test_no_channel_configured_queues_nothing(warehouse_url, make_res):
    res = make_res(warehouse_url)
    assert raise_submission_alerts.fn(res, [record("invalid", problems=INVALID_PROBLEMS)]) == 0
    assert deliver_alerts.fn(res) == {"delivered": 0, "failed": 0}


def test_starttls_and_login_from_the_environment(tmp_path, monkeypatch, make_res, caplog):
    caplog.set_level(logging.DEBUG)
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    with SmtpReceiver(tls_context=server_ctx, require_starttls=True, users={"iku": "rahasia-smtp"}) as smtp:
        res = make_res(
            f"sqlite:///{tmp_path / 'wh.sqlite'}", smtp, smtp_user="iku", smtp_password="rahasia-smtp"
        )
        raise_submission_alerts.fn(res, [record("invalid", problems=INVALID_PROBLEMS)])
        assert deliver_alerts.fn(res, backoff=FAST) == {"delivered": 1, "failed": 0}
        assert len(smtp.mails) == 1
        # a wrong password is refused, reported without the password, and kept for later
        bad = make_res(
            f"sqlite:///{tmp_path / 'wh2.sqlite'}", smtp, smtp_user="iku", smtp_password="salah-123"
        )
        raise_submission_alerts.fn(bad, [record("invalid", problems=INVALID_PROBLEMS)])
        assert deliver_alerts.fn(bad, backoff=FAST) == {"delivered": 0, "failed": 1}
        (row,) = bad.warehouse.alerts(bad.opd)
        assert "login refused" in row["last_error"] and "salah-123" not in row["last_error"]
    assert "rahasia-smtp" not in caplog.text and "salah-123" not in caplog.text


def test_no_password_in_the_clear_when_the_server_lacks_starttls(smtp, make_res, tmp_path):
    res = make_res(f"sqlite:///{tmp_path / 'wh.sqlite'}", smtp, smtp_user="iku", smtp_password="rahasia")
    with pytest.raises(EmailError, match="STARTTLS"):
        send_email(res.settings, PLANNING, "uji", "isi", timeout=5)
    assert smtp.mails == []
