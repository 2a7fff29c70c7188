"""What the rules read of the configuration, as the rules need it: Protocols
that iku.config's validated models satisfy (mypy checks every call), so the
rules import nothing above them and iku.config may build on the rules' own
vocabulary (iku.domain.kinds, iku.domain.places) without a loop between the
two packages (tests/test_layers.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol


class PredicateBand(Protocol):
    """A predicate and the lowest achievement (%) that earns it (None: any)."""

    @property
    def min(self) -> float | None: ...
    @property
    def label(self) -> str: ...


class Indicator(Protocol):
    """An IKU as the achievement rules read it."""

    @property
    def code(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def polarity(self) -> str: ...
    def target(self, year: int) -> float | None: ...
    def quarter_target(self, year: int, quarter: int) -> float | None: ...


class Limits(Protocol):
    """The bounds a submitted sheet must stay within."""

    @property
    def max_file_bytes(self) -> int: ...
    @property
    def max_rows(self) -> int: ...
    @property
    def max_uncompressed_bytes(self) -> int: ...
    @property
    def max_compression_ratio(self) -> float: ...
    @property
    def max_value(self) -> float: ...
    @property
    def max_text_chars(self) -> int: ...


class Schedules(Protocol):
    """When the unattended runs happen (pipeline.yaml schedules)."""

    @property
    def consolidate(self) -> str: ...
    @property
    def reminder_days_before(self) -> list[int]: ...
    @property
    def reminder_time(self) -> str: ...
    @property
    def check_missing_days_after(self) -> int: ...
    @property
    def check_missing_time(self) -> str: ...
    @property
    def quarterly_report_time(self) -> str: ...
    @property
    def annual_report_time(self) -> str: ...
    @property
    def lakip_time(self) -> str: ...


class Pipeline(Protocol):
    """The deadline and the schedules derived from it."""

    @property
    def deadline_day(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def schedules(self) -> Schedules: ...


class PlausibleRange(Protocol):
    """The bounds an indicator's monthly figure is expected within (either may be open)."""

    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...


class CheckedIndicator(Protocol):
    """An IKU as the plausibility checks read it."""

    @property
    def code(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def plausible_range(self) -> PlausibleRange | None: ...


class PkRevision(Protocol):
    """One signed Perjanjian Kinerja (awal or perubahan) of a year."""

    @property
    def date(self) -> date: ...
    @property
    def label(self) -> str: ...
    @property
    def targets(self) -> Mapping[str, float]: ...


class PkCatalogue(Protocol):
    """What the PK rules read of an OPD's catalogue."""

    @property
    def perjanjian_kinerja(self) -> Mapping[int, Sequence[PkRevision]]: ...
    @property
    def indicators(self) -> Sequence[Indicator]: ...
    def indicator(self, code: str) -> Indicator: ...
