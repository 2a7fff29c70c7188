"""Prefect tasks over iku.alerts.dispatch (thin: log and delegate).

Delivery never fails the calling flow: a refused SMTP server or a webhook
answering 500 is retried with back-off, and what still fails stays in the
warehouse for the next run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.alerts import dispatch
from iku.domain.model import SubmissionRecord
from iku.domain.status import MonthSubmission
from iku.resources import Resources
from iku.tasks._log import run_logger


def alert_channels(res: Resources) -> list[str]:
    """The channels alerts go out by; none configured means nothing is sent."""
    return dispatch.channels(res)


@task(name="raise-submission-alerts", cache_policy=NO_CACHE)
def raise_submission_alerts(res: Resources, records: list[SubmissionRecord] | None = None) -> int:
    """Queue one alert per invalid or unreadable record, per configured channel.
    Without `records`: the outbox, every such file the warehouse holds without
    its alert (also those of a run killed before it alerted). Each OPD's own."""
    queued = sum(
        dispatch.raise_submission_alerts(
            unit, None if records is None else [r for r in records if (r.opd or res.opd) == unit.opd]
        )
        for unit in res.units()
    )
    if alert_channels(res):  # without a channel, deliver-alerts says so once
        run_logger().info("invalid/unreadable files: %d new alert(s) queued", queued)
    return queued


@task(name="queue-recap", cache_policy=NO_CACHE)
def queue_recap(res: Resources, records: list[SubmissionRecord], as_of: datetime | None = None) -> bool:
    """Queue the recap of this run's new files for the planning team (delivered
    with every other alert by deliver-alerts)."""
    log = run_logger()
    if not alert_channels(res):
        return False  # deliver-alerts says once that nothing is sent
    try:
        key = dispatch.queue_recap(res, records, as_of)
    except Exception as exc:
        log.error("recap not queued: %s: %s", type(exc).__name__, exc)
        return False
    log.info("recap %s", "queued" if key else "already queued for these files")
    return key is not None


@task(name="deliver-alerts", cache_policy=NO_CACHE)
def deliver_alerts(res: Resources, backoff: list[float] | None = None) -> dict:
    """Send every undelivered alert (also those left by earlier runs); never raises."""
    log = run_logger()
    if not alert_channels(res):
        log.warning(
            "no alert channel configured (IKU_SMTP_HOST, IKU_ALERT_EMAIL_FROM and IKU_ALERT_EMAIL_TO, "
            "or IKU_ALERT_WEBHOOK_URL): no alert or recap is sent"
        )
        return {"delivered": 0, "failed": 0}
    result: dict = {"delivered": 0, "failed": 0}
    for unit in res.units():  # each OPD's alerts, to its own recipients
        for key, value in dispatch.deliver_safely(unit, log=log, backoff=backoff).items():
            result[key] = result.get(key, 0) + value if isinstance(value, int) else value
    log.info("alerts delivered: %d, not delivered: %d", result["delivered"], result["failed"])
    return result


@task(name="send-recap", cache_policy=NO_CACHE)
def send_recap(
    res: Resources,
    records: list[SubmissionRecord],
    as_of: datetime | None = None,
    backoff: list[float] | None = None,
) -> bool:
    """One recap to the planning team after a consolidation that found new files."""
    log = run_logger()
    if not alert_channels(res):
        return False  # deliver-alerts says once that nothing is sent
    try:
        sent = False
        for unit in res.units():
            mine = [r for r in records if (r.opd or res.opd) == unit.opd]
            if mine:
                sent = dispatch.send_recap(unit, mine, as_of, log=log, backoff=backoff) or sent
    except Exception as exc:
        log.error("recap not queued: %s: %s", type(exc).__name__, exc)
        return False
    log.info("recap %s", "queued and sent" if sent else "already sent for these files")
    return sent


@task(name="raise-missing-alerts", cache_policy=NO_CACHE)
def raise_missing_alerts(
    res: Resources, as_of: datetime, period: tuple[int, int] | None = None
) -> list[MonthSubmission]:
    found, queued = [], 0
    for unit in res.units():
        cells, n = dispatch.raise_missing_alerts(unit, as_of, period)
        found += [replace(c, opd=unit.opd) if res.multi else c for c in cells]
        queued += n
    log = run_logger()
    for c in found:
        log.warning(
            "missing: %sbidang %s, %d-%02d", f"OPD {c.opd}, " if c.opd else "", c.bidang, c.year, c.month
        )
    log.info(
        "%d submission(s) missing at %s%s",
        len(found),
        as_of.isoformat(),
        f": {queued} new alert(s) queued" if alert_channels(res) else "",
    )
    return found


@task(name="raise-reminders", cache_policy=NO_CACHE)
def raise_reminders(res: Resources, as_of: datetime) -> list[MonthSubmission]:
    cells, queued, n = [], 0, None
    for unit in res.units():
        mine, q, n = dispatch.raise_reminders(unit, as_of)
        cells += [replace(c, opd=unit.opd) if res.multi else c for c in mine]
        queued += q
    if n is None:
        run_logger().info("%s is not a reminder day: nothing to do", as_of.date().isoformat())
    else:
        run_logger().info(
            "H-%d: %d bidang not yet submitted, %d new reminder(s) queued", n, len(cells), queued
        )
    return cells
