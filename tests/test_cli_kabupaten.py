"""The command line of a kabupaten installation (config/opd/<code>.yaml):
--opd on every command, one line and exit 2 for an OPD that does not exist or
is needed and not given."""

from __future__ import annotations

import json

import pytest
from clikit import iku as run
from kabupatenkit import DINKES, SEED, TWIN, kabupaten_config


@pytest.fixture
def kab_env(iku_env, monkeypatch):
    monkeypatch.setenv("IKU_CONFIG_DIR", str(kabupaten_config(iku_env / "config")))
    return iku_env


def test_status_lists_every_opd_or_one(kab_env):
    result = run("status", "--year", "2023", "--as-of", "2023-05-10", "--json")
    assert result.returncode == 0, result.stderr
    subs = json.loads(result.stdout)["submissions"]
    assert len(subs) == (3 + 2 + 2) * 12
    assert {s["opd"] for s in subs} == {DINKES, SEED, TWIN}
    one = json.loads(run("status", "--year", "2023", "--opd", TWIN, "--json").stdout)["submissions"]
    assert {s["opd"] for s in one} == {TWIN} and len(one) == 24


def test_template_needs_an_opd_when_there_are_several(kab_env):
    out = kab_env / "t.xlsx"
    result = run("template", "--bidang", "kesmas", "--period", "2023-04", "--out", str(out))
    assert result.returncode == 2 and "--opd" in result.stderr and result.stderr.count("\n") == 1
    result = run("template", "--opd", DINKES, "--bidang", "kesmas", "--period", "2023-04", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.exists()
    # a bidang of another OPD is not this OPD's
    result = run("template", "--opd", SEED, "--bidang", "kesmas", "--period", "2023-04", "--out", str(out))
    assert result.returncode == 2 and "kesmas" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("consolidate",),
        ("status", "--year", "2023"),
        ("report", "--period", "2023-Q1"),
        ("lakip", "--year", "2023"),
        ("check-missing",),
        ("template", "--bidang", "perumahan", "--period", "2023-04", "--out", "x.xlsx"),
    ],
)
def test_an_unknown_opd_is_one_line_exit_2(kab_env, args):
    result = run(*args, "--opd", "dinsos-tjb")
    assert result.returncode == 2, result.stderr
    assert "OPD 'dinsos-tjb' tidak dikenal" in result.stderr and result.stderr.count("\n") == 1


def test_consolidate_nothing_new_across_opd_without_prefect(kab_env):
    result = run("consolidate", env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert result.returncode == 0, result.stderr
    assert "0 berkas baru" in result.stdout
