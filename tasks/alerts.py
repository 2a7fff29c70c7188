"""Prefect tasks over the alert steps of alert_steps (thin: log and delegate).

Delivery never fails the calling flow: a refused SMTP server or a webhook
answering 500 is retried with back-off, and what still fails stays in the
warehouse for the next run.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.tasks import alert_steps as plain
from iku.tasks.alert_steps import alert_channels

__all__ = ["alert_channels"]

raise_submission_alerts = task(name="raise-submission-alerts", cache_policy=NO_CACHE)(
    plain.raise_submission_alerts
)
queue_recap = task(name="queue-recap", cache_policy=NO_CACHE)(plain.queue_recap)
deliver_alerts = task(name="deliver-alerts", cache_policy=NO_CACHE)(plain.deliver_alerts)
send_recap = task(name="send-recap", cache_policy=NO_CACHE)(plain.send_recap)
raise_missing_alerts = task(name="raise-missing-alerts", cache_policy=NO_CACHE)(plain.raise_missing_alerts)
raise_reminders = task(name="raise-reminders", cache_policy=NO_CACHE)(plain.raise_reminders)
send_kabupaten_recap = task(name="send-kabupaten-recap", cache_policy=NO_CACHE)(plain.send_kabupaten_recap)
