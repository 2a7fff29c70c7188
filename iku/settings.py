"""The environment (CONTRACT §6): where things live and how to reach them.

The one module that reads the process environment (and the one that writes
it, for Prefect and GX, which read their own settings only from there):
Settings (IKU_*), with WebSettings (IKU_WEB_*, the portal) and ServerSettings
(IKU_PREFECT_*, the local Prefect server) beside it, each read when its part
of iku needs it, so a bad portal port never stops `iku consolidate`. The
composition root (iku.resources) builds the Resources of a run from Settings.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from iku.shipped import default_config_dir
from iku.storage import Location, Where, lasting


class Settings(BaseSettings):
    # an empty variable (KEY= in an env file) means unset, never "the current folder"
    model_config = SettingsConfigDict(env_prefix="IKU_", extra="ignore", env_ignore_empty=True)

    # IKU_CONFIG_DIR, else ./config when present, else the shipped config/ (iku/shipped.py)
    config_dir: Path = Field(default_factory=default_config_dir)
    warehouse_url: str = "sqlite:///data/iku.sqlite"
    # plain paths or fsspec URLs (s3://, sftp://, file://): iku/storage.py, CONTRACT §6
    inbox_dir: Location = Path("data/inbox")
    output_dir: Location = Path("out")
    archive_dir: Location = Path("data/archive")

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    # Many mail servers refuse a message above 10–25 MB; attachments that would
    # pass this size stay on the server and the body names them instead.
    smtp_max_message_bytes: int = Field(10_000_000, gt=0)
    alert_email_from: str | None = None
    alert_email_to: str | None = Field(None, description="comma-separated")
    alert_webhook_url: str | None = None
    # iku's log lines on the console (the by-hand commands' step log): INFO by default, in
    # Indonesian; DEBUG adds the engineers' lines, uvicorn's start and access lines included
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # on a work pool: the flow runs a kabupaten's scheduled consolidation fans out
    # into (flows/consolidate.py); unset: the pool's online workers
    consolidate_lanes: int | None = Field(None, ge=1)

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("warehouse_url")
    @classmethod
    def _warehouse_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "bukan URL gudang data SQLAlchemy, mis. sqlite:///data/iku.sqlite atau "
                "postgresql+psycopg://user@host/db"
            ) from None
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            # a database in memory ends with the command: everything loaded would be lost
            raise ValueError("SQLite di memori kehilangan semua data saat perintah selesai; pakai berkas")
        return value

    @field_validator("archive_dir", "output_dir")
    @classmethod
    def _lasting(cls, value: Where) -> Where:
        return lasting(value)  # memory:// forgets it all at exit, as an in-memory SQLite would

    @field_validator("alert_email_from", "alert_email_to")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        from iku.config import check_email

        for address in (value or "").split(","):
            if address.strip():
                check_email(address.strip())
        return value

    @property
    def email_recipients(self) -> list[str]:
        return [a.strip() for a in (self.alert_email_to or "").split(",") if a.strip()]


def load_settings() -> Settings:
    """Settings from the environment; a bad value is a ConfigError (exit 3), one line."""
    from iku.config import ConfigError, error_text

    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "IKU_" + str(err["loc"][0]).upper() if err["loc"] else "IKU_*"
        raise ConfigError(f"variabel lingkungan {name}: {error_text(err)}") from None


class WebSettings(BaseSettings):
    """The portal's own environment (CONTRACT §10): IKU_WEB_*."""

    # an empty variable means unset, as for IKU_* (IKU_WEB_SECRET_FILE= is never the current folder)
    model_config = SettingsConfigDict(env_prefix="IKU_WEB_", extra="ignore", env_ignore_empty=True)

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
    # a request (headers and body) not received whole within this many seconds is answered 408 and
    # closed: half-sent requests held uvicorn's sockets for ever (issue 17 L4); 5 MB in 120 s is 42 kB/s
    request_timeout: float = Field(120, gt=0)


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


class ServerSettings(BaseSettings):
    """The local Prefect server iku manages when PREFECT_API_URL is unset
    (iku.orchestration.local_server). Read as text: a bad value is refused
    there, with the variable's name, as the server's own error (exit 6)."""

    model_config = SettingsConfigDict(env_prefix="IKU_PREFECT_", extra="ignore", env_ignore_empty=True)

    home: Path = Path("data/prefect")  # state folder (database, log, pid)
    port: str = "4200"  # on 127.0.0.1 (a free one if taken)
    start_timeout: str = "300"  # seconds to wait for the start
    # the Prefect API the caller chose (Prefect's own variable, no IKU_ prefix)
    api_url: str | None = Field(None, validation_alias="PREFECT_API_URL")

    @property
    def resolved_home(self) -> Path:
        return self.home.resolve()

    def chosen_api_url(self) -> str | None:
        """A Prefect API the caller chose: PREFECT_API_URL, or a setting already
        active in this process (Prefect's test harness)."""
        if self.api_url:
            return self.api_url
        if "prefect.settings" in sys.modules:
            from prefect.settings import get_current_settings

            return str(get_current_settings().api.url)
        return None


def environment() -> dict[str, str]:
    """A copy of the process environment, for a child process iku starts."""
    return dict(os.environ)


def set_library_env(values: Mapping[str, str], override: bool = False) -> None:
    """Settings of Prefect and GX, which they read from the environment only:
    the one place iku writes there. Without `override`, a value the caller set
    stays."""
    for key, value in values.items():
        if override:
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
