"""The read side of Stripe's v1 API over the emulated account, as seen at the clock's `now`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.stripe.objects import StripeData, StripeEvent, StripeObject
from sandbox.stripe.query import ApiError, ListParams, SortedIndex, list_params

# URL segment -> (resource, filters the list endpoint accepts besides paging/created).
RESOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "customers": ("customer", ("email",)),
    "products": ("product", ("active", "shippable", "type")),
    "prices": ("price", ("active", "currency", "product", "type")),
    "charges": ("charge", ("customer", "payment_intent", "transfer_group")),
    "refunds": ("refund", ("charge", "payment_intent")),
    "invoices": ("invoice", ("customer", "status", "subscription", "collection_method")),
    "subscriptions": ("subscription", ("customer", "status", "collection_method")),
    "balance_transactions": ("balance_transaction", ("type", "source", "currency")),
    "payouts": ("payout", ("status", "destination")),
    "disputes": ("dispute", ("charge", "payment_intent")),
    "payment_intents": ("payment_intent", ("customer",)),
    "radar/early_fraud_warnings": ("radar.early_fraud_warning", ("charge", "payment_intent")),
    "events": ("event", ("type", "types", "delivery_success")),
}
_SUBSCRIPTION_STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)
_INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


class StripeApi:
    """Answers GET /v1/<resource>[/<id>] from indexes built once at start."""

    def __init__(self, data: StripeData, event_retention_days: int = 30) -> None:
        self.data = data
        self.event_retention = event_retention_days * 86_400 if event_retention_days else None
        self.indexes: dict[str, SortedIndex] = {
            resource: SortedIndex(items) for resource, items in data.objects.items()
        }
        self.indexes["event"] = SortedIndex(data.events)

    def is_list(self, path: str) -> bool:
        parts = _parts(path)
        return len(parts) == 2 and parts[0] == "v1" and parts[1] in RESOURCES

    def get(self, path: str, query: dict[str, Any], now: int) -> dict[str, Any]:
        parts = _parts(path)
        if len(parts) in (2, 3) and parts[0] == "v1" and parts[1] in RESOURCES:
            if len(parts) == 2:
                return self.list(parts[1], query, now)
            return self.retrieve(parts[1], parts[2], now)
        raise ApiError(
            404,
            f"Unrecognized request URL (GET: {path}). Please see https://stripe.com/docs or "
            "we can help at https://support.stripe.com/.",
        )

    def _oldest_event(self, now: int) -> int | None:
        # Stripe keeps events for 30 days.
        return now - self.event_retention + 1 if self.event_retention else None

    def retrieve(self, segment: str, id_: str, now: int) -> dict[str, Any]:
        resource = RESOURCES[segment][0]
        found = self.data.by_id.get(id_)
        if isinstance(found, StripeEvent) and resource == "event":
            oldest = self._oldest_event(now)
            if found.created <= now and (oldest is None or found.created >= oldest):
                return found.render()
        elif (
            isinstance(found, StripeObject) and found.resource == resource and found.created <= now
        ):
            if found.deleted_at is not None and found.deleted_at <= now:
                return {"id": found.id, "object": resource, "deleted": True}
            return found.at(now)
        raise ApiError(404, f"No such {resource}: '{id_}'", param="id", code="resource_missing")

    def list(self, segment: str, query: dict[str, Any], now: int) -> dict[str, Any]:
        resource, allowed = RESOURCES[segment]
        params = list_params(query, allowed)
        keep = self._filter(resource, params, now)
        oldest = self._oldest_event(now) if resource == "event" else None
        items, has_more = self.indexes[resource].page(params, now, keep, resource, oldest)
        data = [e.render() if resource == "event" else e.at(now) for e in items]
        return {"object": "list", "data": data, "has_more": has_more, "url": f"/v1/{segment}"}

    def _filter(self, resource: str, params: ListParams, now: int) -> Callable[[Any], bool]:
        filters = dict(params.filters)
        if resource == "event":
            return _event_filter(filters)
        checks: list[Callable[[StripeObject], bool]] = []
        if resource == "subscription":
            status = filters.pop("status", None)
            if status is not None and status not in _SUBSCRIPTION_STATUSES:
                raise ApiError(400, f"Invalid status: {status}", param="status")
            # Like Stripe: canceled subscriptions only when asked for.
            if status is None:
                checks.append(lambda o: o.field_at(now, "status") != "canceled")
            elif status == "ended":
                checks.append(
                    lambda o: o.field_at(now, "status") in ("canceled", "incomplete_expired")
                )
            elif status != "all":
                checks.append(lambda o: o.field_at(now, "status") == status)
        if resource == "invoice" and filters.get("status", "paid") not in _INVOICE_STATUSES:
            raise ApiError(400, f"Invalid status: {filters['status']}", param="status")
        for key, raw in filters.items():
            if not isinstance(raw, str):
                raise ApiError(400, f"Invalid {key}: must be a string", param=key)
            expected: Any = (
                {"true": True, "false": False}.get(raw, raw)
                if key
                in (
                    "active",
                    "shippable",
                )
                else raw
            )
            checks.append(_field_equals(key, expected, now))

        def keep(o: StripeObject) -> bool:
            return o.visible(now) and all(check(o) for check in checks)

        return keep


def _parts(path: str) -> list[str]:
    """`/v1/<resource>[/<id>]`, a namespaced resource (`radar/early_fraud_warnings`) as one."""
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[1] == "radar":
        parts[1:3] = [f"{parts[1]}/{parts[2]}"]
    return parts


def _field_equals(key: str, expected: Any, now: int) -> Callable[[StripeObject], bool]:
    return lambda o: o.field_at(now, key) == expected


def _event_filter(filters: dict[str, Any]) -> Callable[[Any], bool]:
    wanted: list[str] = []
    if "type" in filters:
        if not isinstance(filters["type"], str):
            raise ApiError(400, "Invalid type: must be a string", param="type")
        wanted.append(filters["type"])
    if "types" in filters:
        types = filters["types"]
        if isinstance(types, str):
            types = [types]
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise ApiError(400, "Invalid array", param="types")
        if "type" in filters:
            raise ApiError(
                400, "You may only specify one of these parameters: type, types.", param="types"
            )
        if len(types) > 20:
            raise ApiError(400, "You may pass at most 20 event types.", param="types")
        wanted.extend(types)
    if not wanted:
        return lambda e: True
    exact = {t for t in wanted if not t.endswith("*")}
    # `charge.*` matches every type under `charge.`, as Stripe's wildcard does.
    prefixes = tuple(t[:-1] for t in wanted if t.endswith("*"))

    def keep(event: StripeEvent) -> bool:
        return event.type in exact or (bool(prefixes) and event.type.startswith(prefixes))

    return keep
