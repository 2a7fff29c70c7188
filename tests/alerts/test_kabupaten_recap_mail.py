"""The recap of every OPD goes to the kabupaten (pipeline.yaml kabupaten.email)
with its files attached: real SMTP and webhook receivers on loopback, the
attached workbook read back. One refused address or a webhook that is down
does not stop the other deliveries; what failed goes out with the next run."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml
from kabupatenkit import DINKES, EXAMPLES, SEED, TWIN, dinkes_rows, kabupaten_config
from loopback import WebhookReceiver
from sheetkit import sheet_rows, write_xlsx

from flows.pipeline import load_new_files
from iku.alerts.dispatch import KABUPATEN_BOX
from iku.domain.periods import Period
from iku.reports import load_recap_data, render_recap
from iku.resources import build_resources
from iku.settings import Settings
from tasks.alerts import deliver_alerts, send_kabupaten_recap

WIB = ZoneInfo("Asia/Jakarta")
BAPPEDA, ORGANISASI = "bappeda@kabupaten.example", "organisasi@kabupaten.example"


@pytest.fixture
def recap(tmp_path, smtp):
    config = kabupaten_config(tmp_path / "config")
    shutil.copy(EXAMPLES / "rpjmd" / "rpjmd.yaml", config / "rpjmd.yaml")
    shutil.copy(EXAMPLES / "dpmptsp-tjb.yaml", config / "opd")
    pipeline = yaml.safe_load((config / "pipeline.yaml").read_text(encoding="utf-8"))
    pipeline["kabupaten"] = {"name": "Pemerintah Kabupaten Contoh", "email": [BAPPEDA, ORGANISASI]}
    (config / "pipeline.yaml").write_text(yaml.safe_dump(pipeline, allow_unicode=True), encoding="utf-8")

    def make(
        hook: WebhookReceiver | None = None, planning: str | None = "perencanaan@kabupaten.example", **more
    ):
        return build_resources(
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
                alert_email_to=planning,
                alert_webhook_url=hook.url if hook else None,
                **more,
            )
        )

    res = make()
    inbox = tmp_path / "inbox"
    for month in (1, 2, 3):
        write_xlsx(inbox / SEED / "perumahan" / f"{month}.xlsx", sheet_rows(month=month, value=40))
    write_xlsx(inbox / DINKES / "kesmas" / "1.xlsx", dinkes_rows(month=1))
    load_new_files(res)
    data = load_recap_data(res, Period.parse("2023-Q1"), datetime(2023, 4, 15, tzinfo=WIB))
    paths = render_recap(data, tmp_path / "out" / "2023")
    return make, data, paths


def _attachments(mail) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in mail.message.iter_attachments()}


def test_the_recap_reaches_the_kabupaten_with_its_files(recap, smtp):
    make, data, paths = recap
    smtp.refuse_rcpt.add(ORGANISASI)  # one address refused: the other still gets it
    res = make()
    result = send_kabupaten_recap.fn(res, data, paths, backoff=[0])
    assert (result["queued"], result["delivered"], result["failed"]) == (1, 1, 0)

    (mail,) = smtp.mails
    assert mail.rcpt_tos == [BAPPEDA]  # the kabupaten only: no OPD team, not IKU_ALERT_EMAIL_TO
    assert mail.subject == (
        "[IKU] Rekapitulasi Kinerja Perangkat Daerah Triwulan I Tahun 2023 — Pemerintah Kabupaten Contoh"
    )
    body = mail.message.get_body(("plain",)).get_content()
    assert body.startswith("Yth. Pemerintah Kabupaten Contoh,")
    assert "IKU kabupaten (RPJMD):" in body and "IKD-02 Prevalensi stunting pada balita" in body
    assert f"[jumlah dari {SEED}/IKU-01, {SEED}/IKU-02]" in body
    assert "Dinas Kesehatan: rata-rata capaian" in body and str(paths[1]) in body

    files = _attachments(mail)
    assert sorted(files) == ["rekap-2023-Q1.html", "rekap-2023-Q1.json", "rekap-2023-Q1.xlsx"]
    workbook = openpyxl.load_workbook(io.BytesIO(files["rekap-2023-Q1.xlsx"]))
    assert workbook.sheetnames == ["Ringkasan", "IKU", "Penyampaian", "IKU Kabupaten"]
    assert workbook["IKU Kabupaten"]["A5"].value == "IKD-01"
    doc = json.loads(files["rekap-2023-Q1.json"])
    assert [k["code"] for k in doc["rpjmd"]] == ["IKD-01", "IKD-02", "IKD-03"]
    assert [o["code"] for o in doc["opd"]] == [DINKES, SEED, TWIN, "dpmptsp-tjb"]
    (row,) = res.warehouse.alerts(KABUPATEN_BOX)
    assert (
        row["kind"] == "kabupaten_recap"
        and "refused" in row["last_error"]
        and ORGANISASI in row["last_error"]
    )

    # the same figures again: nothing new is sent
    assert send_kabupaten_recap.fn(res, data, paths, backoff=[0])["queued"] == 0
    assert len(smtp.mails) == 1
    assert all(not res.warehouse.alerts(u.opd) for u in res.units())  # no OPD's box holds it


def test_a_file_too_big_for_the_mail_server_stays_on_the_server_and_is_named(recap, smtp):
    """Mail servers refuse messages above 10-25 MB: what would pass
    IKU_SMTP_MAX_MESSAGE_BYTES is not attached, the body says where it is."""
    make, data, paths = recap
    html = next(p for p in paths if p.suffix == ".html")
    with html.open("a", encoding="utf-8") as grown:  # a recap of many OPD, many pages
        grown.write("<!--" + "x" * 3_000_000 + "-->")
    res = make(smtp_max_message_bytes=2_000_000)
    assert send_kabupaten_recap.fn(res, data, paths, backoff=[0])["delivered"] == 1
    (mail,) = smtp.mails
    assert len(mail.message.as_bytes()) < 2_000_000
    assert sorted(_attachments(mail)) == ["rekap-2023-Q1.json", "rekap-2023-Q1.xlsx"]  # the rest still goes
    body = mail.message.get_body(("plain",)).get_content()
    assert "Tidak dilampirkan agar e-mail tidak melebihi 2 MB (IKU_SMTP_MAX_MESSAGE_BYTES)" in body
    assert re.search(r"rekap-2023-Q1\.html \(3(,\d)? MB\)", body) and str(html) in body  # named, and where


def test_a_webhook_that_is_down_does_not_stop_the_mail_and_the_next_run_sends_it(recap, smtp):
    make, data, paths = recap
    with WebhookReceiver(statuses=[500] * 4) as hook:
        res = make(hook)
        result = send_kabupaten_recap.fn(res, data, paths, backoff=[0])
        assert (result["delivered"], result["failed"]) == (1, 1)
        assert len(smtp.mails) == 1 and hook.bodies == []
        # the next run (a daily consolidation) delivers what the kabupaten box still holds
        assert deliver_alerts.fn(res, backoff=[0])["delivered"] == 1
        (body,) = hook.bodies
        assert body["kind"] == "kabupaten_recap" and body["period"] == "Q1" and body["year"] == 2023
        assert body["files"] == [p.name for p in paths]
        assert "rata-rata capaian" in body["message"]
    assert len(smtp.mails) == 1  # the mail was not sent twice


def test_a_refused_mail_waits_for_the_next_run_also_without_any_other_address(recap, smtp):
    """Only kabupaten.email is configured (no IKU_ALERT_EMAIL_TO, no OPD team):
    the next run's delivery still finds the kabupaten's recap and sends it."""
    make, data, paths = recap
    res = make(planning=None)
    smtp.refuse = 100  # 451: the server is down for this run
    result = send_kabupaten_recap.fn(res, data, paths, backoff=[0])
    assert (result["queued"], result["delivered"], result["failed"]) == (1, 0, 1)
    assert smtp.mails == []
    smtp.refuse = 0
    assert deliver_alerts.fn(res, backoff=[0]) == {"delivered": 1, "failed": 0}
    (mail,) = smtp.mails
    assert sorted(mail.rcpt_tos) == [BAPPEDA, ORGANISASI]
