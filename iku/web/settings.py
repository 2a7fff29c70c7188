"""The portal's own environment (CONTRACT §10): IKU_WEB_*."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IKU_WEB_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8040
    secret: SecretStr | None = None  # signs the session cookies
    secret_file: Path = Path("data/web-secret")  # generated (0600) when no secret is set
    secure_cookie: bool = False  # true behind a TLS reverse proxy: the cookie then goes over HTTPS only
    session_hours: int = 8
    consolidate_now: bool = True  # consolidate right after an accepted upload (else: the schedule does)


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
