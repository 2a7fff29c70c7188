"""The monthly consolidation flow: composition only (CONTRACT §3, §8)."""
from __future__ import annotations

from prefect import flow

from iku.consolidation import summarise
from iku.resources import build_resources
from tasks.consolidate import archive_and_load, find_new_files, read_sheets, validate_sheets


@flow(name="iku-consolidate", log_prints=True)
def consolidate_flow() -> dict:
    """Validate, archive and load every new sheet of every bidang, then alert."""
    res = build_resources()
    with res.warehouse.exclusive("consolidate"):
        files, known = find_new_files(res)
        outcomes = read_sheets(res, files)
        problems = validate_sheets(res, outcomes) if outcomes else {}
        records = archive_and_load(res, outcomes, problems)
    summary = summarise(records, known)
    try:
        import tasks.alerts  # noqa: F401  (lands with issue 4)
    except ImportError:
        return summary
    _alert(res, records)
    return summary


def _alert(res, records) -> None:
    from tasks.alerts import deliver_alerts, raise_submission_alerts, send_recap

    if records:
        raise_submission_alerts(res, records)
        send_recap(res, records)
    deliver_alerts(res)
