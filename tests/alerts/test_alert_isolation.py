"""Issue 7: one alert never stops the others, delivery time per run is bounded,
and alerts follow from what the warehouse holds (an outbox)."""

from __future__ import annotations

import time

from alert_samples import INVALID_PROBLEMS, PLANNING, record
from loopback import SilentServer, SmtpReceiver, WebhookReceiver

from iku.alerts import dispatch
from tasks.alerts import deliver_alerts, raise_submission_alerts


def _alert(res, key: str, channel: str, payload: dict, recipient: str = "x") -> int:
    return res.warehouse.add_alert(
        res.opd,
        cause_key=key,
        channel=channel,
        kind="invalid_submission",
        recipient=recipient,
        subject=f"[IKU] uji {key}",
        payload=payload,
    )


def test_one_failing_alert_never_blocks_the_others(warehouse_url, make_res):
    with SmtpReceiver() as smtp, WebhookReceiver(statuses=[400]) as hook:
        smtp.refuse_rcpt = {"tidak-ada@disperkim.example"}
        res = make_res(warehouse_url, smtp, hook)
        refused = _alert(res, "a:refused", "email", {"text": "t", "to": ["tidak-ada@disperkim.example"]})
        corrupt = _alert(res, "b:corrupt", "email", {"to": PLANNING})  # no text: cannot even be built
        rejected = _alert(res, "c:rejected", "webhook", {"kind": "invalid_submission"})  # answered 400
        records = [record("invalid", problems=INVALID_PROBLEMS, name=f"f{i}.xlsx") for i in range(3)]
        assert raise_submission_alerts.fn(res, records) == 6
        result = deliver_alerts.fn(res, backoff=[0, 0, 0])
    assert result == {"delivered": 6, "failed": 3}
    assert len(smtp.mails) == 3 and len(hook.bodies) == 3  # every good alert went out, in this run
    rows = {r["id"]: r for r in res.warehouse.alerts(res.opd)}
    for bad in (refused, corrupt, rejected):
        assert rows[bad]["delivered_at"] is None and rows[bad]["attempts"] == 1  # refused for good: no retry
    assert "refused every recipient" in rows[refused]["last_error"]
    assert "KeyError" in rows[corrupt]["last_error"]
    assert "HTTP 400" in rows[rejected]["last_error"]


def test_alert_delivery_time_per_run_is_bounded(warehouse_url, make_res, alert_config):
    """SMTP and webhook servers that accept and never answer: without a bound, each
    channel costs (1 + retries) timeouts plus the back-off; with one, each channel
    (delivered side by side) stops after alerts.max_total_seconds and keeps the
    rest for the next run."""
    path = alert_config / "pipeline.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("  timeout_seconds: 20 ", "  timeout_seconds: 0.5 ")
        .replace("  max_total_seconds: 90 ", "  max_total_seconds: 1.5 "),
        encoding="utf-8",
    )
    with SilentServer() as mail, SilentServer() as web:
        res = make_res(
            warehouse_url,
            smtp_host="127.0.0.1",
            smtp_port=mail.port,
            smtp_starttls=False,
            alert_email_from="iku@disperkim.example",
            alert_email_to=PLANNING[0],
            alert_webhook_url=web.url,
        )
        assert res.config.pipeline.alerts.max_total_seconds == 1.5
        records = [record("invalid", problems=INVALID_PROBLEMS, name=f"f{i}.xlsx") for i in range(5)]
        assert raise_submission_alerts.fn(res, records) == 10
        waits: list[float] = []
        began = time.monotonic()
        result = dispatch.deliver(res, backoff=[0.2], sleep=waits.append)
        took = time.monotonic() - began
        tried = mail.connections + web.connections
    assert result == {"delivered": 0, "failed": 10}
    # 1.5 s of 0.5 s timeouts: at most three connections per channel (unbounded: 4 per channel)
    assert 1 <= mail.connections <= 3 and 1 <= web.connections <= 3
    assert sum(waits) <= 2 * 1.5
    assert took < 1.5 + 1.0  # the channels side by side: the run waits one budget, not two
    rows = res.warehouse.alerts(res.opd)
    assert all(r["delivered_at"] is None for r in rows)
    assert sum(r["attempts"] for r in rows) == tried
    assert sum(r["attempts"] == 0 for r in rows) >= 8  # kept, untouched, for the next run


def test_alerts_follow_from_the_warehouse_outbox(warehouse_url, make_res, smtp, hook):
    """Files recorded by a run that died before alerting are alerted by the next one."""
    res = make_res(warehouse_url, smtp, hook)
    bad = record("invalid", problems=INVALID_PROBLEMS, name="april.xlsx")
    broken = record("unreadable", name="rusak.xlsx", problems=[dispatch.messages.Problem("Berkas rusak.")])
    res.warehouse.record_many(res.opd, [bad, broken, record("valid", month=3)])
    assert [r.file_name for r in dispatch.outbox(res)] == ["april.xlsx", "rusak.xlsx"]
    assert raise_submission_alerts.fn(res) == 4  # no records given: the outbox
    assert dispatch.outbox(res) == [] and raise_submission_alerts.fn(res) == 0
    assert deliver_alerts.fn(res, backoff=[0]) == {"delivered": 4, "failed": 0}
    assert sorted(b["file"] for b in hook.bodies) == ["april.xlsx", "rusak.xlsx"]


def test_no_channel_no_outbox(warehouse_url, make_res):
    res = make_res(warehouse_url)
    res.warehouse.record_many(res.opd, [record("invalid", problems=INVALID_PROBLEMS)])
    assert dispatch.outbox(res) == [] and raise_submission_alerts.fn(res) == 0
