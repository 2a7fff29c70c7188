"""With several OPD the scheduled quarterly and annual reports end with the
kabupaten recap of the same period, sent to the kabupaten: in the deployments
built by the one shared function (for `iku serve` and work pools alike), and
in a real run of the scheduled flow on a Prefect test server."""

from __future__ import annotations

import shutil

import pytest
import yaml
from kabupatenkit import EXAMPLES, SEED, kabupaten_config
from loopback import SmtpReceiver
from sheetkit import REPO, sheet_rows, write_xlsx

from iku.config import load_config
from iku.orchestration.deployments import build_deployments, deployment_specs
from iku.reports.pdf import LANES, pdf_printer

BAPPEDA = "bappeda@kabupaten.example"


def _kabupaten(folder, code: str | None = None):
    config = kabupaten_config(folder)
    shutil.copy(EXAMPLES / "rpjmd" / "rpjmd.yaml", config / "rpjmd.yaml")
    shutil.copy(EXAMPLES / "dpmptsp-tjb.yaml", config / "opd")
    pipeline = yaml.safe_load((config / "pipeline.yaml").read_text(encoding="utf-8"))
    pipeline["kabupaten"] = {"code": code, "name": "Pemerintah Kabupaten Contoh", "email": [BAPPEDA]}
    (config / "pipeline.yaml").write_text(yaml.safe_dump(pipeline, allow_unicode=True), encoding="utf-8")
    return config


def test_the_report_deployments_of_a_kabupaten_include_the_recap(tmp_path, iku_env):
    config = load_config(_kabupaten(tmp_path / "kab"))
    specs = {s.name: s for s in deployment_specs(config)}
    assert specs["quarterly-report"].parameters == {"kind": "quarterly", "recap": True}
    assert specs["annual-report"].parameters == {"kind": "annual", "recap": True}
    assert specs["lakip"].parameters == {"kind": "lakip"}  # the LAKIP feed is per OPD only
    assert "rekap kabupaten" in specs["quarterly-report"].description
    # one set of deployments for every OPD: tagged with the installation, not the first OPD
    assert {tuple(s.tags) for s in specs.values()} == {("iku", "kabupaten")}
    deployments = {d.name: d for d in build_deployments(config, job_env={})}
    assert deployments["quarterly-report"].parameters == {"kind": "quarterly", "recap": True}
    assert deployments["annual-report"].tags == ["iku", "kabupaten"]

    named = load_config(_kabupaten(tmp_path / "named", code="tjb"))
    assert {tuple(s.tags) for s in deployment_specs(named)} == {("iku", "tjb")}

    one = load_config(REPO / "config")
    assert {tuple(s.tags) for s in deployment_specs(one)} == {("iku", "disperkim-tjb")}
    assert all("recap" not in s.parameters for s in deployment_specs(one))


@pytest.mark.prefect
@pytest.mark.slow
def test_the_scheduled_quarterly_report_writes_and_sends_the_recap(prefect_server, iku_env, monkeypatch):
    from flows.serve import scheduled_report_flow

    monkeypatch.setenv("IKU_CONFIG_DIR", str(_kabupaten(iku_env / "config")))
    for month in (1, 2, 3):
        write_xlsx(iku_env / "inbox" / SEED / "perumahan" / f"{month}.xlsx", sheet_rows(month=month))
    with SmtpReceiver() as smtp:
        monkeypatch.setenv("IKU_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("IKU_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("IKU_ALERT_EMAIL_FROM", "iku@kabupaten.example")
        from flows.consolidate import consolidate_flow

        consolidate_flow()
        with pdf_printer() as printer:  # the run's own printer is this one
            paths = scheduled_report_flow(kind="quarterly", as_of="2023-04-11", recap=True)
    out = iku_env / "out" / "2023"
    assert str(out / SEED / "iku-2023-Q1.json") in paths and str(out / "rekap-2023-Q1.json") in paths
    # the recap is written while the OPD's PDFs print; its files are listed after theirs
    first_recap = min(i for i, p in enumerate(paths) if "rekap-" in p)
    assert all("rekap-" in p for p in paths[first_recap:])
    if printer.exe is not None:  # every OPD's PDF and the recap's from one Chromium
        pdfs = [p for p in paths if p.endswith(".pdf")]
        assert len(pdfs) == 5 and str(out / "rekap-2023-Q1.pdf") in pdfs  # four OPD and the recap
        assert 1 <= printer.starts <= LANES  # two print at once on two cores
    recaps = [m for m in smtp.mails if m.rcpt_tos == [BAPPEDA]]
    assert len(recaps) == 1 and "Triwulan I Tahun 2023" in recaps[0].subject
    names = {p.get_filename() for p in recaps[0].message.iter_attachments()}
    assert {"rekap-2023-Q1.html", "rekap-2023-Q1.xlsx", "rekap-2023-Q1.json"} <= names


@pytest.mark.prefect
@pytest.mark.slow
def test_iku_recap_send_mails_it_by_hand(prefect_api_url, iku_env, monkeypatch):
    from clikit import iku as run

    config = _kabupaten(iku_env / "config")
    with SmtpReceiver() as smtp:
        env = {
            "IKU_CONFIG_DIR": str(config),
            "PREFECT_API_URL": prefect_api_url,
            "IKU_SMTP_HOST": "127.0.0.1",
            "IKU_SMTP_PORT": str(smtp.port),
            "IKU_ALERT_EMAIL_FROM": "iku@kabupaten.example",
        }
        written = run("recap", "--period", "2023", "--as-of", "2024-01-15", env=env)
        assert written.returncode == 0, written.stderr
        assert smtp.mails == []  # without --send the recap is only written
        sent = run("recap", "--period", "2023", "--as-of", "2024-01-15", "--send", env=env)
        assert sent.returncode == 0, sent.stderr
    (mail,) = smtp.mails
    assert mail.rcpt_tos == [BAPPEDA] and "Tahun 2023" in mail.subject
    names = {p.get_filename() for p in mail.message.iter_attachments()}
    assert {"rekap-2023.html", "rekap-2023.xlsx", "rekap-2023.json"} <= names
