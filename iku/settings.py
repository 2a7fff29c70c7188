"""The environment (CONTRACT §6): where things live and how to reach them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IKU_", extra="ignore")

    config_dir: Path = Path("config")
    warehouse_url: str = "sqlite:///data/iku.sqlite"
    inbox_dir: Path = Path("data/inbox")
    output_dir: Path = Path("out")
    archive_dir: Path = Path("data/archive")

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    alert_email_from: str | None = None
    alert_email_to: str | None = Field(None, description="comma-separated")
    alert_webhook_url: str | None = None

    @property
    def email_recipients(self) -> list[str]:
        return [a.strip() for a in (self.alert_email_to or "").split(",") if a.strip()]

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.alert_email_from and self.email_recipients)


def get_settings() -> Settings:
    return Settings()
