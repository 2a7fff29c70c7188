"""The pre-filled monthly submission sheet (CONTRACT §2, `iku template`).

The bidang staff only type figures: the period and indicator codes are filled
in and locked, so the most common causes of an invalid file (wrong month, a
mistyped code, a missing row) cannot happen. The header names are exactly the
ones the reader looks for; `nama_indikator` and `satuan` are extra columns the
reader ignores and are there for the person filling the sheet.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import xlsxwriter

from iku.config import Config, Indicator
from iku.domain.kinds import NUMBER_COLUMNS, number_columns
from iku.domain.periods import deadline, month_name
from iku.excel_layout import row_height
from iku.formatting import local_datetime, num
from iku.storage import Unwritable

SHEET_NAME = "Realisasi"
HELP_SHEET_NAME = "Petunjuk"
# (reader key, header as people say it, width). The reader matches headers
# case-insensitively with spaces and underscores alike, so "Kode Indikator" is
# read as kode_indikator (CONTRACT §2).
COLUMNS = [
    ("bidang", "Bidang", 12),
    ("tahun", "Tahun", 7),
    ("bulan", "Bulan", 7),
    ("kode_indikator", "Kode Indikator", 11),
    ("nama_indikator", "Nama Indikator", 48),
    ("satuan", "Satuan", 10),
    ("realisasi", "Realisasi", 12),
    ("pembilang", "Pembilang", 12),
    ("penyebut", "Penyebut", 12),
    ("keterangan", "Keterangan", 30),
    ("faktor_pendorong", "Faktor Pendorong", 30),
    ("faktor_penghambat", "Faktor Penghambat", 30),
    ("tindak_lanjut", "Tindak Lanjut", 30),
]
KEYS = [key for key, _, _ in COLUMNS]
HEADER = [label for _, label, _ in COLUMNS]
COL = {key: i for i, key in enumerate(KEYS)}
WIDTHS = {key: width for key, _, width in COLUMNS}
TEXT_COLUMNS = {
    "keterangan": ("Keterangan", "Opsional: catatan atau penjelasan angka bulan ini."),
    "faktor_pendorong": ("Faktor pendorong", "Opsional: apa yang mendukung tercapainya target bulan ini."),
    "faktor_penghambat": ("Faktor penghambat", "Opsional: apa yang menghambat pencapaian target bulan ini."),
    "tindak_lanjut": ("Tindak lanjut", "Opsional: langkah yang akan diambil untuk mengatasi hambatan."),
}
# Title rows above the header: the reader accepts up to 10 (CONTRACT §2).
HEADER_ROW = 6  # 0-based: the header is on Excel row 7
HELP_WIDTH = 95  # characters: the width of A4 portrait between the margins


def used_columns(ind: Indicator) -> tuple[str, ...]:
    """The number columns a person fills for this indicator; the others are greyed out."""
    return number_columns(ind.kind)


def submission_hint(b) -> str:
    """Where staff put the file, as configured per bidang, else plain words."""
    if b.submission_hint:
        return b.submission_hint
    return (
        f"Simpan berkas di folder bersama (shared folder) {b.name} yang disediakan Subbagian "
        "Perencanaan dan Evaluasi, atau serahkan kepada petugas Subbagian Perencanaan. Tanyakan "
        "kepada mereka bila belum tahu letak folder tersebut."
    )


def _destination(config: Config, bidang: str) -> str:
    """Where the bidang puts its file: the configured source folder, else the inbox default."""
    try:
        from iku.settings import Settings

        inbox = Settings().inbox_dir
    except Exception:
        inbox = Path("<folder inbox>")
    return str(config.source_dir(bidang, inbox))


_INPUT_HELP = {
    "realisasi": (
        "Realisasi bulan ini",
        "Isi realisasi bulan ini saja (bukan kumulatif). Angka >= 0, "
        "contoh 12 atau 1.234,5. Jika tidak ada kegiatan, isi 0.",
    ),
    "pembilang": (
        "Pembilang bulan ini",
        "Isi pembilang bulan ini saja (mis. luas kawasan kumuh yang berkurang bulan ini, Ha). "
        "Angka >= 0 dan tidak lebih besar dari penyebut.",
    ),
    "penyebut": (
        "Penyebut",
        "Isi penyebut sebagaimana keadaan bulan ini (mis. luas total kawasan kumuh, Ha). "
        "Angka lebih besar dari 0.",
    ),
}


def write_template(config: Config, bidang: str, year: int, month: int, out: Path) -> Path:
    """Write the submission sheet for one bidang and month to `out` (.xlsx):
    only a regular file (or a new one) is written, never a folder, pipe or device."""
    out = Path(out)
    data = template_bytes(config, bidang, year, month)
    try:
        if out.exists() and not out.is_file():
            raise Unwritable(
                f"{out} bukan berkas biasa (folder, pipa atau perangkat); pilih nama berkas .xlsx"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise Unwritable(f"lembar isian tidak dapat ditulis ke {out}: {exc.strerror or exc}") from None
    return out


def template_bytes(config: Config, bidang: str, year: int, month: int) -> bytes:
    """The submission sheet for one bidang and month (.xlsx), in memory."""
    cat, pipe = config.catalogue, config.pipeline
    b = cat.bidang_by_code(bidang)
    indicators = cat.indicators_of(bidang)
    if not indicators:
        raise ValueError(f"bidang '{bidang}' has no indicators in the catalogue")
    due = deadline(year, month, pipe.deadline_day, pipe.timezone)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties(
        {
            "title": f"Realisasi IKU {b.name} {month_name(month)} {year}",
            "author": cat.opd.name,
            "company": cat.opd.name,
        }
    )
    f = _formats(wb)
    ws = wb.add_worksheet(SHEET_NAME)
    ws.write(0, 0, "Formulir Realisasi Indikator Kinerja Utama (IKU)", f.title)
    ws.write(1, 0, f"{cat.opd.name} {cat.opd.region}", f.sub)
    ws.write(2, 0, f"{b.name} ({b.code})", f.sub)
    ws.write(3, 0, f"Periode: Bulan {month_name(month)} {year}", f.sub)
    ws.write(4, 0, f"Batas penyampaian: {local_datetime(due, pipe.timezone, weekday=True)}", f.deadline)
    ws.write(5, 0, "Isi hanya sel berwarna kuning. Baca lembar 'Petunjuk' sebelum mengisi.", f.note)
    for col, (_key, label, width) in enumerate(COLUMNS):
        ws.write(HEADER_ROW, col, label, f.head)
        ws.set_column(col, col, width)
    ws.set_row(HEADER_ROW, 32)

    first = HEADER_ROW + 1
    for r, ind in enumerate(indicators, start=first):
        _indicator_row(ws, f, r, ind, bidang, year, month)
    _page_setup(ws, first, first + len(indicators) - 1)
    ws.activate()

    _write_help(wb, config, bidang, year, month, due, indicators)
    wb.close()
    return buffer.getvalue()


def _formats(wb: xlsxwriter.Workbook) -> SimpleNamespace:
    """Grey cells are filled in and locked, yellow ones take input, dark grey ones are not used."""
    return SimpleNamespace(
        title=wb.add_format({"bold": True, "font_size": 14}),
        sub=wb.add_format({"bold": True}),
        note=wb.add_format({"italic": True, "font_color": "#595959"}),
        deadline=wb.add_format({"bold": True, "font_color": "#C00000"}),
        head=wb.add_format(
            {
                "bold": True,
                "bg_color": "#1F4E78",
                "font_color": "#FFFFFF",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
            }
        ),
        fixed=wb.add_format({"bg_color": "#F2F2F2", "border": 1, "locked": True}),
        fixed_wrap=wb.add_format(
            {"bg_color": "#F2F2F2", "border": 1, "locked": True, "text_wrap": True, "valign": "top"}
        ),
        input=wb.add_format({"bg_color": "#FFF2CC", "border": 1, "locked": False, "num_format": "#,##0.00"}),
        unused=wb.add_format({"bg_color": "#BFBFBF", "border": 1, "locked": True, "font_color": "#7F7F7F"}),
        text_input=wb.add_format(
            {"bg_color": "#FFF2CC", "border": 1, "locked": False, "text_wrap": True, "valign": "top"}
        ),
    )


def _indicator_row(
    ws, f: SimpleNamespace, r: int, ind: Indicator, bidang: str, year: int, month: int
) -> None:
    """One indicator's row: the period and code locked, its number cells open with a hint."""
    ws.write_string(r, COL["bidang"], bidang, f.fixed)
    ws.write_number(r, COL["tahun"], year, f.fixed)
    ws.write_number(r, COL["bulan"], month, f.fixed)
    ws.write_string(r, COL["kode_indikator"], ind.code, f.fixed)
    ws.write_string(r, COL["nama_indikator"], ind.name, f.fixed_wrap)
    ws.write_string(r, COL["satuan"], ind.unit, f.fixed)
    used = used_columns(ind)
    for name in NUMBER_COLUMNS:
        col = COL[name]
        if name not in used:
            ws.write_blank(r, col, None, f.unused)
            continue
        ws.write_blank(r, col, None, f.input)
        title, message = _INPUT_HELP[name]
        ws.data_validation(
            r,
            col,
            r,
            col,
            {
                "validate": "decimal",
                # penyebut is a divisor: zero would make the ratio meaningless (CONTRACT §2)
                "criteria": ">" if name == "penyebut" else ">=",
                "value": 0,
                "input_title": f"{title} ({ind.code})"[:32],
                "input_message": message[:255],
                "error_title": "Angka tidak valid",
                "error_message": (
                    "Penyebut harus angka lebih besar dari 0."
                    if name == "penyebut"
                    else "Isi angka yang tidak negatif (0 atau lebih)."
                ),
                "error_type": "stop",
            },
        )
    for key, (title, message) in TEXT_COLUMNS.items():
        ws.write_blank(r, COL[key], None, f.text_input)
        ws.data_validation(
            r, COL[key], r, COL[key], {"validate": "any", "input_title": title, "input_message": message}
        )
    ws.set_row(r, row_height(ind.name, width=WIDTHS["nama_indikator"], minimum=45))


def _page_setup(ws, first: int, last: int) -> None:
    """A4 landscape, header repeated, one page wide; protected without a password."""
    ws.freeze_panes(first, 0)
    ws.print_area(0, 0, last, len(HEADER) - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(HEADER_ROW)
    ws.fit_to_pages(1, 0)
    # No password: protection guards against slips, not against the sheet's owner.
    ws.protect(
        "",
        {
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            "format_columns": True,
            "format_rows": True,
        },
    )


def _write_help(
    wb, config: Config, bidang: str, year: int, month: int, due: datetime, indicators: list[Indicator]
) -> None:
    cat = config.catalogue
    b = cat.bidang_by_code(bidang)
    hs = wb.add_worksheet(HELP_SHEET_NAME)
    f_title = wb.add_format({"bold": True, "font_size": 14})
    f_head = wb.add_format({"bold": True, "font_size": 12})
    f_text = wb.add_format({"text_wrap": True, "valign": "top"})
    # A4 portrait, fitted to the page width: the text wraps in one wide column.
    hs.set_column(0, 0, HELP_WIDTH)
    hs.set_paper(9)
    hs.set_portrait()
    hs.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
    hs.fit_to_pages(1, 0)

    row = 0
    hs.write(row, 0, f"Petunjuk Pengisian Realisasi IKU - {b.name}", f_title)
    row += 1
    hs.write(row, 0, f"{cat.opd.name} {cat.opd.region}, Bulan {month_name(month)} {year}", f_text)
    row += 2
    for heading, lines in _help_sections(config, bidang, year, month, due, indicators):
        hs.write(row, 0, heading, f_head)
        row += 1
        for line in lines:
            hs.write(row, 0, line, f_text)
            hs.set_row(row, row_height(line, width=HELP_WIDTH))
            row += 1
        row += 1
    hs.write(row, 0, "Indikator yang dilaporkan", f_head)
    row += 1
    for ind in indicators:
        target = ind.target(year)
        target_text = (
            "target belum ditetapkan" if target is None else f"target {year}: {num(target)} {ind.unit}"
        )
        line = f"{ind.code} - {ind.name} (satuan {ind.unit}; {target_text})"
        hs.write(row, 0, line, f_text)
        hs.set_row(row, row_height(line, width=HELP_WIDTH))
        row += 1


def _how_to_fill(indicators: list[Indicator]) -> list[str]:
    ratio = [i for i in indicators if i.kind == "ratio"]
    other = [i for i in indicators if i.kind != "ratio"]
    how = [
        "1. Isi lembar 'Realisasi' saja. Kolom Bidang, Tahun, Bulan dan Kode Indikator sudah terisi "
        "dan dikunci; jangan mengubah, menghapus atau menambah baris.",
        "2. Isi hanya sel berwarna kuning. Sel abu-abu tidak dipakai untuk indikator tersebut.",
    ]
    if other:
        how.append(
            "3. Kolom Realisasi: isi realisasi bulan ini saja, bukan kumulatif sejak awal tahun "
            f"({', '.join(i.code for i in other)}). Jika bulan ini tidak ada capaian, isi 0."
        )
    if ratio:
        how.append(
            f"{len(how) + 1}. Indikator rasio ({', '.join(i.code for i in ratio)}): isi pembilang "
            "(capaian bulan ini saja, mis. luas kawasan kumuh yang berkurang bulan ini dalam Ha) dan "
            "penyebut (nilai keadaan bulan ini, mis. luas total kawasan kumuh). Persentase dihitung "
            "oleh sistem: jumlah pembilang dibagi penyebut terakhir, dikali 100."
        )
    how.append(
        f"{len(how) + 1}. Kolom Keterangan, Faktor Pendorong, Faktor Penghambat dan Tindak Lanjut boleh "
        "diisi (tidak wajib): catatan angka bulan ini, apa yang mendukung dan menghambat pencapaian target, "
        "serta langkah tindak lanjutnya. Isian ini dipakai dalam evaluasi triwulan (Tabel E.81) dan LKjIP."
    )
    how.append(
        f"{len(how) + 1}. Simpan dalam format .xlsx (boleh juga .xls, .ods, atau .csv dengan "
        "pemisah koma atau titik koma). Nama berkas bebas."
    )
    return how


def _help_sections(
    config: Config, bidang: str, year: int, month: int, due: datetime, indicators: list[Indicator]
) -> list[tuple[str, list[str]]]:
    """The Petunjuk sheet's sections: heading and lines, in Indonesian."""
    b = config.catalogue.bidang_by_code(bidang)
    where = _destination(config, bidang)
    sections = [
        ("Cara mengisi", _how_to_fill(indicators)),
        (
            "Format angka",
            [
                "Ketik angka sebagai angka. Jika angka diketik sebagai teks, gunakan cara Indonesia: koma untuk "
                "desimal dan titik untuk ribuan, contoh 1.234,5 (seribu dua ratus tiga puluh empat koma lima) "
                "atau 9,85. Tanda % di belakang angka diabaikan.",
                "Angka tidak boleh negatif. Penyebut harus lebih besar dari 0, dan pembilang tidak boleh "
                "lebih besar dari penyebut.",
            ],
        ),
        (
            "Batas waktu",
            [
                f"Realisasi bulan {month_name(month)} {year} paling lambat disampaikan "
                f"{local_datetime(due, config.pipeline.timezone, weekday=True)} (tanggal {config.pipeline.deadline_day} bulan berikutnya).",
                "Berkas yang masuk setelah batas waktu tetap diproses, tetapi dicatat terlambat. Bila belum ada "
                "berkas yang valid setelah batas waktu, penyampaian dicatat belum masuk.",
                "Data triwulan dan tahunan disusun dari realisasi bulanan ini; keterlambatan satu bidang "
                "menunda laporan triwulan seluruh OPD.",
            ],
        ),
        (
            "Ke mana dikirim",
            [
                submission_hint(b),
                f"(Untuk petugas pengelola sistem: folder sumber {b.code} adalah {where}.)",
                "Satu berkas untuk satu bidang dan satu bulan. Untuk memperbaiki data yang sudah dikirim, "
                "simpan berkas baru (revisi) untuk bulan yang sama; berkas terbaru yang valid menggantikan "
                "yang lama, dan yang lama tetap tersimpan sebagai riwayat.",
            ],
        ),
        (
            "Berkas dinyatakan tidak valid bila",
            [
                "- bidang, tahun atau bulan berbeda antarbaris, atau bidang tidak sesuai dengan folder tempat "
                "berkas disimpan;",
                "- ada indikator bidang ini yang tidak tercantum, tercantum lebih dari sekali, atau ada kode "
                "indikator lain;",
                "- angka yang wajib (realisasi; atau pembilang dan penyebut untuk indikator rasio) kosong, "
                "bukan angka, atau negatif;",
                "- penyebut 0 atau kosong, atau pembilang lebih besar dari penyebut;",
                "- berkas rusak, terkunci dengan kata sandi, atau kosong (dicatat tidak terbaca).",
                "Berkas yang tidak valid tidak menggantikan data yang sudah valid. Bidang akan menerima "
                "pemberitahuan berisi baris, kolom dan masalahnya; perbaiki lalu kirim ulang.",
            ],
        ),
    ]
    return sections
