"""Resources over a temporary folder and the consolidation as `iku consolidate`
loads (the flow's own core), for tests that hold the consolidation rules
(tests/test_consolidation.py) and the portal's (tests/webkit.py)."""

from __future__ import annotations

from pathlib import Path

from sheetkit import REPO

from iku.config import load_config, load_installation
from iku.resources import Resources
from iku.settings import Settings


def make_resources(tmp_path: Path, warehouse_url: str, config_dir: Path | None = None) -> Resources:
    settings = Settings(
        config_dir=config_dir or REPO / "config",
        warehouse_url=warehouse_url,
        inbox_dir=tmp_path / "inbox",
        output_dir=tmp_path / "out",
        archive_dir=tmp_path / "archive",
    )
    if config_dir is not None:  # a whole installation (several OPD): the portal serves every OPD
        inst = load_installation(config_dir)
        return Resources(settings=settings, config=inst.config(), installation=inst)
    config = load_config(settings.config_dir)
    # Data Docs are covered by the flow test; here they would only cost time.
    config = config.model_copy(
        update={"pipeline": config.pipeline.model_copy(update={"gx_data_docs": False})}
    )
    return Resources(settings=settings, config=config)


def consolidate(res: Resources):
    """The records of one run: load_new_files, the run's core with the steps a
    manual `iku consolidate` runs (the flow runs the same ones as tasks)."""
    from flows.pipeline import load_new_files

    return load_new_files(res)[1]
