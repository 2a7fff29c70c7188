"""Excel twin of the report: Tabel E.81 (iku.reports.e81), the evaluation of
each indicator's capaian, the monthly data with its source file and the
submission status."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from iku import formatting as fmt
from iku.domain.achievement import Achievement, round2
from iku.domain.periods import month_name
from iku.formatting import STATUS_LABELS

from .e81 import e81_sheet
from .model import IndicatorReport, ReportData
from .workbook import (
    ROMAN,
    Styles,
    month_notes,
    new_workbook,
    print_setup,
    put_number,
    put_predicate,
    put_text,
    row_height,
    signature,
)


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
    signature(ws, st, data, row + 1, last - 3, last)
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
            ("Dasar proyeksi", 14),
        ]
    else:
        cols += [(f"Realisasi TW {r}", 10) for r in ROMAN]
        cols += [(f"Realisasi {year}", 10), ("Tingkat capaian (%)", 10), ("Predikat", 12)]
    return cols + [
        ("Sumber target", 11),
        ("Pagu program (Rp)", 15),
        (f"Realisasi anggaran s.d. {end} (Rp)", 15),
        ("Penyerapan anggaran (%)", 11),
        ("Indeks efisiensi", 10),
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
    _budget_figures(ws, st, r, row, bidang_col - 5)
    put_text(ws, row, bidang_col, r.bidang_name, st.text)
    cells = [
        "\n".join(month_notes(r.supporting)),
        "\n".join(month_notes(r.inhibiting)),
        "\n".join(month_notes(r.follow_up)),
        "\n".join(list(a.flags) + month_notes(r.notes) + _budget_words(data, r)),
    ]
    for i, text in enumerate(cells):
        put_text(ws, row, bidang_col + 1 + i, text, st.flag if i == 3 and a.flags else st.fill_text)
    ws.set_row(row, row_height((ind.name, 34), (r.bidang_name, 14), *((t, 30) for t in cells)))


def _budget_words(data: ReportData, r: IndicatorReport) -> list[str]:
    """Keterangan of the Rp side: the efficiency label, or why there is no index
    (said only where the catalogue has programs at all)."""
    if r.efficiency_index is not None:
        return [f"Indeks efisiensi {fmt.fixed(r.efficiency_index)} ({r.efficiency_label})"]
    why = r.why_no_efficiency()
    return [f"Indeks efisiensi tidak dihitung: {why}"] if why and data.budget.has_programs else []


def _budget_figures(ws, st: Styles, r: IndicatorReport, row: int, c: int) -> None:
    """Where the target comes from, then the Rp side beside the K: pagu,
    realisasi, penyerapan and the efficiency index, "–" where missing (the reason
    in Keterangan)."""
    choice = r.target_choice
    source = f"PK ({choice.revision_label})" if choice and choice.target_source == "pk" else "Renstra"
    put_text(ws, row, c, source, st.center)
    b = r.budget or {}
    put_number(ws, row, c + 1, b.get("pagu"), st, st.rupiah, empty="–")
    put_number(ws, row, c + 2, b.get("realisation"), st, st.rupiah, empty="–")
    put_number(ws, row, c + 3, b.get("absorption_pct"), st, st.pct, empty="–")
    put_number(ws, row, c + 4, r.efficiency_index, st, st.dec, empty="–")


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
        # a forecast is no verdict (issue 17 N3): what it rests on instead of a predicate
        basis = a.projection_basis.label if a.projection_basis and a.projected_pct is not None else None
        put_text(ws, row, c + 8, basis, st.center)
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


def _evidence_sheet(wb, st: Styles, data: ReportData, tz: ZoneInfo) -> None:
    """The bukti dukung of each indicator's months (CONTRACT §12), then the
    months an indicator requiring evidence has none."""
    ws = wb.add_worksheet("Bukti Dukung")
    widths = [12, 40, 12, 40, 18, 66, 44]
    for col, (h, w) in enumerate(
        zip(
            ["Kode", "Indikator", "Bulan", "Berkas", "Diunggah", "SHA-256", "Tautan portal"],
            widths,
            strict=True,
        )
    ):
        ws.set_column(col, col, w)
        ws.write_string(0, col, h, st.header)
    names = {i.code: i.name for i in data.catalogue.indicators}
    row = 0
    for code, items in sorted(data.sakip.evidence.items()):
        for e in items:
            row += 1
            for col, text in enumerate([code, names.get(code, ""), month_name(e.month), e.file_name]):
                put_text(ws, row, col, text, st.text)
            ws.write_datetime(row, 4, e.uploaded_at.astimezone(tz).replace(tzinfo=None), st.when)
            put_text(ws, row, 5, e.sha256, st.text)
            put_text(ws, row, 6, e.url, st.text)
    if row == 0:
        put_text(ws, 1, 0, "Belum ada bukti dukung untuk periode ini.", st.text)
        row = 1
    for code, months in sorted(data.sakip.evidence_missing.items()):
        row += 1
        put_text(ws, row, 0, code, st.text)
        put_text(ws, row, 1, names.get(code, ""), st.text)
        put_text(ws, row, 2, ", ".join(month_name(m) for m in months), st.text)
        put_text(ws, row, 3, "bukti dukung wajib belum ada", st.text)
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
    e81_sheet(wb, st, data)
    _evaluation_sheet(wb, st, data)
    _monthly_sheet(wb, st, data, tz)
    _status_sheet(wb, st, data, tz)
    _evidence_sheet(wb, st, data, tz)
    wb.close()
    return buffer.getvalue()
