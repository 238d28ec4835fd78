"""Deliver an alert to every configured channel; what cannot be delivered waits in an outbox.

An alert never fails what raised it: a webhook or SMTP server that is down is logged in one line
and the alert is kept in the outbox (a JSON line per channel), tried again before the next alert
goes out. Secrets are scrubbed from every text before it leaves: the platform's own (alerts,
every source's) wherever an error message may have carried one.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.request
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path

from alerts.settings import AlertSettings, alert_settings

log = logging.getLogger(__name__)

HIDDEN = "[secret]"


@dataclass(frozen=True)
class Alert:
    """One alert: a subject line and the lines under it."""

    subject: str
    lines: tuple[str, ...] = ()

    def text(self) -> str:
        return "\n".join([self.subject, *self.lines])


def secret_values(settings: AlertSettings) -> list[str]:
    """Every secret a message could carry: the alerts' own and the sources' (their env
    variables, as `python -m sources --help` lists them)."""
    from sources.registry import SOURCE_NAMES, source_spec

    values = settings.secrets()
    for name in SOURCE_NAMES:
        for variable in source_spec(name).secret_settings:
            if os.environ.get(variable):
                values.append(os.environ[variable])
    return [value for value in values if len(value) >= 4]


def scrub(text: str, secrets: list[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, HIDDEN)
    return text


def post_json(
    url: str, body: object, timeout: float, headers: dict[str, str] | None = None
) -> None:
    """POST `body` as JSON; raises on a refused connection or an HTTP error status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def post_webhook(settings: AlertSettings, text: str) -> None:
    post_json(str(settings.webhook_url), {"text": text}, settings.timeout_seconds)


def send_mail(settings: AlertSettings, subject: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = str(settings.mail_from)
    message["To"] = ", ".join(settings.recipients)
    message.set_content(text)
    context = ssl.create_default_context(cafile=settings.smtp_ca_file)
    with smtplib.SMTP(
        str(settings.smtp_host), settings.smtp_port, timeout=settings.timeout_seconds
    ) as smtp:
        smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, str(settings.smtp_password or ""))
        smtp.send_message(message)


@dataclass(frozen=True)
class Pending:
    channel: str  # "webhook" | "mail"
    subject: str
    text: str


def _deliver(settings: AlertSettings, pending: Pending) -> bool:
    try:
        if pending.channel == "webhook":
            post_webhook(settings, pending.text)
        else:
            send_mail(settings, pending.subject, pending.text)
    except Exception as error:  # never the run's problem: kept and tried again later
        reason = scrub(f"{type(error).__name__}: {error}".splitlines()[0], secret_values(settings))
        log.warning("alert not delivered by %s, kept for later: %s", pending.channel, reason)
        return False
    return True


def _read_outbox(path: Path) -> list[Pending]:
    if not path.exists():
        return []
    return [Pending(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def _write_outbox(path: Path, pending: list[Pending]) -> None:
    if not pending:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(asdict(item)) + "\n" for item in pending))


def send(alert: Alert, settings: AlertSettings | None = None) -> int:
    """Send `alert` (and what waits in the outbox) to every configured channel; returns how many
    deliveries are still waiting. Never raises for a channel that is down."""
    settings = settings or alert_settings()
    channels = [
        name for name, on in (("webhook", settings.webhook_url), ("mail", settings.mails)) if on
    ]
    if not channels:
        return 0
    secrets = secret_values(settings)
    subject, text = scrub(alert.subject, secrets), scrub(alert.text(), secrets)
    outbox = settings.outbox_path()
    queue = [*_read_outbox(outbox), *(Pending(channel, subject, text) for channel in channels)]
    waiting = [item for item in queue if not _deliver(settings, item)]
    _write_outbox(outbox, waiting)
    return len(waiting)
