"""The Graph API v26.0 read side of the emulated ad account, as seen at the clock's `now`.

Served (the calls the `facebook-business` SDK makes):

- `GET /v26.0/act_<id>/campaigns|adsets|ads` with `fields` (comma-joined), `limit`, `after`;
- `GET /v26.0/act_<id>/insights` (synchronous) and `POST /v26.0/act_<id>/insights` (an async
  report run: `{"report_run_id": ...}`; the SDK sends `fields` as a JSON array there);
- `GET /v26.0/<report_run_id>/` (the SDK's `api_get()`, trailing slash) and
  `GET /v26.0/<report_run_id>/insights` (the finished report, paged);
- `GET /v26.0/act_<id>` and `GET /v26.0/<object id>` for single nodes.

Lists page with opaque cursors: `paging.cursors.after` and, unless it is the last page,
`paging.next` (the SDK's Cursor stops when `next` is missing). A report run's status moves
`Job Not Started` → `Job Started` → `Job Running` → `Job Completed` over successive polls; a run
can be armed to end `Job Failed` or to stay running forever.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from sandbox.facebook_ads.account import AdAccount, AdDay, FbAd, FbAdSet, FbCampaign
from sandbox.org import DAY, epoch

API_VERSION = "v26.0"
DEFAULT_LIMIT = 25
DEFAULT_WINDOWS = ("7d_click", "1d_view")
VALID_WINDOWS = (
    "1d_click",
    "7d_click",
    "28d_click",
    "1d_view",
    "7d_view",
    "28d_view",
    "1d_ev",
    "dda",
    "default",
)
# Facebook lists a purchase under several overlapping action types; a lead under two.
ACTION_TYPES = {
    "purchase": ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase"),
    "lead": ("lead", "offsite_conversion.fb_pixel_lead"),
}
INSIGHT_FIELDS = (
    "account_currency",
    "account_id",
    "account_name",
    "action_values",
    "actions",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "clicks",
    "cpc",
    "cpm",
    "ctr",
    "date_start",
    "date_stop",
    "frequency",
    "impressions",
    "objective",
    "reach",
    "spend",
)
LEVELS = ("ad", "adset", "campaign", "account")
JobOutcome = Literal["completed", "failed", "stuck"]


class GraphError(Exception):
    """An error answered in Graph's shape: `{"error": {message, type, code, ...}}`."""

    _trace_ids = itertools.count(1)

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        subcode: int | None = None,
        kind: str = "OAuthException",
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.subcode, self.kind, self.transient = subcode, kind, transient

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient:
            error["is_transient"] = True
        trace = base64.b64encode(f"sandbox-trace-{next(self._trace_ids)}".encode()).decode()
        error["fbtrace_id"] = trace.rstrip("=")[-11:]
        return {"error": error}


def invalid(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(400, 100, message, subcode)


def fb_time(at: int) -> str:
    """Graph's timestamp format: `2026-09-01T09:12:33+0000`."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


# --- objects ----------------------------------------------------------------------------------


def _status(account: AdAccount, campaign: FbCampaign, now: int) -> tuple[str, int]:
    """(status, updated_time): campaigns are paused the moment their last day ends."""
    ended = epoch(campaign.end) + DAY
    return ("PAUSED", ended) if now >= ended else ("ACTIVE", campaign.created_time)


def _campaign_fields(account: AdAccount, c: FbCampaign, now: int) -> dict[str, Any]:
    status, updated = _status(account, c, now)
    return {
        "id": c.id,
        "account_id": account.id,
        "name": c.name,
        "status": status,
        "configured_status": status,
        "effective_status": status,
        "objective": c.objective,
        "buying_type": "AUCTION",
        "daily_budget": str(c.daily_budget),
        "lifetime_budget": None,
        "special_ad_categories": [],
        "start_time": fb_time(epoch(c.start)),
        "stop_time": fb_time(epoch(c.end) + DAY),
        "created_time": fb_time(c.created_time),
        "updated_time": fb_time(max(updated, c.created_time)),
    }


def _ad_set_fields(account: AdAccount, s: FbAdSet, now: int) -> dict[str, Any]:
    campaign = next(c for c in account.campaigns if c.id == s.campaign_id)
    status, updated = _status(account, campaign, now)
    return {
        "id": s.id,
        "account_id": account.id,
        "campaign_id": s.campaign_id,
        "name": s.name,
        "status": "ACTIVE",
        "configured_status": "ACTIVE",
        "effective_status": "ACTIVE" if status == "ACTIVE" else "CAMPAIGN_PAUSED",
        "daily_budget": str(s.daily_budget),
        "lifetime_budget": None,
        "optimization_goal": s.optimization_goal,
        "billing_event": s.billing_event,
        "bid_strategy": s.bid_strategy,
        "targeting": s.targeting,
        "start_time": fb_time(epoch(campaign.start)),
        "end_time": fb_time(epoch(campaign.end) + DAY),
        "created_time": fb_time(s.created_time),
        "updated_time": fb_time(max(updated, s.created_time)),
    }


def _ad_fields(account: AdAccount, a: FbAd, now: int) -> dict[str, Any]:
    campaign = account.campaign_of(a)
    status, updated = _status(account, campaign, now)
    return {
        "id": a.id,
        "account_id": account.id,
        "campaign_id": a.campaign_id,
        "adset_id": a.adset_id,
        "name": a.name,
        "status": "ACTIVE",
        "configured_status": "ACTIVE",
        "effective_status": "ACTIVE" if status == "ACTIVE" else "CAMPAIGN_PAUSED",
        "creative": {"id": a.creative_id},
        "created_time": fb_time(a.created_time),
        "updated_time": fb_time(max(updated, a.created_time)),
    }


@dataclass(frozen=True)
class _Edge:
    node_type: str
    items: Callable[[AdAccount], Iterable[Any]]
    render: Callable[[AdAccount, Any, int], dict[str, Any]]


EDGES: dict[str, _Edge] = {
    "campaigns": _Edge("Campaign", lambda a: a.campaigns, _campaign_fields),
    "adsets": _Edge("AdSet", lambda a: a.ad_sets, _ad_set_fields),
    "ads": _Edge("Ad", lambda a: a.ads, _ad_fields),
}


def select_fields(record: dict[str, Any], fields: list[str], node_type: str) -> dict[str, Any]:
    """Only the asked-for fields, plus `id`, as Graph does; an unknown field is an error, a
    known one with no value (None here) is left out."""
    for name in fields:
        if name not in record:
            raise invalid(
                f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
            )
    return {"id": record["id"], **{f: record[f] for f in fields if record[f] is not None}}


# --- parameters -------------------------------------------------------------------------------


def parse_list(value: Any, name: str) -> list[str]:
    """A list parameter: a JSON array (POST, nested values) or comma-joined text (GET)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            raise invalid(f"(#100) param {name} must be an array.") from None
        if not isinstance(parsed, list):
            raise invalid(f"(#100) param {name} must be an array.")
        return [str(v) for v in parsed]
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_limit(params: Mapping[str, Any], cap: int) -> int:
    raw = params.get("limit")
    if raw in (None, ""):
        return min(DEFAULT_LIMIT, cap)
    try:
        limit = int(str(raw))
    except ValueError:
        raise invalid("(#100) param limit must be an integer.") from None
    if limit < 1:
        raise invalid("(#100) param limit must be a positive integer.")
    return min(limit, cap)


def encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"sandbox-cursor:{index}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, index = text.partition(":")
        if prefix != "sandbox-cursor":
            raise ValueError(cursor)
        return int(index)
    except ValueError:
        raise invalid("(#100) Invalid cursor.") from None


def page(
    items: list[dict[str, Any]], params: Mapping[str, Any], cap: int, url: str
) -> dict[str, Any]:
    """One page of `items` after the cursor in `params`, Graph style."""
    limit = parse_limit(params, cap)
    offset = decode_cursor(str(params["after"])) + 1 if params.get("after") else 0
    chunk = items[offset : offset + limit]
    payload: dict[str, Any] = {"data": chunk}
    if chunk:
        last = offset + len(chunk) - 1
        paging: dict[str, Any] = {
            "cursors": {"before": encode_cursor(offset), "after": encode_cursor(last)}
        }
        if last + 1 < len(items):
            following = {**{k: v for k, v in params.items() if k != "before"}}
            following["after"] = encode_cursor(last)
            following["limit"] = str(limit)
            paging["next"] = f"{url}?{urlencode(following)}"
        payload["paging"] = paging
    return payload


@dataclass(frozen=True)
class InsightsQuery:
    level: str
    since: date
    until: date
    increment: int | None  # days per row; None = one row for the whole range
    fields: tuple[str, ...]
    windows: tuple[str, ...]

    @classmethod
    def parse(cls, params: Mapping[str, Any], today: date) -> InsightsQuery:
        level = str(params.get("level") or "account")
        if level not in LEVELS:
            raise invalid(f"(#100) level must be one of the following values: {', '.join(LEVELS)}")
        fields = parse_list(params.get("fields"), "fields")
        unknown = [f for f in fields if f not in INSIGHT_FIELDS]
        if unknown:
            raise invalid(
                "(#100) fields must be one of the following values: " + ", ".join(INSIGHT_FIELDS)
            )
        windows = parse_list(params.get("action_attribution_windows"), "action_attribution_windows")
        bad = [w for w in windows if w not in VALID_WINDOWS]
        if bad:
            raise invalid(
                "(#100) action_attribution_windows must be one of the following values: "
                + ", ".join(VALID_WINDOWS)
            )
        since, until = cls._range(params, today)
        return cls(
            level,
            since,
            until,
            cls._increment(params.get("time_increment")),
            tuple(fields) or ("spend", "impressions"),
            tuple(windows) or DEFAULT_WINDOWS,
        )

    @staticmethod
    def _range(params: Mapping[str, Any], today: date) -> tuple[date, date]:
        raw = params.get("time_range")
        if raw in (None, ""):
            preset = str(params.get("date_preset") or "last_30d")
            if preset == "yesterday":
                return today - timedelta(days=1), today - timedelta(days=1)
            if preset.startswith("last_") and preset.endswith("d") and preset[5:-1].isdigit():
                return today - timedelta(days=int(preset[5:-1])), today - timedelta(days=1)
            raise invalid(f"(#100) date_preset {preset} is not supported by the sandbox")
        try:
            spec = raw if isinstance(raw, dict) else json.loads(str(raw))
            since, until = date.fromisoformat(spec["since"]), date.fromisoformat(spec["until"])
        except (ValueError, KeyError, TypeError):
            raise invalid(
                "(#100) Must be a valid time range: {'since':'YYYY-MM-DD','until':'YYYY-MM-DD'}"
            ) from None
        if since > until:
            raise invalid("(#100) time_range since must be on or before until", 1487534)
        return since, until

    @staticmethod
    def _increment(raw: Any) -> int | None:
        if raw in (None, "", "all_days"):
            return None
        try:
            days = int(str(raw))
        except ValueError:
            raise invalid("(#100) time_increment must be all_days, monthly or 1-90") from None
        if not 1 <= days <= 90:
            raise invalid("(#100) time_increment must be all_days, monthly or 1-90")
        return days


# --- insights ---------------------------------------------------------------------------------


def _window_days(window: str) -> tuple[str, int] | None:
    """("click", 7) for "7d_click"; None for windows with no emulated conversions."""
    days, _, kind = window.partition("d_")
    if kind in ("click", "view") and days.isdigit():
        return kind, int(days)
    return None


@dataclass
class _Bucket:
    date_start: date
    date_stop: date
    keys: dict[str, str]
    objective: str
    spend_cents: int = 0
    impressions: int = 0
    clicks: int = 0
    reach: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # action -> window -> n
    values: dict[str, dict[str, Decimal]] = field(default_factory=dict)


def insights_rows(account: AdAccount, query: InsightsQuery, now: int) -> list[dict[str, Any]]:
    """Insights rows as Graph returns them, for days that had ended by `now`."""
    ads = {ad.id: ad for ad in account.ads}
    sets = {s.id: s for s in account.ad_sets}
    campaigns = {c.id: c for c in account.campaigns}
    windows = [(w, _window_days(w)) for w in query.windows]
    buckets: dict[tuple[date, str], _Bucket] = {}
    for (ad_id, day), ad_day in sorted(account.days.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if not query.since <= day <= query.until or epoch(day) + DAY > now:
            continue
        if not ad_day.impressions:
            continue
        ad = ads[ad_id]
        campaign = campaigns[ad.campaign_id]
        keys = _level_keys(account, query.level, ad, sets[ad.adset_id], campaign)
        first, last = _bucket_of(day, query)
        bucket = buckets.setdefault(
            (first, keys.get(f"{query.level}_id", account.id)),
            _Bucket(first, last, keys, campaign.objective),
        )
        _add(bucket, ad_day, windows, now)
    rows = [_render(account, bucket, query) for bucket in buckets.values()]
    rows.sort(
        key=lambda r: (
            r["date_start"],
            r.get("campaign_id", ""),
            r.get("adset_id", ""),
            r.get("ad_id", ""),
        )
    )
    return rows


def _level_keys(
    account: AdAccount, level: str, ad: FbAd, ad_set: FbAdSet, campaign: FbCampaign
) -> dict[str, str]:
    keys = {"account_id": account.id, "account_name": account.name}
    if level in ("campaign", "adset", "ad"):
        keys |= {"campaign_id": campaign.id, "campaign_name": campaign.name}
    if level in ("adset", "ad"):
        keys |= {"adset_id": ad_set.id, "adset_name": ad_set.name}
    if level == "ad":
        keys |= {"ad_id": ad.id, "ad_name": ad.name}
    return keys


def _bucket_of(day: date, query: InsightsQuery) -> tuple[date, date]:
    if query.increment is None:
        return query.since, query.until
    index = (day - query.since).days // query.increment
    first = query.since + timedelta(days=index * query.increment)
    return first, min(first + timedelta(days=query.increment - 1), query.until)


def _add(
    bucket: _Bucket, ad_day: AdDay, windows: list[tuple[str, tuple[str, int] | None]], now: int
) -> None:
    bucket.spend_cents += ad_day.spend_cents
    bucket.impressions += ad_day.impressions
    bucket.clicks += ad_day.clicks
    bucket.reach += ad_day.reach  # summing reach over ads overcounts people; fine for a sandbox
    for conversion in ad_day.conversions:
        if conversion.happened_at > now:
            continue  # not happened yet: a later read of this day will report it
        matched = [
            name
            for name, spec in windows
            if spec and spec[0] == conversion.kind and conversion.lag_days < spec[1]
        ]
        if not matched:
            continue
        counts = bucket.counts.setdefault(conversion.action, {})
        values = bucket.values.setdefault(conversion.action, {})
        for name in [*matched, "value"]:
            counts[name] = counts.get(name, 0) + 1
            values[name] = values.get(name, Decimal(0)) + conversion.value


def _render(account: AdAccount, bucket: _Bucket, query: InsightsQuery) -> dict[str, Any]:
    spend = Decimal(bucket.spend_cents) / 100
    computed: dict[str, Any] = {
        **bucket.keys,
        "account_currency": account.currency,
        "objective": bucket.objective,
        "spend": money(bucket.spend_cents),
        "impressions": str(bucket.impressions),
        "clicks": str(bucket.clicks),
        "reach": str(bucket.reach),
        "cpc": f"{spend / bucket.clicks:.6f}" if bucket.clicks else None,
        "ctr": f"{Decimal(bucket.clicks) * 100 / bucket.impressions:.6f}",
        "cpm": f"{spend * 1000 / bucket.impressions:.6f}",
        "frequency": f"{Decimal(bucket.impressions) / max(bucket.reach, 1):.6f}",
        "actions": _actions(bucket, query, bucket.counts, str),
        "action_values": _actions(
            bucket, query, {k: v for k, v in bucket.values.items() if k == "purchase"}, _amount
        ),
    }
    row = {name: computed[name] for name in query.fields if computed.get(name) is not None}
    row["date_start"] = bucket.date_start.isoformat()
    row["date_stop"] = bucket.date_stop.isoformat()
    return row


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


def _actions(
    bucket: _Bucket, query: InsightsQuery, by_action: Mapping[str, Mapping[str, Any]], fmt: Any
) -> list[dict[str, str]] | None:
    entries: list[dict[str, str]] = []
    if bucket.clicks and by_action is bucket.counts:
        entries.append({"action_type": "link_click", "value": str(bucket.clicks)})
    for action, totals in sorted(by_action.items()):
        for action_type in ACTION_TYPES[action]:
            entry = {"action_type": action_type, "value": fmt(totals["value"])}
            entry |= {w: fmt(totals[w]) for w in query.windows if w in totals}
            entries.append(entry)
    return entries or None  # Graph leaves the key out when there is nothing to report


# --- report runs ------------------------------------------------------------------------------


@dataclass
class ReportRun:
    """An async insights job: its rows are fixed when it is created, served once completed."""

    id: str
    account_id: str
    query: InsightsQuery
    rows: list[dict[str, Any]]
    created_at: int
    outcome: JobOutcome
    polls_needed: int
    polls: int = 0

    def status(self) -> tuple[str, int]:
        if self.outcome == "failed" and self.polls >= 2:
            return "Job Failed", 0
        if self.outcome == "stuck" and self.polls >= 2:
            return "Job Running", 37
        if self.polls >= self.polls_needed and self.outcome == "completed":
            return "Job Completed", 100
        if self.polls <= 1:
            return "Job Not Started", 0
        if self.polls == 2:
            return "Job Started", 0
        return "Job Running", min(95, round(100 * self.polls / max(self.polls_needed, 1)))

    def render(self) -> dict[str, Any]:
        status, percent = self.status()
        node: dict[str, Any] = {
            "id": self.id,
            "account_id": self.account_id,
            "time_ref": self.created_at,
            "async_status": status,
            "async_percent_completion": percent,
            "date_start": self.query.since.isoformat(),
            "date_stop": self.query.until.isoformat(),
        }
        if status == "Job Completed":
            node["time_completed"] = self.created_at + self.polls
        return node


class ReportRuns:
    """The async report runs created so far, and the outcomes armed for the next ones."""

    def __init__(self, polls_needed: int) -> None:
        self.polls_needed = polls_needed
        self._runs: dict[str, ReportRun] = {}
        self._armed: list[JobOutcome] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def arm(self, outcome: str, count: int = 1) -> list[str]:
        if outcome not in ("completed", "failed", "stuck"):
            raise ValueError("outcome must be completed, failed or stuck")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._armed += [outcome] * count  # type: ignore[list-item]
            return list(self._armed)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def create(
        self, account_id: str, query: InsightsQuery, rows: list[dict[str, Any]], now: int
    ) -> ReportRun:
        with self._lock:
            outcome: JobOutcome = self._armed.pop(0) if self._armed else "completed"
            run_id = f"{6_000_000_000_000_000 + next(self._ids) * 7919}"
            run = ReportRun(run_id, account_id, query, rows, now, outcome, self.polls_needed)
            self._runs[run_id] = run
            return run

    def get(self, run_id: str) -> ReportRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "armed": list(self._armed),
                "runs": [
                    {
                        "id": run.id,
                        "outcome": run.outcome,
                        "polls": run.polls,
                        "status": run.status()[0],
                        "since": run.query.since.isoformat(),
                        "until": run.query.until.isoformat(),
                    }
                    for run in self._runs.values()
                ],
            }


# --- routing ----------------------------------------------------------------------------------


class GraphApi:
    """Answers Graph requests against one ad account."""

    def __init__(self, account: AdAccount, page_cap: int = 500, job_polls: int = 3) -> None:
        self.account = account
        self.page_cap = page_cap
        self.runs = ReportRuns(job_polls)
        self.objects: dict[str, tuple[str, Any]] = {}
        for name, edge in EDGES.items():
            for item in edge.items(account):
                self.objects[item.id] = (name, item)

    def is_list(self, method: str, path: str) -> bool:
        parts = path.strip("/").split("/")
        return method == "GET" and len(parts) == 3 and parts[2] in (*EDGES, "insights")

    def handle(
        self, method: str, path: str, params: dict[str, Any], now: int, url_root: str
    ) -> dict[str, Any]:
        parts = path.split("/")[1:]  # keep the empty tail of a trailing slash
        if not parts or not parts[0].startswith("v") or "." not in parts[0]:
            raise invalid("Unknown path components: " + path, 2500)
        node, rest = parts[1] if len(parts) > 1 else "", [p for p in parts[2:] if p]
        url = f"{url_root}{path}"
        if node == self.account.node_id:
            return self._account(method, rest, params, now, url)
        if node.startswith("act_"):
            raise _no_object(node)
        run = self.runs.get(node)
        if run is not None and method == "GET":
            return self._report_run(run, rest, params, url)
        if node in self.objects and method == "GET" and not rest:
            name, item = self.objects[node]
            edge = EDGES[name]
            fields = parse_list(params.get("fields"), "fields")
            return select_fields(edge.render(self.account, item, now), fields, edge.node_type)
        raise _no_object(node)

    def _account(
        self, method: str, rest: list[str], params: dict[str, Any], now: int, url: str
    ) -> dict[str, Any]:
        if not rest and method == "GET":
            record = {
                "id": self.account.node_id,
                "account_id": self.account.id,
                "name": self.account.name,
                "currency": self.account.currency,
                "timezone_name": "Etc/UTC",
                "account_status": 1,
            }
            return select_fields(record, parse_list(params.get("fields"), "fields"), "AdAccount")
        if len(rest) == 1 and rest[0] in EDGES and method == "GET":
            edge = EDGES[rest[0]]
            fields = parse_list(params.get("fields"), "fields")
            visible = [item for item in edge.items(self.account) if item.created_time <= now]
            visible.sort(key=lambda item: (-item.created_time, item.id))  # newest first
            records = [
                select_fields(edge.render(self.account, item, now), fields, edge.node_type)
                for item in visible
            ]
            return page(records, params, self.page_cap, url)
        if len(rest) == 1 and rest[0] == "insights":
            today = datetime.fromtimestamp(now, UTC).date()
            query = InsightsQuery.parse(params, today)
            rows = insights_rows(self.account, query, now)
            if method == "POST":
                run = self.runs.create(self.account.id, query, rows, now)
                return {"report_run_id": run.id}
            if method == "GET":
                return page(rows, params, self.page_cap, url)
        raise invalid(f"(#100) Unsupported {method.lower()} request.", 33)

    def _report_run(
        self, run: ReportRun, rest: list[str], params: dict[str, Any], url: str
    ) -> dict[str, Any]:
        if not rest:
            run.polls += 1
            return run.render()
        if rest == ["insights"]:
            status, _ = run.status()
            if status != "Job Completed":
                raise invalid(f"(#100) The report is not ready yet: its status is {status}", 2601)
            return page(run.rows, params, self.page_cap, url)
        raise invalid("(#100) Unsupported get request.", 33)


def _no_object(node: str) -> GraphError:
    return invalid(
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api",
        33,
    )
