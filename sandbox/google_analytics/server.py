"""The GA4 emulator's HTTP server: the Data API's REST surface plus the `/_sandbox` controls.

Serves what `BetaAnalyticsDataClient(transport="rest")` calls:
`POST /v1beta/properties/{id}:runReport` and `GET /v1beta/properties/{id}/metadata`, with
bodies in the SDK's own JSON mapping (int64 as strings) and errors as Google's JSON errors
(`{"error": {"code", "message", "status"}}`), which the SDK raises as `google.api_core`
exceptions. `/_sandbox/quota` reads or sets the property's remaining tokens.
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from datetime import date
from typing import Any
from urllib.parse import SplitResult

from google.analytics.data_v1beta.types import Metadata, RunReportRequest, RunReportResponse

from sandbox.control import Clock, FaultBook, RequestLog
from sandbox.google_analytics.catalog import metadata
from sandbox.google_analytics.quota import PropertyQuotaBook, QuotaLimits, request_cost
from sandbox.google_analytics.reports import ReportError, invalid, run_report, to_response
from sandbox.google_analytics.traffic import build_traffic
from sandbox.http import Answer, EmulatorHandler, EmulatorServer, not_allowed, serving
from sandbox.org import FIRST_DAY, LAST_DAY, build_org

DEFAULT_PROPERTY_ID = "123456789"
_RUN_REPORT = re.compile(r"^/v1beta/properties/([^/:]+):runReport$")
_METADATA = re.compile(r"^/v1beta/properties/([^/:]+)/metadata$")
_NO_ACCESS = (
    "User does not have sufficient permissions for this property. To learn more about "
    "Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/"
    "property-id."
)


class AnalyticsEmulator:
    """One GA4 property built from the demo organisation, with clock, quota, faults and log."""

    def __init__(
        self,
        *,
        seed: int = 7,
        volume: float = 1.0,
        start: date = FIRST_DAY,
        end: date = LAST_DAY,
        now: int | None = None,
        property_id: str = DEFAULT_PROPERTY_ID,
        limits: QuotaLimits | None = None,
    ) -> None:
        self.org = build_org(seed=seed, volume=volume, start=start, end=end)
        self.cells = build_traffic(self.org)
        self.property_id = property_id
        self.clock = Clock.of(self.org, now)
        self.quota = PropertyQuotaBook(limits or QuotaLimits())
        self.faults = FaultBook()
        self.requests = RequestLog()

    def check_property(self, property_id: str, metadata_call: bool = False) -> None:
        if property_id != self.property_id and not (metadata_call and property_id == "0"):
            raise ReportError(403, "PERMISSION_DENIED", _NO_ACCESS)

    def run_report(self, property_id: str, body: bytes) -> RunReportResponse:
        self.check_property(property_id)
        try:
            request = RunReportRequest.from_json(body.decode() or "{}")
        except Exception as exc:  # the JSON parser's own message, as GA4 echoes it
            raise invalid(f"Invalid JSON payload received. {exc}") from None
        now = self.clock.now
        self.quota.check(now)
        report = run_report(request, self.cells, now)
        response = to_response(report)
        if request.return_property_quota:
            days = 1 + (
                _day_span(request.date_ranges[0].start_date, request.date_ranges[0].end_date)
            )
            response.property_quota = self.quota.spend(now, request_cost(len(report.rows), days))
        else:
            self.quota.spend(now, request_cost(len(report.rows), 1))
        return response

    def metadata(self, property_id: str) -> Metadata:
        self.check_property(property_id, metadata_call=True)
        return metadata(property_id)


def _day_span(start: str, end: str) -> int:
    try:
        return max(0, (date.fromisoformat(end) - date.fromisoformat(start)).days)
    except ValueError:
        return 0


_FAULTS: dict[int, tuple[str, str]] = {
    429: (
        "RESOURCE_EXHAUSTED",
        "Exhausted concurrent requests quota for a property. Too many requests are being sent "
        "at the same time.",
    ),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request timed out."),
}


class _Handler(EmulatorHandler[AnalyticsEmulator]):
    server_version = "ESF"
    sys_version = ""
    content_type = "application/json; charset=UTF-8"

    def answer(self, method: str, url: SplitResult, raw_body: bytes) -> Answer:
        status = 500
        logged: dict[str, Any] = {}
        try:
            if raw_body.strip():
                logged = json.loads(raw_body)
            status, payload = self._api(method, url.path, raw_body)
        except ReportError as exc:
            status, payload = exc.http_status, exc.body()
        except Exception as exc:  # answer like the API, never hang up
            status, payload = 500, ReportError(500, "INTERNAL", f"Emulator error: {exc!r}").body()
        return Answer(status, payload, logged=logged)

    def _api(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        emulator = self.server.emulator
        run = _RUN_REPORT.match(path)
        meta = _METADATA.match(path)
        if not (run and method == "POST") and not (meta and method == "GET"):
            raise ReportError(404, "NOT_FOUND", f"Method not found: {method} {path}")
        fault = emulator.faults.strike(path, bool(run))
        if fault is not None and fault.status is not None:
            status, message = _FAULTS.get(fault.status, ("UNKNOWN", "Injected failure"))
            raise ReportError(fault.status, status, message)
        if meta:
            return 200, json.loads(Metadata.to_json(emulator.metadata(meta.group(1))))
        response = emulator.run_report(run.group(1), body) if run else None
        assert response is not None
        payload = json.loads(RunReportResponse.to_json(response, use_integers_for_enums=True))
        if fault is not None and fault.malformed and payload.get("rows"):
            payload["rows"][0]["metricValues"][0]["value"] = "not-a-number"
        return 200, payload

    def extra_control(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        if path != "/_sandbox/quota":
            return None
        emulator = self.server.emulator
        if method == "POST":
            emulator.quota.update(emulator.clock.now, body)
        elif method != "GET":
            return not_allowed(method, path)
        return 200, emulator.quota.describe(emulator.clock.now)


def make_server(
    emulator: AnalyticsEmulator, host: str = "127.0.0.1", port: int = 0
) -> EmulatorServer[AnalyticsEmulator]:
    return EmulatorServer((host, port), emulator, _Handler)


def serve_in_thread(
    emulator: AnalyticsEmulator, host: str = "127.0.0.1"
) -> AbstractContextManager[EmulatorServer[AnalyticsEmulator]]:
    """Serve on a background thread for in-process tests; yields the server (`.base_url`)."""
    return serving(make_server(emulator, host, 0), "ga4-sandbox")
