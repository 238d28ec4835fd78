"""The columns of each GA4 report: a Pydantic model built from the report's names and GA4 types.

A report's dimensions and metrics are configuration, so its model is made at run time with
`pydantic.create_model`, typed from the property's metadata (`GetMetadata`): integer metrics
are `int`; currency, float and duration metrics `float` (GA4 computes and returns them as
doubles, so a Decimal would only pretend to precision); `date` is a `date` (GA4 sends
`YYYYMMDD`) stored as `report_date` (`date` is the lake's partition column); every other
dimension is text. Other column names are the API names in snake_case
(`sessionCampaignName` -> `session_campaign_name`). Each row also carries `property_id` and
`fetched_at`, when this version of the day's numbers was read: GA4 restates recent days, and
staging keeps the newest version of each (date, dimensions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from sources.errors import SourceError
from sources.google_analytics.settings import SOURCE, ReportSpec

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_WORD = re.compile(r"[^0-9a-zA-Z]+")


# The lake's partition columns are not allowed in the files (BigQuery's hive partitioning
# refuses it), so GA4's `date` is stored as `report_date`.
_RENAMED = {"date": "report_date", "_dlt_load_id": "ga4_dlt_load_id"}


def column_name(api_name: str) -> str:
    """`sessionCampaignName` -> `session_campaign_name`; `customEvent:plan` -> `custom_event_plan`;
    `date` -> `report_date`."""
    column = _NOT_WORD.sub("_", _WORD_BOUNDARY.sub("_", api_name)).strip("_").lower()
    return _RENAMED.get(column, column)


def _ga4_date(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 8 and value.isdigit():
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    return value


Ga4Date = Annotated[date, BeforeValidator(_ga4_date)]

# MetricType.TYPE_INTEGER: the SDK's enum is an IntEnum, so its number compares equal without
# importing the SDK here (models load in the code server, which never calls GA4).
_INTEGER_TYPES = {1}


# What every report row has after its dimensions and metrics.
_ROW_FIELDS: dict[str, Any] = {
    "property_id": (str, Field(description="The GA4 property the row was read from")),
    "fetched_at": (datetime, Field(description="When this version of the row was read (UTC)")),
}


def report_model(
    spec: ReportSpec, metric_types: Mapping[str, int], dimension_names: AbstractSet[str]
) -> type[BaseModel]:
    """The model of `spec`'s rows; unknown names stop the run with one line naming them."""
    fields: dict[str, Any] = {}
    for name in spec.dimensions:
        if name not in dimension_names:
            raise SourceError(
                SOURCE,
                f"dimension {name!r} is not a valid dimension of this property (not in its "
                "metadata); check setting sources.google_analytics.reports",
                spec.name,
            )
        annotation: Any = Ga4Date if name == "date" else str
        fields[_column(spec, name, fields)] = (annotation, Field(description=f"GA4 {name}"))
    for name in spec.metrics:
        if name not in metric_types:
            renamed = " (GA4 renamed it keyEvents in 2024)" if name == "conversions" else ""
            raise SourceError(
                SOURCE,
                f"metric {name!r} is not a valid metric of this property{renamed} (not in its "
                "metadata); check setting sources.google_analytics.reports",
                spec.name,
            )
        annotation = int if metric_types[name] in _INTEGER_TYPES else float
        fields[_column(spec, name, fields)] = (annotation, Field(description=f"GA4 {name}"))
    for name, definition in _ROW_FIELDS.items():
        if name in fields:
            raise SourceError(SOURCE, f"a report column may not be named {name!r}", spec.name)
        fields[name] = definition
    return create_model(
        "".join(part.title() for part in spec.name.split("_")) + "Row",
        __config__=ConfigDict(extra="ignore", frozen=True),
        __module__=__name__,
        **fields,
    )


def _column(spec: ReportSpec, api_name: str, taken: dict[str, Any]) -> str:
    column = column_name(api_name)
    if column in taken:
        raise SourceError(
            SOURCE,
            f"{api_name!r} would be a second column named {column!r}; "
            "check setting sources.google_analytics.reports",
            spec.name,
        )
    return column
