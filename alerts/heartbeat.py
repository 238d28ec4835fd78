"""The nightly heartbeat: one point of a Cloud Monitoring custom metric per successful run.

The other half of the dead man's switch is terraform/monitoring.tf: an alert policy that
e-mails the operators when no point has arrived for 26 hours. Written with the VM's service
account (roles/monitoring.metricWriter) to `alerts.heartbeat_project`; unset (locally), nothing
is written. A heartbeat that cannot be written is logged and never fails the run: the policy
is what notices.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from alerts.send import post_json
from alerts.settings import AlertSettings

log = logging.getLogger(__name__)

METRIC = "custom.googleapis.com/data_platform/nightly_run_succeeded"
SCOPE = "https://www.googleapis.com/auth/monitoring.write"


def time_series(project: str, day: str, at: datetime) -> dict[str, Any]:
    """The body of `projects.timeSeries.create`: one INT64 gauge point, value 1, on `global`."""
    return {
        "timeSeries": [
            {
                "metric": {"type": METRIC, "labels": {"partition": day}},
                "resource": {"type": "global", "labels": {"project_id": project}},
                "metricKind": "GAUGE",
                "valueType": "INT64",
                "points": [
                    {
                        "interval": {"endTime": at.astimezone(UTC).isoformat(timespec="seconds")},
                        "value": {"int64Value": "1"},
                    }
                ],
            }
        ]
    }


def _token(url: str) -> str | None:
    """An OAuth token of the machine's credentials; none for a local stand-in (tests)."""
    if url.startswith("http://"):
        return None
    import google.auth
    from google.auth.transport.requests import Request

    credentials, _ = google.auth.default(scopes=[SCOPE])
    credentials.refresh(Request())
    return str(credentials.token)


def record_success(settings: AlertSettings, day: str, at: datetime | None = None) -> bool:
    """Write the heartbeat for a successful run of `day`; False (and one log line) if it could
    not be written, True if written, and True with nothing to do when no project is set."""
    if not settings.heartbeat_project:
        return True
    base = settings.monitoring_url.rstrip("/")
    url = f"{base}/v3/projects/{settings.heartbeat_project}/timeSeries"
    body = time_series(settings.heartbeat_project, day, at or datetime.now(UTC))
    try:
        token = _token(base)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        post_json(url, body, settings.timeout_seconds, headers)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        log.warning("heartbeat not written to %s: %s", url, reason)
        return False
    return True
