"""Budget sheets dropped in the inbox's anggaran folder (CONTRACT §11),
consolidated by the normal run (flows.pipeline.consolidate_all with the plain
steps `iku consolidate` runs, and the Prefect flow) by the rules of `iku
import-budget`; on SQLite and PostgreSQL, real files, a real webhook receiver."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from budgetkit import sipd_rows, with_programs, write_sheet
from loopback import WebhookReceiver
from sheetkit import sheet_rows, write_xlsx

from iku.alerts.dispatch import outbox
from iku.config import ConfigError, load_config
from iku.warehouse.budget import budget_files, current_budget


@pytest.fixture
def res(tmp_path, warehouse_url, config_copy):
    return _res(tmp_path, warehouse_url, config_copy)


def _res(tmp_path, warehouse_url, config_copy, **settings):
    from iku.resources import Resources
    from iku.settings import Settings

    config_dir = with_programs(config_copy)
    s = Settings(
        config_dir=config_dir,
        warehouse_url=warehouse_url,
        inbox_dir=tmp_path / "inbox",
        output_dir=tmp_path / "out",
        archive_dir=tmp_path / "archive",
        **settings,
    )
    config = load_config(config_dir)
    config = config.model_copy(
        update={"pipeline": config.pipeline.model_copy(update={"gx_data_docs": False})}
    )
    return Resources(settings=s, config=config)


def run(res):
    from flows.pipeline import consolidate_all

    return consolidate_all(res)


def test_a_sheet_in_the_anggaran_folder_is_loaded_revised_and_never_twice(res, tmp_path):
    inbox = tmp_path / "inbox"
    march = write_sheet(inbox / "anggaran" / "LRA Maret 2024.xlsx", sipd_rows(month=3))
    write_xlsx(inbox / "perumahan" / "april.xlsx", sheet_rows(month=4))
    summary = run(res)
    # the bidang sheet is the run's only submission; the budget sheet is no bidang's
    assert (summary["new_files"], summary["valid"], summary["invalid"]) == (1, 1, 0)
    (loaded,) = summary["budget_files"]
    assert {k: loaded[k] for k in ("file", "status", "year", "month", "revision", "problems")} == {
        "file": "LRA Maret 2024.xlsx",
        "status": "loaded",
        "year": 2024,
        "month": 3,
        "revision": 1,
        "problems": [],
    }
    assert loaded["left_out"] == [["1.04.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA"]]
    assert [s.bidang for s in res.warehouse.submission_logs(res.opd, 2023)] == ["perumahan"]
    sha = hashlib.sha256(march.read_bytes()).hexdigest()
    assert (tmp_path / "archive" / sha[:2] / f"{sha}.xlsx").read_bytes() == march.read_bytes()
    figures = current_budget(res.warehouse, res.opd, 2024, 3)
    assert (figures.lines["1.04.02"].pagu, figures.lines["1.04.03"].realisation) == (
        1_250_000_000,
        150_000_000,
    )

    # the same bytes again, under another name: nothing changes
    (inbox / "anggaran" / "salinan.xlsx").write_bytes(march.read_bytes())
    again = run(res)
    assert "budget_files" not in again and again["new_files"] == 0
    assert len(budget_files(res.warehouse, res.opd)) == 1

    # a corrected March: the next revision, the first stays in history
    write_sheet(inbox / "anggaran" / "LRA Maret 2024 revisi.xlsx", sipd_rows(month=3, scale=1.1))
    (revised,) = run(res)["budget_files"]
    assert (revised["status"], revised["revision"]) == ("loaded", 2)
    assert [(f["file_name"], f["is_current"]) for f in budget_files(res.warehouse, res.opd)] == [
        ("LRA Maret 2024 revisi.xlsx", True),
        ("LRA Maret 2024.xlsx", False),
    ]
    assert current_budget(res.warehouse, res.opd, 2024, 3).lines["1.04.02"].realisation == pytest.approx(
        440_000_000
    )


def test_a_sheet_with_problems_is_refused_whole_recorded_and_alerted(tmp_path, warehouse_url, config_copy):
    rows = sipd_rows(month=5)
    rows[12][3] = "1.500.000.000,00"  # program 1.04.02: realisasi above its pagu (row 13)
    rows[20][0] = "5.1.02.O1.01.0024"  # a letter O for a zero: no code (row 21)
    with WebhookReceiver() as hook:
        res = _res(tmp_path, warehouse_url, config_copy, alert_webhook_url=hook.url)
        path = write_sheet(tmp_path / "inbox" / "anggaran" / "lra-mei.xlsx", rows)
        (refused,) = run(res)["budget_files"]
        assert refused["status"] == "refused" and (refused["year"], refused["month"]) == (2024, 5)
        assert [(p["row"], p["column"]) for p in refused["problems"]] == [(13, "realisasi"), (21, "kode")]
        assert current_budget(res.warehouse, res.opd, 2024) is None
        (stored,) = budget_files(res.warehouse, res.opd)
        assert stored["status"] == "invalid" and len(stored["problems"]) == 2
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        assert (tmp_path / "archive" / sha[:2] / f"{sha}.xlsx").exists()
        assert "budget_files" not in run(res)  # not read again, not alerted again
    (alert,) = [b for b in hook.bodies if b["kind"] == "invalid_budget"]
    assert (alert["file"], alert["year"], alert["month"], alert["opd"]) == ("lra-mei.xlsx", 2024, 5, res.opd)
    assert [(p["row"], p["column"]) for p in alert["problems"]] == [(13, "realisasi"), (21, "kode")]
    assert "ditolak" in alert["message"]
    assert not [b for b in hook.bodies if b["kind"] in ("invalid_submission", "unreadable_file")]


def test_a_refused_sheet_a_run_never_alerted_is_alerted_by_the_next_once(
    tmp_path, warehouse_url, config_copy
):
    """A run that recorded a refused sheet but died before its alert was queued
    (here: a run without a channel, which leaves the warehouse the same) loses
    no alert: the next run alerts it from the warehouse, once (its cause key).
    A sheet `iku import-budget` refused outside the inbox was said on the console."""
    from iku.budget_import import import_budget
    from iku.resources import Resources

    rows = sipd_rows(month=5)
    rows[12][3] = "1.500.000.000,00"  # realisasi above its pagu: refused
    write_sheet(tmp_path / "inbox" / "anggaran" / "lra-mei.xlsx", rows)
    elsewhere = write_sheet(tmp_path / "elsewhere" / "lra-juni.xlsx", sipd_rows(month=6, scale=9))
    silent = _res(tmp_path, warehouse_url, config_copy)
    (refused,) = run(silent)["budget_files"]
    assert refused["status"] == "refused"
    assert import_budget(silent, elsewhere).status == "refused"
    with WebhookReceiver() as hook:
        settings = silent.settings.model_copy(update={"alert_webhook_url": hook.url})
        res = Resources(settings=settings, config=silent.config)
        assert [r.file_name for r in outbox(res)] == ["lra-mei.xlsx"]
        run(res)
        assert outbox(res) == []
        run(res)  # alerted once
    alerts = [b for b in hook.bodies if b["kind"] == "invalid_budget"]
    assert [(a["file"], a["year"], a["month"]) for a in alerts] == [("lra-mei.xlsx", 2024, 5)]
    assert [(p["row"], p["column"]) for p in alerts[0]["problems"]] == [(13, "realisasi")]
    assert [a["kind"] for a in res.warehouse.alerts(res.opd)] == ["invalid_budget"]


def test_the_period_is_the_sheet_s_else_the_file_name_s(res, tmp_path):
    rows = sipd_rows(month=3)
    rows[3] = ["Laporan per program"]  # no period in the title rows any more
    write_sheet(tmp_path / "inbox" / "anggaran" / "anggaran-2024-05.xlsx", rows)
    # the sheet says March; the name's May does not count
    write_sheet(tmp_path / "inbox" / "anggaran" / "anggaran-2024-05-lama.xlsx", sipd_rows(month=3, scale=0.5))
    undated = sipd_rows(month=3, scale=0.8)
    undated[3] = ["Laporan per program"]
    write_sheet(tmp_path / "inbox" / "anggaran" / "tanpa-periode.xlsx", undated)
    write_sheet(tmp_path / "inbox" / "anggaran" / "lra-2030.xlsx", sipd_rows(month=3, year=2030))
    done = {b["file"]: b for b in run(res)["budget_files"]}
    assert {name: (b["status"], b["year"], b["month"]) for name, b in done.items()} == {
        "anggaran-2024-05.xlsx": ("loaded", 2024, 5),
        "anggaran-2024-05-lama.xlsx": ("loaded", 2024, 3),
        "tanpa-periode.xlsx": ("refused", None, None),
        "lra-2030.xlsx": ("refused", 2030, 3),
    }
    assert "nama berkas" in done["tanpa-periode.xlsx"]["problems"][0]["message"]
    assert (
        done["lra-2030.xlsx"]["problems"][0]["message"] == "Tahun 2030 di luar periode Renstra (2022–2026)."
    )


def test_a_budget_sheet_is_never_a_bidang_s_nor_a_stray(res, tmp_path):
    from iku.queries import scan_units

    write_sheet(tmp_path / "inbox" / "anggaran" / "LRA Maret 2024.xlsx", sipd_rows(month=3))
    (tmp_path / "inbox" / "perumahan").mkdir(parents=True)
    scan = scan_units(res)
    assert scan.new == [] and [f.path.name for f in scan.budget] == ["LRA Maret 2024.xlsx"]
    assert scan.strays == [] and "anggaran" not in str(scan.absent_folders)


def test_a_bidang_cannot_be_named_anggaran(config_copy):
    opd = config_copy / "opd.yaml"
    opd.write_text(
        opd.read_text(encoding="utf-8").replace("code: perkim", "code: anggaran"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="anggaran"):
        load_config(config_copy)


IKU = str(Path(sys.executable).with_name("iku"))


@pytest.mark.slow  # the real `iku consolidate`
def test_iku_consolidate_says_what_became_of_the_budget_sheets(iku_env, config_copy, monkeypatch):
    monkeypatch.setenv("IKU_CONFIG_DIR", str(with_programs(config_copy)))
    write_sheet(iku_env / "inbox" / "anggaran" / "LRA Maret 2024.xlsx", sipd_rows(month=3))
    done = subprocess.run(
        [IKU, "consolidate"], capture_output=True, text=True, env=dict(os.environ), timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "anggaran: LRA Maret 2024.xlsx: Maret 2024 dimuat (revisi 1)" in lines
    assert lines[-1].endswith("; 1 lembar anggaran (1 dimuat, 0 ditolak).")


@pytest.mark.prefect
def test_the_consolidation_flow_loads_the_anggaran_folder(iku_env, config_copy, monkeypatch, prefect_server):
    from flows.consolidate import consolidate_flow
    from iku.resources import build_resources

    monkeypatch.setenv("IKU_CONFIG_DIR", str(with_programs(config_copy)))
    write_sheet(iku_env / "inbox" / "anggaran" / "LRA April 2024.xlsx", sipd_rows(month=4))
    (loaded,) = consolidate_flow()["budget_files"]
    assert (loaded["status"], loaded["month"]) == ("loaded", 4)
    res = build_resources()
    assert current_budget(res.warehouse, res.opd, 2024, 4).received_at <= datetime.now(UTC)


def test_each_opd_s_anggaran_folder_in_the_kabupaten_layout(tmp_path, warehouse_url):
    from kabupatenkit import SEED, TWIN, kabupaten_config
    from runkit import make_resources

    from iku.queries import scan_units

    config = kabupaten_config(tmp_path / "config", dinkes=False)
    with_programs(config / "opd", f"{SEED}.yaml")
    res = make_resources(tmp_path, warehouse_url, config_dir=config)
    sheet = write_sheet(tmp_path / "inbox" / SEED / "anggaran" / "LRA Maret 2024.xlsx", sipd_rows(month=3))
    # the same export in the twin's folder: that OPD lists no program, so it is refused there
    (tmp_path / "inbox" / TWIN / "anggaran").mkdir(parents=True)
    (tmp_path / "inbox" / TWIN / "anggaran" / sheet.name).write_bytes(sheet.read_bytes())
    assert scan_units(res).strays == []
    found = {(b["file"], b["status"]) for b in run(res)["budget_files"]}
    assert found == {("LRA Maret 2024.xlsx", "loaded"), ("LRA Maret 2024.xlsx", "refused")}
    assert current_budget(res.warehouse, SEED, 2024, 3) is not None
    assert current_budget(res.warehouse, TWIN, 2024, 3) is None
    (twin,) = budget_files(res.warehouse, TWIN)
    assert "belum mendaftar program" in twin["problems"][0]["message"]


def test_an_entry_skipped_in_the_anggaran_folder_is_said_as_that_folder(caplog):
    """The anggaran folder is scanned beside the bidang folders: what it skips is
    named as the folder anggaran in the run's log, not as a bidang of that name."""
    import logging

    from iku.config import BUDGET_FOLDER
    from iku.consolidation import Scan, Skipped
    from tasks.consolidate_steps import log_skipped

    skipped = [
        Skipped(BUDGET_FOLDER, Path("/inbox/anggaran/passwd.xlsx"), "tautan ke luar folder sumber ditolak"),
        Skipped("perkim", Path("/inbox/perkim/.~lock.x.xlsx#"), "berkas kunci"),
    ]
    with caplog.at_level(logging.WARNING):
        log_skipped(Scan(new=[], known=0, absent_folders={}, skipped=skipped))
    said = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("diabaikan (folder anggaran): ") and "passwd.xlsx" in m for m in said), said
    assert any(m.startswith("diabaikan (bidang perkim): ") for m in said), said
    assert not any("bidang anggaran" in m for m in said), said
