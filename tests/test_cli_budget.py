"""`iku import-budget` and `iku template --budget` as a user runs them (CONTRACT
§5, §9, §11): real SIPD-style files, the `iku` command (in this process: tests/clikit.py), the warehouse read back."""

from __future__ import annotations

import openpyxl
import pytest
from budgetkit import sipd_rows, with_programs, write_sheet
from clikit import iku
from kabupatenkit import SEED, TWIN, kabupaten_config


def run(*args, env=None):
    return iku(*args, env=env)


@pytest.fixture
def budget_env(iku_env, config_copy, monkeypatch):
    """The seed OPD with the programs of tests/budgetkit.py."""
    monkeypatch.setenv("IKU_CONFIG_DIR", str(with_programs(config_copy)))
    return iku_env


def current(year: int, month: int):
    from iku.resources import build_resources
    from iku.warehouse.budget import current_budget

    res = build_resources()
    return current_budget(res.warehouse, res.opd, year, month)


def one_line_error(result) -> str:
    said = result.stderr.strip()
    assert said.startswith("iku: ") and "\n" not in said and "Traceback" not in said, result.stderr
    return said


@pytest.mark.slow  # several `iku` runs, a consolidation among them
def test_loaded_then_the_same_bytes_then_a_revision_then_a_lower_month(
    budget_env, tmp_path, warehouse_url, monkeypatch
):
    monkeypatch.setenv("IKU_WAREHOUSE_URL", warehouse_url)  # SQLite and PostgreSQL
    march = write_sheet(tmp_path / "LRA Maret 2024.xlsx", sipd_rows(month=3))
    first = run("import-budget", "--file", str(march), "--period", "2024-03")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.strip().splitlines()
    assert lines == [
        "dilewati: 1.04.01 PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA "
        "(program tidak terdaftar di katalog OPD; tidak dimuat)",
        # hand figures (budgetkit): programs 1.04.02 1.250/400 million and 1.04.03 500/150 million
        "LRA Maret 2024.xlsx: anggaran Maret 2024 dimuat (revisi 1): 2 program, pagu Rp1.750.000.000,00, "
        "realisasi Rp550.000.000,00 (penyerapan 31,43 %); 0 peringatan, 1 program dilewati.",
    ]
    assert current(2024, 3).lines["1.04.03"].pagu == 500_000_000

    copy = tmp_path / "salinan.xlsx"
    copy.write_bytes(march.read_bytes())
    again = run("import-budget", "--file", str(copy), "--period", "2024-03")
    assert again.returncode == 0, again.stderr
    assert "salinan.xlsx: berkas yang sama sudah pernah dimuat pada " in again.stdout
    assert "untuk Maret 2024 (revisi 1); tidak ada yang berubah." in again.stdout

    corrected = write_sheet(tmp_path / "LRA Maret 2024 revisi.xlsx", sipd_rows(month=3, scale=1.1))
    revised = run("import-budget", "--file", str(corrected), "--period", "2024-03")
    assert revised.returncode == 0, revised.stderr
    assert "(revisi 2, menggantikan berkas sebelumnya (yang lama tetap di riwayat))" in revised.stdout
    assert "realisasi Rp605.000.000,00" in revised.stdout  # 550 million × 1,1
    assert current(2024, 3).lines["1.04.02"].realisation == pytest.approx(440_000_000)

    # April's cumulative figures below March's: a warning per configured code, still loaded
    april = write_sheet(tmp_path / "april.xlsx", sipd_rows(month=4, scale=0.9))
    lower = run("import-budget", "--file", str(april), "--period", "2024-04")
    assert lower.returncode == 0, lower.stderr
    warned = [line for line in lower.stdout.splitlines() if line.startswith("peringatan: ")]
    assert len(warned) == 7 and "lebih rendah daripada bulan sebelumnya" in warned[0]
    assert "7 peringatan, 1 program dilewati." in lower.stdout
    assert current(2024, 4) is not None


def test_a_refused_file_prints_every_problem_and_loads_nothing(budget_env, tmp_path):
    rows = sipd_rows(month=5)
    rows[12][3] = "1.500.000.000,00"  # realisasi above pagu (row 13)
    rows[16][2] = "-500.000.000,00"  # negative (row 17)
    rows[20][0] = "5.1.02.O1.01.0024"  # a letter O for a zero (row 21)
    rows[25][0] = "1.04.02.2.02.0001"  # the same code twice (row 26)
    path = write_sheet(tmp_path / "lra-mei.xlsx", rows)
    result = run("import-budget", "--file", str(path), "--period", "2024-05")
    assert result.returncode == 2
    problems = [line for line in result.stdout.splitlines() if line.startswith("masalah: ")]
    assert [p.split(":")[1].strip() for p in problems] == [
        "baris 13, kolom realisasi",
        "baris 17, kolom anggaran",
        "baris 21, kolom kode",
        "baris 26, kolom kode",
    ]
    assert "melebihi anggaran" in problems[0] and "5.1.02.O1.01.0024" in problems[2]
    assert "dilewati: 1.04.01" in result.stdout  # the left-out programs are named either way
    said = one_line_error(result)
    assert "lra-mei.xlsx ditolak: 4 masalah; tidak ada angka anggaran Mei 2024 yang dimuat" in said
    assert current(2024, 5) is None

    missing = run("import-budget", "--file", str(tmp_path / "tidak-ada.xlsx"), "--period", "2024-05")
    assert missing.returncode == 2 and "tidak ditemukan" in missing.stdout
    other_month = run(
        "import-budget", "--file", str(write_sheet(tmp_path / "m3.xlsx", sipd_rows(3))), "--period", "2024-04"
    )
    assert other_month.returncode == 2
    assert "periode Maret 2024, sedangkan yang diminta April 2024" in other_month.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--period", "2024-13"), "bulan harus 01-12"),
        (("--period", "2030-03"), "tahun 2030 di luar periode Renstra 2022–2026"),
        (("--period", "2024-03", "--opd", "tidak-ada"), "OPD 'tidak-ada' tidak dikenal"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(budget_env, tmp_path, args, said):
    path = write_sheet(tmp_path / "lra.xlsx", sipd_rows(3))
    result = run("import-budget", "--file", str(path), *args)
    assert result.returncode == 2 and said in one_line_error(result)
    assert not (budget_env / "archive").exists()  # refused before anything was kept


def test_a_catalogue_without_programs_is_a_configuration_fault(iku_env, tmp_path):
    """Exit 3 (CONTRACT §9): the fix is in config/opd.yaml, not on the command line;
    the file is neither archived nor recorded."""
    path = write_sheet(tmp_path / "lra.xlsx", sipd_rows(3))
    result = run("import-budget", "--file", str(path), "--period", "2024-03")
    assert result.returncode == 3
    said = one_line_error(result)
    assert "konfigurasi tidak valid:" in said and "opd.yaml: kunci programs belum diisi" in said
    assert not (iku_env / "archive").exists()
    sheet = run("template", "--budget", "--period", "2024-03", "--out", str(tmp_path / "a.xlsx"))
    assert sheet.returncode == 3 and "kunci programs belum diisi" in one_line_error(sheet)
    assert not (tmp_path / "a.xlsx").exists()


def test_the_budget_template_read_back_filled_in_and_imported(budget_env, tmp_path):
    out = tmp_path / "keluar" / "anggaran-2024-03.xlsx"
    result = run("template", "--budget", "--period", "2024-03", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(out)
    assert "lembar realisasi anggaran Maret 2024 ditulis: 2 program" in result.stdout
    wb = openpyxl.load_workbook(out)
    ws = wb["Anggaran"]
    assert ws["A3"].value == "Keadaan s.d. 31 Maret 2024"
    codes = {ws.cell(r, 1).value: r for r in range(7, ws.max_row + 1)}
    assert list(codes) == [
        "1.04.02",
        "1.04.02.2.01",
        "1.04.02.2.01.0001",
        "1.04.02.2.01.0002",
        "1.04.02.2.02",
        "1.04.03",
        "1.04.03.2.01",
    ]
    typed = {
        "1.04.02.2.01.0001": (500_000_000, 200_000_000),
        "1.04.02.2.01.0002": (250_000_000, 50_000_000),
        "1.04.02.2.02": (500_000_000, 150_000_000),
        "1.04.03.2.01": (500_000_000, 150_000_000),
    }
    for code, (pagu, real) in typed.items():
        ws.cell(codes[code], 3).value, ws.cell(codes[code], 4).value = pagu, real
    wb.save(out)
    loaded = run("import-budget", "--file", str(out), "--period", "2024-03")
    assert loaded.returncode == 0, loaded.stderr
    assert "pagu Rp1.750.000.000,00, realisasi Rp550.000.000,00" in loaded.stdout
    assert "dilewati:" not in loaded.stdout and "0 program dilewati." in loaded.stdout

    both = run("template", "--budget", "--bidang", "perumahan", "--period", "2024-03", "--out", str(out))
    assert both.returncode == 2 and "--bidang tidak dipakai dengan --budget" in one_line_error(both)
    neither = run("template", "--period", "2024-03", "--out", str(out))
    assert neither.returncode == 2 and "opsi --bidang wajib diisi" in one_line_error(neither)
    folder = run("template", "--budget", "--period", "2024-03", "--out", str(tmp_path))
    assert folder.returncode == 5 and "bukan berkas biasa" in one_line_error(folder)


def test_several_opd_need_opd_and_each_has_its_own_programs(iku_env, tmp_path, monkeypatch):
    config = kabupaten_config(tmp_path / "kab", dinkes=False)
    with_programs(config, f"opd/{TWIN}.yaml")
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config))
    path = write_sheet(tmp_path / "lra.xlsx", sipd_rows(3))
    unnamed = run("import-budget", "--file", str(path), "--period", "2024-03")
    assert unnamed.returncode == 2 and f"pilih satu dengan --opd ({SEED}, {TWIN})" in one_line_error(unnamed)
    seed = run("import-budget", "--file", str(path), "--period", "2024-03", "--opd", SEED)
    assert seed.returncode == 3 and f"opd/{SEED}.yaml: kunci programs belum diisi" in one_line_error(seed)
    twin = run("import-budget", "--file", str(path), "--period", "2024-03", "--opd", TWIN)
    assert twin.returncode == 0, twin.stderr
    assert "anggaran Maret 2024 dimuat (revisi 1)" in twin.stdout
