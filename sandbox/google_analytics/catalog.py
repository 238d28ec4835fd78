"""The dimensions and metrics the GA4 emulator knows, as its GetMetadata lists them.

Names, types and categories follow GA4's API schema
(developers.google.com/analytics/devguides/reporting/data/v1/api-schema) for the subset the
demo property can answer. Anything else is refused the way the real API refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.analytics.data_v1beta.types import (
    DimensionMetadata,
    Metadata,
    MetricMetadata,
    MetricType,
)

SCHEMA_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"


@dataclass(frozen=True)
class DimensionSpec:
    api_name: str
    ui_name: str
    category: str
    description: str


@dataclass(frozen=True)
class MetricSpec:
    api_name: str
    ui_name: str
    category: str
    type: int  # a MetricType
    description: str
    deprecated_api_names: tuple[str, ...] = ()
    expression: str = ""


DIMENSIONS: tuple[DimensionSpec, ...] = (
    DimensionSpec("date", "Date", "Time", "The date of the event, formatted as YYYYMMDD."),
    DimensionSpec(
        "sessionSource", "Session source", "Traffic Source", "The source that initiated a session."
    ),
    DimensionSpec(
        "sessionMedium", "Session medium", "Traffic Source", "The medium that initiated a session."
    ),
    DimensionSpec(
        "sessionCampaignName",
        "Session campaign",
        "Traffic Source",
        "The marketing campaign name for a session.",
    ),
    DimensionSpec(
        "sessionSourceMedium",
        "Session source / medium",
        "Traffic Source",
        "The combined values of the dimensions sessionSource and sessionMedium.",
    ),
    DimensionSpec(
        "sessionDefaultChannelGroup",
        "Session default channel group",
        "Traffic Source",
        "The session's default channel group, based primarily on source and medium.",
    ),
    DimensionSpec(
        "landingPage",
        "Landing page",
        "Page / Screen",
        "The page path associated with the first pageview in a session.",
    ),
)

_INTEGER = MetricType.TYPE_INTEGER
METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("sessions", "Sessions", "Session", _INTEGER, "The number of sessions."),
    MetricSpec("totalUsers", "Total users", "User", _INTEGER, "The number of distinct users."),
    MetricSpec(
        "newUsers", "New users", "User", _INTEGER, "Users who interacted for the first time."
    ),
    MetricSpec(
        "activeUsers", "Active users", "User", _INTEGER, "The number of distinct active users."
    ),
    MetricSpec(
        "engagedSessions", "Engaged sessions", "Session", _INTEGER, "Sessions that were engaged."
    ),
    MetricSpec(
        "screenPageViews", "Views", "Page / Screen", _INTEGER, "The number of pages users viewed."
    ),
    # Called `conversions` until March 2024; that name's deprecation period is over, so it is
    # neither listed nor accepted any more.
    MetricSpec("keyEvents", "Key events", "Event", _INTEGER, "The count of key events."),
    MetricSpec(
        "ecommercePurchases", "Ecommerce purchases", "Ecommerce", _INTEGER, "Purchases completed."
    ),
    MetricSpec(
        "totalRevenue",
        "Total revenue",
        "Revenue",
        MetricType.TYPE_CURRENCY,
        "The sum of revenue from purchases, subscriptions, and advertising.",
    ),
    MetricSpec(
        "purchaseRevenue",
        "Purchase revenue",
        "Revenue",
        MetricType.TYPE_CURRENCY,
        "The sum of revenue from purchases.",
    ),
    MetricSpec(
        "engagementRate",
        "Engagement rate",
        "Session",
        MetricType.TYPE_FLOAT,
        "The percentage of engaged sessions.",
        expression="engagedSessions/sessions",
    ),
    MetricSpec(
        "bounceRate",
        "Bounce rate",
        "Session",
        MetricType.TYPE_FLOAT,
        "The percentage of sessions that were not engaged.",
        expression="(sessions - engagedSessions) / sessions",
    ),
)

DIMENSION_NAMES = frozenset(d.api_name for d in DIMENSIONS)
METRIC_TYPES: dict[str, int] = {m.api_name: m.type for m in METRICS}


def metadata(property_id: str) -> Metadata:
    """What `GetMetadata` answers for `properties/<id>/metadata`."""
    return Metadata(
        name=f"properties/{property_id}/metadata",
        dimensions=[
            DimensionMetadata(
                api_name=d.api_name,
                ui_name=d.ui_name,
                description=d.description,
                category=d.category,
            )
            for d in DIMENSIONS
        ],
        metrics=[
            MetricMetadata(
                api_name=m.api_name,
                ui_name=m.ui_name,
                description=m.description,
                deprecated_api_names=list(m.deprecated_api_names),
                type_=m.type,
                expression=m.expression,
                category=m.category,
            )
            for m in METRICS
        ],
    )
