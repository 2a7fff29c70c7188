"""The environment (CONTRACT §6): where things live and how to reach them."""

from __future__ import annotations

from pathlib import Path

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
