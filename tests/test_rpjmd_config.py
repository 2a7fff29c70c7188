"""config/rpjmd.yaml: the kabupaten's own IKU, validated when the installation
loads; a reference to an OPD or indicator that does not exist is refused with
one Indonesian line (exit 3), never found out in the middle of a recap."""

from __future__ import annotations

import shutil

import pytest
import yaml
from clikit import iku as run
from kabupatenkit import EXAMPLES, kabupaten_config

from iku.config import ConfigError, load_installation


@pytest.fixture
def config(tmp_path):
    folder = kabupaten_config(tmp_path / "config")
    shutil.copy(EXAMPLES / "dpmptsp-tjb.yaml", folder / "opd")
    shutil.copy(EXAMPLES / "rpjmd" / "rpjmd.yaml", folder / "rpjmd.yaml")
    return folder


def _edit(config, change) -> None:
    path = config / "rpjmd.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["indicators"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_example_loads_with_its_feeds(config):
    rpjmd = load_installation(config).rpjmd
    assert [(i.code, i.rule) for i in rpjmd.indicators] == [
        ("IKD-01", "sum"),
        ("IKD-02", "value"),
        ("IKD-03", "mean"),
    ]
    assert rpjmd.indicators[2].feeds() == [("dinkes-tjb", "IKU-01"), ("dpmptsp-tjb", "IKU-01")]
    assert rpjmd.indicators[1].target(2023) == 14 and rpjmd.indicators[1].target(2025) is None


def test_without_the_file_there_is_none(config):
    (config / "rpjmd.yaml").unlink()
    assert load_installation(config).rpjmd.indicators == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda i: i[0].update(sources=["dinsos-tjb/IKU-01"]), "IKD-01: OPD 'dinsos-tjb' tidak dikenal"),
        (
            lambda i: i[0].update(sources=["dinkes-tjb/IKU-09"]),
            "IKD-01: OPD 'dinkes-tjb' tidak mempunyai indikator IKU-09",
        ),
        (
            lambda i: i[2].update(rule="sum"),
            "IKD-03: dinkes-tjb/IKU-01 berupa rasio dan tidak dapat dijumlahkan",
        ),
        (
            lambda i: i[0].update(sources=["disperkim-tjb/IKU-01", "disperkim-tjb/IKU-03"]),
            "IKD-01: sumber yang dijumlahkan bersatuan berbeda: disperkim-tjb/IKU-01 (Unit), "
            "disperkim-tjb/IKU-03 (Perumahan)",
        ),
        (
            lambda i: i[2].update(sources=["dinkes-tjb/IKU-01", "dinkes-tjb/IKU-03"]),
            "IKD-03: sumber yang dirata-rata bersatuan berbeda: dinkes-tjb/IKU-01 (%), dinkes-tjb/IKU-03 (Kasus)",
        ),
        (
            lambda i: i[1].update(sources=["dinkes-tjb/IKU-02", "dinkes-tjb/IKU-04"]),
            "rule value mengambil nilai satu indikator OPD, bukan 2",
        ),
        (lambda i: i[0].update(sources=["IKU-02"]), "harus ditulis <kode OPD>/<kode indikator>"),
        (lambda i: i[0].update(sources=[]), "indicators.0.sources"),
        (lambda i: i[0]["targets"].update({2024: -5}), "target 2024 negatif (-5)"),
        (lambda i: i[1].update(code="IKD-01"), "kode IKU kabupaten berulang"),
        (lambda i: i[0].update(rule="median"), "indicators.0.rule"),
        (lambda i: i[0].update(weight=2), "indicators.0.weight"),
        (lambda i: i[0].update(weights=[1, 2]), "weights (bobot) hanya untuk rule mean, bukan sum"),
        (lambda i: i[2].update(weights=[1]), "weights berisi 1 bobot untuk 2 sumber"),
        (lambda i: i[2].update(weights=[1, 0]), "setiap bobot harus lebih besar dari 0"),
        (
            lambda i: i[0].update(rencana_aksi={2023: [10, -1, 50, 170]}),
            "target triwulan tidak boleh negatif",
        ),
        (lambda i: i[0].update(rencana_aksi={2023: [10, 50]}), "indicators.0.rencana_aksi"),
    ],
)
def test_a_bad_kabupaten_iku_is_refused_naming_file_and_fault(config, change, message):
    _edit(config, change)
    with pytest.raises(ConfigError) as caught:
        load_installation(config)
    assert str(caught.value).startswith(f"{config / 'rpjmd.yaml'}: ")
    assert message in str(caught.value)


def test_the_recap_command_refuses_it_with_exit_3(config, iku_env, monkeypatch):
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config))
    _edit(config, lambda i: i[0].update(sources=["dinsos-tjb/IKU-01"]))
    result = run("recap", "--period", "2023-Q1")
    assert result.returncode == 3, result.stderr
    assert "OPD 'dinsos-tjb' tidak dikenal" in result.stderr and result.stderr.count("\n") == 1
