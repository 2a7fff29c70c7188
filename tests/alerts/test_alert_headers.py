"""A file name with line breaks or control characters never makes an alert
e-mail raise: header values are one line, and every alert is delivered."""

from __future__ import annotations

from alert_samples import INVALID_PROBLEMS, record

from iku.alerts.email import build_email
from iku.alerts.messages import invalid_submission
from iku.config import load_config
from tasks.alerts import deliver_alerts, raise_submission_alerts

ODD_NAMES = ["a\nb.xlsx", "c\r\nBcc: x@evil.example.xlsx", "d\x00\x1b[31m.xlsx", "e\u2028f.xlsx"]


def test_build_email_never_raises_on_odd_header_values(make_res, tmp_path):
    res = make_res(f"sqlite:///{tmp_path / 'wh.sqlite'}")
    settings = res.settings.model_copy(update={"alert_email_from": "iku@disperkim.example"})
    for name in ODD_NAMES:
        msg = build_email(settings, ["a@b.example"], f"[IKU] {name}", "isi", {"X-IKU-Alert": name})
        text = msg.as_string()
        assert "\nBcc:" not in text
        assert msg["Subject"].startswith("[IKU] ") and "\n" not in str(msg["Subject"])


def test_subject_of_a_message_is_one_line(alert_config):
    cfg = load_config(alert_config)
    msg = invalid_submission(record("invalid", problems=INVALID_PROBLEMS, name="april\nrevisi.xlsx"), cfg)
    assert "april revisi.xlsx" in msg.subject and "\n" not in msg.subject
    assert "april\nrevisi.xlsx" in msg.text  # the body may show it as it is


def test_every_alert_is_delivered_whatever_the_file_names(warehouse_url, smtp, hook, make_res):
    res = make_res(warehouse_url, smtp, hook)
    records = [
        record("invalid", problems=INVALID_PROBLEMS, name=name, month=m)
        for m, name in enumerate(ODD_NAMES, 1)
    ]
    assert raise_submission_alerts.fn(res, records) == 2 * len(records)
    assert deliver_alerts.fn(res, backoff=[0]) == {"delivered": 2 * len(records), "failed": 0}
    assert len(smtp.mails) == len(records) and len(hook.bodies) == len(records)
    assert all("\n" not in m.subject for m in smtp.mails)
    assert all(m.message["Bcc"] is None for m in smtp.mails)
