"""Resources a run needs, built once from the environment and swappable in tests
(another warehouse URL, another inbox) without touching the rules.

An installation may serve several OPD (config/opd/<code>.yaml). `Resources`
then stands for the OPD chosen (`--opd`) or for all of them: `units()` gives
one Resources per OPD, all sharing one warehouse, one archive and one inbox
root. `config` and `opd` are those of the first unit, so code written for one
OPD runs unchanged in the single-OPD layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from iku.config import Config, Installation, load_installation
from iku.settings import Settings, load_settings
from iku.warehouse import Warehouse


@dataclass
class Resources:
    settings: Settings
    config: Config
    installation: Installation | None = None
    selected: tuple[str, ...] = ()  # the OPD this run covers; empty: every OPD
    _shared: dict = field(default_factory=dict, repr=False)  # the warehouse, shared by all units

    @property
    def warehouse(self) -> Warehouse:
        if "warehouse" not in self._shared:
            wh = Warehouse(self.settings.warehouse_url)
            wh.migrate()
            self._shared["warehouse"] = wh
        return self._shared["warehouse"]

    @property
    def opd(self) -> str:
        return self.config.catalogue.opd.code

    @property
    def multi(self) -> bool:
        """The kabupaten layout: sources default to <inbox>/<opd>/<bidang>/."""
        return self.installation is not None and self.installation.multi

    @cached_property
    def _units(self) -> list[Resources]:
        if self.installation is None:
            return [self]
        codes = self.selected or tuple(self.installation.codes)
        return [
            self
            if code == self.opd and len(codes) == 1
            else Resources(
                self.settings, self.installation.config(code), self.installation, (code,), self._shared
            )
            for code in codes
        ]

    def units(self) -> list[Resources]:
        """One Resources per OPD this run covers (one in the single-OPD layout)."""
        return self._units

    def unit(self, opd: str) -> Resources:
        return next(u for u in self._units if u.opd == opd)

    @property
    def kabupaten_name(self) -> str:
        """The recap's header: pipeline.yaml kabupaten.name, else the first OPD's region."""
        return self.config.pipeline.kabupaten.name or self.config.catalogue.opd.region

    def source_dir(self, bidang: str) -> Path:
        return self.config.source_dir(bidang, self.settings.inbox_dir)

    def source_dirs(self) -> dict[str, Path]:
        return {b.code: self.source_dir(b.code) for b in self.config.catalogue.bidang}

    @property
    def output_dir(self) -> Path:
        return self.settings.output_dir

    def report_dir(self, year: int) -> Path:
        """Where this OPD's reports of `year` go: out/<year>/, or out/<year>/<opd>/ with several OPD."""
        base = self.settings.output_dir / str(year)
        return base / self.opd if self.multi else base


def build_resources(settings: Settings | None = None, opd: str | None = None) -> Resources:
    """The resources of the run: of OPD `opd`, or of every OPD when None."""
    settings = settings or load_settings()
    inst = load_installation(settings.config_dir)
    selected = (inst.check(opd),) if opd else ()
    return Resources(settings=settings, config=inst.config(opd), installation=inst, selected=selected)
