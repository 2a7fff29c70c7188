"""The SAKIP cycle as the portal shows it (CONTRACT §12): the verification state
of every matrix cell, the quarters' approvals, the plausibility warnings
("perlu dicek"), missing evidence, and the alert of a returned month. The
rules and the writing are iku.warehouse.sakip's and iku.domain's; this module
only gathers what a page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from iku.alerts import dispatch, messages
from iku.domain.model import MonthlyValue
from iku.domain.plausibility import Figures, PlausibilityWarning, check_month, check_sheet
from iku.domain.verification import AUDIT_ACTION_LABELS, STATE_LABELS
from iku.resources import Resources
from iku.warehouse.sakip import MonthView, QuarterView, Sakip

__all__ = ["AUDIT_ACTION_LABELS", "STATE_LABELS", "CellCycle", "sakip_of"]


def sakip_of(unit: Resources) -> Sakip:
    return Sakip.for_pipeline(unit.warehouse, unit.config.pipeline)


@dataclass
class CellCycle:
    """What a matrix cell shows besides its submission status."""

    view: MonthView | None
    warnings: list[dict] = field(default_factory=list)
    evidence_missing: list[str] = field(default_factory=list)  # indicator codes

    @property
    def state(self) -> str | None:
        return self.view.state if self.view else None

    @property
    def locked(self) -> bool:
        return bool(self.view and self.view.locked)


def history(unit: Resources, bidang: str) -> list[MonthlyValue]:
    """The bidang's current figures of every year (the plausibility's history)."""
    return [v for v in unit.warehouse.current_values(unit.opd) if v.bidang == bidang]


def sheet_warnings(
    unit: Resources, bidang: str, year: int, month: int, rows: list[Figures]
) -> list[PlausibilityWarning]:
    """The "perlu dicek" warnings of a sheet against the bidang's current history
    (a warning, never a refusal)."""
    indicators = unit.config.catalogue.indicators_of(bidang)
    return check_sheet(indicators, year, month, rows, history(unit, bidang))


def follow_up(unit: Resources, year: int) -> list[dict]:
    """The "perlu dicek" list of `year`: the warnings the consolidation kept
    with the current submissions (Sakip.follow_up); for a current submission
    loaded before it kept any (warnings NULL), its figures checked here against
    their history. One per (bidang, month, indicator, rule), by month and bidang."""
    sakip = sakip_of(unit)
    found = {(w["bidang"], w["month"], w["indicator"], w["rule"]): w for w in sakip.follow_up(unit.opd, year)}
    unchecked = sakip.unchecked(unit.opd, year)
    values = unit.warehouse.current_values(unit.opd) if unchecked else []
    indicators = {i.code: i for i in unit.config.catalogue.indicators}
    for v in values:
        if v.year != year or v.indicator not in indicators or (v.bidang, v.month) not in unchecked:
            continue
        own = [h for h in values if h.bidang == v.bidang]
        for w in check_month(indicators[v.indicator], year, v.month, v, own):
            key = (v.bidang, v.month, w.indicator, w.rule)
            found.setdefault(key, {"bidang": v.bidang, "file_name": v.file_name, **w.as_dict()})
    return sorted(found.values(), key=lambda w: (w["month"], w["bidang"], w["indicator"]))


def cells(unit: Resources, year: int, now: datetime | None = None) -> dict[tuple[str, int], CellCycle]:
    """Every (bidang, month) of `year`: its verification, warnings and missing evidence."""
    catalogue = unit.config.catalogue
    sakip = sakip_of(unit)
    views = sakip.states(unit.opd, year, now, bidang=[b.code for b in catalogue.bidang])
    out = {key: CellCycle(view) for key, view in views.items()}
    for w in follow_up(unit, year):
        out.setdefault((w["bidang"], w["month"]), CellCycle(None)).warnings.append(w)
    required = [i for i in catalogue.indicators if i.evidence_required]
    months_with_data = {m for (_, m), v in views.items() if v.state is not None}
    missing = sakip.months_missing_evidence(unit.opd, year, [i.code for i in required], months_with_data)
    for ind in required:
        for m in months_with_data:
            cell = out.get((ind.bidang, m))
            if cell is not None and cell.state is not None and (ind.code, m) in missing:
                cell.evidence_missing.append(ind.code)
    return out


def quarters(unit: Resources, year: int) -> list[QuarterView]:
    sakip = sakip_of(unit)
    return [sakip.quarter(unit.opd, year, q) for q in range(1, 5)]


def alert_returned(unit: Resources, view: MonthView, note: str) -> int:
    """Record the alert of a returned month for the bidang (and the planning
    team); the next run that delivers alerts sends it. Returns the rows queued
    (0 when no channel is configured)."""
    assert view.at is not None and view.by is not None
    msg = messages.returned_month(unit.config, view.bidang, view.year, view.month, note, view.by, view.at)
    return dispatch.queue(unit, msg)
