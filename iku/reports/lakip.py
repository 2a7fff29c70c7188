"""Year-end feed for the LAKIP/LKjIP (PermenPANRB 53/2014, Bab III):
(1) target vs realisation of the year, (2) this year against each earlier year
of the Renstra, (3) progress towards the Renstra end target, (4) the bidang's
notes of the year per indicator, as raw material for the causes of success or
failure."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from iku.config import Config, Indicator, PredicateBand
from iku.domain.achievement import Achievement, achievement_pct, compute, predicate, round2
from iku.domain.model import MonthlyValue
from iku.domain.periods import Period, month_name

from .excel import Styles, new_workbook, print_setup, put_number, put_predicate, put_text
from .model import Note, clean_number


@dataclass(frozen=True)
class RenstraProgress:
    basis: str  # "cumulative" (count) or "latest"
    value: float | None  # cumulative realisation since the Renstra start, or the latest value
    value_year: int | None  # for "latest": the year the value comes from
    target: float | None  # sum of the Renstra targets, or the end-year target
    progress_pct: float | None
    note: str | None = None


@dataclass(frozen=True)
class LakipRow:
    indicator: Indicator
    bidang_name: str
    years: dict[int, Achievement]  # every Renstra year from the start through the report year
    progress: RenstraProgress
    notes: tuple[Note, ...]

    def current(self, year: int) -> Achievement:
        return self.years[year]


@dataclass
class LakipData:
    config: Config
    year: int
    generated_at: datetime
    rows: list[LakipRow]

    @property
    def renstra(self) -> tuple[int, int]:
        return self.config.catalogue.opd.renstra_period

    @property
    def bands(self) -> list[PredicateBand]:
        return list(self.config.pipeline.predicates)

    @property
    def years(self) -> list[int]:
        return list(range(self.renstra[0], self.year + 1))


def _progress(ind: Indicator, years: dict[int, Achievement], start: int, end: int) -> RenstraProgress:
    if ind.kind == "count":
        # the Renstra counts what was delivered over all its years
        done = [a.realisation for a in years.values() if a.realisation is not None]
        value = float(sum(done)) if done else None
        targets = [ind.target(y) for y in range(start, end + 1)]
        target = None if any(t is None for t in targets) else float(sum(targets))
        note = None if target is not None else "target Renstra belum ditetapkan untuk semua tahun"
        return RenstraProgress(
            "cumulative", value, None, target, achievement_pct(value, target, ind.polarity), note
        )
    latest = [(y, a.realisation) for y, a in sorted(years.items()) if a.realisation is not None]
    value_year, value = latest[-1] if latest else (None, None)
    target = ind.target(end)
    note = None if target is not None else "target akhir Renstra belum ditetapkan"
    return RenstraProgress(
        "latest", value, value_year, target, achievement_pct(value, target, ind.polarity), note
    )


def build_lakip_data(
    config: Config, values: list[MonthlyValue], year: int, generated_at: datetime | None = None
) -> LakipData:
    cat, pipe = config.catalogue, config.pipeline
    start, end = cat.opd.renstra_period
    if not start <= year <= end:
        raise ValueError(f"year {year} is outside the Renstra period {start}-{end}")
    rows = []
    for ind in cat.indicators:
        mine = [v for v in values if v.indicator == ind.code]
        years = {y: compute(ind, mine, Period(y), pipe.predicates) for y in range(start, year + 1)}
        notes = tuple(
            Note(v.month, v.bidang, v.note.strip(), v.file_name)
            for v in sorted(mine, key=lambda v: v.month)
            if v.year == year and v.note and v.note.strip()
        )
        rows.append(
            LakipRow(
                ind, cat.bidang_by_code(ind.bidang).name, years, _progress(ind, years, start, end), notes
            )
        )
    return LakipData(config, year, generated_at or datetime.now(ZoneInfo(pipe.timezone)), rows)


def load_lakip_data(res, year: int) -> LakipData:
    # every year: the LAKIP compares this year with the earlier ones
    return build_lakip_data(res.config, res.warehouse.current_values(res.opd, None), year)


def _figures(a: Achievement) -> dict:
    return {
        "target": clean_number(a.target),
        "realisation": clean_number(round2(a.realisation)),
        "achievement_pct": a.achievement_pct,
        "predicate": a.predicate,
    }


def lakip_json(data: LakipData) -> dict:
    opd = data.config.catalogue.opd

    def ident(r):
        return {
            "code": r.indicator.code,
            "name": r.indicator.name,
            "unit": r.indicator.unit,
            "bidang": r.indicator.bidang,
        }

    return {
        "year": data.year,
        "opd": {"code": opd.code, "name": opd.name, "region": opd.region},
        "renstra_period": list(data.renstra),
        "target_vs_realisation": [
            {
                **ident(r),
                **_figures(r.current(data.year)),
                "months_missing": list(r.current(data.year).months_missing),
            }
            for r in data.rows
        ],
        "year_comparison": [
            {**ident(r), "years": [{"year": y, **_figures(a)} for y, a in sorted(r.years.items())]}
            for r in data.rows
        ],
        "renstra_progress": [
            {
                **ident(r),
                "basis": r.progress.basis,
                "end_year": data.renstra[1],
                "value": clean_number(round2(r.progress.value)),
                "value_year": r.progress.value_year,
                "target": clean_number(r.progress.target),
                "progress_pct": r.progress.progress_pct,
                "predicate": predicate(r.progress.progress_pct, data.bands),
            }
            for r in data.rows
        ],
        "notes": [
            {
                **ident(r),
                "notes": [
                    {"month": n.month, "bidang": n.bidang, "text": n.text, "file": n.file_name}
                    for n in r.notes
                ],
            }
            for r in data.rows
        ],
    }


def _sheet(wb, st: Styles, name: str, title: str, headers: list[str], widths: list[int]):
    ws = wb.add_worksheet(name)
    ws.merge_range(0, 0, 0, len(headers) - 1, title, st.title)
    for col, (h, w) in enumerate(zip(headers, widths)):
        ws.set_column(col, col, w)
        ws.write_string(2, col, h, st.header)
    ws.set_row(2, 30)
    ws.freeze_panes(3, 2)
    print_setup(ws, 2, 2)
    return ws


def render_lakip_excel(data: LakipData) -> bytes:
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    st = Styles(wb, data.bands)
    y, (start, end) = data.year, data.renstra
    opd = data.config.catalogue.opd

    ws = _sheet(
        wb,
        st,
        "Target vs Realisasi",
        f"Perbandingan Target dan Realisasi Kinerja Tahun {y} – {opd.name}",
        [
            "No",
            "Kode",
            "Indikator Kinerja",
            "Satuan",
            f"Target {y}",
            f"Realisasi {y}",
            "Capaian (%)",
            "Predikat",
            "Bidang",
            "Keterangan",
        ],
        [5, 9, 44, 10, 11, 11, 11, 13, 24, 34],
    )
    for i, r in enumerate(data.rows, start=1):
        a, row = r.current(y), 2 + i
        ws.write_number(row, 0, i, st.center)
        put_text(ws, row, 1, r.indicator.code, st.center)
        put_text(ws, row, 2, r.indicator.name, st.text)
        put_text(ws, row, 3, r.indicator.unit, st.center)
        put_number(ws, row, 4, a.target, st, empty="belum ditetapkan")
        put_number(ws, row, 5, round2(a.realisation), st)
        put_number(ws, row, 6, a.achievement_pct, st, st.pct)
        put_predicate(ws, row, 7, a.predicate, st)
        put_text(ws, row, 8, r.bidang_name, st.text)
        put_text(ws, row, 9, "\n".join(a.flags), st.flag)

    years = data.years
    headers = ["No", "Kode", "Indikator Kinerja", "Satuan"]
    for yr in years:
        headers += [f"Target {yr}", f"Realisasi {yr}", f"Capaian {yr} (%)"]
    ws = _sheet(
        wb,
        st,
        "Perbandingan Antar Tahun",
        f"Realisasi dan Capaian Tahun {y} dibandingkan Tahun-tahun Renstra Sebelumnya",
        headers,
        [5, 9, 44, 10] + [11, 11, 11] * len(years),
    )
    for i, r in enumerate(data.rows, start=1):
        row = 2 + i
        ws.write_number(row, 0, i, st.center)
        put_text(ws, row, 1, r.indicator.code, st.center)
        put_text(ws, row, 2, r.indicator.name, st.text)
        put_text(ws, row, 3, r.indicator.unit, st.center)
        for j, yr in enumerate(years):
            a, col = r.years[yr], 4 + 3 * j
            put_number(ws, row, col, a.target, st, empty="belum ditetapkan")
            put_number(ws, row, col + 1, round2(a.realisation), st)
            put_number(ws, row, col + 2, a.achievement_pct, st, st.pct)

    ws = _sheet(
        wb,
        st,
        "Capaian Renstra",
        f"Realisasi s.d. Tahun {y} terhadap Target Akhir Renstra {start}–{end}",
        [
            "No",
            "Kode",
            "Indikator Kinerja",
            "Satuan",
            "Dasar perhitungan",
            f"Realisasi s.d. {y}",
            f"Target akhir Renstra ({end})",
            "Capaian Renstra (%)",
            "Predikat",
            "Keterangan",
        ],
        [5, 9, 44, 10, 30, 13, 14, 12, 13, 30],
    )
    for i, r in enumerate(data.rows, start=1):
        p, row = r.progress, 2 + i
        basis = (
            f"kumulatif {start}–{y} terhadap jumlah target {start}–{end}"
            if p.basis == "cumulative"
            else f"nilai terakhir ({p.value_year or '–'}) terhadap target {end}"
        )
        ws.write_number(row, 0, i, st.center)
        put_text(ws, row, 1, r.indicator.code, st.center)
        put_text(ws, row, 2, r.indicator.name, st.text)
        put_text(ws, row, 3, r.indicator.unit, st.center)
        put_text(ws, row, 4, basis, st.text)
        put_number(ws, row, 5, round2(p.value), st)
        put_number(ws, row, 6, p.target, st, empty="belum ditetapkan")
        put_number(ws, row, 7, p.progress_pct, st, st.pct)
        put_predicate(ws, row, 8, predicate(p.progress_pct, data.bands), st)
        put_text(ws, row, 9, p.note, st.flag)

    ws = _sheet(
        wb,
        st,
        "Catatan Bidang",
        f"Catatan Bidang Tahun {y} (bahan analisis penyebab keberhasilan/kegagalan)",
        ["Kode", "Indikator Kinerja", "Bulan", "Bidang", "Keterangan", "Berkas sumber"],
        [9, 40, 11, 14, 60, 30],
    )
    row = 3
    for r in data.rows:
        for n in r.notes or (None,):
            put_text(ws, row, 0, r.indicator.code, st.center)
            put_text(ws, row, 1, r.indicator.name, st.text)
            if n is None:
                put_text(ws, row, 2, "–", st.center)
                put_text(ws, row, 3, r.indicator.bidang, st.center)
                put_text(ws, row, 4, "tidak ada catatan", st.text)
                put_text(ws, row, 5, None, st.text)
            else:
                put_text(ws, row, 2, month_name(n.month), st.center)
                put_text(ws, row, 3, n.bidang, st.center)
                put_text(ws, row, 4, n.text, st.text)  # write_string: never a formula
                put_text(ws, row, 5, n.file_name, st.text)
            row += 1
    wb.close()
    return buffer.getvalue()
