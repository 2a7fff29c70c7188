"""The kabupaten's LKjIP feed as a workbook: its IKU year by year against the
RPJMD targets (IKU Kabupaten), then the OPD figures each was computed from
(Sumber OPD), A4 landscape like the OPD feed."""

from __future__ import annotations

import io

from iku.domain.achievement import round2
from iku.domain.periods import month_name
from iku.domain.renstra import SOURCE_LABELS
from iku.formatting import num

from .lakip_excel import IDENT, Grid
from .lakip_kabupaten import KabupatenLakipData
from .workbook import Styles, new_workbook, put_predicate


def render_kabupaten_lakip_excel(data: KabupatenLakipData) -> bytes:
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    st = Styles(wb, data.bands)
    _indicators(wb, st, data)
    _sources(wb, st, data)
    _causes(wb, st, data)
    _budgets(wb, st, data)
    wb.close()
    return buffer.getvalue()


def _indicators(wb, st: Styles, data: KabupatenLakipData) -> None:
    columns = list(IDENT)
    for yr in data.years:
        columns += [(f"Target {yr}", 10), (f"Realisasi {yr}", 10), (f"Capaian {yr} (%)", 10)]
    columns += [
        (f"Predikat {data.year}", 13),
        ("Target akhir RPJMD", 12),
        ("Cara hitung", 34),
        (f"Keterangan {data.year}", 28),
    ]
    g = Grid(
        wb,
        st,
        "IKU Kabupaten",
        f"Capaian Indikator Kinerja Utama Kabupaten Tahun {data.year} dan Tahun-tahun Sebelumnya",
        f"{data.region}. Dihitung dari indikator perangkat daerah (lembar Sumber OPD).",
        columns,
    )
    last = 4 + 3 * len(data.years)
    for no, r in enumerate(data.rows, start=1):
        g.next_row()
        g.ident(no, r.indicator)
        by_year = {y.year: y for y in r.years}
        for k, yr in enumerate(data.years):
            res = by_year[yr].result if yr in by_year else None
            col = 4 + 3 * k
            g.number(col, res.target if res else None, empty="belum ditetapkan" if res else "-")
            g.number(col + 1, round2(res.realisation) if res else None, empty="-")
            g.number(col + 2, res.achievement_pct if res else None, st.pct, "-")
        current = by_year.get(data.year)
        put_predicate(g.ws, g.row, last, current.result.predicate if current else None, st)
        end = r.end_target
        g.text(last + 1, f"{num(end[1])} ({end[0]})" if end else "belum ditetapkan", st.center)
        g.text(last + 2, r.rule_text)
        g.text(last + 3, current.result.why if current else "belum ada data", st.flag)
    g.finish_row()


def _sources(wb, st: Styles, data: KabupatenLakipData) -> None:
    columns = [("IKU kabupaten", 11), ("Sumber", 22), ("Perangkat daerah", 28), ("Indikator", 40)]
    columns += [("Satuan", 10), ("Bobot", 7)]
    columns += [(f"Realisasi {yr}", 11) for yr in data.years]
    columns.append(("Sumber data per tahun", 34))
    g = Grid(
        wb,
        st,
        "Sumber OPD",
        f"Indikator Perangkat Daerah yang Membentuk IKU Kabupaten, Tahun {data.years[0] if data.years else data.year}"
        f"–{data.year}",
        "Angka setiap tahun sama dengan bahan LKjIP perangkat daerah itu sendiri (lembar bulanan atau data historis).",
        columns,
    )
    for r in data.rows:
        for i, s in enumerate(r.sources):
            g.next_row()
            g.text(0, r.indicator.code, st.center)
            g.text(1, s.ref)
            g.text(2, s.opd_name)
            g.text(3, s.name)
            g.text(4, s.unit, st.center)
            g.number(5, s.weight if r.weighted else None, empty="-")
            by_year = {y.year: y.figures[i] for y in r.years}
            for k, yr in enumerate(data.years):
                f = by_year.get(yr)
                g.number(6 + k, round2(f.realisation) if f else None, empty="belum ada data" if f else "-")
            g.text(
                6 + len(data.years),
                "\n".join(f"{y.year}: {SOURCE_LABELS[y.figures[i].source]}" for y in r.years),
            )
    g.finish_row()


def _causes(wb, st: Styles, data: KabupatenLakipData) -> None:
    y = data.year
    g = Grid(
        wb,
        st,
        "Analisis Penyebab",
        f"Analisis Penyebab Keberhasilan/Kegagalan IKU Kabupaten Tahun {y}",
        "Dari bahan LKjIP setiap perangkat daerah sumber: faktor pendorong, faktor penghambat dan tindak lanjut "
        "pada lembar bulanan bidangnya; dalam kurung: bulan yang menyebutkannya.",
        [
            ("IKU kabupaten", 11),
            ("Sumber", 22),
            ("Indikator", 34),
            (f"Capaian {y} (%)", 10),
            ("Predikat", 12),
            ("Faktor pendorong", 32),
            ("Faktor penghambat", 32),
            ("Tindak lanjut", 32),
        ],
    )
    for r in data.rows:
        for s in r.sources:
            g.next_row()
            g.text(0, r.indicator.code, st.center)
            g.text(1, f"{s.ref}\n{s.opd_name}")
            g.text(2, s.name)
            g.number(3, s.current.achievement_pct, st.pct, "-")
            put_predicate(g.ws, g.row, 4, s.current.predicate, st)
            g.causes(5, s.causes)
    g.finish_row()


def _budgets(wb, st: Styles, data: KabupatenLakipData) -> None:
    """Each OPD's pagu, realisasi and penyerapan of the year (CONTRACT §11)."""
    g = Grid(
        wb,
        st,
        "Anggaran Perangkat Daerah",
        f"Realisasi Anggaran Perangkat Daerah Tahun {data.year}",
        data.region,
        [
            ("No", 5),
            ("Perangkat daerah", 44),
            ("Pagu (Rp)", 18),
            ("Realisasi (Rp)", 18),
            ("Penyerapan (%)", 12),
            ("Data s.d.", 14),
        ],
    )
    for no, b in enumerate(data.opd_budgets, start=1):
        g.next_row()
        g.ws.write_number(g.row, 0, no, st.center)
        g.text(1, f"{b['name']} ({b['opd']})")
        if b["pagu"] is None:
            g.ws.merge_range(g.row, 2, g.row, 5, "", st.center)
            g.text(2, "– belum ada data realisasi anggaran", st.center, width=60)
            continue
        g.number(2, b["pagu"], st.rupiah)
        g.number(3, b["realisation"], st.rupiah)
        g.number(4, b["absorption_pct"], st.pct)
        g.text(5, month_name(b["budget_month"]) if b["budget_month"] else "–", st.center)
    g.finish_row()
