"""The run-now door: `iku <command>` in a child process, one at a time, with
requests during a run coalesced into one more run."""

from __future__ import annotations

import os

import pytest
from sheetkit import sheet_rows, write_xlsx
from webkit import CSRF

from iku.web.jobs import JobRunner


def test_consolidate_job_runs_the_cli_and_coalesces(iku_env):
    runner = JobRunner()
    first = runner.consolidate()
    assert first is not None and first.running
    assert runner.consolidate() is None and runner.consolidate() is None  # coalesced
    assert runner.wait_idle(timeout=300)
    jobs = list(runner.history)
    assert len(jobs) == 2  # the first run and exactly one more
    assert all(j.exit_code == 0 for j in jobs), [j.last_line for j in jobs]
    assert jobs[0].last_line  # the command's own summary line


def test_bad_report_period_is_refused_before_any_job(portal):
    c = portal.client("perencana")
    csrf = CSRF.search(c.get("/opd/disperkim-tjb/laporan").text).group(1)
    r = c.post("/opd/disperkim-tjb/jalankan", data={"csrf": csrf, "tugas": "laporan", "periode": "2023-Q9"})
    assert r.status_code == 400
    r = c.post("/opd/disperkim-tjb/jalankan", data={"csrf": csrf, "tugas": "lakip", "tahun": "1999"})
    assert r.status_code == 400
    assert list(portal.jobs.history) == []


@pytest.mark.prefect
@pytest.mark.slow
def test_an_upload_is_consolidated_right_away(portal_factory, prefect_server, tmp_path):
    """With IKU_WEB_CONSOLIDATE_NOW the accepted upload is loaded by `iku
    consolidate` in a child process, against the running Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = {"PREFECT_API_URL": PREFECT_API_URL.value()}
    portal = portal_factory(consolidate_now=True)
    s = portal.res.settings
    env.update(
        IKU_CONFIG_DIR=str(s.config_dir),
        IKU_WAREHOUSE_URL=s.warehouse_url,
        IKU_INBOX_DIR=str(s.inbox_dir),
        IKU_OUTPUT_DIR=str(s.output_dir),
        IKU_ARCHIVE_DIR=str(s.archive_dir),
        PREFECT_HOME=os.environ.get("PREFECT_HOME", str(tmp_path / "prefect")),
    )
    portal.jobs.env.update(env)
    c = portal.client("bidang_a")
    csrf = CSRF.search(c.get("/opd/disperkim-tjb/bidang/perumahan/2023/4").text).group(1)
    data = write_xlsx(tmp_path / "a.xlsx", sheet_rows()).read_bytes()
    r = c.post(
        "/opd/disperkim-tjb/bidang/perumahan/2023/4/unggah",
        data={"csrf": csrf},
        files={"berkas": ("a.xlsx", data)},
    )
    assert 'data-status="valid"' in r.text
    assert portal.jobs.wait_idle(timeout=600)
    job = next(iter(portal.jobs.history))
    assert job.exit_code == 0, job.last_line
    logs = portal.res.warehouse.submission_logs(portal.res.opd, 2023)
    assert [(s.status, s.month) for s in logs] == [("valid", 4)]
    assert "data yang berlaku" in c.get("/opd/disperkim-tjb/bidang/perumahan/2023/4").text


def test_a_job_is_a_flow_run_only_with_a_prefect_server_of_ones_own(iku_env):
    """The summary line is what the portal shows; with PREFECT_API_URL the job
    asks for a flow run (here: an address nobody answers, so exit 6)."""
    from loopback import free_port

    plain = JobRunner()
    job = plain.start("laporan", ["report", "--period", "2023-Q1"])
    assert plain.wait_idle(timeout=300)
    assert job.argv == ["report", "--period", "2023-Q1"] and job.exit_code == 0
    assert job.last_line.endswith("iku-2023-Q1.pdf") or job.last_line.endswith("iku-2023-Q1.json")
    flows = JobRunner({"PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"})
    job = flows.start("laporan", ["report", "--period", "2023-Q1"])
    assert flows.wait_idle(timeout=300)
    assert job.argv[-1] == "--prefect" and job.exit_code == 6
    assert job.last_line.startswith("iku: server Prefect di PREFECT_API_URL=")
