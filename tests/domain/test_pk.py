"""Perjanjian Kinerja (CONTRACT §12): the configuration's checks and the target
in force on a day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from iku.cli.errors import exit_for
from iku.config import ConfigError, load_config
from iku.domain.pk import latest_revision, pk_target, pk_targets
from iku.shipped import shipped

PK = """
perjanjian_kinerja:
  2023:
    - {date: 2023-01-31, label: "PK awal", targets: {IKU-02: 160, IKU-04: 10}}
    - {date: 2023-08-15, label: "PK perubahan", targets: {IKU-02: 140}}
"""


def _with_pk(config_dir, block: str):
    path = config_dir / "opd.yaml"
    path.write_text(path.read_text(encoding="utf-8") + block, encoding="utf-8")
    return load_config(config_dir)


@pytest.fixture
def catalogue(config_copy):
    return _with_pk(config_copy, PK).catalogue


def test_the_latest_revision_on_or_before_the_day_gives_the_target(catalogue):
    renstra = catalogue.indicator("IKU-02").target(2023)
    assert renstra == 150
    before = pk_target(catalogue, "IKU-02", 2023, date(2023, 1, 30))
    assert (before.target, before.target_source, before.revision_label) == (150, "renstra", None)
    signed = pk_target(catalogue, "IKU-02", 2023, date(2023, 1, 31))  # the signing day counts
    assert (signed.target, signed.target_source, signed.target_renstra) == (160, "pk", 150)
    assert (signed.revision_label, signed.revision_date) == ("PK awal", date(2023, 1, 31))
    revised = pk_target(catalogue, "IKU-02", 2023, date(2023, 8, 15))
    assert (revised.target, revised.revision_label) == (140, "PK perubahan")
    assert pk_target(catalogue, "IKU-02", 2023, date(2023, 8, 14)).target == 160


def test_an_indicator_the_revision_leaves_out_keeps_the_earlier_one_then_the_renstras(catalogue):
    late = pk_targets(catalogue, 2023, datetime(2023, 12, 31, 23, 59, tzinfo=ZoneInfo("Asia/Jakarta")))
    assert (late["IKU-04"].target, late["IKU-04"].revision_label) == (10, "PK awal")
    assert late["IKU-01"].target_source == "renstra"
    assert late["IKU-01"].target == catalogue.indicator("IKU-01").target(2023)
    assert late["IKU-02"].as_dict() == {
        "target": 140,
        "target_source": "pk",
        "target_renstra": 150,
        "pk_revision": "PK perubahan",
        "pk_date": "2023-08-15",
    }
    # another year has no PK: the Renstra's throughout
    assert {t.target_source for t in pk_targets(catalogue, 2024, date(2024, 12, 31)).values()} == {"renstra"}


def test_the_revision_in_force(catalogue):
    assert latest_revision(catalogue, 2023, date(2023, 1, 1)) is None
    found = latest_revision(catalogue, 2023, date(2023, 9, 1))
    assert found is not None and found.label == "PK perubahan"


def test_the_shipped_catalogue_has_no_pk():
    catalogue = load_config(shipped("config")).catalogue
    assert catalogue.perjanjian_kinerja == {}
    assert pk_target(catalogue, "IKU-02", 2023, date(2023, 6, 1)).target_source == "renstra"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            PK.replace("IKU-04: 10", "IKU-09: 10"),
            "perjanjian_kinerja 2023 'PK awal': indikator tidak dikenal IKU-09",
        ),
        (
            PK.replace("2023-08-15", "2023-01-15"),
            "'PK perubahan' (2023-01-15) ditulis sesudah 'PK awal' (2023-01-31); urutkan revisi menurut tanggal",
        ),
        (PK.replace("2023-08-15", "2023-01-31"), "'PK awal' dan 'PK perubahan' bertanggal sama (2023-01-31)"),
        (PK.replace("2023-01-31", "2022-12-20"), "'PK awal' bertanggal 2022-12-20, di luar tahun 2023"),
        (PK.replace("IKU-02: 140", "IKU-02: banyak"), "IKU-02: harus angka, bukan 'banyak'"),
        (PK.replace("IKU-02: 140", "IKU-02: true"), "IKU-02: harus angka, bukan true"),
        (PK.replace("IKU-02: 140", "IKU-02: -5"), "target IKU-02 negatif"),
        (
            PK.replace("2023:", "2030:").replace("2023-", "2030-"),
            "perjanjian_kinerja: tahun 2030 di luar periode",
        ),
        (
            PK.replace("2023-01-31", "2023-02-30"),
            "YAML tidak valid (tanggal '2023-02-30' tidak ada di kalender)",
        ),
        (PK.replace("2023-01-31", "'31-01-2023'"), "harus tanggal (YYYY-MM-DD)"),
    ],
)
def test_a_wrong_pk_is_one_indonesian_line_and_exit_3(config_copy, block, expected):
    with pytest.raises(ConfigError) as err:
        _with_pk(config_copy, block)
    message = str(err.value)
    assert expected in message, message
    assert "\n" not in message and "opd.yaml" in message
    code, line = exit_for(err.value)
    assert code == 3 and line.startswith("konfigurasi tidak valid:")
