"""The alert steps as plain functions over iku.alerts.dispatch (thin: log and
delegate); tasks/alerts.py wraps them as Prefect tasks for the flows.

Delivery never fails the calling flow: a refused SMTP server or a webhook
answering 500 is retried with back-off, and what still fails stays in the
warehouse for the next run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime

from iku.alerts import dispatch, messages
from iku.domain.model import SubmissionRecord
from iku.domain.status import MonthSubmission
from iku.reports import RecapData, recap_json
from iku.resources import Resources
from iku.storage import Where
from tasks._log import run_logger


def alert_channels(res: Resources) -> list[str]:
    """The channels alerts go out by; none configured means nothing is sent."""
    return dispatch.channels(res)


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
        run_logger().info("berkas tidak valid/tidak terbaca: %d peringatan baru diantrekan", queued)
    return queued


def queue_recap(res: Resources, records: list[SubmissionRecord], as_of: datetime | None = None) -> bool:
    """Queue the recap of this run's new files for the planning team (delivered
    with every other alert by deliver-alerts)."""
    log = run_logger()
    if not alert_channels(res):
        return False  # deliver-alerts says once that nothing is sent
    try:
        key = dispatch.queue_recap(res, records, as_of)
    except Exception as exc:
        log.error("rekap tidak diantrekan: %s: %s", type(exc).__name__, exc)
        return False
    log.info("rekap %s", "diantrekan" if key else "sudah diantrekan untuk berkas-berkas ini")
    return key is not None


def deliver_alerts(res: Resources, backoff: list[float] | None = None) -> dict:
    """Send every undelivered alert (also those left by earlier runs); never raises."""
    log = run_logger()
    # each OPD's alerts, to its own recipients; and, with every OPD in the run,
    # a kabupaten recap an earlier run could not deliver
    boxes: list[tuple[Resources, str | None]] = (
        [(unit, None) for unit in res.units()] if alert_channels(res) else []
    )
    if res.multi and not res.selected and dispatch.kabupaten_channels(res):
        boxes.append((res, dispatch.KABUPATEN_BOX))
    if not boxes:
        log.warning(
            "tidak ada saluran peringatan (IKU_SMTP_HOST, IKU_ALERT_EMAIL_FROM dan IKU_ALERT_EMAIL_TO, "
            "atau IKU_ALERT_WEBHOOK_URL): tidak ada peringatan atau rekap yang dikirim"
        )
        return {"delivered": 0, "failed": 0}
    result: dict = {"delivered": 0, "failed": 0}
    for unit, box in boxes:
        for key, value in dispatch.deliver_safely(unit, log=log, backoff=backoff, box=box).items():
            result[key] = result.get(key, 0) + value if isinstance(value, int) else value
    log.info("peringatan terkirim: %d, tidak terkirim: %d", result["delivered"], result["failed"])
    return result


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
        log.error("rekap tidak diantrekan: %s: %s", type(exc).__name__, exc)
        return False
    log.info("rekap %s", "diantrekan dan dikirim" if sent else "sudah dikirim untuk berkas-berkas ini")
    return sent


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
            "belum masuk: %sbidang %s, %d-%02d", f"OPD {c.opd}, " if c.opd else "", c.bidang, c.year, c.month
        )
    log.info(
        "%d laporan belum masuk per %s%s",
        len(found),
        as_of.isoformat(),
        f": {queued} peringatan baru diantrekan" if alert_channels(res) else "",
    )
    return found


def raise_reminders(res: Resources, as_of: datetime) -> list[MonthSubmission]:
    cells, queued, n = [], 0, None
    for unit in res.units():
        mine, q, n = dispatch.raise_reminders(unit, as_of)
        cells += [replace(c, opd=unit.opd) if res.multi else c for c in mine]
        queued += q
    if n is None:
        run_logger().info("%s bukan hari pengingat: tidak ada yang dikerjakan", as_of.date().isoformat())
    else:
        run_logger().info(
            "H-%d: %d bidang belum menyampaikan, %d pengingat baru diantrekan", n, len(cells), queued
        )
    return cells


def send_kabupaten_recap(
    res: Resources, data: RecapData, files: list[Where], backoff: list[float] | None = None
) -> dict:
    """The recap of every OPD, its files attached, to the kabupaten (pipeline.yaml
    kabupaten.email, else IKU_ALERT_EMAIL_TO) and the webhook. Once per period
    and set of figures; never fails the run that wrote the recap."""
    log = run_logger()
    if not dispatch.kabupaten_channels(res):
        log.warning(
            "tidak ada saluran untuk rekap kabupaten (IKU_SMTP_HOST, IKU_ALERT_EMAIL_FROM dan kabupaten.email "
            "atau IKU_ALERT_EMAIL_TO, atau IKU_ALERT_WEBHOOK_URL): rekap ditulis, tidak dikirim"
        )
        return {"queued": 0, "delivered": 0, "failed": 0}
    figures = recap_json(data)
    figures.pop("as_of")  # the same figures a day later are the same recap
    digest = hashlib.sha256(json.dumps(figures, sort_keys=True, default=str).encode()).hexdigest()
    try:
        msg = messages.kabupaten_recap(data, files, digest)
        result = dispatch.send_kabupaten_recap(res, msg, log=log, backoff=backoff)
    except Exception as exc:  # the recap files stand; the next run sends what is queued
        log.error("rekap kabupaten tidak dikirim: %s: %s", type(exc).__name__, exc)
        return {"queued": 0, "delivered": 0, "failed": 1, "error": type(exc).__name__}
    log.info(
        "rekap kabupaten %s: %s; terkirim %d, tidak terkirim %d",
        data.period.slug,
        "diantrekan" if result["queued"] else "sudah diantrekan untuk angka-angka ini",
        result["delivered"],
        result["failed"],
    )
    return result
