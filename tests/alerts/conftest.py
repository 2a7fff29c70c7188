"""Fixtures for alert tests: real loopback receivers and Resources wired to them."""

from __future__ import annotations

import pytest
import yaml
from alert_samples import BIDANG_MAIL, PLANNING
from loopback import SmtpReceiver, WebhookReceiver

from iku.config import load_config
from iku.resources import Resources
from iku.settings import Settings


@pytest.fixture
def smtp():
    with SmtpReceiver() as box:
        yield box


@pytest.fixture
def hook():
    with WebhookReceiver() as box:
        yield box


@pytest.fixture
def alert_config(config_copy):
    """The shipped config with e-mail addresses for each bidang."""
    path = config_copy / "opd.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for b in data["bidang"]:
        b["email"] = BIDANG_MAIL[b["code"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_copy


@pytest.fixture
def make_res(alert_config, tmp_path):
    def make(
        warehouse_url: str, smtp: SmtpReceiver | None = None, hook: WebhookReceiver | None = None, **overrides
    ) -> Resources:
        values = dict(
            config_dir=alert_config,
            warehouse_url=warehouse_url,
            inbox_dir=tmp_path / "inbox",
            output_dir=tmp_path / "out",
            archive_dir=tmp_path / "archive",
            smtp_starttls=True,
        )
        if smtp is not None:
            values.update(
                smtp_host="127.0.0.1",
                smtp_port=smtp.port,
                alert_email_from="iku@disperkim.example",
                alert_email_to=", ".join(PLANNING),
            )
        if hook is not None:
            values.update(alert_webhook_url=hook.url)
        values.update(overrides)
        return Resources(settings=Settings(_env_file=None, **values), config=load_config(alert_config))

    return make
