"""Programs, kegiatan and sub kegiatan in the OPD catalogue (CONTRACT §11):
parsed into the budget model, validated like the rest (exit 3, one line)."""

from __future__ import annotations

import pytest
from budgetkit import PROGRAMS, PROGRAMS_YAML, with_programs
from clikit import iku

from iku.config import ConfigError, load_installation


def test_programs_are_parsed_into_the_budget_model(config_copy):
    catalogue = load_installation(with_programs(config_copy)).config().catalogue
    programs = catalogue.budget_programs
    assert [(p.code, p.name, p.indicators) for p in programs] == [
        (p.code, p.name, p.indicators) for p in PROGRAMS
    ]
    assert [k.code for k in programs[0].kegiatan] == ["1.04.02.2.01", "1.04.02.2.02"]
    assert programs[0].kegiatan[0].sub_kegiatan == PROGRAMS[0].kegiatan[0].sub_kegiatan
    assert programs[0].kegiatan[0].anggaran_kas == {2024: (150e6, 400e6, 600e6, 750e6)}
    assert programs[0].pagu_renstra == {2024: 1.3e9} and programs[1].pagu_renstra is None


def test_a_catalogue_without_programs_has_none(config_copy):
    assert load_installation(config_copy).config().catalogue.budget_programs == ()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("indicators: [IKU-04]", "indicators: [IKU-09]"),
            "programs: program 1.04.03: indikator IKU-09 tidak ada",
        ),
        (
            ('code: "1.04.03.2.01"', 'code: "1.04.02.2.03"'),
            "kode kegiatan '1.04.02.2.03' tidak berada di bawah kode induknya '1.04.03'",
        ),
        (
            ('{code: "1.04.02.2.01.0002"', '{code: "1.04.02.2.02.0002"'),
            "kode sub kegiatan '1.04.02.2.02.0002' tidak berada di bawah kode induknya '1.04.02.2.01'",
        ),
        (('code: "1.04.03"', 'code: "1.04.02"'), "kode '1.04.02' ditulis lebih dari sekali"),
        (
            ('code: "1.04.03"', 'code: "1.4.3"'),
            "kode program '1.4.3' tidak berbentuk kode Permendagri 90/2019",
        ),
        (
            ("{2024: 1300000000}", "{2031: 1300000000}"),
            "1.04.02: tahun anggaran 2031 di luar periode Renstra",
        ),
        (
            ("[150000000, 400000000, 600000000, 750000000]", "[150000000, 100000000, 600000000, 750000000]"),
            "anggaran_kas 2024: rencana kumulatif per triwulan tidak boleh turun",
        ),
    ],
)
def test_faults_in_the_programs_exit_3_with_one_line(iku_env, config_copy, edit, expected):
    path = config_copy / "opd.yaml"
    assert edit[0] in PROGRAMS_YAML
    path.write_text(
        path.read_text(encoding="utf-8") + PROGRAMS_YAML.replace(edit[0], edit[1], 1), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_installation(config_copy)
    result = iku("status", "--year", "2023", env={"IKU_CONFIG_DIR": str(config_copy)})
    assert result.returncode == 3
    lines = [line for line in (result.stderr + result.stdout).strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "opd.yaml" in lines[0] and expected in lines[0]


def test_the_commented_example_in_the_shipped_catalogue_is_valid(config_copy):
    path = config_copy / "opd.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("# programs:")
    example = "\n".join(line[2:] if line.startswith("# ") else line for line in text[start:].splitlines())
    path.write_text(text[:start] + example + "\n", encoding="utf-8")
    programs = load_installation(config_copy).config().catalogue.budget_programs
    assert [p.code for p in programs] == ["1.04.02", "1.04.03"]
    assert programs[0].kegiatan[0].sub_kegiatan[1].code == "1.04.02.2.01.0002"
