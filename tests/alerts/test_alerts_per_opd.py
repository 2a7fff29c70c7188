"""Alerts per OPD in a kabupaten installation: each OPD's planning team
(opd.email in its catalogue) gets its own OPD's alerts and nobody else's; an
OPD without its own address falls back to IKU_ALERT_EMAIL_TO, so nothing goes
unsent. Real SMTP on loopback."""

from __future__ import annotations

import yaml
from kabupatenkit import DINKES, SEED, TWIN, dinkes_rows, kabupaten_config
from sheetkit import sheet_rows, write_xlsx

from flows.pipeline import load_new_files
from iku.resources import build_resources
from iku.settings import Settings
from tasks.alerts import deliver_alerts, raise_submission_alerts

TEAM = {SEED: "perencanaan@disperkim.example", TWIN: "perencanaan@kembar.example"}
KABUPATEN = "bappeda@kabupaten.example"


def test_each_opd_team_gets_only_its_own_alerts(tmp_path, smtp):
    config = kabupaten_config(tmp_path / "config")
    for code, address in TEAM.items():
        path = config / "opd" / f"{code}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["opd"]["email"] = [address]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
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
            alert_email_to=KABUPATEN,
        )
    )
    inbox = tmp_path / "inbox"
    bad = sheet_rows(value=-1)  # a negative realisation: invalid in any OPD
    write_xlsx(inbox / SEED / "perumahan" / "seed.xlsx", bad)
    write_xlsx(inbox / TWIN / "perumahan" / "kembar.xlsx", sheet_rows(value=-2))
    rows = dinkes_rows()
    rows[1][5] = 60  # pembilang above penyebut
    write_xlsx(inbox / DINKES / "kesmas" / "dinkes.xlsx", rows)
    records = load_new_files(res)[1]
    assert {r.opd: r.status for r in records} == {SEED: "invalid", TWIN: "invalid", DINKES: "invalid"}

    assert raise_submission_alerts.fn(res, records) == 3
    assert deliver_alerts.fn(res, backoff=[0])["delivered"] == 3
    to = {tuple(sorted(m.rcpt_tos)): m.text for m in smtp.mails}
    assert set(to) == {(TEAM[SEED],), (TEAM[TWIN],), (KABUPATEN,)}
    assert "seed.xlsx" in to[(TEAM[SEED],)] and "kembar.xlsx" not in to[(TEAM[SEED],)]
    assert "kembar.xlsx" in to[(TEAM[TWIN],)]
    assert "dinkes.xlsx" in to[(KABUPATEN,)]  # no team of its own: the installation's address
