"""The monthly consolidation flow (CONTRACT §3, §8): the order of
flows/pipeline.py with the steps as this flow run's tasks."""

from __future__ import annotations

from prefect import flow

from flows.pipeline import consolidate_all
from iku.resources import build_resources
from tasks import consolidate as consolidate_tasks


@flow(name="iku-consolidate", log_prints=True)
def consolidate_flow(opd: str | None = None) -> dict:
    """Validate, archive and load every new sheet of every bidang of every OPD
    (or of OPD `opd`), then alert each OPD's own recipients: the steps of
    consolidate_all, each as a task of the flow run."""
    return consolidate_all(build_resources(opd=opd), steps=consolidate_tasks)
