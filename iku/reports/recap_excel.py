"""Excel twin of the kabupaten recap: Ringkasan (one row per OPD), IKU (every
OPD's indicators) and Penyampaian (each bidang's reporting rate)."""

from __future__ import annotations

import io

from iku.domain.achievement import Average
from iku.domain.recap import ReportingRate

from .recap import RecapData
from .workbook import Styles, new_workbook, print_setup, put_number, put_predicate, put_text


def render_recap_excel(data: RecapData) -> bytes:
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    st = Styles(wb, data.bands)
    _summary(wb.add_worksheet("Ringkasan"), data, st)
    _indicators(wb.add_worksheet("IKU"), data, st)
    _submissions(wb.add_worksheet("Penyampaian"), data, st)
    if data.rpjmd:  # the kabupaten's own IKU, when config/rpjmd.yaml names them
        _rpjmd(wb.add_worksheet("IKU Kabupaten"), data, st)
    wb.close()
    return buffer.getvalue()


def _title(ws, data: RecapData, st: Styles, width: int) -> None:
    ws.merge_range(0, 0, 0, width - 1, data.title, st.title)
    ws.merge_range(1, 0, 1, width - 1, data.region, st.subtitle)


def _header(ws, row: int, names: list[str], st: Styles) -> None:
    for col, name in enumerate(names):
        ws.write_string(row, col, name, st.header)


def _average_and_rate(ws, row: int, col: int, avg: Average, rate: ReportingRate, st: Styles) -> None:
    """The average and its predicate, then (a column apart) the reporting rate's five cells."""
    put_number(ws, row, col, avg.pct, st, st.pct, "-")
    put_predicate(ws, row, col + 1, avg.predicate, st)
    for k, value in enumerate((rate.expected, rate.received, rate.on_time)):
        put_number(ws, row, col + 3 + k, value, st)
    put_number(ws, row, col + 6, rate.reporting_pct, st, st.pct, "-")
    put_number(ws, row, col + 7, rate.on_time_pct, st, st.pct, "-")


def _figures(
    ws, row: int, col: int, figures: tuple[float | None, float | None, float | None, str | None], st: Styles
) -> None:
    """Target, realisation, capaian and predicate from `col` on."""
    target, realisation, pct, verdict = figures
    put_number(ws, row, col, target, st, empty="target belum ditetapkan")
    put_number(ws, row, col + 1, realisation, st, empty="-")
    put_number(ws, row, col + 2, pct, st, st.pct, "-")
    put_predicate(ws, row, col + 3, verdict, st)


def _budget_cells(ws, row: int, col: int, budget, st: Styles, why: str) -> None:
    """Pagu, realisasi and penyerapan; "–" and the reason where the OPD has no budget data."""
    if budget is None:
        put_text(ws, row, col, "–", st.center)
        put_text(ws, row, col + 1, "–", st.center)
        put_text(ws, row, col + 2, why, st.text)
        return
    put_number(ws, row, col, budget["pagu"], st, st.rupiah)
    put_number(ws, row, col + 1, budget["realisation"], st, st.rupiah)
    put_number(ws, row, col + 2, budget["absorption_pct"], st, st.pct)


def _summary(ws, data: RecapData, st: Styles) -> None:
    labels = [label for label, _ in data.distribution]
    names = ["No", "Perangkat daerah", "Kode", "Jumlah IKU", *labels, "Rata-rata capaian (%)"]
    names += ["Predikat rata-rata", "IKU tanpa target", "Diharapkan", "Diterima", "Tepat waktu"]
    names += ["% diterima", "% tepat waktu", "Pagu (Rp)", "Realisasi anggaran (Rp)", "Penyerapan (%)"]
    money = len(names) - 3
    _title(ws, data, st, len(names))
    _header(ws, 3, names, st)
    row = 4
    for i, o in enumerate(data.opds, start=1):
        _, avg = o.headline
        counts = dict(o.distribution)
        cells: list = [i, o.name, o.code, len(o.report.rows), *(counts.get(label, 0) for label in labels)]
        for col, value in enumerate(cells):
            if isinstance(value, str):
                put_text(ws, row, col, value, st.text)
            else:
                put_number(ws, row, col, value, st)
        _average_and_rate(ws, row, len(cells), avg, o.rate, st)
        put_text(ws, row, len(cells) + 2, ", ".join(o.without_target) or "-", st.text)
        _budget_cells(ws, row, money, o.budget, st, o.budget_why)
        row += 1
    put_text(ws, row, 1, "Kabupaten", st.bold)
    put_number(ws, row, 3, data.indicators, st)
    totals = dict(data.distribution)
    for k, label in enumerate(labels):
        put_number(ws, row, 4 + k, totals.get(label, 0), st)
    _average_and_rate(ws, row, 4 + len(labels), data.average, data.rate, st)
    _budget_cells(ws, row, money, data.budget, st, "belum ada data realisasi anggaran")
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 40)
    ws.set_column(2, len(names) - 1, 12)
    print_setup(ws, 3, 3)


def _indicators(ws, data: RecapData, st: Styles) -> None:
    names = ["Perangkat daerah", "Kode", "Indikator", "Satuan", f"Target {data.period.year}"]
    names += [f"Realisasi s.d. {data.period.title_id}", "Capaian (%)", "Predikat", "Keterangan"]
    _title(ws, data, st, len(names))
    _header(ws, 3, names, st)
    row = 4
    for o in data.opds:
        for r in o.report.rows:
            a = r.achievement
            put_text(ws, row, 0, o.name, st.text)
            put_text(ws, row, 1, r.indicator.code, st.text)
            put_text(ws, row, 2, r.indicator.name, st.text)
            put_text(ws, row, 3, r.indicator.unit, st.text)
            _figures(ws, row, 4, (a.target, a.realisation, a.achievement_pct, r.verdict), st)
            put_text(ws, row, 8, "; ".join(a.flags), st.flag)
            row += 1
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 9)
    ws.set_column(2, 2, 50)
    ws.set_column(3, 8, 14)
    print_setup(ws, 3, 3)


def _submissions(ws, data: RecapData, st: Styles) -> None:
    names = ["Perangkat daerah", "Bidang", "Diharapkan", "Tepat waktu", "Terlambat", "Tidak valid"]
    names += ["Belum masuk", "Menunggu", "% diterima", "% tepat waktu"]
    _title(ws, data, st, len(names))
    _header(ws, 3, names, st)
    row = 4
    for o in data.opds:
        for _, name, rate in o.bidang_rates:
            put_text(ws, row, 0, o.name, st.text)
            put_text(ws, row, 1, name, st.text)
            counts = (rate.expected, rate.on_time, rate.late, rate.invalid, rate.missing, rate.pending)
            for k, value in enumerate(counts):
                put_number(ws, row, 2 + k, value, st)
            put_number(ws, row, 8, rate.reporting_pct, st, st.pct, "-")
            put_number(ws, row, 9, rate.on_time_pct, st, st.pct, "-")
            row += 1
    ws.set_column(0, 1, 34)
    ws.set_column(2, 9, 12)
    print_setup(ws, 3, 3)


def _rpjmd(ws, data: RecapData, st: Styles) -> None:
    """One row per kabupaten IKU, then one per OPD indicator feeding it."""
    names = ["Kode", "Indikator", "Satuan", f"Target {data.period.year}"]
    names += [
        f"Realisasi s.d. {data.period.title_id}",
        "Capaian (%)",
        "Predikat",
        "Cara hitung",
        "Keterangan",
    ]
    if data.rpjmd_planned:  # appended, so the columns before keep their places
        names += [
            f"Rencana Aksi s.d. {data.period.title_id}",
            "Capaian thd Rencana Aksi (%)",
            "Predikat thd Rencana Aksi",
        ]
    _title(ws, data, st, len(names))
    _header(ws, 3, names, st)
    row = 4
    for k in data.rpjmd:
        res = k.result
        put_text(ws, row, 0, k.indicator.code, st.bold)
        put_text(ws, row, 1, k.indicator.name, st.bold)
        put_text(ws, row, 2, k.indicator.unit, st.text)
        _figures(
            ws, row, 3, (res.target, res.realisation, res.achievement_pct, res.verdict or res.predicate), st
        )
        put_text(ws, row, 7, k.rule_text, st.text)
        put_text(ws, row, 8, res.why or "", st.flag)
        if data.rpjmd_planned:
            put_number(ws, row, 9, res.target_quarter, st, empty="belum ditetapkan")
            put_number(ws, row, 10, res.achievement_quarter_pct, st, st.pct, "-")
            put_predicate(ws, row, 11, res.predicate_quarter, st)
        row += 1
        for f in k.feeds:
            put_text(ws, row, 0, f.feed.ref, st.text)
            put_text(ws, row, 1, f"{f.opd_name}: {f.name}", st.text)
            put_text(ws, row, 2, f.unit, st.text)
            put_number(ws, row, 4, f.feed.realisation, st, empty="belum ada data")
            row += 1
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 55)
    ws.set_column(2, 6, 14)
    ws.set_column(7, 8, 40)
    ws.set_column(9, 11, 14)
    print_setup(ws, 3, 3)
