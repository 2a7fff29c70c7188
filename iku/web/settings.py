"""The portal's own environment (CONTRACT §10): IKU_WEB_*."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IKU_WEB_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8040
    secret: SecretStr | None = None  # signs the session cookies
    secret_file: Path = Path("data/web-secret")  # generated (0600) when no secret is set
    secure_cookie: bool = False  # true behind a TLS reverse proxy: the cookie then goes over HTTPS only
    session_hours: int = 8
    # sessions ended by signing out, until their expiry (0600); default: beside secret_file
    revoked_file: Path | None = None
    # the reverse proxy's address(es), comma-separated: X-Forwarded-For is believed from these only
    # (the sign-in limits per address); unset: never (the server must run with proxy_headers off)
    trusted_proxy: str | None = None
    consolidate_now: bool = True  # consolidate right after an accepted upload (else: the schedule does)
    # what one account (its sessions and tokens) and one OPD (all its accounts) may send; 0: no limit.
    # Every sheet counts, invalid ones too (each is stored, archived and alerted).
    uploads_per_hour: int = Field(30, ge=0)
    upload_bytes_per_day: int = Field(100_000_000, ge=0)
    opd_uploads_per_hour: int = Field(200, ge=0)
    opd_upload_bytes_per_day: int = Field(1_000_000_000, ge=0)
    # below this many free bytes on the inbox's or the archive's file system, uploads are refused (507)
    min_free_bytes: int = Field(1_000_000_000, ge=0)


def revoked_file(settings: WebSettings) -> Path:
    return settings.revoked_file or settings.secret_file.with_name("web-sessions-ended.json")


def session_secret(settings: WebSettings) -> str:
    """IKU_WEB_SECRET, else a random secret generated once into a 0600 file."""
    if settings.secret is not None and settings.secret.get_secret_value():
        return settings.secret.get_secret_value()
    path = settings.secret_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass  # another process created it first
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"{path}: rahasia sesi terlalu pendek (paling sedikit 32 karakter)")
    return text
