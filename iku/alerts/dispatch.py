"""The alert queue: every alert is first recorded in the warehouse (one row per
cause and channel, so a re-run never repeats it), then delivered. What fails
stays undelivered in the warehouse and the next run sends it.

Channels: ``email`` when IKU_SMTP_HOST and IKU_ALERT_EMAIL_FROM are set and the
alert has recipients; ``webhook`` when IKU_ALERT_WEBHOOK_URL is set. Recipients
of the e-mail: the planning team (IKU_ALERT_EMAIL_TO), plus the bidang's own
addresses (config/opd.yaml `email`) for alerts about that bidang. The recap
goes to the planning team only.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from iku.alerts import messages
from iku.alerts.email import EmailError, send_email, smtp_configured
from iku.alerts.webhook import WebhookError, post_webhook, redact_url
from iku.domain.model import Problem, SubmissionRecord
from iku.domain.periods import deadline
from iku.domain.schedule import as_of_datetime, months_due, reminder_due
from iku.domain.status import MonthSubmission
from iku.queries import submission_matrix
from iku.resources import Resources
from iku.storage import as_text
from iku.testhook import checkpoint
from iku.warehouse.budget import BudgetFileRecord, unalerted_budget_files

log_default = logging.getLogger("iku.alerts")
DeliveryError = (EmailError, WebhookError)


def _unique(items: Sequence[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        if item and item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def email_recipients(res: Resources, bidang: str | None, include_bidang: bool = True) -> list[str]:
    """IKU_ALERT_EMAIL_TO and the OPD's planning team (opd.email), then the bidang's
    own addresses. With several OPD an OPD's own team replaces IKU_ALERT_EMAIL_TO
    (the kabupaten's address), so no OPD reads another's alerts."""
    team = res.config.catalogue.opd.email
    people = list(team) if res.multi and team else [*res.settings.email_recipients, *team]
    if include_bidang and bidang:
        with contextlib.suppress(KeyError):
            people += res.config.catalogue.bidang_by_code(bidang).email
    return _unique(people)


def queue(
    res: Resources,
    msg: messages.AlertMessage,
    *,
    include_bidang: bool = True,
    to: list[str] | None = None,
    box: str | None = None,
) -> int:
    """Record `msg` once per configured channel, all channels in one transaction.
    Returns how many rows were new (0 when this cause was alerted before).
    `to`: these e-mail recipients instead of the OPD's; `box`: the warehouse's
    alert box other than the OPD's own (KABUPATEN_BOX for the kabupaten recap)."""
    s = res.settings
    common: dict[str, Any] = dict(
        cause_key=msg.cause_key,
        kind=msg.kind,
        subject=msg.subject,
        bidang=msg.bidang,
        year=msg.year,
        month=msg.month,
    )
    rows = []
    to = email_recipients(res, msg.bidang, include_bidang) if to is None else to
    if smtp_configured(s) and to:
        payload: dict[str, Any] = {"text": msg.text, "to": to}
        if msg.attachments:
            payload["attachments"] = list(msg.attachments)
        rows.append(dict(common, channel="email", recipient=", ".join(to), payload=payload))
    if s.alert_webhook_url:
        rows.append(
            dict(
                common,
                channel="webhook",
                recipient=redact_url(s.alert_webhook_url),
                payload=msg.webhook_body(),
            )
        )
    return res.warehouse.add_alerts(box or res.opd, rows) if rows else 0


def channels(res: Resources) -> list[str]:
    """The alert channels this environment configures."""
    found = []
    if smtp_configured(res.settings) and any(email_recipients(u, None) for u in res.units()):
        found.append("email")
    if res.settings.alert_webhook_url:
        found.append("webhook")
    return found


def outbox(res: Resources) -> list[SubmissionRecord | BudgetFileRecord]:
    """Invalid and unreadable files the warehouse holds without their alert,
    then valid files held by a locked quarter without theirs, then refused
    budget sheets without theirs (none when no channel is configured: nothing
    could be recorded)."""
    if not channels(res):
        return []
    pipe = res.config.pipeline
    since = datetime.now(UTC) - timedelta(days=pipe.alerts.catch_up_days)
    return [
        *res.warehouse.unalerted_submissions(res.opd, since),
        *res.warehouse.unalerted_held(res.opd, since, lock_after_days=pipe.lock_after_days, tz=pipe.timezone),
        *unalerted_budget_files(res.warehouse, res.opd, since, as_text(res.budget_dir())),
    ]


def _source(res: Resources, bidang: str | None) -> str | None:
    return str(res.source_dir(bidang)) if bidang else None


# -- raising ------------------------------------------------------------------------


def raise_submission_alerts(
    res: Resources, records: Sequence[SubmissionRecord | BudgetFileRecord] | None = None
) -> int:
    """One alert per invalid or unreadable record, and per valid record held by
    a locked quarter ("terkunci"), per channel. Without `records`: every such
    file in the warehouse still without its alert (the outbox), whichever run
    recorded it, refused budget sheets too."""
    queued = 0
    for rec in outbox(res) if records is None else records:
        if isinstance(rec, BudgetFileRecord):  # a refused budget sheet a killed run never alerted
            period = (rec.year, rec.month)
            queued += raise_budget_alert(
                res, rec.file_name, rec.sha256, period, rec.problems, rec.received_at
            )
            continue
        msg = messages.submission_alert(rec, res.config, _source(res, rec.bidang))
        if msg is not None:
            queued += queue(res, msg)
    return queued


def raise_budget_alert(
    res: Resources,
    file_name: str,
    sha256: str,
    period: tuple[int | None, int | None],
    problems: list[Problem],
    received_at: datetime,
) -> int:
    """The alert of a refused budget sheet of the inbox, to the planning team, once."""
    msg = messages.invalid_budget(
        file_name, sha256, period, problems, received_at, res.config, str(res.budget_dir())
    )
    return queue(res, msg, include_bidang=False)


def _wanted(res: Resources, as_of: datetime, period: tuple[int, int] | None) -> list[tuple[int, int]]:
    pipe = res.config.pipeline
    return [period] if period else months_due(as_of, pipe.deadline_day, pipe.timezone)


def missing_cells(
    res: Resources, as_of: datetime, period: tuple[int, int] | None = None
) -> list[MonthSubmission]:
    """Every (bidang, month) missing at `as_of`: one month, or every month due (months_due)."""
    wanted = _wanted(res, as_of, period)
    found: list[MonthSubmission] = []
    for year in sorted({y for y, _ in wanted}):
        months = {m for y, m in wanted if y == year}
        cells = submission_matrix(res, year, max(months), as_of)
        found += [c for c in cells if c.month in months and c.status == "missing"]
    return sorted(found, key=lambda c: (c.year, c.month, c.bidang))


def evidence_gaps(
    res: Resources, as_of: datetime, period: tuple[int, int] | None = None
) -> list[tuple[str, int, int, list[str]]]:
    """(bidang, year, month, indicator codes) of every month due with valid data
    whose indicators requiring bukti dukung (evidence_required) have none."""
    from iku.warehouse.sakip import Sakip

    required = [i for i in res.config.catalogue.indicators if i.evidence_required]
    if not required:
        return []
    sakip = Sakip(res.warehouse)
    wanted = _wanted(res, as_of, period)
    gaps = []
    for year in sorted({y for y, _ in wanted}):
        months = sorted(m for y, m in wanted if y == year)
        with_data = {k for k, v in sakip.states(res.opd, year).items() if v.state is not None}
        lacking = sakip.months_missing_evidence(res.opd, year, [i.code for i in required], months)
        for m in months:
            for bidang in sorted({i.bidang for i in required}):
                codes = [i.code for i in required if i.bidang == bidang and (i.code, m) in lacking]
                if codes and (bidang, m) in with_data:
                    gaps.append((bidang, year, m, codes))
    return gaps


def raise_missing_alerts(
    res: Resources, as_of: datetime, period: tuple[int, int] | None = None
) -> tuple[list[MonthSubmission], int]:
    """Alerts for the months missing after their deadline, and for the months
    whose required bukti dukung is missing (`missing_evidence`)."""
    found = missing_cells(res, as_of, period)
    queued = sum(
        queue(res, messages.missing_submission(c, res.config, as_of, _source(res, c.bidang))) for c in found
    )
    pipe = res.config.pipeline
    for bidang, year, month, codes in evidence_gaps(res, as_of, period):
        due = deadline(year, month, pipe.deadline_day, pipe.timezone)
        queued += queue(res, messages.missing_evidence(bidang, year, month, codes, res.config, due))
    return found, queued


def raise_reminders(res: Resources, as_of: datetime) -> tuple[list[MonthSubmission], int, int | None]:
    """On H-n before a deadline: a reminder to each bidang with nothing valid yet
    for that month. Returns (cells reminded, rows queued, n or None when not a reminder day)."""
    pipe = res.config.pipeline
    due = reminder_due(as_of.date(), pipe.deadline_day, pipe.schedules.reminder_days_before)
    if due is None:
        return [], 0, None
    year, month, n = due
    cells = [
        c
        for c in submission_matrix(res, year, month, as_of)
        if c.month == month and c.status in ("pending", "invalid")
    ]
    queued = sum(queue(res, messages.reminder(c, n, res.config, _source(res, c.bidang))) for c in cells)
    return cells, queued, n


def queue_recap(res: Resources, records: list[SubmissionRecord], as_of: datetime | None = None) -> str | None:
    """Queue the recap of `records` for the planning team. Returns its cause key,
    None when there is nothing to tell or it was queued before."""
    if not records:
        return None
    pipe = res.config.pipeline
    when = as_of_datetime(as_of, pipe.timezone)
    years = sorted({when.year} | {r.year for r in records if r.year})
    cells = []
    for year in years:
        cells += [
            c for c in submission_matrix(res, year, 12, when) if c.status in ("late", "invalid", "missing")
        ]
    msg = messages.recap(records, cells, res.config, when)
    return msg.cause_key if queue(res, msg, include_bidang=False) else None


# -- delivering ---------------------------------------------------------------------


def alert_key(row: dict) -> str:
    """The key a receiver de-duplicates by (X-IKU-Alert): the cause and, for an
    OPD's alert, its OPD code, so the same file sent to two OPD makes two alerts.
    The warehouse keeps the cause per OPD already (its alert box)."""
    box = row.get("opd_code")
    return row["cause_key"] if not box or box == KABUPATEN_BOX else f"{row['cause_key']}:{box}"


def _send(res: Resources, row: dict, timeout: float) -> str | None:
    """One attempt; returns a note (e.g. refused recipients) or raises a DeliveryError."""
    headers = {"X-IKU-Alert": alert_key(row)}
    if row["channel"] == "email":
        to = row["payload"].get("to") or [a.strip() for a in row["recipient"].split(",") if a.strip()]
        refused = send_email(
            res.settings,
            to,
            row["subject"],
            row["payload"]["text"],
            timeout=timeout,
            headers=headers,
            attachments=[Path(a) for a in row["payload"].get("attachments", [])],
        )
        return f"refused: {sorted(refused)}" if refused else None
    if row["channel"] == "webhook":
        if not res.settings.alert_webhook_url:
            raise WebhookError("IKU_ALERT_WEBHOOK_URL is not set")
        post_webhook(res.settings.alert_webhook_url, row["payload"], timeout=timeout, headers=headers)
        return None
    raise WebhookError(f"unknown channel {row['channel']!r}", permanent=True)


def deliver(
    res: Resources,
    *,
    backoff: Sequence[float] | None = None,
    attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    log: logging.Logger | None = None,
    only: set[str] | None = None,
    box: str | None = None,
) -> dict:
    """Send every undelivered alert, also those left by earlier runs. Never raises
    on a delivery failure, and each alert is delivered on its own: whatever goes
    wrong with one (a refused recipient, a rejected body, an unforeseen error)
    is recorded on its row and the others still go out.

    Each channel is delivered on its own, at the same time as the others and
    with a time budget of its own: a mail server that accepts and never answers
    spends the e-mail channel's time, never the webhook's (issue 17, M3).

    Each alert gets a first attempt and up to `retry_attempts` retries with
    back-off when the channel itself fails (no connection, a timeout, a
    temporary refusal). Once one alert of a channel has failed every attempt,
    the rest of that channel waits for the next run: a dead server costs one
    back-off sequence per run, not one per alert. A channel's delivery, back-off
    included, stops after `alerts.max_total_seconds`; what is left is kept for
    the next run. Alerts tried least are sent first, so one that always fails
    cannot hold the others back.

    `only`: restrict to these cause keys (the recap right after it is queued);
    `box`: another alert box than the OPD's own (KABUPATEN_BOX)."""
    log = log or log_default
    policy = res.config.pipeline.alerts
    backoff = list(policy.retry_backoff_seconds if backoff is None else backoff) or [0]
    tries = 1 + (policy.retry_attempts if attempts is None else attempts)
    stop_at = clock() + policy.max_total_seconds
    pending = sorted(res.warehouse.undelivered_alerts(box or res.opd), key=lambda r: (r["attempts"], r["id"]))
    if only is not None:
        pending = [r for r in pending if r["cause_key"] in only]
    by_channel: dict[str, list[dict]] = {}
    for row in pending:
        by_channel.setdefault(row["channel"], []).append(row)

    def one_channel(rows: list[dict]) -> tuple[int, int, int, bool]:
        return _deliver_channel(res, rows, tries, backoff, sleep, clock, stop_at, log)

    if len(by_channel) > 1:
        with ThreadPoolExecutor(max_workers=len(by_channel), thread_name_prefix="iku-alerts") as pool:
            outcomes = list(pool.map(one_channel, by_channel.values()))
    else:
        outcomes = [one_channel(rows) for rows in by_channel.values()]
    delivered = sum(o[0] for o in outcomes)
    failed = sum(o[1] for o in outcomes)
    deferred = sum(o[2] for o in outcomes)
    down = sorted(channel for channel, o in zip(by_channel, outcomes, strict=True) if o[3])
    if down:
        log.error("saluran tidak tersedia pada run ini: %s", ", ".join(down))
    if deferred:
        log.warning(
            "pengiriman peringatan dihentikan setelah %s detik (alerts.max_total_seconds): %d peringatan disimpan untuk run berikutnya",
            policy.max_total_seconds,
            deferred,
        )
    return {"delivered": delivered, "failed": failed + deferred}


def _deliver_channel(res, rows, tries, backoff, sleep, clock, stop_at, log) -> tuple[int, int, int, bool]:
    """One channel's alerts in order: (delivered, failed, deferred, channel down)."""
    delivered = failed = deferred = 0
    down = False
    for row in rows:
        if down:
            failed += 1
            continue
        if clock() >= stop_at:
            deferred += 1
            continue
        outcome = _deliver_one(res, row, tries, backoff, sleep, clock, stop_at, log)
        if outcome == "delivered":
            delivered += 1
        else:
            failed += 1
            down = outcome == "channel down"
    return delivered, failed, deferred, down


def _deliver_one(res, row, tries, backoff, sleep, clock, stop_at, log) -> str:
    """Try one alert: 'delivered', 'failed' (this alert only) or 'channel down'."""
    channel, error, tried = row["channel"], None, 0
    for attempt in range(1, tries + 1):
        remaining = stop_at - clock()
        if remaining <= 0:
            error = f"{error or 'not sent'}; no time left this run (alerts.max_total_seconds)"
            break
        tried = attempt
        timeout = min(res.config.pipeline.alerts.timeout_seconds, remaining)
        try:
            note = _send(res, row, timeout)
        except DeliveryError as exc:
            error = str(exc)
            log.warning(
                "peringatan %s (%s, %s) percobaan %d/%d gagal: %s",
                row["id"],
                row["kind"],
                channel,
                attempt,
                tries,
                error,
            )
            if exc.permanent:  # refused for good: about this alert, not the channel
                res.warehouse.mark_alert(row["id"], delivered=False, attempts=attempt, error=error)
                return "failed"
            if attempt < tries:
                sleep(max(0.0, min(backoff[min(attempt - 1, len(backoff) - 1)], stop_at - clock())))
            continue
        except Exception as exc:  # unforeseen, and about this alert alone: record it, go on
            error = f"{type(exc).__name__}: {exc}"
            log.error(
                "peringatan %s (%s, %s) tidak dapat dikirim: %s", row["id"], row["kind"], channel, error
            )
            res.warehouse.mark_alert(row["id"], delivered=False, attempts=attempt, error=error[:2000])
            return "failed"
        res.warehouse.mark_alert(row["id"], delivered=True, attempts=attempt, error=note)
        log.info(
            "peringatan %s (%s) terkirim lewat %s ke %s", row["id"], row["kind"], channel, row["recipient"]
        )
        checkpoint("alert-delivered")
        return "delivered"
    res.warehouse.mark_alert(row["id"], delivered=False, attempts=tried, error=error)
    log.error(
        "peringatan %s (%s) tidak terkirim lewat %s setelah %d percobaan; disimpan untuk run berikutnya",
        row["id"],
        row["kind"],
        channel,
        tried,
    )
    return "channel down"


def deliver_safely(res: Resources, log: logging.Logger | None = None, **kwargs) -> dict:
    """deliver(), but even an unexpected error is logged, not raised: alerting
    must never fail the run that calls it. Only a warehouse that is gone is
    raised (the command then ends with exit 4)."""
    from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

    log = log or log_default
    try:
        return deliver(res, log=log, **kwargs)
    except (OperationalError, ProgrammingError, InterfaceError):
        raise  # the warehouse itself is gone: the command ends with exit 4
    except Exception as exc:
        log.error("pengiriman peringatan berhenti: %s: %s", type(exc).__name__, exc)
        box = kwargs.get("box")
        return {"delivered": 0, "failed": len(_undelivered_or_empty(res, box)), "error": type(exc).__name__}


def _undelivered_or_empty(res: Resources, box: str | None = None) -> list:
    try:
        return res.warehouse.undelivered_alerts(box or res.opd)
    except Exception:
        return []


def send_recap(
    res: Resources,
    records: list[SubmissionRecord],
    as_of: datetime | None = None,
    log: logging.Logger | None = None,
    **deliver_kwargs,
) -> bool:
    """Queue the recap and send it right away. True when a new recap was queued
    (if its delivery fails, the next run sends it)."""
    key = queue_recap(res, records, as_of)
    if key is None:
        return False
    deliver_safely(res, log=log, only={key}, **deliver_kwargs)
    return True


def alert_side_product(
    res: Resources, what: str, where: str, error: str, log: logging.Logger | None = None
) -> None:
    """A side product (GX Data Docs, the report index) could not be written: log
    it and queue one alert a month per product and place; never raises, since the
    run it accompanies must go on."""
    log = log or log_default
    log.error("%s tidak ditulis ke %s: %s", what, where, error)
    try:
        now = datetime.now(UTC)
        queue(res, messages.side_product_failed(what, where, error, res.config, now), include_bidang=False)
    except Exception as exc:
        log.error("peringatan tentang %s tidak diantrekan: %s: %s", what, type(exc).__name__, exc)


# -- the kabupaten recap ------------------------------------------------------------

# The warehouse's alert box of the kabupaten's own messages: not an OPD code
# (those start with a letter or digit), so no OPD ever delivers or reads them.
KABUPATEN_BOX = "_kabupaten"


def kabupaten_recipients(res: Resources) -> list[str]:
    """pipeline.yaml kabupaten.email, else IKU_ALERT_EMAIL_TO (the kabupaten's address)."""
    return _unique(res.config.pipeline.kabupaten.email or res.settings.email_recipients)


def kabupaten_channels(res: Resources) -> list[str]:
    """The channels the kabupaten recap goes out by."""
    found = ["email"] if smtp_configured(res.settings) and kabupaten_recipients(res) else []
    return found + (["webhook"] if res.settings.alert_webhook_url else [])


def send_kabupaten_recap(
    res: Resources,
    msg: messages.AlertMessage,
    log: logging.Logger | None = None,
    **deliver_kwargs,
) -> dict:
    """Queue the kabupaten recap (once per cause and channel) and deliver it, with
    whatever kabupaten message an earlier run left undelivered. Never raises on
    a delivery failure: what fails stays queued for the next run."""
    new = queue(res, msg, include_bidang=False, to=kabupaten_recipients(res), box=KABUPATEN_BOX)
    return {"queued": new, **deliver_safely(res, log=log, box=KABUPATEN_BOX, **deliver_kwargs)}
