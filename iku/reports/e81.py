"""Tabel E.81 (Permendagri 86/2017, Evaluasi terhadap hasil Renja Perangkat
Daerah), the report workbook's first sheet: header, one row per indicator, the
Renstra rule note, and the regulation's closing rows."""

from __future__ import annotations

from dataclasses import dataclass

from iku import formatting as fmt
from iku.domain import budget as money
from iku.domain.achievement import round2
from iku.domain.periods import month_name

from .budget_view import NO_BUDGET_DATA, NO_EARLIER_BUDGET, NO_PROGRAMS, NO_RENSTRA_PAGU
from .model import IndicatorReport, ReportData
from .workbook import (
    FONT_POINTS,
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
# of 6-15 has a realisation (K) and a budget (Rp) half. The Rp halves come from
# the budget sheets (CONTRACT §11); where the catalogue maps no program to an
# indicator they stay yellow, for the evaluator to fill.
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
K_WIDTH, RP_WIDTH = 5.0, 7.2
E81_WIDTHS = [3, 10, 18, 18, 7] + [K_WIDTH, RP_WIDTH] * len(E81_PAIRS) + [9, 12]
E81_LAST = len(E81_WIDTHS) - 1  # column 17, Keterangan
RP_FORMAT = "#,##0.00,,"  # the cell holds rupiah; two trailing commas show it in millions (juta)

# Paper (pipeline.yaml reports.e81_paper): xlsxwriter's paper index and the
# landscape width in mm. Index 14 is "Folio 8 1/2 x 13 in" (215.9 x 330.2 mm),
# the F4 of Indonesian offices; 8 is A3 (297 x 420 mm).
PAPERS = {"f4": (14, 330.2), "a3": (8, 420.0)}
SIDE_MARGIN_IN = 0.25
MIN_POINTS = 7.0


def column_px(width: float) -> int:
    """A column's width in pixels as xlsxwriter writes it (Calibri 11: 7 px per unit + 5 px padding)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def print_scale(paper: str) -> float:
    """The scale "fit to one page wide" prints at: the printable width over the
    table's. At 96 px per inch the 27 columns are sum(column_px) = 1524 px =
    403.2 mm; F4 landscape leaves 330.2 - 2 x 6.35 = 317.5 mm, so the scale is
    0.787 and Arial 9 prints at 9 x 0.787 = 7.09 pt (>= MIN_POINTS); on A3
    (407.3 mm) the table fits at 100 %. Widening a column breaks this: the
    test tests/reports/test_e81_budget.py holds it."""
    _, width_mm = PAPERS[paper]
    printable = width_mm - 2 * SIDE_MARGIN_IN * 25.4
    natural = sum(column_px(w) for w in E81_WIDTHS) * 25.4 / 96
    return min(1.0, printable / natural)


def e81_sheet(wb, st: Styles, data: ReportData) -> None:
    ws = wb.add_worksheet("Tabel E.81")
    rp = _RpFormats(wb, st)
    _e81_header(ws, st, data)
    row = _e81_rows(ws, st, rp, data)
    row = _e81_rule_note(ws, st, data, row)
    row = _e81_closing(ws, st, rp, data, row)
    signature(ws, st, data, row + 1, E81_LAST - 5, E81_LAST)
    ws.freeze_panes(FIRST_DATA_ROW, 4)
    print_setup(
        ws,
        HEADER_ROW,
        HEADER_ROW + 2,
        paper=PAPERS[data.e81_paper][0],
        side=SIDE_MARGIN_IN,
        footer_points=FONT_POINTS,
    )


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
    # the header row as tall as its longest label wraps in its (narrow) column
    labels = [(label, E81_WIDTHS[col]) for col, _, label in singles + ends]
    labels += [(text, K_WIDTH + RP_WIDTH) for _, text in E81_PAIRS]
    ws.set_row(h0, row_height(*labels, minimum=60))


class _RpFormats:
    """The Rp cells: rupiah shown in millions, and the percentage of column 15."""

    def __init__(self, wb, st: Styles):
        self.money = wb.add_format({**st.base, "num_format": RP_FORMAT, "border": 1})
        self.pct = st.pct
        self.avg = wb.add_format({**st.base, "num_format": '0.00" %"', "border": 1, "bold": True})


@dataclass(frozen=True)
class RpHalf:
    """The Rp halves of one indicator's row (columns 6-15, rupiah; 15 in %),
    and why a figure is missing. `mapped`: some program lists the indicator."""

    values: tuple[float | None, ...]
    mapped: bool
    notes: tuple[str, ...] = ()


def rp_half(data: ReportData, r: IndicatorReport) -> RpHalf:
    """Column 6: the Renstra's pagu over the years it is configured for; 7: the
    realisasi of the earlier Renstra years (their December figures, only when
    every one has them); 8: the pagu of the year as it stands; 9-12: the
    realisasi within each triwulan through the period's; 13: the realisasi
    through the period's end; 14: 7 + 13; 15: realisasi ÷ pagu × 100 (13 ÷ 8)."""
    b, code = data.budget, r.indicator.code
    mine = money.programs_of(b.programs, code)
    if not mine:
        return RpHalf((None,) * 10, False, (f"Rp: {NO_PROGRAMS}",) if b.has_programs else ())
    start, end = data.catalogue.opd.renstra_period
    year, notes = data.period.year, []
    renstra_years = [y for y in range(start, end + 1) if money.indicator_pagu_renstra(b.programs, code, y)]
    col6 = sum(money.indicator_pagu_renstra(b.programs, code, y) or 0 for y in renstra_years) or None
    if col6 is None:
        notes.append(f"Rp kolom 6: {NO_RENSTRA_PAGU}")
    elif len(renstra_years) < end - start + 1:
        notes.append(f"Rp kolom 6: pagu Renstra tahun {', '.join(map(str, renstra_years))} saja")
    col7: float | None = None
    earlier = range(start, year)
    if all(y in b.earlier_years for y in earlier) and year > start:
        sums = [money.indicator_budget(b.programs, b.earlier_years[y], code) for y in earlier]
        col7 = sum((s["realisation"] or 0) for s in sums if s) if all(sums) else None
    if col7 is None and year > start:
        notes.append(f"Rp kolom 7 dan 14: {NO_EARLIER_BUDGET}")
    budget = r.budget
    if budget is None:
        notes.append(f"Rp kolom 8–15: {r.budget_note or NO_BUDGET_DATA}")
        return RpHalf((col6, col7) + (None,) * 8, True, tuple(notes))
    last_q = data.period.quarter or 4
    quarters = money.indicator_quarter_realisation(b.programs, b.by_month, code)
    quarters = [q if i < last_q else None for i, q in enumerate(quarters)]
    col13 = budget["realisation"]
    col14 = (col7 + col13) if col7 is not None and col13 is not None else (col13 if year == start else None)
    values = (col6, col7, budget["pagu"], *quarters, col13, col14, budget["absorption_pct"])
    return RpHalf(values, True, tuple(notes))


def _e81_rows(ws, st: Styles, rp: _RpFormats, data: ReportData) -> int:
    """One row per indicator, the sasaran merged down its group; the row after the last."""
    row, no = FIRST_DATA_ROW, 0
    for group in data.groups:
        first = row
        for r in group.rows:
            no += 1
            _e81_row(ws, st, rp, data, r, row, no, group.sasaran)
            row += 1
        if row - first > 1:
            ws.merge_range(first, 1, row - 1, 1, "", st.text)
        put_text(ws, first, 1, group.sasaran, st.text)
    return row


def programs_text(r: IndicatorReport) -> str:
    """Column 3: each program listing the indicator, its supporting kegiatan indented."""
    lines = []
    for p in r.programs:
        lines.append(f"{p['code']} {p['name']}")
        lines += [f"  {k['code']} {k['name']}" for k in p["kegiatan"]]
    return "\n".join(lines)


def target_note(r: IndicatorReport) -> str | None:
    """Keterangan of a PK target: which revision, and the Renstra's beside it."""
    c = r.target_choice
    if c is None or c.target_source != "pk":
        return None
    when = f", {fmt.day(c.revision_date)}" if c.revision_date else ""
    return f"Target kolom 8: {c.revision_label}{when}; target Renstra {fmt.num(c.target_renstra)}"


def _e81_row(
    ws, st: Styles, rp: _RpFormats, data: ReportData, r: IndicatorReport, row: int, no: int, sasaran: str
) -> None:
    a, ind, rs, before, last = r.achievement, r.indicator, r.renstra, r.renstra_before, E81_LAST
    assert rs is not None  # the report model sets the Renstra progress of every row
    ws.write_number(row, 0, no, st.center)
    programs = programs_text(r)
    if programs:
        put_text(ws, row, 2, programs, st.text)
    else:
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
    half = rp_half(data, r)
    for i, value in enumerate(k):
        col = 5 + 2 * i
        if i == 9:
            put_number(ws, row, col, value, st, st.pct)
        else:
            put_number(ws, row, col, value, st, empty="belum ditetapkan" if i in (0, 2) else "")
        _rp_cell(ws, st, rp, row, col + 1, half, i)
    put_text(ws, row, last - 1, r.bidang_name, st.text)
    ket = "\n".join(
        list(a.flags)
        + ([rs.note] if rs.note else [])
        + [n for n in (target_note(r),) if n]
        + list(half.notes)
    )
    put_text(ws, row, last, ket, st.flag if ket else st.text)
    ws.set_row(
        row, row_height((name, 18), (programs, 18), (r.bidang_name, 9), (ket, 12), (sasaran, 10), minimum=24)
    )


def _rp_cell(ws, st: Styles, rp: _RpFormats, row: int, col: int, half: RpHalf, i: int) -> None:
    """An Rp figure; "–" where it cannot be given (the reason is in Keterangan);
    yellow, for the evaluator, where no program is mapped to the indicator."""
    value = half.values[i]
    if not half.mapped:
        ws.write_blank(row, col, None, st.fill)
    elif value is None:
        put_text(ws, row, col, fmt.DASH, st.center)
    else:
        put_number(ws, row, col, value, st, rp.pct if i == 9 else rp.money)


def _e81_rule_note(ws, st: Styles, data: ReportData, row: int) -> int:
    """Which Renstra rule columns 6, 7, 14 and 15 follow, per indicator; the next row."""
    by_rule: dict[str, list[str]] = {}
    for r in data.rows:
        if r.renstra is not None:
            by_rule.setdefault(r.renstra.rule, []).append(r.indicator.code)
    rules = "; ".join(f"{', '.join(codes)}: {rule}" for rule, codes in by_rule.items())
    note = f"Kolom 6, 7, 14 dan 15 (tanpa predikat: capaian Renstra belum akhir periode). {rules}."
    ws.merge_range(row, 0, row, E81_LAST, note, st.note)
    ws.set_row(row, row_height((note, 180)))
    row += 1
    month = data.budget.month
    through = f"s.d. {month_name(month)} {data.period.year}" if month else "belum ada data anggaran"
    money_note = (
        "Kolom Rp dalam juta rupiah (nilai sel dalam rupiah penuh), dari laporan realisasi anggaran "
        f"({through}), dijumlah atas program yang mendukung indikator: 6 = pagu Renstra; 7 = realisasi "
        "anggaran tahun-tahun Renstra sebelumnya; 8 = pagu tahun berjalan sebagaimana berlaku; 9–12 = "
        "realisasi dalam tiap triwulan; 13 = realisasi s.d. akhir periode; 14 = 7 + 13; 15 = realisasi ÷ "
        "pagu × 100 (penyerapan anggaran). Target K kolom 8 adalah target Perjanjian Kinerja bila ada"
        + (f" (berlaku {fmt.day(data.target_day)})" if data.target_day else "")
        + ", selain itu target Renstra."
    )
    ws.merge_range(row, 0, row, E81_LAST, money_note, st.note)
    ws.set_row(row, row_height((money_note, 180)))
    return row + 1


CAPAIAN_COL = 5 + 2 * 7  # column 13 K: the Renja's capaian; its Rp half beside it


def _e81_closing(ws, st: Styles, rp: _RpFormats, data: ReportData, row: int) -> int:
    """The regulation's closing rows: the headline average under the capaian
    columns (13 K; the OPD's absorption under 13 Rp), the predicate, causes and
    follow-up, pre-filled with the bidang's words and left editable (yellow)."""
    last, span, col = E81_LAST, sum(E81_WIDTHS[5:]), CAPAIAN_COL
    label, avg = data.headline_average()
    total = data.opd_budget()
    absorption = total["absorption_pct"] if total else None
    remark = f"{label}: {avg.describe()}"
    money_remark = (
        f"Penyerapan anggaran OPD {fmt.pct(absorption)}"
        if absorption is not None
        else f"Rp: {NO_BUDGET_DATA}"
    )
    ws.merge_range(row, 0, row, 4, "Rata-rata capaian kinerja (%)", st.bold)
    ws.merge_range(row, 5, row, col - 1, remark, st.text)
    put_number(ws, row, col, avg.pct, st, rp.avg)
    put_number(ws, row, col + 1, absorption, st, rp.avg)
    ws.merge_range(row, col + 2, row, last, money_remark, st.text)
    ws.set_row(row, row_height((remark, 60), (money_remark, 40)))
    row += 1
    verdict = avg.predicate or ("sementara (belum akhir tahun)" if avg.pct is not None else "–")
    ws.merge_range(row, 0, row, 4, "Predikat kinerja", st.bold)
    ws.merge_range(row, 5, row, col - 1, "", st.text)
    ws.merge_range(row, col, row, col + 1, "", st.center)
    put_predicate(ws, row, col, verdict, st)
    ws.merge_range(row, col + 2, row, last, "", st.text)
    ws.set_row(row, row_height((verdict, 12)))
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
        (
            "Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya",
            # at the year's end the tindak lanjut still open go into next year's Renja
            [t for r in rows for t in month_notes(r.follow_up, r.indicator.code)]
            if data.period.end_month == 12
            else [],
        ),
    ]
    for title, lines in texts:
        body = "\n".join(lines)
        ws.merge_range(row, 0, row, 4, title, st.bold_wrap)
        ws.merge_range(row, 5, row, last, "", st.fill_text)
        put_text(ws, row, 5, body, st.fill_text)
        ws.set_row(row, row_height((body, span), (title, sum(E81_WIDTHS[:5])), minimum=30))
        row += 1
    return row
