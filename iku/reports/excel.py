"""Excel twin of the report, laid out as Permendagri 86/2017 Tabel E.81
(Evaluasi terhadap hasil Renja Perangkat Daerah), plus the monthly data with
its source file and the submission status.

Every text a person typed (keterangan, file names) goes through write_string:
a note beginning with =, +, - or @ stays text and never becomes a formula."""

from __future__ import annotations

import io
import math
from datetime import datetime
from zoneinfo import ZoneInfo

import xlsxwriter

from iku import formatting as fmt
from iku.domain.achievement import Achievement, round2
from iku.domain.periods import month_name
from iku.excel_layout import row_height as _row_height
from iku.formatting import STATUS_COLOURS, STATUS_LABELS

from .model import IndicatorReport, ReportData, predicate_colour

ROMAN = ["I", "II", "III", "IV"]
FONT_POINTS = 9  # the reports' Arial 9 (Styles.base)


def row_height(*cells: tuple[object, float], minimum: float = 15.0) -> float:
    return _row_height(*cells, minimum=minimum, font_size=FONT_POINTS)


HEADER_ROW = 4  # first of the two header rows (0-based)
FIRST_DATA_ROW = 7  # after the two header rows and the column-number row


def new_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    # strings never turn into formulas or links, whatever write() is handed
    return xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


class Styles:
    """The formats a sheet needs, created once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook, bands=()):
        base = {"font_name": "Arial", "font_size": 9, "valign": "top"}
        self.wb, self.base = wb, base
        self.title = wb.add_format(
            {**base, "bold": True, "font_size": 12, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = wb.add_format({**base, "font_size": 10, "align": "center"})
        self.header = wb.add_format(
            {
                **base,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "border": 1,
                "bg_color": "#D6EAF8",
            }
        )
        self.colno = wb.add_format(
            {**base, "italic": True, "align": "center", "border": 1, "bg_color": "#EBF5FB"}
        )
        self.text = wb.add_format({**base, "text_wrap": True, "border": 1})
        self.center = wb.add_format({**base, "align": "center", "border": 1, "text_wrap": True})
        self.int = wb.add_format({**base, "num_format": "#,##0", "border": 1})
        self.dec = wb.add_format({**base, "num_format": "#,##0.00", "border": 1})
        self.pct = wb.add_format({**base, "num_format": "0.00", "border": 1})
        self.when = wb.add_format({**base, "num_format": "dd/mm/yyyy hh:mm", "border": 1})
        self.flag = wb.add_format({**base, "text_wrap": True, "border": 1, "font_color": "#922B21"})
        self.bold = wb.add_format({**base, "bold": True, "border": 1})
        self.note = wb.add_format({**base, "italic": True, "text_wrap": True, "font_color": "#566573"})
        self.bold_wrap = wb.add_format({**base, "bold": True, "border": 1, "text_wrap": True})
        # cells the evaluator fills or corrects
        self.fill = wb.add_format({**base, "border": 1, "bg_color": "#FFF2CC"})
        self.fill_text = wb.add_format({**base, "border": 1, "bg_color": "#FFF2CC", "text_wrap": True})
        self.sign = wb.add_format({**base, "font_size": 10, "align": "center"})
        self.sign_name = wb.add_format(
            {**base, "font_size": 10, "align": "center", "bold": True, "underline": 1}
        )
        self.pred = self._predicate_formats(bands)
        self.status = self._status_formats()

    def _predicate_formats(self, bands) -> dict:
        """A predicate cell coloured by its band."""
        return {
            b.label: self.wb.add_format(
                {
                    **self.base,
                    "bold": True,
                    "align": "center",
                    "border": 1,
                    "bg_color": predicate_colour(b.label, list(bands)),
                }
            )
            for b in bands
        }

    def _status_formats(self) -> dict[str, xlsxwriter.format.Format]:
        """A submission status cell in its colour, white text on the dark ones."""
        return {
            k: self.wb.add_format(
                {
                    **self.base,
                    "align": "center",
                    "border": 1,
                    "bg_color": c,
                    "font_color": "#FFFFFF" if k in ("invalid", "missing") else "#000000",
                }
            )
            for k, c in STATUS_COLOURS.items()
        }

    def number(self, value: float) -> xlsxwriter.format.Format:
        return self.int if float(value).is_integer() else self.dec


def put_text(ws, row: int, col: int, value: str | None, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def put_number(ws, row: int, col: int, value: float | None, st: Styles, fmt=None, empty: str = "") -> None:
    if value is None or not math.isfinite(value):  # a stored inf/NaN shows as no figure
        put_text(ws, row, col, empty, st.center)
    else:
        ws.write_number(row, col, value, fmt or st.number(value))


def put_predicate(ws, row: int, col: int, label: str | None, st: Styles) -> None:
    put_text(ws, row, col, label, st.pred.get(label, st.center))


def print_setup(ws, repeat_from: int | None = None, repeat_to: int | None = None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)
    if repeat_from is not None:
        ws.repeat_rows(repeat_from, repeat_to)
    ws.set_footer("&L&8&A&R&8Halaman &P dari &N")


def _notes(items, code: str | None = None) -> list[str]:
    """The bidang's words with their month: 'Mei: ...' (prefixed with the code when given)."""
    prefix = f"{code} " if code else ""
    return [
        f"{prefix}({month_name(n.month)}): {n.text}" if code else f"{month_name(n.month)}: {n.text}"
        for n in items
    ]


def _signature(ws, st: Styles, data: ReportData, row: int, first_col: int, last_col: int) -> int:
    """The pengesahan block (place, date, title, name, pangkat, NIP) under a table."""
    p = data.catalogue.opd.pengesahan
    if p is None:
        return row
    lines = [
        f"{p.place}, {fmt.day(data.generated_at)}",
        p.title,
        "",
        "",
        "",
        p.name,
        p.rank,
        f"NIP. {p.nip}" if p.nip else "",
    ]
    for i, line in enumerate(lines):
        fmt_ = st.sign_name if i == 5 else st.sign
        ws.merge_range(row + i, first_col, row + i, last_col, line, fmt_)
    return row + len(lines)


# Tabel E.81 (Permendagri 86/2017): columns as numbered in the regulation; each
# of 6-15 has a realisation (K) and a budget (Rp) half. The pipeline holds no
# budget: the Rp halves are left for the evaluator to fill (yellow).
E81_PAIRS = [
    (6, "Target Renstra Perangkat Daerah akhir periode ({start}–{end})"),
    (7, "Realisasi capaian kinerja Renstra s.d. Renja tahun lalu ({prev})"),
    (8, "Target kinerja Renja tahun berjalan ({year}) yang dievaluasi"),
    (9, "Realisasi kinerja pada Triwulan I"),
    (10, "Realisasi kinerja pada Triwulan II"),
    (11, "Realisasi kinerja pada Triwulan III"),
    (12, "Realisasi kinerja pada Triwulan IV"),
    (13, "Realisasi capaian kinerja Renja yang dievaluasi ({year}, {upto})"),
    (14, "Realisasi kinerja Renstra s.d. tahun berjalan ({year})"),
    (15, "Tingkat capaian kinerja Renstra s.d. tahun berjalan (%)"),
]
E81_WIDTHS = [4, 22, 16, 30, 12] + [9, 8] * len(E81_PAIRS) + [14, 28]


E81_LAST = len(E81_WIDTHS) - 1  # column 17, Keterangan


def _e81_sheet(wb, st: Styles, data: ReportData) -> None:
    ws = wb.add_worksheet("Tabel E.81")
    _e81_header(ws, st, data)
    row = _e81_rows(ws, st, data)
    row = _e81_rule_note(ws, st, data, row)
    row = _e81_closing(ws, st, data, row)
    _signature(ws, st, data, row + 1, E81_LAST - 5, E81_LAST)
    ws.freeze_panes(FIRST_DATA_ROW, 4)
    print_setup(ws, HEADER_ROW, HEADER_ROW + 2)


def _e81_header(ws, st: Styles, data: ReportData) -> None:
    """Title rows, then the regulation's two header rows and its column numbers."""
    cat, year, last = data.catalogue, data.period.year, E81_LAST
    for col, w in enumerate(E81_WIDTHS):
        ws.set_column(col, col, w)
    ws.merge_range(0, 0, 0, last, "TABEL E.81 EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH", st.title)
    ws.merge_range(1, 0, 1, last, f"{cat.opd.name} {cat.opd.region}", st.subtitle)
    ws.merge_range(2, 0, 2, last, f"Periode pelaksanaan: {data.period.title_id}", st.subtitle)
    q_end = data.period.quarter
    upto = f"s.d. Triwulan {ROMAN[q_end - 1]}" if q_end is not None else "s.d. Desember"
    h0, h1, h2 = HEADER_ROW, HEADER_ROW + 1, HEADER_ROW + 2
    singles = [
        (0, 1, "No"),
        (1, 2, "Sasaran"),
        (2, 3, "Program/Kegiatan"),
        (3, 4, "Indikator Kinerja Program (outcome)/Kegiatan (output)"),
        (4, 5, f"Data capaian pada awal tahun perencanaan ({cat.opd.renstra_period[0]})"),
    ]
    ends = [(last - 1, 16, "Unit Perangkat Daerah penanggung jawab"), (last, 17, "Keterangan")]
    for col, number, label in singles:
        ws.merge_range(h0, col, h1, col, label, st.header)
        ws.write_number(h2, col, number, st.colno)
    for i, (number, label) in enumerate(E81_PAIRS):
        col = 5 + 2 * i
        start, end = cat.opd.renstra_period
        text = label.format(start=start, end=end, prev=year - 1, year=year, upto=upto)
        ws.merge_range(h0, col, h0, col + 1, text, st.header)
        ws.write_string(h1, col, "K", st.header)
        ws.write_string(h1, col + 1, "Rp", st.header)
        ws.merge_range(h2, col, h2, col + 1, number, st.colno)
    for col, number, label in ends:
        ws.merge_range(h0, col, h1, col, label, st.header)
        ws.write_number(h2, col, number, st.colno)
    ws.set_row(h0, row_height(*((E81_PAIRS[1][1], 17),), minimum=60))


def _e81_rows(ws, st: Styles, data: ReportData) -> int:
    """One row per indicator, the sasaran merged down its group; the row after the last."""
    row, no = FIRST_DATA_ROW, 0
    for group in data.groups:
        first = row
        for r in group.rows:
            no += 1
            _e81_row(ws, st, r, row, no, group.sasaran)
            row += 1
        if row - first > 1:
            ws.merge_range(first, 1, row - 1, 1, "", st.text)
        put_text(ws, first, 1, group.sasaran, st.text)
    return row


def _e81_row(ws, st: Styles, r: IndicatorReport, row: int, no: int, sasaran: str) -> None:
    a, ind, rs, before, last = r.achievement, r.indicator, r.renstra, r.renstra_before, E81_LAST
    assert rs is not None  # the report model sets the Renstra progress of every row
    ws.write_number(row, 0, no, st.center)
    ws.write_blank(row, 2, None, st.fill)
    name = f"{ind.name} ({ind.code}; {ind.unit})"
    put_text(ws, row, 3, name, st.text)
    put_text(ws, row, 4, ind.baseline.text, st.center)
    k = [
        rs.basis_target,
        before.value if before else None,
        a.target,
        *(round2(a.quarters[q]) for q in range(1, 5)),
        round2(a.realisation),
        round2(rs.value),
        rs.progress_pct,
    ]
    for i, value in enumerate(k):
        col = 5 + 2 * i
        if i == 9:
            put_number(ws, row, col, value, st, st.pct)
        else:
            put_number(ws, row, col, value, st, empty="belum ditetapkan" if i in (0, 2) else "")
        ws.write_blank(row, col + 1, None, st.fill)
    put_text(ws, row, last - 1, r.bidang_name, st.text)
    ket = "\n".join(list(a.flags) + ([rs.note] if rs.note else []))
    put_text(ws, row, last, ket, st.flag if ket else st.text)
    ws.set_row(row, row_height((name, 30), (r.bidang_name, 14), (ket, 28), (sasaran, 22)))


def _e81_rule_note(ws, st: Styles, data: ReportData, row: int) -> int:
    """Which Renstra rule columns 6, 7, 14 and 15 follow, per indicator; the next row."""
    by_rule: dict[str, list[str]] = {}
    for r in data.rows:
        if r.renstra is not None:
            by_rule.setdefault(r.renstra.rule, []).append(r.indicator.code)
    rules = "; ".join(f"{', '.join(codes)}: {rule}" for rule, codes in by_rule.items())
    note = f"Kolom 6, 7, 14 dan 15 (tanpa predikat: capaian Renstra belum akhir periode). {rules}."
    ws.merge_range(row, 0, row, E81_LAST, note, st.note)
    ws.set_row(row, row_height((note, 220)))
    return row + 1


def _e81_closing(ws, st: Styles, data: ReportData, row: int) -> int:
    """The regulation's closing rows: average, predicate, causes and follow-up,
    pre-filled with the bidang's words and left editable (yellow); the next row."""
    last, span = E81_LAST, E81_LAST - 6
    label, avg = data.headline_average()
    closing = [
        ("Rata-rata capaian kinerja (%)", avg.pct, f"{label}: {avg.describe()}"),
        (
            "Predikat kinerja",
            avg.predicate or ("sementara (belum akhir tahun)" if avg.pct is not None else "–"),
            None,
        ),
    ]
    for title, shown, remark in closing:
        ws.merge_range(row, 0, row, 4, title, st.bold)
        if isinstance(shown, float):
            ws.merge_range(row, 5, row, 6, "", st.pct)
            ws.write_number(row, 5, shown, st.pct)
        else:
            ws.merge_range(row, 5, row, 6, "", st.center)
            put_predicate(ws, row, 5, shown or "–", st)
        ws.merge_range(row, 7, row, last, remark or "", st.text)
        ws.set_row(row, row_height((remark, span * 8.5)))
        row += 1
    rows = data.rows
    texts = [
        (
            "Faktor pendorong keberhasilan pencapaian",
            [t for r in rows for t in _notes(r.supporting, r.indicator.code)],
        ),
        (
            "Faktor penghambat pencapaian kinerja",
            [t for r in rows for t in _notes(r.inhibiting, r.indicator.code)],
        ),
        (
            "Tindak lanjut yang diperlukan dalam triwulan berikutnya",
            [t for r in rows for t in _notes(r.follow_up, r.indicator.code)],
        ),
        ("Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya", []),
    ]
    for title, lines in texts:
        body = "\n".join(lines)
        ws.merge_range(row, 0, row, 4, title, st.bold_wrap)
        ws.merge_range(row, 5, row, last, "", st.fill_text)
        put_text(ws, row, 5, body, st.fill_text)
        ws.set_row(row, row_height((body, span * 8.5 + 16), (title, 70), minimum=30))
        row += 1
    return row


def _evaluation_sheet(wb, st: Styles, data: ReportData) -> None:
    """The capaian per indicator: against the Rencana Aksi (quarterly) and the
    year's target, with the bidang's faktor columns, editable."""
    ws = wb.add_worksheet("Evaluasi Capaian")
    cols = _evaluation_columns(data)
    last = len(cols) - 1
    ws.merge_range(
        0, 0, 0, last, f"EVALUASI CAPAIAN INDIKATOR KINERJA UTAMA {data.period.title_id.upper()}", st.title
    )
    ws.merge_range(1, 0, 1, last, f"{data.catalogue.opd.name} {data.catalogue.opd.region}", st.subtitle)
    head = 3
    for col, (label, width) in enumerate(cols):
        ws.set_column(col, col, width)
        ws.write_string(head, col, label, st.header)
    ws.set_row(head, row_height(*((label, width) for label, width in cols), minimum=30))
    bidang_col = [label for label, _ in cols].index("Bidang penanggung jawab")
    row = head + 1
    for no, r in enumerate(data.rows, start=1):
        _evaluation_row(ws, st, data, r, row, no, bidang_col)
        row += 1
    row = _evaluation_averages(ws, st, data, row + 1, last)
    _signature(ws, st, data, row + 1, last - 3, last)
    ws.freeze_panes(head + 1, 3)
    print_setup(ws, head, head)


def _evaluation_columns(data: ReportData) -> list[tuple[str, float]]:
    """The sheet's (header, width): quarterly against the Rencana Aksi, annual per TW."""
    year, q = data.period.year, data.period.quarter
    tw = f"TW {ROMAN[q - 1]}" if q else ""
    end = month_name(data.period.end_month)
    cols: list[tuple[str, float]] = [
        ("No", 4),
        ("Kode", 8),
        ("Indikator Kinerja", 34),
        ("Satuan", 9),
        (f"Target {year}", 11),
    ]
    if data.is_quarterly:
        cols += [
            (f"Rencana Aksi s.d. {tw}", 11),
            (f"Realisasi {tw}", 10),
            (f"Realisasi s.d. {end}", 10),
            ("Capaian thd Rencana Aksi (%)", 11),
            (f"Predikat {tw}", 12),
            (f"Capaian s.d. {end} thd target {year} (%)", 12),
            ("Sifat capaian tahunan", 11),
            ("Proyeksi capaian akhir tahun (%)", 11),
            ("Predikat proyeksi", 12),
        ]
    else:
        cols += [(f"Realisasi TW {r}", 10) for r in ROMAN]
        cols += [(f"Realisasi {year}", 10), ("Tingkat capaian (%)", 10), ("Predikat", 12)]
    return cols + [
        ("Bidang penanggung jawab", 14),
        ("Faktor pendorong", 30),
        ("Faktor penghambat", 30),
        ("Tindak lanjut", 30),
        ("Keterangan", 30),
    ]


def _evaluation_row(
    ws, st: Styles, data: ReportData, r: IndicatorReport, row: int, no: int, bidang_col: int
) -> None:
    a, ind = r.achievement, r.indicator
    ws.write_number(row, 0, no, st.center)
    put_text(ws, row, 1, ind.code, st.center)
    put_text(ws, row, 2, ind.name, st.text)
    put_text(ws, row, 3, ind.unit, st.center)
    put_number(ws, row, 4, a.target, st, empty="belum ditetapkan")
    if data.is_quarterly:
        _quarter_figures(ws, st, a, row, 5)
    else:
        for i in range(4):
            put_number(ws, row, 5 + i, round2(a.quarters[i + 1]), st)
        put_number(ws, row, 9, round2(a.realisation), st)
        put_number(ws, row, 10, a.achievement_pct, st, st.pct)
        put_predicate(ws, row, 11, a.predicate, st)
    put_text(ws, row, bidang_col, r.bidang_name, st.text)
    cells = [
        "\n".join(_notes(r.supporting)),
        "\n".join(_notes(r.inhibiting)),
        "\n".join(_notes(r.follow_up)),
        "\n".join(list(a.flags) + _notes(r.notes)),
    ]
    for i, text in enumerate(cells):
        put_text(ws, row, bidang_col + 1 + i, text, st.flag if i == 3 and a.flags else st.fill_text)
    ws.set_row(row, row_height((ind.name, 34), (r.bidang_name, 14), *((t, 30) for t in cells)))


def _quarter_figures(ws, st: Styles, a: Achievement, row: int, c: int) -> None:
    """Against the Rencana Aksi, then the year to date: provisional with its projection in TW I-III."""
    put_number(ws, row, c, a.target_quarter, st, empty="belum ditetapkan")
    put_number(ws, row, c + 1, round2(a.realisation_quarter), st)
    put_number(ws, row, c + 2, round2(a.realisation), st)
    put_number(ws, row, c + 3, a.achievement_quarter_pct, st, st.pct)
    put_predicate(ws, row, c + 4, a.predicate_quarter, st)
    put_number(ws, row, c + 5, a.achievement_pct, st, st.pct)
    if a.provisional:
        put_text(ws, row, c + 6, "sementara" if a.achievement_pct is not None else None, st.center)
        put_number(ws, row, c + 7, a.projected_pct, st, st.pct)
        put_predicate(ws, row, c + 8, a.projected_predicate, st)
    else:
        put_predicate(ws, row, c + 6, a.predicate, st)
        put_text(ws, row, c + 7, None, st.center)
        put_text(ws, row, c + 8, None, st.center)


def _evaluation_averages(ws, st: Styles, data: ReportData, row: int, last: int) -> int:
    """Every average the report states, each saying what it runs over; the next row."""
    for label, avg in data.averages():
        ws.merge_range(row, 0, row, 4, label, st.bold_wrap)
        put_number(ws, row, 5, avg.pct, st, st.pct)
        verdict = avg.predicate or ("sementara" if avg.pct is not None else None)
        put_predicate(ws, row, 6, verdict, st)
        ws.merge_range(row, 7, row, last, avg.describe(), st.text)
        ws.set_row(row, row_height((label, 60), (avg.describe(), 150), minimum=24))
        row += 1
    return row


def _monthly_sheet(wb, st: Styles, data: ReportData, tz: ZoneInfo) -> None:
    ws = wb.add_worksheet("Data Bulanan")
    headers = [
        "Kode",
        "Indikator",
        "Bidang",
        "Tahun",
        "Bulan",
        "Realisasi",
        "Pembilang",
        "Penyebut",
        "Keterangan",
        "Faktor pendorong",
        "Faktor penghambat",
        "Tindak lanjut",
        "Berkas sumber",
        "SHA-256",
        "Revisi",
        "Diterima",
    ]
    widths = [9, 40, 14, 7, 11, 11, 11, 11, 30, 30, 30, 30, 30, 66, 7, 16]
    for col, (h, w) in enumerate(zip(headers, widths)):
        ws.set_column(col, col, w)
        ws.write_string(0, col, h, st.header)
    names = {i.code: i.name for i in data.catalogue.indicators}
    for row, v in enumerate(sorted(data.values, key=lambda v: (v.indicator, v.month)), start=1):
        put_text(ws, row, 0, v.indicator, st.center)
        put_text(ws, row, 1, names.get(v.indicator, ""), st.text)
        put_text(ws, row, 2, v.bidang, st.center)
        ws.write_number(row, 3, v.year, st.center)
        put_text(ws, row, 4, month_name(v.month), st.center)
        put_number(ws, row, 5, v.realisation, st)
        put_number(ws, row, 6, v.numerator, st)
        put_number(ws, row, 7, v.denominator, st)
        texts = (v.note, v.supporting, v.inhibiting, v.follow_up, v.file_name)
        for i, text in enumerate(texts):
            put_text(ws, row, 8 + i, text, st.text)
        put_text(ws, row, 13, v.sha256, st.text)
        ws.write_number(row, 14, v.revision, st.center)
        ws.write_datetime(row, 15, v.received_at.astimezone(tz).replace(tzinfo=None), st.when)
        ws.set_row(row, row_height((names.get(v.indicator, ""), 40), *((t, 30) for t in texts)))
    ws.autofilter(0, 0, max(1, len(data.values)), len(headers) - 1)
    ws.freeze_panes(1, 2)
    print_setup(ws, 0, 0)


def _status_sheet(wb, st: Styles, data: ReportData, tz: ZoneInfo) -> None:
    ws = wb.add_worksheet("Status Penyampaian")
    months = list(range(1, data.period.end_month + 1))
    ws.set_column(0, 0, 32)
    ws.set_column(1, 12, 12)
    ws.write_string(0, 0, "Bidang", st.header)
    for i, m in enumerate(months, start=1):
        ws.write_string(0, i, month_name(m), st.header)
    by_cell = {(s.bidang, s.month): s for s in data.submissions}
    for row, b in enumerate(data.catalogue.bidang, start=1):
        put_text(ws, row, 0, b.name, st.text)
        for i, m in enumerate(months, start=1):
            s = by_cell.get((b.code, m))
            if s is None:
                put_text(ws, row, i, "–", st.center)
            else:
                put_text(ws, row, i, STATUS_LABELS[s.status], st.status[s.status])
    # the same cells as a list, with dates, for filtering
    top = len(data.catalogue.bidang) + 3
    for col, h in enumerate(["Bidang", "Bulan", "Status", "Diterima", "Batas waktu"]):
        ws.write_string(top, col, h, st.header)
    for row, s in enumerate(data.submissions, start=top + 1):
        put_text(ws, row, 0, s.bidang, st.text)
        put_text(ws, row, 1, month_name(s.month), st.center)
        put_text(ws, row, 2, STATUS_LABELS[s.status], st.status[s.status])
        if s.received_at:
            ws.write_datetime(row, 3, s.received_at.astimezone(tz).replace(tzinfo=None), st.when)
        else:
            put_text(ws, row, 3, "–", st.center)
        ws.write_datetime(row, 4, s.deadline.astimezone(tz).replace(tzinfo=None), st.when)
    ws.freeze_panes(1, 1)
    print_setup(ws)


def render_excel(data: ReportData) -> bytes:
    """The workbook as bytes, from already-loaded data."""
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    tz = ZoneInfo(data.timezone)
    st = Styles(wb, data.bands)
    wb.set_properties(
        {
            "title": f"Evaluasi Renja {data.period.title_id}",
            "company": data.catalogue.opd.name,
            "created": datetime.now(),
        }
    )
    _e81_sheet(wb, st, data)
    _evaluation_sheet(wb, st, data)
    _monthly_sheet(wb, st, data, tz)
    _status_sheet(wb, st, data, tz)
    wb.close()
    return buffer.getvalue()
