"""The demo property's Data API quota: tokens per hour and per day, spent by each RunReport.

Token buckets refill when the emulator's clock enters a new hour or day. A request costs
more tokens the more rows and days it reads (GA4 says most cost under 10). Once a bucket is
empty every RunReport is refused with RESOURCE_EXHAUSTED, as GA4 refuses them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from google.analytics.data_v1beta.types import PropertyQuota, QuotaStatus

from sandbox.google_analytics.reports import ReportError

HOUR = 3600
DAY = 86_400
QUOTAS_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/quotas"


@dataclass
class QuotaLimits:
    """A standard (non-360) property's limits."""

    tokens_per_day: int = 200_000
    tokens_per_hour: int = 40_000
    tokens_per_project_per_hour: int = 14_000
    concurrent_requests: int = 10
    server_errors_per_project_per_hour: int = 10
    potentially_thresholded_requests_per_hour: int = 120


def request_cost(rows: int, days: int) -> int:
    """Tokens one request spends: a few, more for many rows or a long date range."""
    return 3 + rows // 2_000 + days // 30


class PropertyQuotaBook:
    """Remaining tokens of the current hour and day of the emulator's clock."""

    def __init__(self, limits: QuotaLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._hour = self._day = -1
        self.hour_used = self.day_used = self.project_hour_used = 0

    def _roll(self, now: int) -> None:
        if now // DAY != self._day:
            self._day, self.day_used = now // DAY, 0
        if now // HOUR != self._hour:
            self._hour, self.hour_used, self.project_hour_used = now // HOUR, 0, 0

    def check(self, now: int) -> None:
        """Refuse the request if any token bucket is empty."""
        with self._lock:
            self._roll(now)
            limits = self.limits
            if self.day_used >= limits.tokens_per_day:
                raise ReportError(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Exhausted property tokens per day for a property. These quota tokens will "
                    f"return tomorrow. To learn more, see {QUOTAS_URL}",
                )
            if self.hour_used >= limits.tokens_per_hour:
                raise ReportError(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Exhausted property tokens per hour for a property. These quota tokens "
                    f"will return in under an hour. To learn more, see {QUOTAS_URL}",
                )
            if self.project_hour_used >= limits.tokens_per_project_per_hour:
                raise ReportError(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Exhausted property tokens for a project per hour. These quota tokens will "
                    f"return in under an hour. To learn more, see {QUOTAS_URL}",
                )

    def spend(self, now: int, tokens: int) -> PropertyQuota:
        """Deduct a served request's tokens; the quota as the response reports it."""
        with self._lock:
            self._roll(now)
            self.day_used += tokens
            self.hour_used += tokens
            self.project_hour_used += tokens
            limits = self.limits
            return PropertyQuota(
                tokens_per_day=_status(tokens, limits.tokens_per_day - self.day_used),
                tokens_per_hour=_status(tokens, limits.tokens_per_hour - self.hour_used),
                tokens_per_project_per_hour=_status(
                    tokens, limits.tokens_per_project_per_hour - self.project_hour_used
                ),
                concurrent_requests=_status(0, limits.concurrent_requests),
                server_errors_per_project_per_hour=_status(
                    0, limits.server_errors_per_project_per_hour
                ),
                potentially_thresholded_requests_per_hour=_status(
                    0, limits.potentially_thresholded_requests_per_hour
                ),
            )

    def update(self, now: int, body: dict[str, Any]) -> None:
        """Test control: set what remains of this hour's / day's tokens, or new limits."""
        unknown = set(body) - {"tokens_per_hour_remaining", "tokens_per_day_remaining", "limits"}
        if unknown:
            raise ValueError(f"unknown quota fields: {sorted(unknown)}")
        with self._lock:
            self._roll(now)
            for name, value in (body.get("limits") or {}).items():
                if not hasattr(self.limits, name):
                    raise ValueError(f"unknown quota limit {name!r}")
                setattr(self.limits, name, int(value))
            if "tokens_per_hour_remaining" in body:
                self.hour_used = self.limits.tokens_per_hour - int(
                    body["tokens_per_hour_remaining"]
                )
            if "tokens_per_day_remaining" in body:
                self.day_used = self.limits.tokens_per_day - int(body["tokens_per_day_remaining"])

    def describe(self, now: int) -> dict[str, int]:
        with self._lock:
            self._roll(now)
            return {
                "tokens_per_hour_remaining": max(0, self.limits.tokens_per_hour - self.hour_used),
                "tokens_per_day_remaining": max(0, self.limits.tokens_per_day - self.day_used),
                "tokens_per_project_per_hour_remaining": max(
                    0, self.limits.tokens_per_project_per_hour - self.project_hour_used
                ),
            }


def _status(consumed: int, remaining: int) -> QuotaStatus:
    return QuotaStatus(consumed=consumed, remaining=max(0, remaining))
