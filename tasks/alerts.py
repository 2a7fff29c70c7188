"""Prefect tasks over the alert steps of alert_steps (thin: log and delegate).

Delivery never fails the calling flow: a refused SMTP server or a webhook
answering 500 is retried with back-off, and what still fails stays in the
warehouse for the next run.
"""

from __future__ import annotations

from tasks import alert_steps as plain
from tasks._step import step
from tasks.alert_steps import alert_channels as alert_channels

raise_submission_alerts = step(plain.raise_submission_alerts, "raise-submission-alerts", retries=False)
queue_recap = step(plain.queue_recap, "queue-recap", retries=False)
deliver_alerts = step(plain.deliver_alerts, "deliver-alerts", retries=False)
send_recap = step(plain.send_recap, "send-recap", retries=False)
raise_missing_alerts = step(plain.raise_missing_alerts, "raise-missing-alerts", retries=False)
raise_reminders = step(plain.raise_reminders, "raise-reminders", retries=False)
send_kabupaten_recap = step(plain.send_kabupaten_recap, "send-kabupaten-recap", retries=False)
