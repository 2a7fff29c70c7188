"""The consolidation flow under a real (throw-away) Prefect server."""

from __future__ import annotations

import pytest
from sheetkit import sheet_rows, write_xlsx

pytestmark = pytest.mark.prefect


def test_flow_loads_archives_and_builds_data_docs(iku_env, prefect_server):
    from flows.consolidate import consolidate_flow

    write_xlsx(iku_env / "inbox" / "perumahan" / "04.xlsx", sheet_rows(month=4))
    write_xlsx(iku_env / "inbox" / "perkim" / "04.xlsx", sheet_rows("perkim", pembilang=200))
    summary = consolidate_flow()
    problem_files = summary.pop("problem_files")
    assert [(f["file"], f["bidang"], f["status"]) for f in problem_files] == [
        ("04.xlsx", "perkim", "invalid")
    ]
    problem = problem_files[0]["problems"][0]
    assert problem["column"] == "pembilang" and "penyebut (98,5)" in problem["message"]  # Indonesian numbers
    assert summary == {
        "new_files": 2,
        "known_files": 0,
        "valid": 1,
        "invalid": 1,
        "unreadable": 0,
        "ignored": 0,
        "ignored_files": [],
        "locked": 0,  # CONTRACT §12: none held by a locked quarter
        "locked_files": [],
        "warning_files": [],  # nothing "perlu dicek"
    }
    assert len(list((iku_env / "archive").rglob("*.xlsx"))) == 2
    (page,) = (iku_env / "out" / "validasi").glob("validasi-*.html")
    assert "lebih besar dari penyebut" in page.read_text(encoding="utf-8")
    assert f'href="validasi/{page.name}"' in (iku_env / "out" / "index.html").read_text(encoding="utf-8")
    docs = iku_env / "out" / "gx-docs"
    assert (docs / "index.html").exists()
    assert list((docs / "validations").rglob("*.html"))
    assert consolidate_flow()["new_files"] == 0


def test_flow_alerts_an_invalid_sheet_once_by_mail_and_webhook(iku_env, prefect_server, monkeypatch):
    from loopback import SmtpReceiver, WebhookReceiver

    from flows.consolidate import consolidate_flow

    rows = sheet_rows(month=4)
    rows[2][4] = -5  # IKU-02 negative, Excel row 3
    write_xlsx(iku_env / "inbox" / "perumahan" / "april.xlsx", rows)
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        for key, value in {
            "IKU_SMTP_HOST": "127.0.0.1",
            "IKU_SMTP_PORT": str(smtp.port),
            "IKU_SMTP_STARTTLS": "false",
            "IKU_ALERT_EMAIL_FROM": "iku@disperkim.example",
            "IKU_ALERT_EMAIL_TO": "perencanaan@disperkim.example",
            "IKU_ALERT_WEBHOOK_URL": hook.url,
        }.items():
            monkeypatch.setenv(key, value)
        assert consolidate_flow()["invalid"] == 1
        write_xlsx(iku_env / "inbox" / "perkim" / "april.xlsx", sheet_rows("perkim"))
        assert consolidate_flow()["valid"] == 1

    invalid = [b for b in hook.bodies if b["kind"] == "invalid_submission"]
    assert len(invalid) == 1  # the second run did not repeat it
    body = invalid[0]
    assert {k: body[k] for k in ("bidang", "year", "month", "file")} == {
        "bidang": "perumahan",
        "year": 2023,
        "month": 4,
        "file": "april.xlsx",
    }
    assert {"row": 3, "column": "realisasi"}.items() <= body["problems"][0].items()
    assert "negatif" in body["problems"][0]["message"]
    mails = [m for m in smtp.mails if m.subject.startswith("[IKU] Berkas tidak valid")]
    assert len(mails) == 1 and "perencanaan@disperkim.example" in mails[0].rcpt_tos
    assert "april.xlsx" in mails[0].text and "negatif" in mails[0].text
    recaps = [b for b in hook.bodies if b["kind"] == "recap"]
    assert len(recaps) == 2  # one per run that found something new
