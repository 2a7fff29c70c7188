"""Excel twin of the report, laid out as Permendagri 86/2017 Tabel E.81
(Evaluasi terhadap hasil Renja Perangkat Daerah), plus the monthly data with
its source file and the submission status.

Every text a person typed (keterangan, file names) goes through write_string:
a note beginning with =, +, - or @ stays text and never becomes a formula."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import xlsxwriter

from iku.domain.achievement import predicate, round2
from iku.domain.periods import month_name

from .model import STATUS_COLOURS, STATUS_LABELS, ReportData, predicate_colour

ROMAN = ["I", "II", "III", "IV"]
HEADER_ROW = 4  # first of the two header rows (0-based)
FIRST_DATA_ROW = 7  # after the two header rows and the column-number row
LAST_COL = 14  # A..O


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
        self.pred = {
            b.label: wb.add_format(
                {
                    **base,
                    "bold": True,
                    "align": "center",
                    "border": 1,
                    "bg_color": predicate_colour(b.label, list(bands)),
                }
            )
            for b in bands
        }
        self.status = {
            k: wb.add_format(
                {
                    **base,
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
    if value is None:
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


def _evaluation_sheet(wb, st: Styles, data: ReportData) -> None:
    cat, year = data.catalogue, data.period.year
    ws = wb.add_worksheet("Evaluasi Renja")
    widths = [5, 28, 40, 10, 12, 12, 10, 10, 10, 10, 13, 11, 13, 22, 34]
    for col, w in enumerate(widths):
        ws.set_column(col, col, w)
    ws.merge_range(0, 0, 0, LAST_COL, "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH", st.title)
    ws.merge_range(1, 0, 1, LAST_COL, f"{cat.opd.name} {cat.opd.region}", st.subtitle)
    ws.merge_range(2, 0, 2, LAST_COL, f"Periode pelaksanaan: {data.period.title_id}", st.subtitle)

    h0, h1 = HEADER_ROW, HEADER_ROW + 1
    end_label = f"s.d. TW {ROMAN[data.period.quarter - 1]}" if data.is_quarterly else "s.d. Desember"
    single = [
        (0, "No"),
        (1, "Sasaran"),
        (2, "Indikator Kinerja"),
        (3, "Satuan"),
        (4, f"Target akhir Renstra ({data.renstra_end_year})"),
        (5, f"Target tahun berjalan ({year})"),
        (10, f"Realisasi tahun berjalan ({end_label})"),
        (11, "Tingkat capaian (%)"),
        (12, "Predikat"),
        (13, "Bidang penanggung jawab"),
        (14, "Keterangan"),
    ]
    for col, label in single:
        ws.merge_range(h0, col, h1, col, label, st.header)
    ws.merge_range(h0, 6, h0, 9, "Realisasi Kinerja pada Triwulan", st.header)
    for i, r in enumerate(ROMAN):
        ws.write_string(h1, 6 + i, r, st.header)
    for col in range(LAST_COL + 1):
        ws.write_number(h1 + 1, col, col + 1, st.colno)
    ws.set_row(h0, 30)
    ws.set_row(h1, 30)

    row, no = FIRST_DATA_ROW, 0
    pcts = []
    for group in data.groups:
        first = row
        for r in group.rows:
            no += 1
            a, ind = r.achievement, r.indicator
            ws.write_number(row, 0, no, st.center)
            put_text(ws, row, 2, f"{ind.name} ({ind.code})", st.text)
            put_text(ws, row, 3, ind.unit, st.center)
            put_number(ws, row, 4, r.renstra_target, st, empty="belum ditetapkan")
            put_number(ws, row, 5, a.target, st, empty="belum ditetapkan")
            for q in range(1, 5):
                put_number(ws, row, 5 + q, round2(a.quarters[q]), st)
            put_number(ws, row, 10, round2(a.realisation), st)
            put_number(ws, row, 11, a.achievement_pct, st, st.pct)
            put_predicate(ws, row, 12, a.predicate, st)
            put_text(ws, row, 13, r.bidang_name, st.text)
            keterangan = list(a.flags) + [f"{month_name(n.month)}: {n.text}" for n in r.notes]
            put_text(ws, row, 14, "\n".join(keterangan), st.flag if a.flags else st.text)
            if a.achievement_pct is not None:
                pcts.append(a.achievement_pct)
            row += 1
        if row - first > 1:
            ws.merge_range(first, 1, row - 1, 1, "", st.text)
        put_text(ws, first, 1, group.sasaran, st.text)

    # E.81 footer: the average achievement and its predicate
    avg = round(sum(pcts) / len(pcts), 2) if pcts else None
    ws.merge_range(row, 0, row, 10, "Rata-rata tingkat capaian kinerja", st.bold)
    put_number(ws, row, 11, avg, st, st.pct)
    put_predicate(ws, row, 12, predicate(avg, data.bands), st)
    ws.merge_range(row, 13, row, 14, "", st.text)
    ws.merge_range(row + 1, 0, row + 1, 10, "Predikat kinerja", st.bold)
    ws.merge_range(row + 1, 11, row + 1, 14, "", st.center)
    put_predicate(ws, row + 1, 11, predicate(avg, data.bands) or "–", st)
    ws.freeze_panes(FIRST_DATA_ROW, 3)
    print_setup(ws, h0, h1 + 1)


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
        "Berkas sumber",
        "SHA-256",
        "Revisi",
        "Diterima",
    ]
    for col, (h, w) in enumerate(zip(headers, [9, 40, 14, 7, 11, 11, 11, 11, 40, 30, 66, 7, 16])):
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
        put_text(ws, row, 8, v.note, st.text)
        put_text(ws, row, 9, v.file_name, st.text)
        put_text(ws, row, 10, v.sha256, st.text)
        ws.write_number(row, 11, v.revision, st.center)
        ws.write_datetime(row, 12, v.received_at.astimezone(tz).replace(tzinfo=None), st.when)
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
    _evaluation_sheet(wb, st, data)
    _monthly_sheet(wb, st, data, tz)
    _status_sheet(wb, st, data, tz)
    wb.close()
    return buffer.getvalue()
