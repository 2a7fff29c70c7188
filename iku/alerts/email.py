"""Alert e-mail over SMTP (CONTRACT §6, §8).

STARTTLS is used when `IKU_SMTP_STARTTLS` is on (the default) and the server
offers it; port 465 means TLS from the first byte. Credentials come only from
the environment (`IKU_SMTP_USER`, `IKU_SMTP_PASSWORD`) and are never logged or
put in an error message. When STARTTLS is on but the server does not offer it,
the password is not sent in the clear: the attempt fails instead.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from iku import storage
from iku.domain.text import one_line
from iku.formatting import num
from iku.settings import Settings
from iku.storage import Where


class EmailError(Exception):
    """Delivery failed; the message is safe to log and store. `permanent`: the
    server refused this message for good (5xx, every recipient refused): retrying
    it is useless, and it says nothing about the other alerts."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.alert_email_from)


def build_email(
    settings: Settings,
    to: list[str],
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    attachments: Sequence[Where | str] | None = None,
) -> EmailMessage:
    # long Indonesian subjects: fold only at the RFC 5322 hard limit
    msg = EmailMessage(policy=email_policy.SMTP.clone(max_line_length=998))
    msg["From"] = settings.alert_email_from
    msg["To"] = ", ".join(to)
    # A header value may carry a file name: a line break or control character
    # in it would make the message raise (or inject a header), so it is one line.
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(localtime=True)
    domain = (settings.alert_email_from or "iku.local").rpartition("@")[2] or "iku.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        msg[name] = one_line(value)
    present: list[tuple[str, bytes]] = []
    gone = []
    for where in (storage.location(a) for a in attachments or []):  # local, or in a shared store
        try:
            if isinstance(where, Path) and not where.is_file():
                raise FileNotFoundError(where)
            present.append((where.name, storage.read_bytes(where)))
        except (OSError, storage.Unwritable):
            gone.append(where.name)
    if gone:  # moved or deleted since it was queued: the rest still goes
        body += "\n\n(Berkas tidak ditemukan lagi saat pengiriman: " + ", ".join(gone) + ")"
    present, too_big = _within(present, settings.smtp_max_message_bytes - 2 * len(body.encode()) - 4096)
    if too_big:
        body += (
            f"\n\n(Tidak dilampirkan agar e-mail tidak melebihi {num(settings.smtp_max_message_bytes / 1e6, 1)} MB "
            "(IKU_SMTP_MAX_MESSAGE_BYTES); berkasnya tersimpan di server: "
            + ", ".join(f"{name} ({num(size / 1e6, 1)} MB)" for name, size in too_big)
            + ")"
        )
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    for name, data in present:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, _, subtype = kind.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def _within(
    files: list[tuple[str, bytes]], room: int
) -> tuple[list[tuple[str, bytes]], list[tuple[str, int]]]:
    """The files that fit in `room` bytes once base64-encoded (4/3 of their size,
    plus a part header), in their order; a file too big is skipped, not the rest."""
    kept, skipped = [], []
    for name, data in files:
        cost = (len(data) + 2) // 3 * 4 * 77 // 76 + 512
        if cost <= room:
            kept.append((name, data))
            room -= cost
        else:
            skipped.append((name, len(data)))
    return kept, skipped


def _open_session(settings: Settings, host: str, port: int, timeout: float) -> smtplib.SMTP:
    """A connected, greeted and (where configured) encrypted and signed-in SMTP
    session: TLS on 465, STARTTLS where offered, credentials never in the clear."""
    smtp: smtplib.SMTP
    if port == 465:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if port != 465 and settings.smtp_starttls:
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            elif settings.smtp_user:
                raise EmailError(
                    f"{host}:{port} offers no STARTTLS; not sending credentials in the clear "
                    "(set IKU_SMTP_STARTTLS=false only for a trusted local relay)"
                )
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_email(
    settings: Settings,
    to: list[str],
    subject: str,
    body: str,
    *,
    timeout: float = 20,
    headers: dict[str, str] | None = None,
    attachments: Sequence[Where | str] | None = None,
) -> dict:
    """Send one message to `to`. Returns the recipients the server refused
    (when it accepted at least one); raises EmailError otherwise."""
    if not smtp_configured(settings):
        raise EmailError("e-mail is not configured (IKU_SMTP_HOST, IKU_ALERT_EMAIL_FROM)")
    if not to:
        raise EmailError("no recipients")
    msg = build_email(settings, to, subject, body, headers, attachments)
    host, port = settings.smtp_host or "", settings.smtp_port
    try:
        with _open_session(settings, host, port, timeout) as smtp:
            return smtp.send_message(msg, to_addrs=to)
    except EmailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(f"SMTP login refused by {host}:{port} (code {exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise EmailError(
            f"SMTP {host}:{port} answered {exc.smtp_code}: {text}", permanent=500 <= exc.smtp_code < 600
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailError(
            f"SMTP {host}:{port} refused every recipient: {sorted(exc.recipients)}", permanent=True
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(f"SMTP {host}:{port}: {type(exc).__name__}: {exc}") from None
