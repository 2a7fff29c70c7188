"""Programs, kegiatan and their budget (CONTRACT §11): the cascade below the IKU
and the figures every report shows beside the performance.

Pure: the catalogue's programs (iku.config turns the YAML into these records),
the figures a budget sheet gave per code (BudgetLine), and the computations
the reports share: absorption, an indicator's budget, efficiency, the OPD's
total and the §11 JSON shapes as plain dicts.

Codes follow Permendagri 90/2019 (klasifikasi, kodefikasi dan nomenklatur):
urusan.bidang urusan.program.kegiatan.sub kegiatan, e.g. 1.04.02.2.01.0001.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Level = Literal["program", "kegiatan", "sub_kegiatan"]
LEVELS: tuple[Level, ...] = ("program", "kegiatan", "sub_kegiatan")
LEVEL_NAMES = {"program": "program", "kegiatan": "kegiatan", "sub_kegiatan": "sub kegiatan"}

# urusan (1-8, or X for programs shared by every urusan) . bidang urusan (2 digits, or XX)
_URUSAN = r"[1-9X]"
_BIDANG = r"(?:\d{2}|XX)"
PROGRAM_CODE = re.compile(rf"^{_URUSAN}\.{_BIDANG}\.\d{{2}}$")  # 1.04.02
KEGIATAN_CODE = re.compile(rf"^{_URUSAN}\.{_BIDANG}\.\d{{2}}\.[1-9]\.\d{{2}}$")  # 1.04.02.2.01
SUB_KEGIATAN_CODE = re.compile(rf"^{_URUSAN}\.{_BIDANG}\.\d{{2}}\.[1-9]\.\d{{2}}\.\d{{4}}$")  # ...0001
CODE_PATTERNS: dict[Level, re.Pattern[str]] = {
    "program": PROGRAM_CODE,
    "kegiatan": KEGIATAN_CODE,
    "sub_kegiatan": SUB_KEGIATAN_CODE,
}
CODE_EXAMPLES = {"program": "1.04.02", "kegiatan": "1.04.02.2.01", "sub_kegiatan": "1.04.02.2.01.0001"}

# The efficiency rule every report states (NOTES: the ratio most LKjIPs use).
EFFICIENCY_RULE = (
    "Indeks efisiensi = capaian kinerja (%) dibagi penyerapan anggaran (%). "
    "Indeks 1 atau lebih berarti efisien (capaian kinerja sebanding atau melampaui anggaran "
    "yang terserap); di bawah 1 berarti kurang efisien. Tidak dihitung bila salah satu "
    "belum ada atau penyerapan anggaran 0 %."
)
EFFICIENT = "efisien"
LESS_EFFICIENT = "kurang efisien"


def code_level(code: str) -> Level | None:
    """The level a Permendagri 90/2019 code has in the cascade; None for any other text."""
    for level, pattern in CODE_PATTERNS.items():
        if pattern.match(code):
            return level
    return None


def is_under(code: str, parent: str) -> bool:
    """`code` lies below `parent` in the cascade (1.04.02.2.01 under 1.04.02)."""
    return code.startswith(parent + ".")


QuarterPlan = tuple[float | None, float | None, float | None, float | None]


@dataclass(frozen=True)
class SubKegiatan:
    code: str
    name: str


@dataclass(frozen=True)
class Kegiatan:
    code: str
    name: str
    sub_kegiatan: tuple[SubKegiatan, ...] = ()
    # the IKU this kegiatan supports; empty: every IKU of its program
    indicators: tuple[str, ...] = ()
    # anggaran kas: per year, the budget planned to be spent through the end of
    # TW I, II, III and IV, cumulative, in rupiah (null where not set)
    anggaran_kas: Mapping[int, QuarterPlan] | None = None
    pagu_renstra: Mapping[int, float] | None = None  # the Renstra's pagu per year (E.81 column 6)


@dataclass(frozen=True)
class Program:
    code: str
    name: str
    indicators: tuple[str, ...] = ()
    kegiatan: tuple[Kegiatan, ...] = ()
    anggaran_kas: Mapping[int, QuarterPlan] | None = None  # as Kegiatan.anggaran_kas
    pagu_renstra: Mapping[int, float] | None = None

    def kegiatan_for(self, indicator: str) -> list[Kegiatan]:
        """The kegiatan of this program that support `indicator`."""
        return [k for k in self.kegiatan if not k.indicators or indicator in k.indicators]


def catalogue_names(programs: Iterable[Program]) -> dict[str, tuple[Level, str]]:
    """Every configured code with its level and name, in cascade order."""
    codes: dict[str, tuple[Level, str]] = {}
    for p in programs:
        codes[p.code] = ("program", p.name)
        for k in p.kegiatan:
            codes[k.code] = ("kegiatan", k.name)
            for s in k.sub_kegiatan:
                codes[s.code] = ("sub_kegiatan", s.name)
    return codes


def catalogue_problems(programs: Sequence[Program], indicators: Iterable[str]) -> list[str]:
    """What is wrong with the programs of a catalogue, in Indonesian, first fault first:
    a code not shaped as Permendagri 90/2019 writes it, a code not under its parent's,
    the same code twice, an IKU the catalogue does not have."""
    known = set(indicators)
    problems: list[str] = []
    seen: set[str] = set()

    def check(code: str, level: Level, parent: str | None) -> None:
        if not CODE_PATTERNS[level].match(code):
            problems.append(
                f"kode {LEVEL_NAMES[level]} '{code}' tidak berbentuk kode Permendagri 90/2019 "
                f"(contoh: {CODE_EXAMPLES[level]})"
            )
        elif parent is not None and not is_under(code, parent):
            problems.append(
                f"kode {LEVEL_NAMES[level]} '{code}' tidak berada di bawah kode induknya '{parent}'"
            )
        if code in seen:
            problems.append(f"kode '{code}' ditulis lebih dari sekali")
        seen.add(code)

    for p in programs:
        check(p.code, "program", None)
        problems += _indicator_link_problems(p, known)
        for k in p.kegiatan:
            check(k.code, "kegiatan", p.code)
            for s in k.sub_kegiatan:
                check(s.code, "sub_kegiatan", k.code)
    return problems


def _indicator_link_problems(p: Program, known: set[str]) -> list[str]:
    """A program may name only IKU of the catalogue; a kegiatan only IKU of its program."""
    problems = [
        f"program {p.code}: indikator {ind} tidak ada dalam katalog IKU"
        for ind in p.indicators
        if ind not in known
    ]
    for k in p.kegiatan:
        problems += [
            f"kegiatan {k.code}: indikator {ind} bukan indikator programnya {p.code} "
            f"({', '.join(p.indicators) or 'tidak ada'})"
            for ind in k.indicators
            if ind not in p.indicators
        ]
    return problems


# -- figures -------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetLine:
    """One configured code's figures in one month: pagu as it stood that month,
    realisation cumulative from 1 January through the month's end (rupiah)."""

    code: str
    level: Level
    name: str
    pagu: float
    realisation: float


Lines = Mapping[str, BudgetLine]


def absorption_pct(pagu: float | None, realisation: float | None) -> float | None:
    """Penyerapan anggaran: realisation ÷ pagu × 100, 2 decimals; None without a pagu."""
    if pagu is None or realisation is None or pagu == 0:
        return None
    return round(realisation / pagu * 100, 2)


def efficiency_index(achievement_pct: float | None, absorption: float | None) -> float | None:
    """Capaian kinerja (%) ÷ penyerapan anggaran (%), 2 decimals (EFFICIENCY_RULE)."""
    if achievement_pct is None or absorption is None or absorption == 0:
        return None
    return round(achievement_pct / absorption, 2)


def efficiency_label(index: float | None) -> str | None:
    if index is None:
        return None
    return EFFICIENT if index >= 1 else LESS_EFFICIENT


def _money(pagu: float | None, realisation: float | None) -> dict[str, float | None]:
    return {"pagu": pagu, "realisation": realisation, "absorption_pct": absorption_pct(pagu, realisation)}


def _sum(lines: Lines, codes: Iterable[str]) -> dict[str, float | None] | None:
    found = [lines[c] for c in codes if c in lines]
    if not found:
        return None
    return _money(sum(x.pagu for x in found), sum(x.realisation for x in found))


def _code_figures(code: str, lines: Lines) -> dict[str, float | None]:
    line = lines.get(code)
    return _money(line.pagu, line.realisation) if line else _money(None, None)


def kegiatan_figures(k: Kegiatan, lines: Lines) -> dict[str, object]:
    return {
        "code": k.code,
        "name": k.name,
        **_code_figures(k.code, lines),
        "sub_kegiatan": [
            {"code": s.code, "name": s.name, **_code_figures(s.code, lines)} for s in k.sub_kegiatan
        ],
    }


def program_figures(p: Program, lines: Lines, indicator: str | None = None) -> dict[str, object]:
    """One element of §11 `programs`: the program, its figures and its kegiatan's
    (only the kegiatan supporting `indicator` when one is named)."""
    kegiatan = p.kegiatan_for(indicator) if indicator else list(p.kegiatan)
    return {
        "code": p.code,
        "name": p.name,
        "indicators": list(p.indicators),
        **_code_figures(p.code, lines),
        "kegiatan": [kegiatan_figures(k, lines) for k in kegiatan],
    }


def programs_json(programs: Sequence[Program], lines: Lines) -> list[dict[str, object]]:
    """§11 report JSON, top level `programs` (figures null where the month has none)."""
    return [program_figures(p, lines) for p in programs]


def programs_of(programs: Sequence[Program], indicator: str) -> list[Program]:
    return [p for p in programs if indicator in p.indicators]


def indicator_budget(
    programs: Sequence[Program], lines: Lines, indicator: str
) -> dict[str, float | None] | None:
    """§11 per indicator `budget`: the sum over the programs that list it; None
    when no such program has figures (the report writes null)."""
    return _sum(lines, (p.code for p in programs_of(programs, indicator)))


def opd_total(programs: Sequence[Program], lines: Lines) -> dict[str, float | None] | None:
    """The OPD's pagu, realisation and absorption over its configured programs."""
    return _sum(lines, (p.code for p in programs))


def indicator_efficiency(
    programs: Sequence[Program], lines: Lines, indicator: str, achievement_pct: float | None
) -> dict[str, object]:
    """§11 lakip `efficiency` element of one indicator."""
    budget = indicator_budget(programs, lines, indicator)
    absorption = budget["absorption_pct"] if budget else None
    index = efficiency_index(achievement_pct, absorption)
    return {
        "indicator": indicator,
        "achievement_pct": achievement_pct,
        "absorption_pct": absorption,
        "efficiency_index": index,
        "label": efficiency_label(index),
    }


def indicator_json(
    programs: Sequence[Program], lines: Lines, indicator: str, achievement_pct: float | None
) -> dict[str, object]:
    """The two §11 keys of a report's indicator: `budget` and `efficiency_index`
    (both null without budget data)."""
    budget = indicator_budget(programs, lines, indicator)
    absorption = budget["absorption_pct"] if budget else None
    return {"budget": budget, "efficiency_index": efficiency_index(achievement_pct, absorption)}


def budget_realisation(programs: Sequence[Program], lines: Lines) -> dict[str, object]:
    """lakip-Y.json `budget_realisation`: per program and kegiatan, and the OPD's total."""
    return {
        "programs": programs_json(programs, lines),
        "total": opd_total(programs, lines) or _money(None, None),
    }


def efficiency(
    programs: Sequence[Program], lines: Lines, achievements: Mapping[str, float | None]
) -> list[dict[str, object]]:
    """lakip-Y.json `efficiency`: one element per indicator of `achievements`
    (indicator code -> capaian kinerja %, in the catalogue's order)."""
    return [indicator_efficiency(programs, lines, code, pct) for code, pct in achievements.items()]


def supporting_programs(
    programs: Sequence[Program], lines: Lines, indicators: Iterable[str]
) -> list[dict[str, object]]:
    """lakip-Y.json `supporting_programs`: per indicator, the programs listing it
    with the kegiatan that support it, each with pagu, realisation, absorption."""
    return [
        {
            "indicator": code,
            "programs": [program_figures(p, lines, code) for p in programs_of(programs, code)],
        }
        for code in indicators
    ]


def quarter_realisation(by_month: Mapping[int, Lines], code: str) -> list[float | None]:
    """Realisasi within each triwulan (E.81 columns 9-12) from the cumulative
    monthly figures: the last month of the quarter with data minus the last one
    before the quarter; None for a quarter without data."""
    result: list[float | None] = []
    before = 0.0
    for quarter in range(1, 5):
        months = [m for m in range(3 * quarter - 2, 3 * quarter + 1) if code in by_month.get(m, {})]
        if not months:
            result.append(None)
            continue
        cumulative = by_month[max(months)][code].realisation
        result.append(cumulative - before)
        before = cumulative
    return result


def planned_pct(
    plan: Mapping[int, QuarterPlan] | None, year: int, quarter: int, pagu: float | None
) -> float | None:
    """The anggaran kas through the end of `quarter` as a share of the pagu (%),
    for the absorption chart's plan line; None where either is missing."""
    if not plan or year not in plan or not pagu:
        return None
    planned = plan[year][quarter - 1]
    return None if planned is None else round(planned / pagu * 100, 2)


def indicator_quarter_realisation(
    programs: Sequence[Program], by_month: Mapping[int, Lines], indicator: str
) -> list[float | None]:
    """Tabel E.81 columns 9-12 (Rp) of an indicator: realisasi within each triwulan,
    summed over the programs that list it; None for a quarter none of them has."""
    per_program = [quarter_realisation(by_month, p.code) for p in programs_of(programs, indicator)]
    quarters: list[float | None] = []
    for q in range(4):
        given = [r[q] for r in per_program if r[q] is not None]
        quarters.append(sum(v for v in given if v is not None) if given else None)
    return quarters


def indicator_pagu_renstra(programs: Sequence[Program], indicator: str, year: int) -> float | None:
    """Tabel E.81 column 6 (Rp): the Renstra's pagu of `year` over the programs
    listing the indicator; None when none of them configures one."""
    given = [
        p.pagu_renstra[year]
        for p in programs_of(programs, indicator)
        if p.pagu_renstra and year in p.pagu_renstra
    ]
    return sum(given) if given else None


def monthly_absorption(by_month: Mapping[int, Lines], code: str) -> dict[int, float | None]:
    """Absorption (%) of one code at the end of each month with data, for the
    chart against the anggaran kas (planned_pct)."""
    return {
        month: absorption_pct(lines[code].pagu, lines[code].realisation)
        for month, lines in sorted(by_month.items())
        if code in lines
    }
