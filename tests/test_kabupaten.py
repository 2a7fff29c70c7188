"""Several OPD in one installation (config/opd/<code>.yaml): configuration,
source folders, and one consolidation over all OPD on SQLite and PostgreSQL,
where two OPD with the same bidang and indicator codes never mix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kabupatenkit import DINKES, SEED, TWIN, dinkes_rows, kabupaten_config
from sheetkit import REPO, sheet_rows, write_xlsx

from flows.pipeline import load_new_files
from iku.config import ConfigError, UnknownOpd, load_config, load_installation
from iku.resources import build_resources
from iku.settings import Settings


def _settings(tmp_path: Path, config_dir: Path, warehouse_url: str) -> Settings:
    return Settings(
        config_dir=config_dir,
        warehouse_url=warehouse_url,
        inbox_dir=tmp_path / "inbox",
        output_dir=tmp_path / "out",
        archive_dir=tmp_path / "archive",
    )


def consolidate(res):
    return load_new_files(res)[1]


def test_layout_loads_every_opd(tmp_path):
    inst = load_installation(kabupaten_config(tmp_path / "config"))
    assert inst.multi and inst.codes == [DINKES, SEED, TWIN]
    # indicator codes repeat across OPD: unique within an OPD only
    assert {c.catalogue.indicator("IKU-01").kind for c in inst.configs()} == {"count", "ratio"}
    assert load_config(tmp_path / "config", TWIN).catalogue.opd.region == "Kabupaten Kembar"
    with pytest.raises(UnknownOpd, match="dinsos"):
        inst.config("dinsos")


def test_shipped_layout_is_one_opd():
    inst = load_installation(REPO / "config")
    assert not inst.multi and inst.codes == [SEED]


def test_layout_faults_are_config_errors(tmp_path):
    config = kabupaten_config(tmp_path / "config", twin=False, dinkes=False)
    shutil.copy(REPO / "config" / "opd.yaml", config / "opd.yaml")
    with pytest.raises(ConfigError, match="bersamaan"):
        load_installation(config)
    (config / "opd.yaml").unlink()
    shutil.move(config / "opd" / f"{SEED}.yaml", config / "opd" / "lain.yaml")
    with pytest.raises(ConfigError, match="nama berkas"):
        load_installation(config)
    shutil.move(config / "opd" / "lain.yaml", config / "opd" / f"{SEED}.yaml")
    text = (config / "pipeline.yaml").read_text(encoding="utf-8")
    (config / "pipeline.yaml").write_text(text.replace("sources: {}", "sources: {perumahan: /srv/p}"))
    with pytest.raises(ConfigError, match="katalog OPD"):
        load_installation(config)


def test_source_folders_per_opd_and_bidang(tmp_path):
    config = kabupaten_config(tmp_path / "config")
    with (config / "opd" / f"{DINKES}.yaml").open("a", encoding="utf-8") as fh:
        fh.write(f"sources:\n  yankes: {tmp_path / 'share' / 'yankes'}\n")
    res = build_resources(_settings(tmp_path, config, f"sqlite:///{tmp_path / 'iku.sqlite'}"))
    dirs = {u.opd: u.source_dirs() for u in res.units()}
    inbox = tmp_path / "inbox"
    assert dirs[SEED] == {"perumahan": inbox / SEED / "perumahan", "perkim": inbox / SEED / "perkim"}
    assert dirs[TWIN]["perumahan"] == inbox / TWIN / "perumahan"
    assert dirs[DINKES]["yankes"] == tmp_path / "share" / "yankes"
    assert [u.opd for u in build_resources(res.settings, opd=TWIN).units()] == [TWIN]
    # the single-OPD layout keeps <inbox>/<bidang>/
    single = build_resources(_settings(tmp_path, REPO / "config", f"sqlite:///{tmp_path / 'iku.sqlite'}"))
    assert single.source_dir("perumahan") == inbox / "perumahan"
    assert single.report_dir(2023) == tmp_path / "out" / "2023"
    assert res.unit(SEED).report_dir(2023) == tmp_path / "out" / "2023" / SEED


def test_two_opd_with_the_same_codes_never_mix(tmp_path, warehouse_url):
    res = build_resources(_settings(tmp_path, kabupaten_config(tmp_path / "config"), warehouse_url))
    inbox = tmp_path / "inbox"
    write_xlsx(inbox / SEED / "perumahan" / "april.xlsx", sheet_rows("perumahan", value=3))
    write_xlsx(inbox / TWIN / "perumahan" / "april.xlsx", sheet_rows("perumahan", value=7))
    # the very same bytes in two OPD's folders: one submission of each OPD
    same = write_xlsx(inbox / SEED / "perkim" / "april.xlsx", sheet_rows("perkim"))
    (inbox / TWIN / "perkim").mkdir(parents=True)
    shutil.copy(same, inbox / TWIN / "perkim" / "april.xlsx")
    write_xlsx(inbox / DINKES / "kesmas" / "april.xlsx", dinkes_rows("kesmas"))
    # a Dinkes sheet dropped into the Disperkim folder is that folder's invalid file
    write_xlsx(inbox / SEED / "perumahan" / "salah.xlsx", dinkes_rows("kesmas", month=5))

    records = consolidate(res)
    by = {(r.opd, r.file_name): r for r in records}
    assert {k: r.status for k, r in by.items()} == {
        (SEED, "april.xlsx"): "valid",
        (TWIN, "april.xlsx"): "valid",
        (DINKES, "april.xlsx"): "valid",
        (SEED, "salah.xlsx"): "invalid",
    } | {(SEED, "april.xlsx"): "valid"}
    assert sum(r.file_name == "april.xlsx" for r in records) == 5
    wrong = by[(SEED, "salah.xlsx")].problems
    assert any("bukan indikator bidang 'perumahan'" in p.message or "folder" in p.message for p in wrong)

    wh = res.warehouse
    seed = {(v.indicator, v.month): v.realisation for v in wh.current_values(SEED, 2023)}
    twin = {(v.indicator, v.month): v.realisation for v in wh.current_values(TWIN, 2023)}
    dinkes = {(v.indicator, v.month): (v.realisation, v.numerator) for v in wh.current_values(DINKES, 2023)}
    assert seed[("IKU-02", 4)] == 3 and twin[("IKU-02", 4)] == 7
    assert dinkes == {("IKU-01", 4): (None, 45), ("IKU-02", 4): (22.5, None)}
    assert len(wh.submission_logs(SEED, 2023)) == 3 and len(wh.submission_logs(TWIN, 2023)) == 2

    # nothing is processed twice, in any OPD
    assert consolidate(res) == []
    # one OPD alone: only its folders are looked at
    write_xlsx(inbox / TWIN / "perumahan" / "mei.xlsx", sheet_rows("perumahan", month=5))
    write_xlsx(inbox / SEED / "perumahan" / "mei.xlsx", sheet_rows("perumahan", month=5, value=4))
    only_twin = build_resources(res.settings, opd=TWIN)
    assert [(r.opd, r.file_name) for r in consolidate(only_twin)] == [(TWIN, "mei.xlsx")]
