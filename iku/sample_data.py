"""Generated submission sheets for the demo, the tests and the benchmark.

Pure apart from writing files: no Prefect, no warehouse. `plan_year` decides
everything (figures, formats, arrival times, the faults) from a seed, so a test
can state what consolidation must make of the files `generate_year` writes
without reading them back.

The year's scenario, for a catalogue like the shipped one (first bidang
"perumahan" with count indicators, last bidang "perkim" with the ratio):

| (bidang, month) | files | expected status |
|---|---|---|
| first, 3 | invalid (negative realisasi) by the deadline, corrected after it | late |
| first, 4 | valid, after the deadline | late |
| first, 6 | valid, then a valid revision with other figures, both in time | on_time |
| first, 9 | invalid only (an indicator row left out) | invalid |
| last, 2 | nothing | missing |
| last, 7 | invalid only (pembilang > penyebut) | invalid |
| last, 10 | valid, after the deadline | late |
| any other | one valid file in time | on_time |

Events in months after `through_month` are left out.
"""

from __future__ import annotations

import csv
import io
import os
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import xlsxwriter

from iku.config import Config, Indicator
from iku.domain.periods import deadline, month_name

# Fixed workbook metadata: the same plan gives byte-identical files (same SHA-256).
_CREATED = datetime(2020, 1, 1)
STYLES = ("xlsx", "xlsx_titled", "csv_semicolon", "xlsx_text")
HEADER = [
    "bidang",
    "tahun",
    "bulan",
    "kode_indikator",
    "realisasi",
    "pembilang",
    "penyebut",
    "keterangan",
    "faktor_pendorong",
    "faktor_penghambat",
    "tindak_lanjut",
]
# how people retype the header: the reader matches case-insensitively, spaces ~ underscores
HEADER_TITLED = [
    "Bidang",
    "Tahun",
    "Bulan",
    "Kode Indikator",
    "Realisasi",
    "Pembilang",
    "Penyebut",
    "Keterangan",
    "Faktor Pendorong",
    "Faktor Penghambat",
    "Tindak Lanjut",
]
# What bidang write in the faktor columns (LKjIP Bab III "Analisis Penyebab",
# Tabel E.81 rows 16-19): a few causes each, repeated across months as people do.
SUPPORTING = [
    "Data calon penerima bantuan sudah diverifikasi bersama pemerintah desa",
    "Dukungan swadaya masyarakat penerima bantuan",
    "Koordinasi yang baik dengan kecamatan dan desa",
    "Pencairan anggaran tepat waktu",
    "Penyedia jasa bekerja sesuai jadwal",
]
INHIBITING = [
    "Cuaca hujan menunda pekerjaan fisik",
    "Verifikasi calon penerima bantuan belum selesai",
    "Keterlambatan pengiriman material ke lokasi",
    "Status lahan sebagian lokasi belum jelas",
]
FOLLOW_UP = {
    INHIBITING[0]: "Menambah jam kerja dan tenaga pada bulan berikutnya",
    INHIBITING[1]: "Mempercepat verifikasi bersama pemerintah desa",
    INHIBITING[2]: "Menegur penyedia dan meminta jadwal pengiriman baru",
    INHIBITING[3]: "Berkoordinasi dengan Bagian Pertanahan untuk kepastian lahan",
}
NOTES = [
    None,
    None,
    None,
    "Sesuai laporan kegiatan",
    "Pekerjaan fisik berjalan sesuai jadwal",
    "Kendala: cuaca hujan, pekerjaan tertunda",
    "Menunggu pencairan anggaran",
    "Data sementara",
    "Kendala: verifikasi penerima bantuan belum selesai",
    "Termasuk hasil verifikasi lapangan",
]


@dataclass(frozen=True)
class Figure:
    """One indicator row as written (before any deliberate fault)."""

    indicator: str
    realisation: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = None
    supporting: str | None = None  # faktor pendorong
    inhibiting: str | None = None  # faktor penghambat
    follow_up: str | None = None  # tindak lanjut


@dataclass(frozen=True)
class SampleFile:
    """One generated file and what the pipeline must make of it."""

    relpath: str  # under the inbox, e.g. "perumahan/iku_perumahan_2023_01.xlsx"
    bidang: str
    year: int
    month: int
    received_at: datetime  # becomes the file's mtime
    valid: bool
    style: str
    figures: tuple[Figure, ...]
    due: datetime | None = None  # the month's deadline
    problem: str | None = None  # why it is invalid: "negative", "missing_row", "numerator_gt_denominator"

    @property
    def late(self) -> bool:
        return self.due is not None and self.received_at > self.due


@dataclass
class YearScenario:
    """What generate_year writes and what consolidation must conclude from it."""

    year: int
    through_month: int
    files: list[SampleFile]
    expected_status: dict[tuple[str, int], str]  # (bidang, month) -> on_time/late/invalid/missing
    expected_values: dict[tuple[str, int, str], Figure] = field(default_factory=dict)  # current data

    def status(self, bidang: str, month: int) -> str:
        return self.expected_status[(bidang, month)]

    def with_status(self, status: str) -> list[tuple[str, int]]:
        return sorted(k for k, v in self.expected_status.items() if v == status)

    @property
    def invalid_files(self) -> list[SampleFile]:
        return [f for f in self.files if not f.valid]


# --------------------------------------------------------------------------- figures


def _yearly_total(ind: Indicator, year: int) -> float:
    """The year's target, else the nearest year's, else a guess from the baseline."""
    target = ind.target(year)
    if target is None:
        known = sorted((abs(y - year), t) for y, t in ind.targets.items() if t is not None)
        target = known[0][1] if known else None
    if target is None:
        target = max(12.0, (ind.baseline.value or 0) * 6)
    return float(target)


def _split_int(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split: integers that add up to `total` exactly."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _monthly_figures(ind: Indicator, year: int, rng: random.Random) -> list[Figure]:
    """Twelve months of plausible figures for one indicator."""
    # work picks up later in the budget year: weight later months more
    weights = [rng.uniform(0.4, 1.6) * (0.5 + m / 12) for m in range(1, 13)]
    if ind.kind == "count":
        total = round(_yearly_total(ind, year) * rng.uniform(0.9, 1.1))
        values = _split_int(max(total, 0), weights)
        return [Figure(ind.code, realisation=float(v), note=rng.choice(NOTES)) for v in values]
    if ind.kind == "ratio":
        # e.g. IKU-04: hectares of slum reduced each month over the total slum area (98.5 ha)
        denominator = (
            98.5 if ind.unit.strip() == "%" and ind.code == "IKU-04" else round(rng.uniform(50, 150), 1)
        )
        target_pct = _yearly_total(ind, year)
        year_sum = denominator * target_pct / 100 * rng.uniform(0.92, 1.06)
        s = sum(weights)
        shares = [round(year_sum * w / s, 2) for w in weights]
        return [
            Figure(ind.code, numerator=v, denominator=denominator, note=rng.choice(NOTES)) for v in shares
        ]
    # level: the latest month stands; drift toward the target
    target = _yearly_total(ind, year)
    return [
        Figure(ind.code, realisation=round(target * rng.uniform(0.85, 1.05), 2), note=rng.choice(NOTES))
        for _ in range(12)
    ]


def _with_factors(figures: list[Figure], seed: int, year: int) -> list[Figure]:
    """The faktor columns of some months filled: a pendorong in about half of
    them, a penghambat (with its tindak lanjut) where the note speaks of a
    kendala and now and then otherwise. Its own random stream: the figures stay
    those of earlier versions of this generator."""
    if not figures:
        return figures
    rng = random.Random(f"faktor:{seed}:{year}:{figures[0].indicator}")
    out = []
    for f in figures:
        supporting = rng.choice(SUPPORTING) if rng.random() < 0.5 else None
        hindered = (f.note or "").startswith("Kendala") or rng.random() < 0.25
        inhibiting = rng.choice(INHIBITING) if hindered else None
        follow_up = FOLLOW_UP[inhibiting] if inhibiting else None
        out.append(replace(f, supporting=supporting, inhibiting=inhibiting, follow_up=follow_up))
    return out


# --------------------------------------------------------------------------- plan


def _received(due: datetime, rng: random.Random, *, days: int | None = None, late: bool = False) -> datetime:
    """An office-hours arrival `days` after the deadline's day (negative: before it).

    Random when not given: in the ten days up to the deadline, or 2-14 days after it when late.
    """
    if days is None:
        days = rng.randint(2, 14) if late else -rng.randint(0, min(9, due.day - 1))
    day = due + timedelta(days=max(days, 1 - due.day))  # never before the 1st of the month after
    return day.replace(hour=rng.randint(7, 16), minute=rng.randint(0, 59), second=rng.randint(0, 59))


def _file_name(bidang: str, year: int, month: int, style: str, suffix: str = "") -> str:
    ext = ".csv" if style.startswith("csv") else ".xlsx"
    if style == "xlsx_titled":
        base = f"Realisasi IKU {bidang} {month_name(month)} {year}"
    elif style == "csv_semicolon":
        base = f"iku-{bidang}-{month_name(month).lower()}-{year}"
    else:
        base = f"iku_{bidang}_{year}_{month:02d}"
    return f"{bidang}/{base}{suffix}{ext}"


def plan_year(config: Config, year: int, *, seed: int = 1, through_month: int = 12) -> YearScenario:
    """Decide every file of the year (no I/O): figures, format, arrival time, faults."""
    if not 1 <= through_month <= 12:
        raise ValueError("through_month must be 1-12")
    cat = config.catalogue
    rng = random.Random(f"{seed}:{year}")
    bidang = [b.code for b in cat.bidang if cat.indicators_of(b.code)]
    first, last = bidang[0], bidang[-1]
    ratio_bidang = next((b for b in bidang if any(i.kind == "ratio" for i in cat.indicators_of(b))), None)

    figures = {
        ind.code: _with_factors(_monthly_figures(ind, year, rng), seed, year) for ind in cat.indicators
    }

    def month_figures(b: str, m: int) -> tuple[Figure, ...]:
        return tuple(figures[i.code][m - 1] for i in cat.indicators_of(b))

    # special (bidang, month) cases; later keys win when bidang coincide
    events: dict[tuple[str, int], str] = {
        (first, 3): "corrected_late",
        (first, 4): "late",
        (first, 6): "revised",
        # a sheet of a one-indicator bidang without its row would be empty, not invalid
        (first, 9): "missing_row" if len(cat.indicators_of(first)) > 1 else "negative",
        (last, 2): "missing",
        (last, 10): "late",
        (ratio_bidang or last, 7): "numerator_gt_denominator" if ratio_bidang else "negative",
    }

    files: list[SampleFile] = []
    status: dict[tuple[str, int], str] = {}
    values: dict[tuple[str, int, str], Figure] = {}
    pipe = config.pipeline
    for bi, b in enumerate(bidang):
        for m in range(1, through_month + 1):
            due = deadline(year, m, pipe.deadline_day, pipe.timezone)
            style = STYLES[(m + bi) % len(STYLES)]
            figs = month_figures(b, m)
            month_files, status[(b, m)] = _month_files(events.get((b, m)), b, year, m, style, figs, due, rng)
            files.extend(month_files)
            if status[(b, m)] in ("on_time", "late"):
                for f in figs:
                    values[(b, m, f.indicator)] = f
    return YearScenario(year, through_month, files, status, values)


def _month_files(
    event: str | None,
    b: str,
    year: int,
    m: int,
    style: str,
    figs: tuple[Figure, ...],
    due: datetime,
    rng: random.Random,
) -> tuple[list[SampleFile], str]:
    """The files one bidang sends for one month, given its special case, and the
    status that month must end with."""

    def sample(name: str, at: datetime, valid: bool, style: str, figs, problem=None) -> SampleFile:
        return SampleFile(name, b, year, m, at, valid, style, figs, due, problem)

    if event == "missing":
        return [], "missing"
    if event in ("missing_row", "numerator_gt_denominator", "negative"):
        broken = _break(figs, event)
        return [
            sample(_file_name(b, year, m, style), _received(due, rng), False, style, broken, event)
        ], "invalid"
    if event == "corrected_late":
        first = sample(
            _file_name(b, year, m, style),
            _received(due, rng, days=-2),
            False,
            style,
            _break(figs, "negative"),
            "negative",
        )
        fixed = sample(
            _file_name(b, year, m, "xlsx", " revisi"), _received(due, rng, days=3), True, "xlsx", figs
        )
        return [first, fixed], "late"
    if event == "revised":
        draft = tuple(_nudge(f) for f in figs)  # the first version had other figures
        first = sample(_file_name(b, year, m, style), _received(due, rng, days=-6), True, style, draft)
        final = sample(
            _file_name(b, year, m, "xlsx_titled", " (revisi)"),
            _received(due, rng, days=-1),
            True,
            "xlsx_titled",
            figs,
        )
        return [first, final], "on_time"
    late = event == "late"
    return [sample(_file_name(b, year, m, style), _received(due, rng, late=late), True, style, figs)], (
        "late" if late else "on_time"
    )


def _nudge(f: Figure) -> Figure:
    """A first draft that a revision corrects: different figures, still valid."""
    if f.realisation is not None:
        return replace(f, realisation=f.realisation + 1, note="Data sementara")
    return replace(f, numerator=round((f.numerator or 0) * 0.5, 2), note="Data sementara")


def _break(figs: tuple[Figure, ...], fault: str) -> tuple[Figure, ...]:
    """Introduce one deliberate fault a bidang might make."""
    if fault == "missing_row":
        return figs[:-1]
    figs_ = list(figs)  # the last indicator row left out
    if fault == "numerator_gt_denominator":
        i = next(k for k, f in enumerate(figs_) if f.denominator is not None)
        # typed the cumulative slum area instead of this month's reduction
        figs_[i] = replace(figs_[i], numerator=round((figs_[i].denominator or 0) * 1.2, 2))
        return tuple(figs_)
    i = next((k for k, f in enumerate(figs_) if f.realisation is not None), 0)
    f = figs_[i]
    if f.realisation is not None:
        figs_[i] = replace(f, realisation=-(abs(f.realisation) or 3))  # a typed minus sign
    else:
        figs_[i] = replace(f, numerator=-(abs(f.numerator or 0) or 1))
    return tuple(figs_)


# --------------------------------------------------------------------------- writing


def _num_text(value: float | None) -> str:
    """Indonesian text number: 1234.5 -> '1.234,5', 12.0 -> '12'."""
    if value is None:
        return ""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _rows(sf: SampleFile, *, month_as_name: bool, text_numbers: bool) -> list[list[object]]:
    month: object = month_name(sf.month) if month_as_name else sf.month
    out = []
    for f in sf.figures:
        figures = [f.realisation, f.numerator, f.denominator]
        nums: list[object] = [_num_text(v) if text_numbers else v for v in figures]
        factors = [f.supporting or "", f.inhibiting or "", f.follow_up or ""]
        out.append([sf.bidang, sf.year, month, f.indicator, *nums, f.note or "", *factors])
    return out


def _title_rows(config: Config, sf: SampleFile) -> list[str]:
    cat = config.catalogue
    return [
        f"LAPORAN REALISASI IKU {cat.bidang_by_code(sf.bidang).name.upper()}",
        f"{cat.opd.name} {cat.opd.region}",
        f"Bulan {month_name(sf.month)} {sf.year}",
    ]


def render(config: Config, sf: SampleFile) -> bytes:
    """The file's bytes in its style."""
    if sf.style == "csv_semicolon":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        w.writerow(HEADER_TITLED)
        w.writerows(_rows(sf, month_as_name=True, text_numbers=True))
        return buf.getvalue().encode("utf-8")
    titled = sf.style == "xlsx_titled"
    return _xlsx(
        header=HEADER_TITLED if titled else HEADER,
        rows=_rows(sf, month_as_name=titled, text_numbers=sf.style == "xlsx_text"),
        titles=_title_rows(config, sf) if titled else [],
    )


def _xlsx(header: list[str], rows: list[list[object]], titles: list[str]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": _CREATED})
    ws = wb.add_worksheet("Realisasi")
    bold = wb.add_format({"bold": True})
    r = 0
    for t in titles:
        ws.write_string(r, 0, t, bold)
        r += 1
    if titles:
        r += 1  # a blank line, as people leave one
    ws.write_row(r, 0, header, bold)
    for row in rows:
        r += 1
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()


def _write(path: Path, data: bytes, received_at: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    ts = received_at.timestamp()
    os.utime(path, (ts, ts))


def write_scenario(config: Config, scenario: YearScenario, inbox: Path, on_file=None) -> list[Path]:
    """Write the scenario's files under `inbox` with their arrival times as mtimes."""
    paths = []
    for sf in scenario.files:
        path = Path(inbox) / sf.relpath
        _write(path, render(config, sf), sf.received_at)
        paths.append(path)
        if on_file:
            on_file(path)
    return paths


def generate_year(
    config: Config, inbox: Path, year: int, *, seed: int = 1, through_month: int = 12, on_file=None
) -> list[Path]:
    """Write a year of sample sheets (see the module doc for the scenario).

    `plan_year(config, year, seed=seed, through_month=through_month)` returns
    the same scenario with the expected statuses and current figures.
    """
    scenario = plan_year(config, year, seed=seed, through_month=through_month)
    return write_scenario(config, scenario, inbox, on_file)


def generate_bulk(config: Config, folder: Path, n: int, *, seed: int = 1) -> list[Path]:
    """`n` valid small .xlsx sheets over the bidang folders, for the benchmark.

    Periods repeat (they become revisions), figures differ, so every file has
    its own SHA-256. Every file arrives before its deadline.
    """
    cat = config.catalogue
    rng = random.Random(f"bulk:{seed}")
    bidang = [b.code for b in cat.bidang if cat.indicators_of(b.code)]
    years = cat.opd.years
    paths = []
    for k in range(n):
        b = bidang[k % len(bidang)]
        year = years[(k // (12 * len(bidang))) % len(years)]
        month = (k // len(bidang)) % 12 + 1
        figs = []
        for ind in cat.indicators_of(b):
            if ind.kind == "ratio":
                den = round(rng.uniform(50, 150), 1)
                figs.append(Figure(ind.code, numerator=round(rng.uniform(0, den / 10), 2), denominator=den))
            else:
                figs.append(Figure(ind.code, realisation=float(rng.randint(0, 40))))
        # the sequence number in keterangan guarantees distinct bytes
        figs[0] = replace(figs[0], note=f"berkas uji {k + 1}")
        due = deadline(year, month, config.pipeline.deadline_day, config.pipeline.timezone)
        sf = SampleFile(
            f"{b}/bulk_{k + 1:05d}_{year}_{month:02d}.xlsx",
            b,
            year,
            month,
            due - timedelta(days=rng.randint(0, 5), hours=rng.randint(1, 12)),
            True,
            "xlsx",
            tuple(figs),
            due,
        )
        path = Path(folder) / sf.relpath
        _write(path, render(config, sf), sf.received_at)
        paths.append(path)
    return paths


def write_history(config: Config, before_year: int, path: Path) -> Path | None:
    """A history file (`iku import-history`) for the Renstra years before
    `before_year`, as an earlier LKjIP would give them: 90 % of each year's
    target (a ratio: its value), Indonesian decimal commas; None when there is
    no earlier year."""
    start = config.catalogue.opd.renstra_period[0]
    years = range(start, before_year)
    if not years:
        return None
    lines = ["Kode Indikator;Tahun;Realisasi;Sumber;Keterangan"]
    for ind in config.catalogue.indicators:
        for y in years:
            value = _yearly_total(ind, y) * (0.9 if ind.kind == "count" else 0.95)
            shown = _num_text(round(value) if ind.kind == "count" else round(value, 2))
            lines.append(f"{ind.code};{y};{shown};LKjIP {y};contoh demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
