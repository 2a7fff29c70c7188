"""Resources a run needs, built once from the environment and swappable in tests
(another warehouse URL, another inbox) without touching the rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from iku.config import Config, load_config
from iku.settings import Settings, load_settings
from iku.warehouse import Warehouse


@dataclass
class Resources:
    settings: Settings
    config: Config

    @cached_property
    def warehouse(self) -> Warehouse:
        wh = Warehouse(self.settings.warehouse_url)
        wh.migrate()
        return wh

    @property
    def opd(self) -> str:
        return self.config.catalogue.opd.code

    def source_dir(self, bidang: str) -> Path:
        return self.config.source_dir(bidang, self.settings.inbox_dir)

    def source_dirs(self) -> dict[str, Path]:
        return {b.code: self.source_dir(b.code) for b in self.config.catalogue.bidang}

    @property
    def output_dir(self) -> Path:
        return self.settings.output_dir


def build_resources(settings: Settings | None = None) -> Resources:
    settings = settings or load_settings()
    return Resources(settings=settings, config=load_config(settings.config_dir))
