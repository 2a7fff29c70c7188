"""`iku import-history` as a user runs it: real files, real warehouse, exit codes (CONTRACT §9)."""

from __future__ import annotations

import openpyxl
from clikit import iku as run

from iku.resources import build_resources
from iku.warehouse.history import history_values


def write_xlsx(path, rows, sheet="Riwayat"):
    wb = openpyxl.Workbook()
    wb.active.title = "Petunjuk"
    ws = wb.create_sheet(sheet)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


HEADER = ["Kode Indikator", "Tahun", "Realisasi", "Sumber", "Keterangan"]


def test_import_then_reimport_then_correct(iku_env):
    first = write_xlsx(
        iku_env / "riwayat.xlsx",
        [["Realisasi IKU 2022-2023 (LKjIP)"], HEADER, ["IKU-02", 2022, 120, "LKjIP 2022", None],
         ["IKU-04", 2022, "9,85", "LKjIP 2022", "angka BPS"], ["IKU-02", 2023, 140, "LKjIP 2023", None]],
    )  # fmt: skip
    result = run("import-history", "--file", str(first))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "riwayat.xlsx: 3 baris data historis (impor): 3 baru, 0 menggantikan angka sebelumnya "
        "(yang lama tetap tersimpan), 0 tidak berubah."
    )
    again = run("import-history", "--file", str(first))
    assert (
        again.returncode == 0
        and "sudah pernah diimpor" in again.stdout
        and "tidak ada yang berubah" in again.stdout
    )

    corrected = iku_env / "riwayat-revisi.csv"
    corrected.write_text(
        "kode_indikator;tahun;realisasi;sumber\nIKU-02;2022;120;LKjIP 2022\nIKU-04;2022;10,5;LKjIP 2022 (revisi)\n",
        encoding="utf-8",
    )
    result = run("import-history", "--file", str(corrected))
    assert result.returncode == 0, result.stderr
    assert "2 baris data historis (impor): 0 baru, 1 menggantikan" in result.stdout
    res = build_resources()
    current = {
        (h.indicator, h.year): (h.realisation, h.revision) for h in history_values(res.warehouse, res.opd)
    }
    assert current == {("IKU-02", 2022): (120, 1), ("IKU-02", 2023): (140, 1), ("IKU-04", 2022): (10.5, 2)}


def test_faulty_rows_are_listed_and_nothing_is_stored(iku_env):
    bad = write_xlsx(
        iku_env / "riwayat-salah.xlsx",
        [HEADER, ["IKU-02", 2022, 120, "LKjIP 2022", None], ["IKU-09", 2022, 1, None, None],
         ["IKU-02", 2023, "seratus", None, None]],
    )  # fmt: skip
    result = run("import-history", "--file", str(bad))
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        "baris 3, kolom kode_indikator: Kode indikator 'IKU-09' tidak ada dalam katalog IKU "
        "(IKU-01, IKU-02, IKU-03, IKU-04, IKU-05).",
        "baris 4, kolom realisasi: Realisasi 'seratus' bukan angka. Tulis angka saja, misalnya 120 atau 9,85.",
    ]
    assert result.stderr.strip() == (
        "iku: riwayat-salah.xlsx: 2 masalah, tidak ada yang disimpan. Perbaiki lalu impor ulang."
    )
    res = build_resources()
    assert history_values(res.warehouse, res.opd) == []


def test_year_outside_the_renstra_and_bad_files_exit_2_with_one_line(iku_env):
    outside = iku_env / "riwayat-2019.csv"
    outside.write_text("kode_indikator,tahun,realisasi\nIKU-02,2019,100\n", encoding="utf-8")
    result = run("import-history", "--file", str(outside))
    assert result.returncode == 2 and "Tahun 2019 di luar periode Renstra 2022–2026." in result.stdout
    for path in (iku_env / "tidak-ada.xlsx", iku_env / "catatan.txt", iku_env / "rusak.xlsx"):
        if path.suffix == ".txt":
            path.write_text("bukan lembar kerja")
        elif path.name == "rusak.xlsx":
            path.write_bytes(b"PK\x03\x04 bukan zip")
        result = run("import-history", "--file", str(path))
        assert result.returncode == 2, (path, result.stderr)
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr


def test_lakip_refuses_a_year_outside_the_renstra_before_prefect(iku_env):
    result = run(
        "lakip", "--year", "2030", env={"PREFECT_API_URL": "http://127.0.0.1:9/api"}
    )  # nothing there
    assert result.returncode == 2
    assert result.stderr.strip() == "iku: tahun 2030 di luar periode Renstra 2022–2026"


def test_a_file_faulty_everywhere_prints_the_first_problems_only(iku_env):
    path = iku_env / "salah-semua.csv"
    path.write_text("kode_indikator,tahun,realisasi\n" + "IKU-99,2022,1\n" * 120, encoding="utf-8")
    result = run("import-history", "--file", str(path))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert len(lines) == 51 and lines[-1] == "… dan 70 masalah lain."
    big = iku_env / "besar.csv"
    big.write_text("kode_indikator,tahun,realisasi\n" + "IKU-02,2022,1\n" * 600, encoding="utf-8")
    result = run("import-history", "--file", str(big))
    assert result.returncode == 2 and "terlalu banyak baris (601; batas 500)" in result.stderr
