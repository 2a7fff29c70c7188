"""Issue 17: channels do not starve each other (M3), and every alert names
its OPD, so the same file sent to two OPD makes two alerts (M4). Real
receivers on loopback: an SMTP server that accepts and never answers, an
HTTP receiver, aiosmtpd."""

from __future__ import annotations

import shutil
import time

from alert_samples import INVALID_PROBLEMS, PLANNING, record
from kabupatenkit import SEED, TWIN, kabupaten_config
from loopback import SilentServer, WebhookReceiver
from sheetkit import sheet_rows, write_xlsx

from flows.pipeline import load_new_files
from iku.alerts import dispatch
from iku.resources import build_resources
from iku.settings import Settings
from tasks.alerts import deliver_alerts, raise_submission_alerts


def test_a_mail_server_that_never_answers_holds_back_no_webhook(warehouse_url, make_res, alert_config):
    path = alert_config / "pipeline.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("  timeout_seconds: 20 ", "  timeout_seconds: 1 ")
        .replace("  max_total_seconds: 90 ", "  max_total_seconds: 4 "),
        encoding="utf-8",
    )
    with SilentServer() as mail, WebhookReceiver() as hook:
        res = make_res(
            warehouse_url,
            hook=hook,
            smtp_host="127.0.0.1",
            smtp_port=mail.port,
            smtp_starttls=False,
            alert_email_from="iku@disperkim.example",
            alert_email_to=PLANNING[0],
        )
        records = [record("invalid", problems=INVALID_PROBLEMS, name=f"f{i}.xlsx") for i in range(3)]
        assert raise_submission_alerts.fn(res, records) == 6  # e-mail first in the queue, each time
        began = time.monotonic()
        result = dispatch.deliver(res, backoff=[0.5])
        took = time.monotonic() - began
        hits = hook.hits
    assert result == {"delivered": 3, "failed": 3}
    assert hits == 3 and sorted(b["file"] for b in hook.bodies) == ["f0.xlsx", "f1.xlsx", "f2.xlsx"]
    assert mail.connections >= 1  # the mail server was tried, and hung
    assert took < 4 + 1.5  # its own budget, spent beside the webhook's, not after it
    rows = res.warehouse.alerts(res.opd)
    assert all(r["delivered_at"] is not None for r in rows if r["channel"] == "webhook")
    assert all(r["delivered_at"] is None for r in rows if r["channel"] == "email")  # kept for the next run


def test_the_same_file_for_two_opd_makes_two_alerts(tmp_path, smtp):
    config = kabupaten_config(tmp_path / "config", dinkes=False)
    with WebhookReceiver() as hook:
        res = build_resources(
            Settings(
                _env_file=None,
                config_dir=config,
                warehouse_url=f"sqlite:///{tmp_path / 'iku.sqlite'}",
                inbox_dir=tmp_path / "inbox",
                output_dir=tmp_path / "out",
                archive_dir=tmp_path / "archive",
                smtp_host="127.0.0.1",
                smtp_port=smtp.port,
                smtp_starttls=True,
                alert_email_from="iku@kabupaten.example",
                alert_email_to="bappeda@kabupaten.example",
                alert_webhook_url=hook.url,
            )
        )
        bad = sheet_rows(value=-1)
        # byte for byte the same file: written once and copied (xlsxwriter stamps the
        # second it writes a file, so two writes across a second's turn differ)
        first = write_xlsx(tmp_path / "inbox" / SEED / "perumahan" / "april.xlsx", bad)
        (tmp_path / "inbox" / TWIN / "perumahan").mkdir(parents=True)
        shutil.copyfile(first, tmp_path / "inbox" / TWIN / "perumahan" / "april.xlsx")
        assert (tmp_path / "inbox" / SEED / "perumahan" / "april.xlsx").read_bytes() == (
            tmp_path / "inbox" / TWIN / "perumahan" / "april.xlsx"
        ).read_bytes()
        records = load_new_files(res)[1]
        assert sorted(r.opd for r in records) == [SEED, TWIN] and len({r.sha256 for r in records}) == 1
        assert raise_submission_alerts.fn(res, records) == 4
        assert deliver_alerts.fn(res, backoff=[0])["delivered"] == 4

    keys = [h["X-IKU-Alert"] for h in hook.headers]
    assert len(set(keys)) == 2 and {k.rsplit(":", 1)[1] for k in keys} == {SEED, TWIN}
    assert len({str(sorted(b.items())) for b in hook.bodies}) == 2  # two distinct bodies
    assert sorted(b["opd"] for b in hook.bodies) == [SEED, TWIN]
    assert all(b["opd_name"] == "Dinas Perumahan dan Kawasan Permukiman" for b in hook.bodies)
    mail_keys = sorted(m.message["X-IKU-Alert"] for m in smtp.mails)
    assert mail_keys == sorted(keys)
    subjects = sorted(m.subject for m in smtp.mails)
    assert subjects[0].endswith(f"— Dinas Perumahan dan Kawasan Permukiman ({SEED})")
    assert subjects[1].endswith(f"— Dinas Perumahan dan Kawasan Permukiman ({TWIN})")
