"""`[alerts]`: where alerts go. A Slack-compatible incoming webhook (Slack, Google Chat and Teams
accept one JSON POST), e-mail over SMTP with STARTTLS (port 587: GCP blocks 25), either, both
or none. The webhook URL and the SMTP password are secrets (`.dlt/secrets.toml` locally, Secret
Manager into `.env` on the VM)."""

from __future__ import annotations

from pathlib import Path

from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.typing import TSecretStrValue

from destinations.settings import PROJECT_ROOT, SettingError


@configspec
class AlertSettings(BaseConfiguration):
    webhook_url: TSecretStrValue | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: TSecretStrValue | None = None
    # a CA bundle to verify the SMTP server with, for a relay with a private CA (default: the
    # system's); STARTTLS is always used, never a plain connection
    smtp_ca_file: str | None = None
    mail_from: str | None = None
    mail_to: str | None = None  # comma-separated addresses
    # a short digest after each successful night (rows per source, the marts in a line each)
    digest: bool = False
    # alerts that could not be delivered wait here and go out with the next one
    outbox: str = ".local/alerts/outbox.jsonl"
    timeout_seconds: float = 10.0
    # the dead man's switch: each successful night writes a point of a custom metric to this
    # project's Cloud Monitoring (terraform/monitoring.tf alerts when none came for 26 hours)
    heartbeat_project: str | None = None
    monitoring_url: str = "https://monitoring.googleapis.com"

    @property
    def recipients(self) -> list[str]:
        return [part.strip() for part in (self.mail_to or "").split(",") if part.strip()]

    @property
    def mails(self) -> bool:
        return bool(self.smtp_host)

    def outbox_path(self) -> Path:
        path = Path(self.outbox).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path

    def secrets(self) -> list[str]:
        """The values that must never appear in an alert."""
        return [str(value) for value in (self.webhook_url, self.smtp_password) if value]


def alert_settings() -> AlertSettings:
    settings = resolve_configuration(AlertSettings(), sections=("alerts",))
    if settings.mails and not (settings.mail_from and settings.recipients):
        raise SettingError(
            "alerts.smtp_host is set but alerts.mail_from or alerts.mail_to is not "
            "(env ALERTS__MAIL_FROM, ALERTS__MAIL_TO)"
        )
    if settings.webhook_url and not str(settings.webhook_url).startswith(("https://", "http://")):
        raise SettingError("alerts.webhook_url is not an http(s) URL (env ALERTS__WEBHOOK_URL)")
    return settings
