"""Sample SAKIP data for the demo (CONTRACT §11, §12): the programs and kegiatan
of the seed OPD, its Perjanjian Kinerja, and a year of monthly budget
realisation sheets as a finance office exports them from SIPD.

SAMPLE DATA. The seed (the OPD's IKU document) names no program, kegiatan or
rupiah: the codes and names below follow the Permendagri 90/2019 nomenclature of
urusan 1.04 (Perumahan dan Kawasan Permukiman) as a kabupaten's Disperkim uses
it, and every rupiah is invented. Pure apart from writing files.
"""

from __future__ import annotations

import calendar
import os
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from iku.config import Catalogue
from iku.domain.periods import month_name

# (code, name, IKU, pagu of the year in Rp, kegiatan: (code, name, IKU or None, share of the
# program's pagu, sub kegiatan: (code, name, share of the kegiatan's pagu)))
Sub = tuple[str, str, float]
Keg = tuple[str, str, list[str] | None, float, list[Sub]]
DEMO_PROGRAMS: list[tuple[str, str, list[str], float, list[Keg]]] = [
    (
        "1.04.02",
        "Program Pengembangan Perumahan",
        ["IKU-01", "IKU-02"],
        6_450_000_000,
        [
            (
                "1.04.02.2.01",
                "Pendataan Penyediaan dan Rehabilitasi Rumah Korban Bencana atau Relokasi Program Kabupaten/Kota",
                ["IKU-01"],
                0.35,
                [
                    ("1.04.02.2.01.0001", "Pendataan Rumah Korban Bencana Kabupaten/Kota", 0.15),
                    ("1.04.02.2.01.0002", "Penyediaan Rumah bagi Korban Bencana atau Relokasi", 0.85),
                ],
            ),
            (
                "1.04.02.2.02",
                "Pembangunan dan Rehabilitasi Rumah Tidak Layak Huni bagi Masyarakat Berpenghasilan Rendah",
                ["IKU-02"],
                0.65,
                [],
            ),
        ],
    ),
    (
        "1.04.04",
        "Program Perumahan dan Kawasan Permukiman Kumuh",
        ["IKU-04"],
        4_200_000_000,
        [
            (
                "1.04.04.2.01",
                "Peningkatan Kualitas Kawasan Permukiman Kumuh dengan Luas di Bawah 10 (Sepuluh) Ha",
                None,
                1.0,
                [],
            )
        ],
    ),
    (
        "1.04.05",
        "Program Peningkatan Prasarana, Sarana dan Utilitas Umum (PSU)",
        ["IKU-03"],
        5_800_000_000,
        [("1.04.05.2.01", "Urusan Penyelenggaraan PSU Perumahan", None, 1.0, [])],
    ),
    (
        "1.04.06",
        "Program Peningkatan Pelayanan Sertifikasi, Kualifikasi, Klasifikasi, dan Registrasi "
        "Bidang Perumahan dan Kawasan Permukiman",
        ["IKU-05"],
        350_000_000,
        [
            (
                "1.04.06.2.01",
                "Sertifikasi dan Registrasi bagi Orang atau Badan Hukum yang Melaksanakan Perancangan "
                "dan Perencanaan Rumah serta Perencanaan PSU Tingkat Kemampuan Kecil",
                None,
                1.0,
                [],
            )
        ],
    ),
]
# The secretariat's program: in every SIPD export, in no IKU's cascade (named and left out).
PENUNJANG = ("1.04.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA", 9_100_000_000)
# Cumulative share of the pagu spent by the end of each month: slow until the
# contracts of mid-year, then the year-end rush (a kabupaten's typical S-curve).
ABSORPTION = [0.02, 0.05, 0.11, 0.17, 0.25, 0.34, 0.43, 0.52, 0.62, 0.73, 0.84, 0.95]
APBD_P_MONTH = 9  # APBD-Perubahan: from September one program's pagu changes
# PK targets the Renstra leaves open (null): the year's agreement sets them
PK_OPEN_TARGETS = {"IKU-01": 20.0, "IKU-05": 12.0}
ACCOUNTS = [
    ("5.1.02.01.01.0026", "Belanja Alat/Bahan untuk Kegiatan Kantor-Bahan Cetak"),
    ("5.2.03.01.01.0001", "Belanja Modal Bangunan Gedung Tempat Tinggal"),
    ("5.1.02.02.01.0003", "Honorarium Narasumber atau Pembahas"),
]


def fits(cat: Catalogue) -> bool:
    """Whether the sample programs fit this catalogue: it lists none yet and has every IKU they name."""
    codes = {i.code for i in cat.indicators}
    return not cat.programs and all(set(p[2]) <= codes for p in DEMO_PROGRAMS)


def catalogue_extra(catalogue: Catalogue, year: int) -> dict[str, Any]:
    """The `programs:` and `perjanjian_kinerja:` keys the demo adds to the seed
    OPD's catalogue for `year`: Renstra pagu and anggaran kas of the year, and a
    PK awal signed on 31 January with the Renstra's targets (those it leaves
    open set by the PK)."""
    programs = []
    for code, name, iku, pagu, kegiatan in DEMO_PROGRAMS:
        entry: dict[str, Any] = {
            "code": code,
            "name": name,
            "indicators": iku,
            "pagu_renstra": {year: round(pagu * 1.05)},
            "kegiatan": [],
        }
        for k_code, k_name, k_iku, share, subs in kegiatan:
            k: dict[str, Any] = {"code": k_code, "name": k_name}
            if k_iku:
                k["indicators"] = k_iku
            planned = pagu * share
            k["anggaran_kas"] = {year: [round(planned * q) for q in (0.12, 0.36, 0.66, 1.0)]}
            if subs:
                k["sub_kegiatan"] = [{"code": c, "name": n} for c, n, _ in subs]
            entry["kegiatan"].append(k)
        programs.append(entry)
    targets: dict[str, float] = {}
    for ind in catalogue.indicators:
        value = ind.target(year)
        value = PK_OPEN_TARGETS.get(ind.code) if value is None else value
        if value is not None:
            targets[ind.code] = float(value)
    pk = {year: [{"date": f"{year}-01-31", "label": "PK awal", "targets": targets}]}
    return {"programs": programs, "perjanjian_kinerja": pk}


def _pagu_in(pagu: float, code: str, month: int) -> float:
    """The pagu as it stood in `month`: program 1.04.05 gains 8 % in the APBD-Perubahan."""
    return pagu * 1.08 if code == "1.04.05" and month >= APBD_P_MONTH else pagu


def _rows(year: int, month: int, seed: int) -> list[list[Any]]:
    """The LRA through `month`, SIPD style: a subtotal row at every level, account rows below."""
    rows: list[list[Any]] = [
        ["PEMERINTAH KABUPATEN TANJUNG JABUNG BARAT"],
        ["LAPORAN REALISASI ANGGARAN BELANJA PER PROGRAM DAN KEGIATAN"],
        ["SKPD: 1.04.0.00.0.00.01.0000 Dinas Perumahan dan Kawasan Permukiman"],
        [f"Periode: 1 Januari s.d. {calendar.monthrange(year, month)[1]} {month_name(month)} {year}"],
        [],
        ["Kode Rekening", "Uraian", "Anggaran Setelah Perubahan", "Realisasi s.d. Bulan Ini", "Sisa", "%"],
    ]
    spent_share = ABSORPTION[month - 1]
    body: list[list[Any]] = []
    total_pagu = total_real = 0.0
    p_code, p_name, p_pagu = PENUNJANG
    p_real = round(p_pagu * min(month / 12 * 0.97, 1.0))
    body += [
        _line(p_code, p_name, p_pagu, p_real),
        _line("5.1.01.01.01.0001", "Belanja Gaji Pokok PNS", p_pagu, p_real),
    ]
    total_pagu, total_real = p_pagu, p_real
    for code, name, _iku, pagu, kegiatan in DEMO_PROGRAMS:
        pagu = _pagu_in(pagu, code, month)
        lines, real_sum = [], 0.0
        for k_code, k_name, _k_iku, share, subs in kegiatan:
            k_pagu = round(pagu * share)
            # each kegiatan its own pace around the S-curve, the same all year (so the
            # cumulative figures never fall); never above its pagu
            pace = min(1.0, spent_share * random.Random(f"{seed}:{year}:{k_code}").uniform(0.85, 1.08))
            k_real = round(k_pagu * pace)
            lines.append(_line(k_code, k_name, k_pagu, k_real))
            for s_code, s_name, s_share in subs or [("", "", 1.0)]:
                s_pagu, s_real = round(k_pagu * s_share), round(k_real * s_share)
                if s_code:
                    lines.append(_line(s_code, s_name, s_pagu, s_real))
                lines.append(_line(*ACCOUNTS[len(lines) % len(ACCOUNTS)], s_pagu, s_real))
            real_sum += k_real
        body.append(_line(code, name.upper(), round(pagu), round(real_sum)))
        body += lines
        total_pagu += round(pagu)
        total_real += real_sum
    rows.append(
        _line("1", "URUSAN PEMERINTAHAN WAJIB YANG BERKAITAN DENGAN PELAYANAN DASAR", total_pagu, total_real)
    )
    rows.append(
        _line("1.04", "URUSAN PEMERINTAHAN BIDANG PERUMAHAN DAN KAWASAN PERMUKIMAN", total_pagu, total_real)
    )
    rows += body
    rows.append(
        [None, "JUMLAH BELANJA", _rp(total_pagu), _rp(total_real), _rp(total_pagu - total_real), None]
    )
    return rows


def _rp(value: float) -> str:
    whole, _, cents = f"{value:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{cents}"


def _line(code: str, name: str, pagu: float, real: float) -> list[Any]:
    return [code, name, _rp(pagu), _rp(real), _rp(pagu - real), _rp(real / pagu * 100) if pagu else "0,00"]


def write_budget_year(folder: Path, year: int, timezone: str, *, seed: int = 1) -> list[Path]:
    """Twelve LRA exports `LRA <Bulan> <year>.xlsx` in `folder` (the OPD's anggaran
    inbox folder), each dated the 8th of the month after (its mtime), so the
    consolidation loads them in order."""
    tz = ZoneInfo(timezone)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for month in range(1, 13):
        path = folder / f"LRA {month_name(month)} {year}.xlsx"
        _write_xlsx(path, _rows(year, month, seed))
        sent = datetime(year, month, 1, 9, 30, tzinfo=tz) + timedelta(
            days=calendar.monthrange(year, month)[1] + 7
        )
        # never in the future, and in month order even then
        stamp = min(sent, datetime.now(tz) - timedelta(minutes=13 - month)).timestamp()
        os.utime(path, (stamp, stamp))
        paths.append(path)
    return paths


def _write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"created": datetime(2020, 1, 1)})  # the same year, the same bytes
    ws = wb.add_worksheet("LRA")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write_string(r, c, str(value))  # SIPD exports numbers as text
    wb.close()


def large_budget_rows(year: int, month: int, rows: int, scale: float = 1.0) -> list[list[Any]]:
    """An LRA of about `rows` coded rows (`make bench`): the sample programs,
    kegiatan and sub kegiatan, each lowest level with as many belanja account
    rows below it as make up the count, as a detailed SIPD export lists them."""
    lowest: list[tuple[str, str, float]] = []  # (code, name, pagu) of the rows accounts hang below
    head: list[list[Any]] = []
    for code, name, _iku, pagu, kegiatan in DEMO_PROGRAMS:
        head.append([code, name.upper(), pagu])
        for k_code, k_name, _k_iku, share, subs in kegiatan:
            head.append([k_code, k_name, pagu * share])
            for s_code, s_name, s_share in subs:
                head.append([s_code, s_name, pagu * share * s_share])
            lowest += [(s, "", pagu * share * x) for s, _n, x in subs] or [(k_code, k_name, pagu * share)]
    per = max(1, (rows - len(head)) // len(lowest))
    out: list[list[Any]] = [
        [f"LAPORAN REALISASI ANGGARAN s.d. {calendar.monthrange(year, month)[1]} {month_name(month)} {year}"],
        [],
        ["Kode Rekening", "Uraian", "Anggaran", "Realisasi"],
    ]
    spent = ABSORPTION[month - 1] * scale
    for code, name, pagu in head:
        out.append(_line(code, name, round(pagu), round(pagu * spent)))
        match = next((x for x in lowest if x[0] == code), None)
        if match is None:
            continue
        for i in range(per):
            each = round(pagu / per)
            out.append(
                _line(
                    f"5.1.02.01.01.{i + 1:04d}", f"Belanja barang dan jasa {i + 1}", each, round(each * spent)
                )
            )
    return out


def write_large_budget(path: Path, year: int, month: int, rows: int = 2000, scale: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_xlsx(path, large_budget_rows(year, month, rows, scale))
    return path
