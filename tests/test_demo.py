"""`iku demo`: one end-to-end smoke run, and the guard that keeps it off real data."""

from __future__ import annotations

import io
import json
import os

import pytest
from rich.console import Console

from iku.app.demo import MARKER, run_demo


@pytest.fixture
def quiet_env(iku_env, monkeypatch):
    # run_demo sets these with setdefault; pin them so they do not leak into later tests
    for var, value in (
        ("PREFECT_LOGGING_LEVEL", "WARNING"),
        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        ("GX_ANALYTICS_ENABLED", "false"),
    ):
        monkeypatch.setenv(var, value)
    return iku_env


@pytest.mark.prefect
@pytest.mark.slow
def test_demo_runs_the_whole_year(quiet_env, prefect_server, tmp_path):
    from iku.queries import submission_matrix

    out = io.StringIO()
    workdir = tmp_path / "demo"
    before = {k: v for k, v in os.environ.items() if k.startswith("IKU_")}
    result = run_demo(year=2023, workdir=workdir, console=Console(file=out, width=200))
    assert {k: v for k, v in os.environ.items() if k.startswith("IKU_")} == before  # settings, not env
    text = out.getvalue()

    scenario = result["scenario"]
    assert result["summary"]["new_files"] == len(scenario.files)
    assert result["summary"]["invalid"] == len(scenario.invalid_files)
    cells = submission_matrix(result["resources"], 2023, 12, result["as_of"])
    assert {(c.bidang, c.month): c.status for c in cells} == scenario.expected_status
    assert "Status penyampaian 2023" in text and "belum masuk" in text and "terlambat" in text
    assert json.loads((workdir / "inbox" / MARKER).read_text())["year"] == 2023
    if result["reports"]:  # the report flows have landed
        names = {p.name for p in result["reports"]}
        assert {"iku-2023-Q1.json", "iku-2023-Q4.html", "iku-2023.xlsx", "lakip-2023.json"} <= names
        assert all(p.is_file() and p.is_relative_to(workdir) for p in result["reports"])
        assert "lakip-2023.json" in text
        # 2022 comes from the sample LKjIP history the demo imports
        assert "riwayat-lkjip-contoh.csv: 5 baris data historis (impor): 5 baru" in text
        lakip = json.loads(next(p for p in result["reports"] if p.name == "lakip-2023.json").read_text())
        assert {y["year"]: y["source"] for y in lakip["year_comparison"][1]["years"]} == {
            2022: "history",
            2023: "pipeline",
        }
    _the_sakip_cycle_is_complete(result, workdir)
    # a demo folder may be reused; a folder holding someone's files may not
    stranger = tmp_path / "theirs"
    (stranger / "inbox" / "perumahan").mkdir(parents=True)
    (stranger / "inbox" / "perumahan" / "real.xlsx").write_bytes(b"not mine")
    with pytest.raises(ValueError, match="tidak ditulis demo sebelumnya"):
        run_demo(year=2023, workdir=stranger, console=Console(file=io.StringIO()))
    assert (stranger / "inbox" / "perumahan" / "real.xlsx").read_bytes() == b"not mine"


@pytest.mark.prefect
@pytest.mark.slow
def test_demo_kabupaten_shows_the_recap(quiet_env, prefect_server, tmp_path, monkeypatch):
    from iku.queries import submission_matrix
    from iku.reports.pdf import chromium

    out = io.StringIO()
    workdir = tmp_path / "kab"
    monkeypatch.delenv("IKU_CONFIG_DIR")  # the demo writes its own, beside its data
    result = run_demo(year=2023, workdir=workdir, console=Console(file=out, width=200), kabupaten=True)
    res = result["resources"]  # the demo's kabupaten config
    assert res.multi and [u.opd for u in res.units()] == ["dinkes-tjb", "disperkim-tjb", "dpmptsp-tjb"]
    scenarios = result["scenarios"]
    assert result["summary"]["new_files"] == sum(len(s.files) for s in scenarios.values())
    for unit in res.units():  # every OPD's sheets landed in its own folders and rows
        cells = submission_matrix(unit, 2023, 12, result["as_of"])
        assert {(c.bidang, c.month): c.status for c in cells} == scenarios[unit.opd].expected_status
    names = {p.relative_to(workdir / "out" / "2023").as_posix() for p in result["reports"]}
    assert {"rekap-2023-Q2.html", "rekap-2023.json", "dinkes-tjb/iku-2023.xlsx"} <= names
    if chromium() is not None:  # the recap is printed like the OPD reports
        assert "rekap-2023.pdf" in names
    recap = json.loads((workdir / "out" / "2023" / "rekap-2023.json").read_text(encoding="utf-8"))
    assert [o["code"] for o in recap["opd"]] == ["dinkes-tjb", "disperkim-tjb", "dpmptsp-tjb"]
    assert recap["kabupaten"]["submissions"]["expected"] == 12 * (3 + 2 + 2)
    assert (workdir / "kabupaten-config" / "opd" / "dinkes-tjb.yaml").is_file()
    # the kabupaten's own IKU (the example RPJMD), each computed from its OPD feeds
    rpjmd = {k["code"]: k for k in recap["rpjmd"]}
    assert list(rpjmd) == ["IKD-01", "IKD-02", "IKD-03"]
    assert [f["opd"] for f in rpjmd["IKD-03"]["feeds"]] == ["dinkes-tjb", "dpmptsp-tjb"]
    assert all(k["realisation"] is not None or k["missing"] for k in rpjmd.values())
    assert "IKU kabupaten (RPJMD)" in (workdir / "out" / "2023" / "rekap-2023.html").read_text(
        encoding="utf-8"
    )
    printed = out.getvalue()  # the newcomer sees them at the end of the demo
    assert "IKU kabupaten (RPJMD), rekap-2023.json" in printed and "IKD-03" in printed
    assert "jumlah: disperkim-tjb/IKU-01" in printed
    # and their LKjIP feed: the same year as the annual recap shows, beside earlier years
    lakip = json.loads((workdir / "out" / "2023" / "lakip-kabupaten-2023.json").read_text(encoding="utf-8"))
    this_year = {k["code"]: k["years"][-1] for k in lakip["indicators"]}
    assert {c: y["year"] for c, y in this_year.items()} == dict.fromkeys(rpjmd, 2023)
    assert {c: y["realisation"] for c, y in this_year.items()} == {
        c: k["realisation"] for c, k in rpjmd.items()
    }
    assert "lakip-kabupaten-2023.xlsx" in printed


def test_the_kabupaten_demo_never_replaces_a_configuration_it_did_not_write(tmp_path):
    from iku.app.demo import write_kabupaten_config

    mine = tmp_path / "kabupaten-config" / "mine.yaml"
    mine.parent.mkdir()
    mine.write_text("punya saya\n", encoding="utf-8")
    with pytest.raises(ValueError, match="tidak ditulis demo sebelumnya"):
        write_kabupaten_config(mine.parent)
    assert mine.read_text(encoding="utf-8") == "punya saya\n"
    mine.unlink()  # an empty folder, then the demo's own: replaced
    assert (write_kabupaten_config(mine.parent) / "opd").is_dir()
    assert (write_kabupaten_config(mine.parent) / "rpjmd.yaml").is_file()


def _the_sakip_cycle_is_complete(result, workdir):
    """Issue 17 N2 / issue 19: the demo shows programs and budget, the causes the
    bidang typed, the PK and the pengesahan, so no part of E.81 or the LKjIP is blank."""
    import openpyxl

    from iku.reports.pdf import chromium

    budget = result["summary"]["budget_files"]  # a year of LRA exports from the anggaran folder
    assert [(b["status"], b["month"]) for b in budget] == [("loaded", m) for m in range(1, 13)]
    assert all(b["warnings"] == [] for b in budget)  # cumulative realisation never falls
    assert result["resources"].config.catalogue.opd.pengesahan.name == "SYAFRIN, ST"
    if not result["reports"]:
        return
    year = workdir / "out" / "2023"
    lakip = json.loads((year / "lakip-2023.json").read_text(encoding="utf-8"))
    total = lakip["budget_realisation"]["total"]
    assert 85 < total["absorption_pct"] < 100  # a kabupaten's year: most of the pagu spent
    assert all(
        e["efficiency_index"] is not None for e in lakip["efficiency"] if e["achievement_pct"] is not None
    )
    causes = {c["code"]: c for c in lakip["causes"]}
    assert all(c["supporting"] and c["inhibiting"] and c["follow_up"] for c in causes.values())
    html = (year / "iku-2023.html").read_text(encoding="utf-8")
    assert "SYAFRIN, ST" in html and "19821126 201001 1 015" in html and "Kuala Tungkal" in html
    ws = openpyxl.load_workbook(year / "iku-2023.xlsx")["Tabel E.81"]
    filled = {
        row[0].value: row[5].value
        for row in ws.iter_rows()
        if isinstance(row[0].value, str) and row[0].value.startswith(("Faktor", "Tindak lanjut"))
    }
    assert len(filled) == 4 and all(filled.values()), filled  # E.81 rows 16-19
    names = {p.name for p in result["reports"]}
    assert {"pohon-kinerja-2023.html", "perjanjian-kinerja-2023.html"} <= names
    if chromium() is not None:
        assert {"iku-2023.pdf", "pohon-kinerja-2023.pdf", "perjanjian-kinerja-2023.pdf"} <= names
    assert "PK awal" in (year / "perjanjian-kinerja-2023.html").read_text(encoding="utf-8")
