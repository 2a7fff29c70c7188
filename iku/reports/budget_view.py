"""What a report adds beside the performance (CONTRACT §11, §12): the budget
figures of the OPD's programs, the target each indicator is measured against
(the Perjanjian Kinerja's or the Renstra's), the verification of each
bidang-month and the approval of the quarters.

The records here are pure; `load_budget` and `load_sakip` read them from the
warehouse (iku.warehouse.budget, iku.warehouse.sakip) for the report loaders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from iku import formatting as fmt
from iku.domain.budget import BudgetLine, Program
from iku.domain.periods import QUARTER_NAMES, Period

if TYPE_CHECKING:
    from iku.warehouse.store import Warehouse

Lines = Mapping[str, BudgetLine]

# What a report says where a budget figure cannot be given (never a number).
NO_PROGRAMS = "program belum dipetakan ke indikator"
NO_BUDGET_DATA = "belum ada data realisasi anggaran"
NO_PLAN = "anggaran kas belum ditetapkan"
NO_RENSTRA_PAGU = "pagu Renstra belum ditetapkan"
NO_EARLIER_BUDGET = "data anggaran tahun sebelumnya belum lengkap"


@dataclass(frozen=True)
class BudgetContext:
    """The budget data of one OPD and year as a report sees them: the programs
    of the catalogue, the current figures of every month through the period's
    end with a budget file, and the December figures of earlier Renstra years
    (Tabel E.81 column 7)."""

    programs: tuple[Program, ...] = ()
    by_month: Mapping[int, Lines] = field(default_factory=dict)
    earlier_years: Mapping[int, Lines] = field(default_factory=dict)

    @property
    def month(self) -> int | None:
        """The month the figures run through (realisation is cumulative); None without data."""
        return max(self.by_month) if self.by_month else None

    @property
    def lines(self) -> Lines:
        return self.by_month[self.month] if self.month is not None else {}

    @property
    def has_programs(self) -> bool:
        return bool(self.programs)

    @property
    def has_data(self) -> bool:
        return bool(self.programs) and self.month is not None


@dataclass(frozen=True)
class Approval:
    """A quarter approved (disetujui) by the Kepala Dinas, or closed by lock_after_days."""

    quarter: int
    locked: bool
    approved_by: str | None
    approved_at: datetime | None

    def as_dict(self, tz: str = "Asia/Jakarta") -> dict[str, object]:
        """The report JSON's `approvals[]` entry, the time in the pipeline's zone (WIB)."""
        from zoneinfo import ZoneInfo

        at = self.approved_at.astimezone(ZoneInfo(tz)).isoformat() if self.approved_at else None
        return {
            "quarter": self.quarter,
            "state": "disetujui" if self.approved_by else None,
            "locked": self.locked,
            "approved_by": self.approved_by,
            "approved_at": at,
        }

    def statement(self, year: int, tz: str) -> str:
        """The sentence a report of a locked quarter carries, in WIB."""
        name = QUARTER_NAMES[self.quarter]
        if self.approved_by and self.approved_at:
            return (
                f"{name} {year} telah disetujui oleh {self.approved_by} pada "
                f"{fmt.local_datetime(self.approved_at, tz)}; angka bulan-bulannya terkunci "
                "dan disajikan sebagaimana disetujui."
            )
        return (
            f"{name} {year} telah ditutup otomatis (batas waktu penguncian terlewati); angka "
            "bulan-bulannya terkunci."
        )


def target_day(period: Period, as_of: datetime, tz: str) -> date:
    """The day whose Perjanjian Kinerja gives the targets: the period's last day,
    or the report's day when that is earlier (a report made mid-quarter). A
    report of a past period keeps the PK of its own end, so re-running it later
    gives the same figures; a PK perubahan signed after the quarter counts from
    the next report on."""
    from zoneinfo import ZoneInfo

    end_month = period.end_month
    last = (
        date(period.year, 12, 31)
        if end_month == 12
        else date(period.year, end_month + 1, 1) - timedelta(days=1)
    )
    return min(last, as_of.astimezone(ZoneInfo(tz)).date())


def load_budget(
    wh: Warehouse, opd: str, programs: tuple[Program, ...], period: Period, first_year: int | None = None
) -> BudgetContext:
    """The budget figures a report of `period` shows (none without programs);
    `first_year`: the Renstra's first, from which earlier years' December figures are read."""
    from iku.warehouse.budget import budget_months, current_budget

    if not programs:
        return BudgetContext()
    months = budget_months(wh, opd, period.year, period.end_month)
    earlier: dict[int, Lines] = {}
    for year in range(period.year if first_year is None else first_year, period.year):
        december = current_budget(wh, opd, year, 12)
        if december is not None and december.month == 12:
            earlier[year] = december.lines
    return BudgetContext(programs, {m: b.lines for m, b in months.items()}, earlier)


@dataclass(frozen=True)
class EvidenceItem:
    """A bukti dukung file of an indicator's month, with the portal's link to it."""

    indicator: str
    month: int
    file_name: str
    sha256: str
    content_type: str
    size: int
    uploaded_at: datetime
    url: str  # the portal's path (/opd/<code>/bukti/<sha256>): opened from the portal, signed in

    def as_dict(self, tz: str = "Asia/Jakarta") -> dict[str, object]:
        from zoneinfo import ZoneInfo

        return {
            "month": self.month,
            "file": self.file_name,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "size": self.size,
            "uploaded_at": self.uploaded_at.astimezone(ZoneInfo(tz)).isoformat(),
            "url": self.url,
        }


@dataclass(frozen=True)
class SakipView:
    """Verification per (bidang, month) (the JSON keys of CONTRACT §12), the
    approvals of the quarters through the period's end, and the bukti dukung
    of each indicator through it (with the months an indicator that requires
    evidence has data but none)."""

    months: Mapping[tuple[str, int], Mapping[str, object]] = field(default_factory=dict)
    approvals: tuple[Approval, ...] = ()
    evidence: Mapping[str, tuple[EvidenceItem, ...]] = field(default_factory=dict)
    evidence_missing: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


def load_sakip(res, period: Period, now: datetime | None = None) -> SakipView:
    """Read the verification states and quarter approvals of the report's OPD."""
    from iku.warehouse.sakip import Sakip

    sakip = Sakip.for_pipeline(res.warehouse, res.config.pipeline)
    opd = res.opd
    bidang = [b.code for b in res.config.catalogue.bidang]
    states = sakip.states(opd, period.year, now, bidang=bidang)
    approvals = []
    last_quarter = period.quarter or 4
    for q in range(1, last_quarter + 1):
        view = sakip.quarter(opd, period.year, q, now)
        if view.locked:
            a = view.approval
            approved = a is not None and a.locked and a.approved_by is not None
            approvals.append(
                Approval(
                    q,
                    True,
                    a.approved_by if approved and a else None,
                    a.approved_at if approved and a else None,
                )
            )
    evidence, missing = _evidence(sakip, res, period, states)
    return SakipView({k: v.as_dict() for k, v in states.items()}, tuple(approvals), evidence, missing)


def _evidence(sakip, res, period: Period, states) -> tuple[dict, dict]:
    """Each indicator's bukti dukung through the period's end, and for those
    with evidence_required the months with valid data and no evidence."""
    opd, last = res.opd, period.end_month
    found: dict[str, list[EvidenceItem]] = {}
    for e in sakip.evidence(opd, period.year):
        if e.month <= last:
            found.setdefault(e.indicator_code, []).append(
                EvidenceItem(
                    e.indicator_code,
                    e.month,
                    e.file_name,
                    e.sha256,
                    e.content_type,
                    e.size_bytes,
                    e.uploaded_at,
                    f"/opd/{opd}/bukti/{e.sha256}",
                )
            )
    required = [i for i in res.config.catalogue.indicators if i.evidence_required]
    with_data = {(b, m) for (b, m), v in states.items() if v.state is not None and m <= last}
    months = sorted({m for _, m in with_data})
    lacking = sakip.months_missing_evidence(opd, period.year, [i.code for i in required], months)
    missing = {
        i.code: tuple(m for m in months if (i.code, m) in lacking and (i.bidang, m) in with_data)
        for i in required
    }
    return (
        {code: tuple(sorted(items, key=lambda e: (e.month, e.uploaded_at))) for code, items in found.items()},
        {code: months for code, months in missing.items() if months},
    )


def efficiency_sentence(
    achievement_pct: float | None, absorption: float | None, index: float | None, why: str | None = None
) -> str:
    """The analysis of one indicator as an LKjIP states it, e.g. "Capaian kinerja
    96,00 % dengan penyerapan anggaran 88,00 %: indeks efisiensi 1,09 (efisien)"."""
    from iku.domain.budget import efficiency_label

    capaian = (
        f"Capaian kinerja {fmt.pct(achievement_pct)}"
        if achievement_pct is not None
        else "Capaian kinerja belum ada"
    )
    serapan = (
        f"penyerapan anggaran {fmt.pct(absorption)}"
        if absorption is not None
        else f"penyerapan anggaran belum ada ({why or NO_BUDGET_DATA})"
    )
    if index is None:
        reason = "" if absorption is None or achievement_pct is None else " (penyerapan 0 %)"
        return f"{capaian} dengan {serapan}: indeks efisiensi tidak dihitung{reason}."
    label = efficiency_label(index)
    meaning = (
        "capaian kinerja sebanding atau melampaui anggaran yang terserap"
        if index >= 1
        else "capaian kinerja tertinggal dari anggaran yang terserap"
    )
    return f"{capaian} dengan {serapan}: indeks efisiensi {fmt.fixed(index)} ({label}; {meaning})."


@dataclass(frozen=True)
class AbsorptionChart:
    """One program's (or kegiatan's) monthly absorption against its anggaran kas."""

    code: str
    name: str
    absorption: dict[int, float | None]
    plan: dict[int, float | None]  # month at each triwulan's end -> planned %; empty without anggaran kas

    @property
    def note(self) -> str | None:
        return None if self.plan else NO_PLAN


def absorption_charts(budget: BudgetContext, year: int) -> list[AbsorptionChart]:
    """A chart per program with budget data, and per kegiatan that configures an
    anggaran kas (the plan is a share of the pagu as it stands at the last month)."""
    from iku.domain.budget import monthly_absorption, planned_pct

    charts = []
    lines = budget.lines

    def chart(code: str, name: str, plan_by_year) -> AbsorptionChart:
        pagu = lines[code].pagu if code in lines else None
        plan = {3 * q: planned_pct(plan_by_year, year, q, pagu) for q in range(1, 5)}
        return AbsorptionChart(
            code,
            name,
            monthly_absorption(budget.by_month, code),
            {m: v for m, v in plan.items() if v is not None},
        )

    for p in budget.programs:
        if p.code in lines:
            charts.append(chart(p.code, p.name, p.anggaran_kas))
        charts += [
            chart(k.code, k.name, k.anggaran_kas)
            for k in p.kegiatan
            if k.code in lines and k.anggaran_kas and year in k.anggaran_kas
        ]
    return charts
