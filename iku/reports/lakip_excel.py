"""The LKjIP feed as a workbook: one sheet per Bab III analysis, A4 landscape,
rows as tall as their text. Notes people typed go through write_string, so
they never become formulas."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast

from iku.domain.achievement import round2
from iku.domain.budget import EFFICIENCY_RULE
from iku.domain.periods import month_name
from iku.domain.renstra import PROGRESS_LABEL
from iku.excel_layout import MAX_ROW_POINTS, lines_needed
from iku.formatting import local_datetime

from .budget_view import NO_BUDGET_DATA, NO_PROGRAMS
from .workbook import Styles, new_workbook, print_setup, put_number, put_predicate, put_text

if TYPE_CHECKING:
    from iku.config import Indicator, RpjmdIndicator
    from iku.domain.causes import Causes

    from .lakip import LakipData, LakipRow

HEADER_ROW = 3  # 0-based: title, subtitle, blank, header
LINE_POINTS = 12  # one line of Arial 9
CHARS_PER_UNIT = (
    1.4  # Arial 9 characters per column-width unit (about 1.8 measured in LibreOffice), with margin
)


def text_lines(text: str | None, width: float) -> int:
    """Lines `text` wraps to in a column `width` units wide (Arial 9 fits a
    little more than the 11 pt Calibri the shared rule measures for)."""
    return lines_needed(text, width * CHARS_PER_UNIT)


class Grid:
    """A sheet with a title, a header row and body rows whose height fits the
    tallest cell (xlsxwriter cannot autofit heights; Excel does not on open)."""

    def __init__(self, wb, st: Styles, name: str, title: str, subtitle: str, columns: list[tuple[str, int]]):
        self.st, self.widths = st, [w for _, w in columns]
        self.ws = ws = wb.add_worksheet(name)
        last = len(columns) - 1
        ws.merge_range(0, 0, 0, last, title, st.title)
        ws.merge_range(1, 0, 1, last, subtitle, st.subtitle)
        ws.set_row(0, 20)
        ws.set_row(1, LINE_POINTS * text_lines(subtitle, sum(self.widths)) + 4)
        for col, (label, width) in enumerate(columns):
            ws.set_column(col, col, width)
            ws.write_string(HEADER_ROW, col, label, st.header)
        ws.set_row(HEADER_ROW, LINE_POINTS * max(text_lines(h, w) for h, w in columns) + 6)
        ws.freeze_panes(HEADER_ROW + 1, 3)
        print_setup(ws, HEADER_ROW, HEADER_ROW)
        self.row = HEADER_ROW
        self.lines = 1

    def next_row(self) -> int:
        self.finish_row()
        self.row += 1
        return self.row

    def finish_row(self) -> None:
        if self.row > HEADER_ROW:
            self.ws.set_row(self.row, min(MAX_ROW_POINTS, LINE_POINTS * self.lines + 3))
        self.lines = 1

    def text(self, col: int, value: str | None, fmt=None, width: float | None = None) -> None:
        put_text(self.ws, self.row, col, value, fmt or self.st.text)
        self.lines = max(self.lines, text_lines(value, width or self.widths[col]))

    def number(self, col: int, value: float | None, fmt=None, empty: str = "") -> None:
        put_number(self.ws, self.row, col, value, self.st, fmt, empty)
        if value is None:
            self.lines = max(self.lines, text_lines(empty, self.widths[col]))

    def causes(self, col: int, causes: Causes) -> None:
        """Faktor pendorong, penghambat and tindak lanjut in three columns from `col`
        (write_string: what a bidang typed never becomes a formula)."""
        self.text(col, causes_text(causes.supporting))
        self.text(col + 1, causes_text(causes.inhibiting))
        self.text(col + 2, causes_text(causes.follow_up))

    def ident(self, no: int, ind: Indicator | RpjmdIndicator) -> None:
        """No, Kode, Indikator Kinerja, Satuan: the first four columns of every analysis."""
        self.ws.write_number(self.row, 0, no, self.st.center)
        self.text(1, ind.code, self.st.center)
        self.text(2, ind.name)
        self.text(3, ind.unit, self.st.center)


IDENT = [("No", 5), ("Kode", 9), ("Indikator Kinerja", 40), ("Satuan", 10)]


def _target_sheet(wb, st: Styles, data: LakipData) -> None:
    y, opd = data.year, data.config.catalogue.opd
    g = Grid(
        wb,
        st,
        "Target vs Realisasi",
        f"Perbandingan Target dan Realisasi Kinerja Tahun {y}",
        f"{opd.name} {opd.region}",
        IDENT
        + [
            (f"Target {y}", 11),
            (f"Realisasi {y}", 11),
            ("Capaian (%)", 10),
            ("Predikat", 13),
            ("Sumber data", 16),
            ("Bidang penanggung jawab", 22),
            ("Keterangan", 32),
        ],
    )
    for no, r in enumerate(data.rows, start=1):
        f = r.current
        g.next_row()
        g.ident(no, r.indicator)
        g.number(4, f.target, empty="belum ditetapkan")
        g.number(5, round2(f.realisation))
        g.number(6, f.achievement_pct, st.pct)
        put_predicate(g.ws, g.row, 7, f.predicate, st)
        g.text(8, f.source_label, st.center)
        g.text(9, r.bidang_name)
        flags = list(r.achievement.flags) if f.source != "history" else []
        g.text(10, "\n".join(flags + ([f.source_note] if f.source_note else [])), st.flag)
    g.finish_row()


def _sources_text(r: LakipRow) -> str:
    lines = []
    for f in r.years:
        extra = f" – {f.source_note}" if f.source_note else ""
        lines.append(f"{f.year}: {f.source_label}{extra}")
    return "\n".join(lines)


def _years_sheet(wb, st: Styles, data: LakipData) -> None:
    columns = list(IDENT)
    for yr in data.years:
        columns += [(f"Target {yr}", 10), (f"Realisasi {yr}", 10), (f"Capaian {yr} (%)", 10)]
    columns.append(("Sumber data per tahun", 34))
    g = Grid(
        wb,
        st,
        "Perbandingan Antar Tahun",
        f"Realisasi dan Capaian Tahun {data.year} dibandingkan Tahun-tahun Renstra Sebelumnya",
        "Angka miring berlatar kuning: data historis (impor) dari LKjIP tahun sebelumnya "
        "(iku import-history); lainnya dari lembar bulanan bidang.",
        columns,
    )
    imported = st.wb.add_format({**st.base, "border": 1, "italic": True, "bg_color": "#FCF3CF"})
    imported_dec = st.wb.add_format(
        {**st.base, "border": 1, "italic": True, "bg_color": "#FCF3CF", "num_format": "#,##0.00"}
    )
    for no, r in enumerate(data.rows, start=1):
        g.next_row()
        g.ident(no, r.indicator)
        for j, f in enumerate(r.years):
            col = 4 + 3 * j
            g.number(col, f.target, empty="belum ditetapkan")
            value = round2(f.realisation)
            if f.source == "history" and value is not None:
                g.number(col + 1, value, imported if float(value).is_integer() else imported_dec)
            else:
                g.number(col + 1, value, empty="belum ada data")
            g.number(col + 2, f.achievement_pct, st.pct)
        g.text(len(columns) - 1, _sources_text(r))
    g.finish_row()


def _progress_sheet(wb, st: Styles, data: LakipData) -> None:
    y, (start, end) = data.year, data.renstra
    g = Grid(
        wb,
        st,
        "Capaian Renstra",
        f"Realisasi s.d. Tahun {y} terhadap Target Renstra Akhir Periode {start}–{end}",
        f"Kolom '{PROGRESS_LABEL.capitalize()}' menunjukkan seberapa jauh target Renstra akhir periode "
        + (
            "telah ditempuh; periode Renstra belum selesai, jadi angka ini tidak diberi predikat. "
            if y < end
            else "tercapai pada tahun terakhir Renstra. "
        )
        + "Kolom target akhir periode dan realisasi s.d. tahun berjalan sama dengan kolom 6 dan 14 Tabel E.81.",
        IDENT
        + [
            ("Cara menghitung", 30),
            (f"Realisasi kinerja Renstra s.d. tahun berjalan ({y})", 14),
            (f"Target Renstra Perangkat Daerah akhir periode ({start}–{end})", 14),
            (f"Target tahun {end} saja", 11),
            (f"{PROGRESS_LABEL.capitalize()} (%)", 12),
            ("Keterangan", 28),
        ],
    )
    for no, r in enumerate(data.rows, start=1):
        p = r.progress
        g.next_row()
        g.ident(no, r.indicator)
        g.text(4, p.rule)
        g.number(5, round2(p.value), empty="belum ada data")
        g.number(6, p.basis_target, empty="belum ditetapkan")  # as Tabel E.81 column 6
        g.number(7, p.end_target, empty="belum ditetapkan")
        g.number(8, p.progress_pct, st.pct)
        g.text(9, p.note, st.flag)
    g.finish_row()


def _standard_sheet(wb, st: Styles, data: LakipData) -> None:
    y = data.year
    g = Grid(
        wb,
        st,
        "Standar",
        f"Realisasi Tahun {y} terhadap Standar Nasional/Provinsi",
        "Standar diambil dari konfigurasi (config/opd.yaml, kunci 'standard' per indikator).",
        IDENT
        + [
            ("Standar", 11),
            ("Sumber standar", 22),
            (f"Realisasi {y}", 11),
            ("Selisih", 10),
            ("Posisi", 22),
        ],
    )
    for no, r in enumerate(data.rows, start=1):
        s = r.standard
        g.next_row()
        g.ident(no, r.indicator)
        if s is None:
            g.ws.merge_range(g.row, 4, g.row, 8, "", st.center)
            g.text(4, "standar belum ditetapkan", st.center, width=76)
            continue
        g.number(4, s.value)
        g.text(5, s.source)
        g.number(6, round2(s.realisation), empty="belum ada data")
        g.number(7, s.gap)
        g.text(8, s.position, st.center)
    g.finish_row()


def causes_text(causes) -> str:
    return "\n".join(f"• {c.text} ({c.months_text})" for c in causes) or "–"


def _causes_sheet(wb, st: Styles, data: LakipData) -> None:
    y = data.year
    g = Grid(
        wb,
        st,
        "Analisis Penyebab",
        f"Analisis Penyebab Keberhasilan/Kegagalan Tahun {y}",
        "Dari kolom faktor pendorong, faktor penghambat dan tindak lanjut pada lembar bulanan bidang; "
        "dalam kurung: bulan yang menyebutkannya.",
        IDENT[:3]
        + [
            (f"Capaian {y} (%)", 10),
            ("Predikat", 12),
            ("Faktor pendorong", 34),
            ("Faktor penghambat", 34),
            ("Tindak lanjut", 34),
        ],
    )
    for no, r in enumerate(data.rows, start=1):
        f, c = r.current, r.causes
        g.next_row()
        g.ws.write_number(g.row, 0, no, st.center)
        g.text(1, r.indicator.code, st.center)
        g.text(2, r.indicator.name)
        g.number(3, f.achievement_pct, st.pct)
        put_predicate(g.ws, g.row, 4, f.predicate, st)
        g.causes(5, c)
    g.finish_row()


def _notes_sheet(wb, st: Styles, data: LakipData) -> None:
    g = Grid(
        wb,
        st,
        "Catatan Bidang",
        f"Catatan Bidang Tahun {data.year}",
        "Keterangan yang ditulis bidang pada lembar bulanan, bahan analisis penyebab keberhasilan/kegagalan.",
        [("Kode", 9), ("Indikator Kinerja", 40), ("Bulan", 11), ("Bidang", 14), ("Keterangan", 60)],
    )
    g.ws.freeze_panes(HEADER_ROW + 1, 2)
    for r in data.rows:
        for n in r.notes or (None,):
            g.next_row()
            g.text(0, r.indicator.code, st.center)
            g.text(1, r.indicator.name)
            g.text(2, month_name(n.month) if n else "–", st.center)
            g.text(3, n.bidang if n else r.indicator.bidang, st.center)
            g.text(4, n.text if n else "tidak ada catatan")  # write_string: never a formula
    g.finish_row()


def _evidence_sheet(wb, st: Styles, data: LakipData) -> None:
    """Bukti dukung per indicator and month (CONTRACT §12), with the portal's
    link, and the months an indicator requiring evidence has none."""
    g = Grid(
        wb,
        st,
        "Bukti Dukung",
        f"Bukti Dukung Tahun {data.year}",
        "Berkas bukti dukung yang diunggah bidang per indikator dan bulan; tautan membuka berkas di portal.",
        [
            ("Kode", 9),
            ("Indikator Kinerja", 40),
            ("Bulan", 11),
            ("Berkas", 36),
            ("SHA-256", 30),
            ("Tautan portal", 44),
        ],
    )
    g.ws.freeze_panes(HEADER_ROW + 1, 2)
    for r in data.rows:
        items = data.sakip.evidence.get(r.indicator.code, ())
        missing = data.sakip.evidence_missing.get(r.indicator.code, ())
        for e in items:
            g.next_row()
            g.text(0, r.indicator.code, st.center)
            g.text(1, r.indicator.name)
            g.text(2, month_name(e.month), st.center)
            g.text(3, e.file_name)
            g.text(4, e.sha256)
            g.text(5, e.url)
        if missing or not items:
            g.next_row()
            g.text(0, r.indicator.code, st.center)
            g.text(1, r.indicator.name)
            g.text(2, ", ".join(month_name(m) for m in missing) or "–", st.center)
            g.text(3, "bukti dukung wajib belum ada" if missing else "tidak ada bukti dukung")
    g.finish_row()


def _history_sheet(wb, st: Styles, data: LakipData) -> None:
    tz = data.config.pipeline.timezone
    g = Grid(
        wb,
        st,
        "Data Historis",
        "Data Historis (Impor) dari LKjIP Tahun-tahun Sebelumnya",
        "Realisasi tahunan sebelum pipeline berjalan, dimuat dengan iku import-history. "
        "Angka yang diganti impor berikutnya tetap dicatat (Berlaku: tidak).",
        [
            ("Kode", 9),
            ("Tahun", 7),
            ("Realisasi", 11),
            ("Sumber", 24),
            ("Keterangan", 26),
            ("Berkas impor", 22),
            ("Diimpor", 22),
            ("Revisi", 7),
            ("Berlaku", 9),
        ],
    )
    g.ws.freeze_panes(HEADER_ROW + 1, 1)
    for h in data.history:
        g.next_row()
        g.text(0, h.indicator, st.center)
        g.ws.write_number(g.row, 1, h.year, st.center)
        g.number(2, h.realisation)
        g.text(3, h.source)
        g.text(4, h.note)
        g.text(5, h.file_name)
        g.text(6, local_datetime(h.imported_at, tz))
        g.ws.write_number(g.row, 7, h.revision, st.center)
        g.text(8, "ya" if h.is_current else "tidak", st.center if h.is_current else st.flag)
    if not data.history:
        g.next_row()
        g.ws.merge_range(g.row, 0, g.row, 8, "", st.center)
        g.text(0, "belum ada data historis yang diimpor", st.center, width=140)
    g.finish_row()


def _through(data: LakipData) -> str:
    month = data.budget.month
    if not data.budget.has_programs:
        return "program belum ditetapkan dalam katalog (programs)"
    if month is None:
        return f"{NO_BUDGET_DATA} tahun {data.year}"
    return f"realisasi s.d. {month_name(month)} {data.year}"


def _money_cells(g: Grid, col: int, item: dict, rp) -> None:
    """Pagu, realisasi, sisa and penyerapan from `col`; "–" where a figure is missing."""
    pagu, real = item.get("pagu"), item.get("realisation")
    g.number(col, pagu, rp, empty="–")
    g.number(col + 1, real, rp, empty="–")
    g.number(col + 2, pagu - real if pagu is not None and real is not None else None, rp, empty="–")
    g.number(col + 3, item.get("absorption_pct"), g.st.pct, empty="–")


def _budget_sheet(wb, st: Styles, data: LakipData) -> None:
    """Realisasi Anggaran: pagu, realisasi and penyerapan per program, kegiatan and
    sub kegiatan, and the OPD's total."""
    opd, rp = data.config.catalogue.opd, st.rupiah
    bold_rp = wb.add_format({**st.base, "num_format": "#,##0", "border": 1, "bold": True})
    g = Grid(
        wb,
        st,
        "Realisasi Anggaran",
        f"Realisasi Anggaran Tahun {data.year} per Program dan Kegiatan",
        f"{opd.name} {opd.region} · {_through(data)}",
        [
            ("No", 5),
            ("Kode", 18),
            ("Program / Kegiatan / Sub Kegiatan", 46),
            ("IKU yang didukung", 14),
            ("Pagu (Rp)", 17),
            ("Realisasi (Rp)", 17),
            ("Sisa anggaran (Rp)", 17),
            ("Penyerapan (%)", 11),
        ],
    )
    doc = data.budget_realisation()
    programs = cast(list[dict[str, Any]], doc["programs"])
    for no, p in enumerate(programs, start=1):
        g.next_row()
        g.ws.write_number(g.row, 0, no, st.center)
        g.text(1, p["code"], st.bold)
        g.text(2, p["name"], st.bold_wrap)
        g.text(3, ", ".join(p["indicators"]), st.center)
        _money_cells(g, 4, p, bold_rp)
        for k in p["kegiatan"]:
            for item, indent in [(k, "  "), *((s, "    ") for s in k["sub_kegiatan"])]:
                g.next_row()
                g.text(0, "")
                g.text(1, item["code"])
                g.text(2, indent + item["name"])
                g.text(3, "")
                _money_cells(g, 4, item, rp)
    g.next_row()
    g.ws.merge_range(g.row, 0, g.row, 3, "", st.bold)
    g.text(0, "Jumlah Perangkat Daerah (program yang dipetakan)", st.bold, width=83)
    _money_cells(g, 4, doc["total"], bold_rp)  # type: ignore[arg-type]
    g.finish_row()


def _efficiency_sheet(wb, st: Styles, data: LakipData) -> None:
    """Analisis Efisiensi: per indicator capaian beside penyerapan, the index and the sentence."""
    opd = data.config.catalogue.opd
    g = Grid(
        wb,
        st,
        "Analisis Efisiensi",
        f"Analisis Efisiensi Penggunaan Sumber Daya Tahun {data.year}",
        f"{opd.name} {opd.region} · {_through(data)}",
        IDENT
        + [
            ("Capaian kinerja (%)", 11),
            ("Penyerapan anggaran (%)", 11),
            ("Indeks efisiensi", 10),
            ("Kategori", 12),
            ("Analisis", 60),
        ],
    )
    rows = {r.indicator.code: r for r in data.rows}
    for no, e in enumerate(data.efficiency(), start=1):
        r = rows[str(e["indicator"])]
        g.next_row()
        g.ident(no, r.indicator)
        g.number(4, e["achievement_pct"], st.pct, empty="–")  # type: ignore[arg-type]
        g.number(5, e["absorption_pct"], st.pct, empty="–")  # type: ignore[arg-type]
        g.number(6, e["efficiency_index"], st.dec, empty="–")  # type: ignore[arg-type]
        g.text(7, e["label"] or "–", st.center)  # type: ignore[arg-type]
        g.text(8, str(e["analysis"]))
    g.next_row()
    g.ws.merge_range(g.row, 0, g.row, 8, "", st.note)
    g.text(0, EFFICIENCY_RULE, st.note, width=140)
    g.finish_row()


def _supporting_sheet(wb, st: Styles, data: LakipData) -> None:
    """Program Penunjang: per indicator the programs and kegiatan that supported it."""
    opd, rp = data.config.catalogue.opd, st.rupiah
    g = Grid(
        wb,
        st,
        "Program Penunjang",
        f"Program dan Kegiatan Penunjang Capaian Kinerja Tahun {data.year}",
        f"{opd.name} {opd.region} · {_through(data)}",
        [
            ("No", 5),
            ("Kode IKU", 9),
            ("Indikator Kinerja", 36),
            ("Kode program / kegiatan", 16),
            ("Program / Kegiatan", 42),
            ("Pagu (Rp)", 17),
            ("Realisasi (Rp)", 17),
            ("Sisa anggaran (Rp)", 17),
            ("Penyerapan (%)", 11),
        ],
    )
    names = {r.indicator.code: r.indicator.name for r in data.rows}
    for no, item in enumerate(data.supporting_programs(), start=1):
        code = str(item["indicator"])
        g.next_row()
        g.ws.write_number(g.row, 0, no, st.center)
        g.text(1, code, st.center)
        g.text(2, names[code])
        programs = cast(list[dict[str, Any]], item["programs"])
        if not programs:
            g.ws.merge_range(g.row, 3, g.row, 8, "", st.text)
            g.text(3, NO_PROGRAMS, width=120)
            continue
        for i, p in enumerate(programs):
            for j, (entry, bold) in enumerate([(p, True), *((k, False) for k in p["kegiatan"])]):
                if i or j:
                    g.next_row()
                    for col in range(3):
                        g.text(col, "")
                g.text(3, entry["code"], st.bold if bold else None)
                g.text(4, entry["name"] if bold else "  " + entry["name"], st.bold_wrap if bold else None)
                _money_cells(g, 5, entry, rp)
    g.finish_row()


def render_lakip_excel(data: LakipData) -> bytes:
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    st = Styles(wb, data.bands)
    wb.set_properties(
        {"title": f"Bahan LKjIP {data.year} (Bab III)", "company": data.config.catalogue.opd.name}
    )
    _target_sheet(wb, st, data)
    _years_sheet(wb, st, data)
    _progress_sheet(wb, st, data)
    _causes_sheet(wb, st, data)
    _standard_sheet(wb, st, data)
    _notes_sheet(wb, st, data)
    _evidence_sheet(wb, st, data)
    _history_sheet(wb, st, data)
    _budget_sheet(wb, st, data)
    _efficiency_sheet(wb, st, data)
    _supporting_sheet(wb, st, data)
    wb.close()
    return buffer.getvalue()


__all__ = ["Grid", "render_lakip_excel", "text_lines"]
