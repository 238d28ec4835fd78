"""Answering a parsed GAQL query: which fields each resource serves, and the rows they give.

A query reads one customer's rows of its FROM resource (customer, campaign or ad_group). With
`segments.date`, or a metric, each row is an entity on one day, metrics summed over the ad
groups beneath it and conversions reported as of the emulator's clock; with metrics but no
`segments.date` the days that pass the WHERE clause are summed per entity. Rows are plain
dicts of GAQL field name -> value until `to_message` builds the SDK's own `GoogleAdsRow`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from sandbox.google_ads.account import (
    AdsAccount,
    AdsAdGroup,
    AdsCampaign,
    AdsData,
    reported_conversions,
)
from sandbox.google_ads.gaql import Condition, Query, QueryError

RowPb = GoogleAdsRow.pb()
Row = dict[str, Any]


@dataclass(frozen=True)
class Entity:
    """One row of a FROM resource before segmenting: the objects its fields come from."""

    account: AdsAccount
    campaign: AdsCampaign | None = None
    ad_group: AdsAdGroup | None = None
    ad_group_ids: tuple[int, ...] = ()  # whose metrics add up to this entity's


Getter = Callable[[Entity], Any]

_CUSTOMER: dict[str, Getter] = {
    "customer.id": lambda e: e.account.id,
    "customer.resource_name": lambda e: e.account.resource_name,
    "customer.descriptive_name": lambda e: e.account.descriptive_name,
    "customer.currency_code": lambda e: e.account.currency_code,
    "customer.time_zone": lambda e: e.account.time_zone,
    "customer.manager": lambda e: e.account.manager,
    "customer.status": lambda e: "ENABLED",
}


def _campaign(get: Callable[[AdsCampaign], Any]) -> Getter:
    return lambda e: get(e.campaign) if e.campaign else None


def _ad_group(get: Callable[[AdsAdGroup], Any]) -> Getter:
    return lambda e: get(e.ad_group) if e.ad_group else None


_CAMPAIGN: dict[str, Getter] = {
    "campaign.id": _campaign(lambda c: c.id),
    "campaign.resource_name": _campaign(lambda c: c.resource_name),
    "campaign.name": _campaign(lambda c: c.name),
    "campaign.status": _campaign(lambda c: c.status),
    "campaign.advertising_channel_type": _campaign(lambda c: c.advertising_channel_type),
    "campaign.start_date_time": _campaign(lambda c: c.start_date_time),
    "campaign.end_date_time": _campaign(lambda c: c.end_date_time),
    "campaign.campaign_budget": _campaign(lambda c: c.budget_resource_name),
    "campaign.final_url_suffix": _campaign(lambda c: c.final_url_suffix),
    "campaign_budget.id": _campaign(lambda c: c.budget_id),
    "campaign_budget.resource_name": _campaign(lambda c: c.budget_resource_name),
    "campaign_budget.amount_micros": _campaign(lambda c: c.budget_amount_micros),
}
_AD_GROUP: dict[str, Getter] = {
    "ad_group.id": _ad_group(lambda g: g.id),
    "ad_group.resource_name": _ad_group(lambda g: g.resource_name),
    "ad_group.name": _ad_group(lambda g: g.name),
    "ad_group.status": _ad_group(lambda g: g.status),
    "ad_group.campaign": _ad_group(
        lambda g: f"customers/{g.customer_id}/campaigns/{g.campaign_id}"
    ),
}
SEGMENTS = ("segments.date",)
METRICS = (
    "metrics.impressions",
    "metrics.clicks",
    "metrics.cost_micros",
    "metrics.conversions",
    "metrics.conversions_value",
)

# FROM resource -> the attribute fields a query on it may name (besides segments and metrics)
ATTRIBUTES: dict[str, dict[str, Getter]] = {
    "customer": _CUSTOMER,
    "campaign": {**_CUSTOMER, **_CAMPAIGN},
    "ad_group": {**_CUSTOMER, **_CAMPAIGN, **_AD_GROUP},
}
_METRIC_FIELDS = frozenset(METRICS)
_ORDERED_OPERATORS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@functools.cache
def field_descriptor(path: str) -> FieldDescriptor | None:
    """The protobuf field `path` names on `GoogleAdsRow`, or None if the API has no such field."""
    message: Descriptor | None = RowPb.DESCRIPTOR
    found: FieldDescriptor | None = None
    for part in path.split("."):
        if message is None:
            return None
        found = message.fields_by_name.get(part)
        if found is None:
            return None
        message = found.message_type
    return found if found is not None and found.message_type is None else None


def validate(query: Query) -> None:
    """Refuse what the API refuses (unknown fields, wrong resources, unbounded dates)."""
    attributes = ATTRIBUTES.get(query.resource)
    if attributes is None:
        if field_descriptor(f"{query.resource}.resource_name") is None:
            raise QueryError(
                "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                f"Error in query: unrecognized resource {query.resource!r} in FROM clause.",
            )
        raise QueryError(
            "PROHIBITED_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"The sandbox does not serve the resource {query.resource!r}.",
        )
    for name in sorted(query.referenced()):
        if field_descriptor(name) is None:
            raise QueryError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if name in attributes or name in SEGMENTS or name in _METRIC_FIELDS:
            continue
        prefix = name.split(".", 1)[0]
        if prefix not in ("segments", "metrics") and not any(
            known.startswith(prefix + ".") for known in attributes
        ):
            raise QueryError(
                "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                f"Cannot select or filter on the following field: '{name}' with resource "
                f"'{query.resource}'.",
            )
        raise QueryError(
            "PROHIBITED_FIELD_IN_SELECT_CLAUSE",
            f"The sandbox does not serve the field '{name}'.",
        )
    for condition in query.conditions:
        if condition.field == "segments.date":
            for value in condition.values:
                if condition.operator != "DURING" and not (
                    isinstance(value, str) and _DATE.fullmatch(value)
                ):
                    raise QueryError(
                        "INVALID_DATE_FORMAT", f"Invalid date {value!r}: use 'YYYY-MM-DD'."
                    )
    if "segments.date" in query.fields and not _date_bounded(query.conditions):
        raise QueryError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Filters on date range are expected when segments.date is selected: use a "
            "finite date range in the WHERE clause.",
        )


def _date_bounded(conditions: Iterable[Condition]) -> bool:
    operators = {c.operator for c in conditions if c.field == "segments.date"}
    return bool(
        operators & {"BETWEEN", "DURING", "=", "IN"}
        or (operators & {">", ">="} and operators & {"<", "<="})
    )


def answer(data: AdsData, query: Query, customer_id: int, today: date) -> list[Row]:
    """The rows of `query` for one customer, as of `today` (no day after it exists yet)."""
    validate(query)
    entities = _entities(data, query.resource, customer_id)
    attributes = ATTRIBUTES[query.resource]
    names = query.referenced()
    with_metrics = bool(names & _METRIC_FIELDS)
    by_day = "segments.date" in query.fields
    day_filter = [c for c in query.conditions if c.field.startswith("segments.")]
    other = [c for c in query.conditions if not c.field.startswith("segments.")]
    rows: list[Row] = []
    for entity in entities:
        base = {name: attributes[name](entity) for name in names if name in attributes}
        if not with_metrics and not (names & set(SEGMENTS)):
            rows.append(base)
            continue
        days = [
            {**base, **day_row}
            for day_row in _daily(data, entity, today)
            if all(_holds(c, day_row, today) for c in day_filter)
        ]
        if by_day:
            rows.extend(days)
        elif days:
            rows.append({**base, **_summed(days)})
    rows = [row for row in rows if all(_holds(c, row, today) for c in other)]
    for ordering in reversed(query.order_by):
        rows.sort(key=lambda row: _sort_key(row.get(ordering.field)), reverse=ordering.descending)
    if query.limit is not None:
        rows = rows[: query.limit]
    return [{name: row.get(name) for name in query.fields} for row in rows]


def _entities(data: AdsData, resource: str, customer_id: int) -> list[Entity]:
    account = data.account(customer_id)
    if account is None:
        return []
    campaigns = [c for c in data.campaigns if c.customer_id == customer_id]
    groups = [g for g in data.ad_groups if g.customer_id == customer_id]
    if resource == "customer":
        return [Entity(account, ad_group_ids=tuple(g.id for g in groups))]
    if resource == "campaign":
        return [
            Entity(account, c, None, tuple(g.id for g in groups if g.campaign_id == c.id))
            for c in campaigns
        ]
    by_id = {c.id: c for c in campaigns}
    return [Entity(account, by_id[g.campaign_id], g, (g.id,)) for g in groups]


def _daily(data: AdsData, entity: Entity, today: date) -> list[Row]:
    """The entity's days up to `today`, metrics summed over its ad groups."""
    totals: dict[date, list[Any]] = {}
    for (_, day), final in data.daily_by_group(entity.ad_group_ids):
        if day > today:
            continue
        conversions, value = reported_conversions(final, day, today)
        total = totals.setdefault(day, [0, 0, 0, 0.0, 0.0])
        total[0] += final.impressions
        total[1] += final.clicks
        total[2] += final.cost_micros
        total[3] += conversions
        total[4] += value
    return [
        {
            "segments.date": day.isoformat(),
            "metrics.impressions": t[0],
            "metrics.clicks": t[1],
            "metrics.cost_micros": t[2],
            "metrics.conversions": round(t[3], 2),
            "metrics.conversions_value": round(t[4], 2),
        }
        for day, t in sorted(totals.items())
    ]


def _summed(days: list[Row]) -> Row:
    summed: Row = {}
    for name in METRICS:
        total = sum(day[name] for day in days)
        summed[name] = round(total, 2) if isinstance(total, float) else total
    return summed


def _date_range(period: str, today: date) -> tuple[str, str]:
    first_of_month = today.replace(day=1)
    ranges = {
        "TODAY": (today, today),
        "YESTERDAY": (today - timedelta(days=1), today - timedelta(days=1)),
        "LAST_7_DAYS": (today - timedelta(days=7), today - timedelta(days=1)),
        "LAST_14_DAYS": (today - timedelta(days=14), today - timedelta(days=1)),
        "LAST_30_DAYS": (today - timedelta(days=30), today - timedelta(days=1)),
        "THIS_MONTH": (first_of_month, today),
        "LAST_MONTH": (
            (first_of_month - timedelta(days=1)).replace(day=1),
            first_of_month - timedelta(days=1),
        ),
    }
    low, high = ranges[period]
    return low.isoformat(), high.isoformat()


def _typed(name: str, value: Any) -> Any:
    """A literal from the query as the field's type, so 5 and '5' compare alike."""
    descriptor = field_descriptor(name)
    if descriptor is None or value is None:
        return value
    try:
        if descriptor.type in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_INT32):
            return int(value)
        if descriptor.type == FieldDescriptor.TYPE_DOUBLE:
            return float(value)
    except (TypeError, ValueError):
        raise QueryError("BAD_NUMBER", f"Error in query: {value!r} is not a number.") from None
    if descriptor.type == FieldDescriptor.TYPE_ENUM:
        value = str(value)
        if value not in descriptor.enum_type.values_by_name:
            raise QueryError(
                "BAD_ENUM_CONSTANT", f"Error in query: {value!r} is not a value of '{name}'."
            )
    return value


def _holds(condition: Condition, row: Row, today: date) -> bool:
    value = row.get(condition.field)
    op = condition.operator
    values = tuple(_typed(condition.field, v) for v in condition.values)
    if op in _ORDERED_OPERATORS:
        return value is not None and _ORDERED_OPERATORS[op](value, values[0])
    if op == "IN":
        return value in values
    if op == "NOT_IN":
        return value not in values
    if op == "BETWEEN":
        return value is not None and values[0] <= value <= values[1]
    if op == "DURING":
        low, high = _date_range(str(condition.values[0]), today)
        return value is not None and low <= value <= high
    if op in ("LIKE", "NOT_LIKE"):
        pattern = re.escape(str(values[0])).replace("%", ".*").replace("_", ".")
        matched = re.fullmatch(pattern, str(value or ""), re.IGNORECASE) is not None
        return matched if op == "LIKE" else not matched
    if op == "IS_NULL":
        return value in (None, "")
    if op == "IS_NOT_NULL":
        return value not in (None, "")
    raise QueryError("BAD_OPERATOR", f"Error in query: operator {op} is not supported.")


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if value is not None else (1, 0)


@functools.cache
def _setter(path: str) -> tuple[tuple[str, ...], str, FieldDescriptor]:
    parts = path.split(".")
    descriptor = field_descriptor(path)
    assert descriptor is not None, path
    return tuple(parts[:-1]), parts[-1], descriptor


def to_message(row: Row) -> Any:
    """The SDK's own `GoogleAdsRow` (raw protobuf) holding `row`'s values."""
    message = RowPb()
    fill(message, row)
    return message


def fill(message: Any, row: Row) -> None:
    for path, value in row.items():
        if value is None:
            continue
        parents, leaf, descriptor = _setter(path)
        target = message
        for part in parents:
            target = getattr(target, part)
        if descriptor.type == FieldDescriptor.TYPE_ENUM:
            value = descriptor.enum_type.values_by_name[value].number
        setattr(target, leaf, value)
