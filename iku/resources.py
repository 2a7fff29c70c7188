"""The composition root: the Resources a run needs, built once per command from
the settings (iku.settings, the one reader of the environment) and swappable in
tests (another warehouse URL, another inbox) without touching the rules.

Every command, flow, the demo and the portal get their Resources from
build_resources here. A command that runs flows in its own process (the demo,
`iku consolidate --prefect`) hands them the Resources it built with
`provided(res)`: the flows' build_resources then answers with those (their
warehouse engine, their settings) instead of reading the environment again.

An installation may serve several OPD (config/opd/<code>.yaml). `Resources`
then stands for the OPD chosen (`--opd`) or for all of them: `units()` gives
one Resources per OPD, all sharing one warehouse, one archive and one inbox
root. `config` and `opd` are those of the first unit, so code written for one
OPD runs unchanged in the single-OPD layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property

from iku.config import Config, Installation, load_installation
from iku.settings import Settings, load_settings
from iku.storage import Where
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

    def all_units(self) -> list[Resources]:
        """Every OPD of the installation, also when this run covers one (--opd);
        the same warehouse, nothing built again."""
        if self.installation is None or not self.selected:
            return self.units()
        return self.select(None).units()

    def select(self, opd: str | None) -> Resources:
        """These resources for OPD `opd`, or for every OPD when None (the same
        settings, installation and warehouse)."""
        if self.installation is None:
            return self
        selected = (self.installation.check(opd),) if opd else ()
        if selected == self.selected:
            return self
        return Resources(
            self.settings, self.installation.config(opd), self.installation, selected, self._shared
        )

    def select_group(self, codes: list[str]) -> Resources:
        """These resources for the OPD `codes` (a lane of a fanned-out
        consolidation, flows/consolidate.py): one run, one unit per OPD."""
        if self.installation is None or len(codes) <= 1:
            return self.select(codes[0] if codes else None)
        selected = tuple(self.installation.check(code) for code in codes)
        return Resources(
            self.settings, self.installation.config(selected[0]), self.installation, selected, self._shared
        )

    @property
    def kabupaten_name(self) -> str:
        """The recap's header: pipeline.yaml kabupaten.name, else the first OPD's region."""
        return self.config.pipeline.kabupaten.name or self.config.catalogue.opd.region

    def source_dir(self, bidang: str) -> Where:
        return self.config.source_dir(bidang, self.settings.inbox_dir)

    def source_dirs(self) -> dict[str, Where]:
        return {b.code: self.source_dir(b.code) for b in self.config.catalogue.bidang}

    def budget_dir(self) -> Where:
        return self.config.budget_dir(self.settings.inbox_dir)

    @property
    def output_dir(self) -> Where:
        return self.settings.output_dir

    def report_dir(self, year: int) -> Where:
        """Where this OPD's reports of `year` go: out/<year>/, or out/<year>/<opd>/ with several OPD."""
        base = self.settings.output_dir / str(year)
        return base / self.opd if self.multi else base


_provided: ContextVar[Resources | None] = ContextVar("iku_resources", default=None)


@contextmanager
def provided(res: Resources) -> Iterator[Resources]:
    """Within this block, build_resources() without settings answers with `res`
    (selected for the OPD asked): the flows a command runs in its own process
    use the command's Resources. Prefect runs a flow called in-process, and its
    tasks, in the caller's thread, so they see it too."""
    token = _provided.set(res)
    try:
        yield res
    finally:
        _provided.reset(token)


def build_resources(settings: Settings | None = None, opd: str | None = None) -> Resources:
    """The resources of the run: of OPD `opd`, or of every OPD when None."""
    given = _provided.get()
    if settings is None and given is not None:
        return given.select(opd)
    settings = settings or load_settings()
    check_shared_warehouse(settings.warehouse_url, _work_pool())
    inst = load_installation(settings.config_dir)
    selected = (inst.check(opd),) if opd else ()
    return Resources(settings=settings, config=inst.config(opd), installation=inst, selected=selected)


def check_shared_warehouse(warehouse_url: str, pool: str | None) -> None:
    """A flow run by a work pool's worker shares the archive, the reports and the
    sources with the other workers (possibly on other machines), so it must share
    one warehouse too: SQLite is a file of this machine only. Refused with one
    line (ConfigError, exit 3) instead of each worker filling its own file."""
    from iku.config import ConfigError

    if pool and warehouse_url.startswith("sqlite"):
        raise ConfigError(
            f"run dari work pool '{pool}' menolak gudang data SQLite ({warehouse_url}): setiap worker "
            "akan mengisi berkasnya sendiri; setel IKU_WAREHOUSE_URL ke PostgreSQL bersama di lingkungan worker"
        )


def _work_pool() -> str | None:
    """The work pool of the flow run this process runs, if any (never imports Prefect)."""
    import sys

    if "prefect.context" not in sys.modules:
        return None
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    run = getattr(ctx, "flow_run", None) if ctx is not None else None
    return getattr(run, "work_pool_name", None) or None
