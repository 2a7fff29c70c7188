"""A catalogue with programs and SIPD-style budget sheets, shared by the budget tests.

The sheet is what a finance office exports from SIPD ("Laporan Realisasi
Anggaran"): title rows, a subtotal row at every level (urusan, bidang urusan,
program, kegiatan, sub kegiatan, account levels 5.1 and 5.1.02), account rows
below each sub kegiatan, Indonesian numbers as text, a Sisa and a % column.
"""

from __future__ import annotations

from pathlib import Path

from iku.domain.budget import Kegiatan, Program, SubKegiatan

PROGRAMS_YAML = """
programs:
  - code: "1.04.02"
    name: Program Pengembangan Perumahan
    indicators: [IKU-01, IKU-02]
    pagu_renstra: {2024: 1300000000}
    kegiatan:
      - code: "1.04.02.2.01"
        name: Pendataan Penyediaan dan Rehabilitasi Rumah Korban Bencana
        indicators: [IKU-01]
        anggaran_kas: {2024: [150000000, 400000000, 600000000, 750000000]}
        sub_kegiatan:
          - {code: "1.04.02.2.01.0001", name: Pendataan Rumah Korban Bencana}
          - {code: "1.04.02.2.01.0002", name: Rehabilitasi Rumah Korban Bencana}
      - code: "1.04.02.2.02"
        name: Penyediaan Rumah Layak Huni bagi MBR
  - code: "1.04.03"
    name: Program Kawasan Permukiman
    indicators: [IKU-04]
    kegiatan:
      - code: "1.04.03.2.01"
        name: Penataan Kawasan Permukiman Kumuh
"""

PROGRAMS = (
    Program(
        "1.04.02",
        "Program Pengembangan Perumahan",
        ("IKU-01", "IKU-02"),
        (
            Kegiatan(
                "1.04.02.2.01",
                "Pendataan Penyediaan dan Rehabilitasi Rumah Korban Bencana",
                (
                    SubKegiatan("1.04.02.2.01.0001", "Pendataan Rumah Korban Bencana"),
                    SubKegiatan("1.04.02.2.01.0002", "Rehabilitasi Rumah Korban Bencana"),
                ),
                ("IKU-01",),
            ),
            Kegiatan("1.04.02.2.02", "Penyediaan Rumah Layak Huni bagi MBR"),
        ),
    ),
    Program(
        "1.04.03",
        "Program Kawasan Permukiman",
        ("IKU-04",),
        (Kegiatan("1.04.03.2.01", "Penataan Kawasan Permukiman Kumuh"),),
    ),
)


def rp(value: float) -> str:
    """1250000000 -> '1.250.000.000,00', as SIPD writes rupiah."""
    whole, _, cents = f"{value:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{cents}"


def _line(code, name, pagu, real):
    return [code, name, rp(pagu), rp(real), rp(pagu - real), rp(real / pagu * 100) if pagu else "0,00"]


def sipd_rows(month: int = 3, year: int = 2024, scale: float = 1.0) -> list[list]:
    """The LRA of the seed OPD through `month`; realisasi multiplied by `scale`.

    Hand figures (scale 1): program 1.04.02 has its own row 1.250.000.000 /
    400.000.000; kegiatan 1.04.02.2.01 750.000.000 / 250.000.000 (subs 500/200
    and 250/50 million); 1.04.02.2.02 500.000.000 / 150.000.000; program 1.04.03
    and its kegiatan have no row of their own: the sum of the sub kegiatan below,
    300+200 = 500.000.000 / 120+30 = 150.000.000. The unlisted program 1.04.01
    (penunjang) holds 1.000.000.000 / 300.000.000."""
    s = scale
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni"]
    return [
        ["PEMERINTAH KABUPATEN TANJUNG JABUNG BARAT"],
        ["LAPORAN REALISASI ANGGARAN BELANJA"],
        ["SKPD: 1.04.0.00.0.00.01.0000 Dinas Perumahan dan Kawasan Permukiman"],
        [f"Periode: 1 Januari s.d. 31 {months[month - 1]} {year}"],
        [],
        ["Kode Rekening", "Uraian", "Anggaran Setelah Perubahan", "Realisasi", "Sisa Anggaran", "%"],
        _line("1", "URUSAN PEMERINTAHAN WAJIB YANG BERKAITAN DENGAN PELAYANAN DASAR", 2.75e9, 8.5e8 * s),
        _line("1.04", "URUSAN PEMERINTAHAN BIDANG PERUMAHAN DAN KAWASAN PERMUKIMAN", 2.75e9, 8.5e8 * s),
        _line("1.04.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA", 1e9, 3e8 * s),
        _line("1.04.01.2.02", "Administrasi Keuangan Perangkat Daerah", 1e9, 3e8 * s),
        _line("1.04.01.2.02.0001", "Penyediaan Gaji dan Tunjangan ASN", 1e9, 3e8 * s),
        _line("5.1.01.01.01.0001", "Belanja Gaji Pokok PNS", 1e9, 3e8 * s),
        _line("1.04.02", "PROGRAM PENGEMBANGAN PERUMAHAN", 1.25e9, 4e8 * s),
        _line("1.04.02.2.01", "Pendataan Penyediaan dan Rehabilitasi Rumah Korban Bencana", 7.5e8, 2.5e8 * s),
        _line("1.04.02.2.01.0001", "Pendataan Rumah Korban Bencana", 5e8, 2e8 * s),
        _line("5.1", "BELANJA OPERASI", 5e8, 2e8 * s),
        _line("5.1.02", "Belanja Barang dan Jasa", 5e8, 2e8 * s),
        _line(
            "5.1.02.01.01.0024", "Belanja Alat/Bahan untuk Kegiatan Kantor-Alat Tulis Kantor", 1e8, 5e7 * s
        ),
        _line("5.1.02.01.01.0026", "Belanja Alat/Bahan untuk Kegiatan Kantor-Bahan Cetak", 4e8, 1.5e8 * s),
        _line("1.04.02.2.01.0002", "Rehabilitasi Rumah Korban Bencana", 2.5e8, 5e7 * s),
        _line(
            "5.1.02.01.01.0024", "Belanja Alat/Bahan untuk Kegiatan Kantor-Alat Tulis Kantor", 2.5e8, 5e7 * s
        ),
        _line("1.04.02.2.02", "Penyediaan Rumah Layak Huni bagi MBR", 5e8, 1.5e8 * s),
        _line("1.04.02.2.02.0001", "Pembangunan Rumah bagi MBR", 5e8, 1.5e8 * s),
        _line("5.2", "BELANJA MODAL", 5e8, 1.5e8 * s),
        _line("5.2.03.01.01.0001", "Belanja Modal Bangunan Gedung", 5e8, 1.5e8 * s),
        _line("1.04.03.2.01.0001", "Perencanaan Penataan Kawasan Kumuh", 3e8, 1.2e8 * s),
        _line("5.1.02.02.01.0003", "Honorarium Narasumber", 3e8, 1.2e8 * s),
        _line("1.04.03.2.01.0002", "Peningkatan Kualitas Kawasan Kumuh", 2e8, 3e7 * s),
        _line("5.2.03.01.01.0001", "Belanja Modal Bangunan Gedung", 2e8, 3e7 * s),
        [None, "JUMLAH BELANJA", rp(2.75e9), rp(8.5e8 * s), rp(2.75e9 - 8.5e8 * s), None],
    ]


def write_sheet(path: Path, rows, sheet_name: str = "LRA") -> Path:
    """A real .xlsx, cells written as given (text stays text, as SIPD exports them)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet_name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)
    wb.close()
    return path


def with_programs(config_dir: Path, file: str | None = "opd.yaml") -> Path:
    """The catalogue `config_dir/file` (or the file `config_dir` itself) with PROGRAMS_YAML appended."""
    opd = config_dir / file if file else config_dir
    opd.write_text(opd.read_text(encoding="utf-8") + PROGRAMS_YAML, encoding="utf-8")
    return config_dir
