"""Tabel E.81 (Permendagri 86/2017, Evaluasi terhadap hasil Renja Perangkat
Daerah), the report workbook's first sheet: header, one row per indicator, the
Renstra rule note, and the regulation's closing rows."""

from __future__ import annotations

from iku.domain.achievement import round2

from .model import IndicatorReport, ReportData
from .workbook import (
    ROMAN,
    Styles,
    month_notes,
    print_setup,
    put_number,
    put_predicate,
    put_text,
    row_height,
    signature,
)

HEADER_ROW = 4  # first of the two header rows (0-based)
FIRST_DATA_ROW = 7  # after the two header rows and the column-number row


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


def e81_sheet(wb, st: Styles, data: ReportData) -> None:
    ws = wb.add_worksheet("Tabel E.81")
    _e81_header(ws, st, data)
    row = _e81_rows(ws, st, data)
    row = _e81_rule_note(ws, st, data, row)
    row = _e81_closing(ws, st, data, row)
    signature(ws, st, data, row + 1, E81_LAST - 5, E81_LAST)
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
            [t for r in rows for t in month_notes(r.supporting, r.indicator.code)],
        ),
        (
            "Faktor penghambat pencapaian kinerja",
            [t for r in rows for t in month_notes(r.inhibiting, r.indicator.code)],
        ),
        (
            "Tindak lanjut yang diperlukan dalam triwulan berikutnya",
            [t for r in rows for t in month_notes(r.follow_up, r.indicator.code)],
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
