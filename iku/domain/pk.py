"""The Perjanjian Kinerja's target of each indicator on a day (CONTRACT §12).
Pure: the validated catalogue in, frozen dataclasses out.

A year's PK is signed (PK awal) and may be revised (PK perubahan, after the
APBD-Perubahan). On a given day the latest revision dated on or before it that
names an indicator gives that indicator's target; an indicator no revision in
force names keeps the Renstra's target. Before the first revision's date the
Renstra's targets stand for every indicator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from iku.domain.parameters import PkCatalogue as Catalogue
from iku.domain.parameters import PkRevision

TargetSource = Literal["pk", "renstra"]


@dataclass(frozen=True)
class PkTarget:
    """One indicator's target for a year as of a day, and where it comes from."""

    indicator: str
    target: float | None
    target_source: TargetSource
    target_renstra: float | None
    revision_label: str | None = None  # the PK revision used; None for the Renstra's
    revision_date: date | None = None

    def as_dict(self) -> dict[str, object]:
        """The report JSON's keys (CONTRACT §12), with the revision used."""
        return {
            "target": self.target,
            "target_source": self.target_source,
            "target_renstra": self.target_renstra,
            "pk_revision": self.revision_label,
            "pk_date": self.revision_date.isoformat() if self.revision_date else None,
        }


def _day(as_of: date | datetime) -> date:
    # a datetime is taken in its own timezone: the caller gives it in the pipeline's (WIB)
    return as_of.date() if isinstance(as_of, datetime) else as_of


def revisions_in_force(catalogue: Catalogue, year: int, as_of: date | datetime) -> list[PkRevision]:
    """The year's revisions signed on or before `as_of`, oldest first."""
    day = _day(as_of)
    return [rev for rev in catalogue.perjanjian_kinerja.get(year, []) if rev.date <= day]


def pk_target(catalogue: Catalogue, code: str, year: int, as_of: date | datetime) -> PkTarget:
    """The target of indicator `code` for `year` as of `as_of`."""
    renstra = catalogue.indicator(code).target(year)
    for rev in reversed(revisions_in_force(catalogue, year, as_of)):
        if code in rev.targets:
            return PkTarget(code, rev.targets[code], "pk", renstra, rev.label, rev.date)
    return PkTarget(code, renstra, "renstra", renstra)


def pk_targets(catalogue: Catalogue, year: int, as_of: date | datetime) -> dict[str, PkTarget]:
    """Every indicator's target for `year` as of `as_of`, in catalogue order."""
    return {i.code: pk_target(catalogue, i.code, year, as_of) for i in catalogue.indicators}


def latest_revision(catalogue: Catalogue, year: int, as_of: date | datetime) -> PkRevision | None:
    """The revision in force on `as_of` (the PK document's title and date); None before the first."""
    found = revisions_in_force(catalogue, year, as_of)
    return found[-1] if found else None
