"""iku/config.py and iku/shipped.py: the shipped catalogue, the rules the models
enforce, and how the configuration folder is chosen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from iku.config import ConfigError, load_config
from iku.settings import Settings
from iku.shipped import default_config_dir, shipped


def test_the_shipped_catalogue_is_the_seed():
    config = load_config(shipped("config"))
    assert [i.code for i in config.catalogue.indicators] == [f"IKU-0{n}" for n in range(1, 6)]
    assert {b.code for b in config.catalogue.bidang} == {"perumahan", "perkim"}
    assert config.catalogue.indicator("IKU-04").kind == "ratio"
    assert config.pipeline.timezone == "Asia/Jakarta" and config.pipeline.deadline_day == 10


def test_source_dir_is_the_configured_folder_else_the_inbox(tmp_path):
    config = load_config(shipped("config"))
    assert config.source_dir("perkim", tmp_path) == tmp_path / "perkim"
    custom = config.model_copy(
        update={"pipeline": config.pipeline.model_copy(update={"sources": {"perkim": Path("/srv/perkim")}})}
    )
    assert custom.source_dir("perkim", tmp_path) == Path("/srv/perkim")


def test_predicate_bands_must_descend(config_copy):
    text = (config_copy / "pipeline.yaml").read_text(encoding="utf-8")
    (config_copy / "pipeline.yaml").write_text(text.replace("min: 91", "min: 10"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pipeline.yaml: predicates"):
        load_config(config_copy)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "opd.yaml" in str(err.value) and "\n" not in str(err.value)


def test_config_dir_is_chosen_env_then_local_then_shipped(tmp_path, monkeypatch, config_copy):
    monkeypatch.delenv("IKU_CONFIG_DIR", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert default_config_dir(elsewhere) == shipped("config")
    assert default_config_dir(tmp_path) == Path("config")  # tmp_path/config is config_copy
    monkeypatch.chdir(elsewhere)
    assert Settings().config_dir == shipped("config")
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config_copy))
    assert Settings().config_dir == config_copy


def test_iku_runs_from_any_folder(tmp_path):
    """A newcomer's first command, outside the repository, finds the shipped configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKU_")}
    env["IKU_WAREHOUSE_URL"] = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    iku = str(Path(sys.executable).with_name("iku"))
    result = subprocess.run(
        [iku, "status", "--year", "2023", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"year": 2023' in result.stdout
    assert REPO.exists()


ENGLISH_PYDANTIC = (
    "Input should",
    "Field required",
    "Extra inputs",
    "Value error",
    "String should",
    "top level",
)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("deadline_day: 10", "deadline_day: sepuluh"),
            "deadline_day: harus bilangan bulat, bukan 'sepuluh'",
        ),
        (("deadline_day: 10", "deadline_day: 40"), "deadline_day: tidak boleh lebih dari 28"),
        (("deadline_day: 10", "deadline_day: 10\nwarna: biru"), "warna: kunci tidak dikenal"),
        (
            ("gx_data_docs: true", "gx_data_docs: mungkin"),
            "gx_data_docs: harus true atau false, bukan 'mungkin'",
        ),
        (("max_rows: 500", "max_rows: 0"), "limits.max_rows: harus lebih besar dari 0"),
        (
            ('reminder_time: "08:00"', 'reminder_time: "8 pagi"'),
            "schedules.reminder_time: '8 pagi' tidak sesuai pola",
        ),
        (("predicates:", "predikat:"), "predicates: wajib diisi"),
        # YAML reads yes/true as booleans: never taken for 1
        (("deadline_day: 10", "deadline_day: true"), "deadline_day: harus angka, bukan true (ya/tidak)"),
        (("max_rows: 500", "max_rows: yes"), "limits.max_rows: harus angka, bukan true (ya/tidak)"),
    ],
)
def test_pydantic_faults_are_told_in_indonesian(config_copy, edit, expected):
    path = config_copy / "pipeline.yaml"
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config_copy)
    message = str(err.value)
    assert expected in message, message
    assert not [w for w in ENGLISH_PYDANTIC if w in message], message


def test_an_environment_variable_fault_is_told_in_indonesian(monkeypatch):
    from iku.settings import load_settings

    monkeypatch.setenv("IKU_SMTP_PORT", "dua-lima")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == "variabel lingkungan IKU_SMTP_PORT: harus bilangan bulat, bukan 'dua-lima'"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (".nan", "harus angka terhingga, bukan nan"),
        (".inf", "harus angka terhingga, bukan inf"),
        ("1e400", "harus angka terhingga, bukan '1e400'"),
        ("yes", "harus angka, bukan true (ya/tidak)"),
    ],
)
def test_a_target_is_a_finite_number_never_a_boolean(config_copy, written, expected):
    """A NaN target made the report JSON unreadable (NaN is no JSON); `yes` became 1."""
    path = config_copy / "opd.yaml"
    text = path.read_text(encoding="utf-8")
    assert "2023: 150" in text
    path.write_text(text.replace("2023: 150", f"2023: {written}", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config_copy)
    assert "targets.2023" in str(err.value) and expected in str(err.value), str(err.value)


def test_an_empty_environment_variable_means_unset(monkeypatch):
    """KEY= in an env file: the default, never the current folder (found by a hostile run)."""
    from pathlib import Path

    from iku.settings import load_settings

    for key in ("IKU_OUTPUT_DIR", "IKU_INBOX_DIR", "IKU_ARCHIVE_DIR", "IKU_WAREHOUSE_URL", "IKU_SMTP_PORT"):
        monkeypatch.setenv(key, "")
    settings = load_settings()
    assert (settings.output_dir, settings.inbox_dir, settings.archive_dir) == (
        Path("out"),
        Path("data/inbox"),
        Path("data/archive"),
    )
    assert settings.warehouse_url == "sqlite:///data/iku.sqlite" and settings.smtp_port == 587


def test_a_renstra_period_written_backwards_is_named(config_copy):
    path = config_copy / "opd.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("renstra_period: [2022, 2026]", "renstra_period: [2026, 2022]", 1), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_config(config_copy)
    assert "renstra_period: tahun awal 2026 sesudah tahun akhir 2022" in str(err.value)
