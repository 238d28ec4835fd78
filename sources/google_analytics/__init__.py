"""The Google Analytics 4 source: configurable daily reports through the Data API's `runReport`.

Each configured report (default: `traffic_daily` by date x session source / medium / campaign,
and `landing_pages_daily` by date x landing page) is a table. A run for date D reads the days
of its window, which starts `lookback_days` before the previous window ended, because GA4
keeps restating a day's numbers for about two days: re-read days land again in D's partition
with a newer `fetched_at`, and staging keeps the newest version of each (date, dimensions).
Pages are read by offset at up to `page_size` rows, in a fixed order, with the property's
quota checked after every response.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import dlt
from dlt.sources import DltResource
from pydantic import BaseModel

from sources.clock import run_now, yesterday
from sources.google_analytics.client import ReportReader, build_client, row_records
from sources.google_analytics.models import report_model
from sources.google_analytics.settings import (
    API_ENDPOINT,
    DEFAULT_DIMENSIONS,
    DEFAULT_METRIC_TYPES,
    DEFAULT_REPORTS,
    LOOKBACK_DAYS,
    PAGE_SIZE,
    QUOTA_RESERVE_TOKENS,
    ROWS_PER_TABLE,
    SOURCE,
    ReportSpec,
    report_specs,
)
from sources.registry import SourceSpec
from sources.rejects import REJECTED_TABLE, RejectedRecord, validate_records
from sources.tables import to_table
from sources.windows import window_for

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

SANDBOX_PROPERTY_ID = "123456789"


@dlt.source(name=SOURCE, max_table_nesting=0)
def google_analytics_source(
    property_id: str = dlt.config.value,
    start_date: str = dlt.config.value,
    lookback_days: int = LOOKBACK_DAYS,
    reports: list[dict[str, Any]] | None = None,
    page_size: int = PAGE_SIZE,
    quota_reserve_tokens: int = QUOTA_RESERVE_TOKENS,
    base_url: str = API_ENDPOINT,
    run_date: date | None = None,
) -> list[DltResource]:
    """One table per report, for the window ending with `run_date` (default: yesterday, UTC).

    `property_id` is the GA4 property (digits); `start_date` (ISO date) is where the first run's
    backfill begins; `reports` replaces the default reports; `base_url` points the SDK at the
    sandbox in local runs.
    """
    specs = report_specs(reports)
    if int(page_size) < 1:
        raise ValueError("setting sources.google_analytics.page_size must be at least 1")
    reader = ReportReader(
        build_client(base_url),
        str(property_id).removeprefix("properties/"),
        int(page_size),
        int(quota_reserve_tokens),
    )
    first_day = date.fromisoformat(str(start_date))
    lookback = timedelta(days=int(lookback_days))
    day = run_date or yesterday()
    return [
        dlt.resource(
            _read_report,
            name=spec.name,
            # no primary_key hint: it would also bind rejected_records, which share the resource
            write_disposition="append",
        )(reader, spec, first_day, day, lookback)
        for spec in specs
    ]


SPEC = SourceSpec(
    name=SOURCE,
    build=google_analytics_source,
    resources=tuple(spec.name for spec in DEFAULT_REPORTS),
    sandbox_arguments=lambda base_url: {"base_url": base_url, "property_id": SANDBOX_PROPERTY_ID},
    # The default reports' columns; configured reports get theirs from the property's metadata.
    table_models=tuple(
        (spec.name, report_model(spec, DEFAULT_METRIC_TYPES, DEFAULT_DIMENSIONS))
        for spec in DEFAULT_REPORTS
    ),
)


def _read_report(
    reader: ReportReader, spec: ReportSpec, start_date: date, run_date: date, lookback: timedelta
) -> Iterator[pa.Table]:
    window = window_for(run_date, start_date, dlt.current.resource_state(), lookback=lookback)
    metric_types, dimension_names = reader.metadata()
    model = report_model(spec, metric_types, dimension_names)
    # GA4 reports whole days (in the property's time zone): the window's days, end exclusive.
    first, last = window.start.date(), (window.end - timedelta(microseconds=1)).date()
    yielded = False
    if window.start < window.end:
        for table in _report_tables(reader, spec, model, first, last):
            yield table
            yielded = True
    if not yielded:
        # An empty file still marks this date as loaded for the table, so a reload that finds
        # nothing replaces what an earlier load of the date wrote.
        yield to_table([], model)


def _report_tables(
    reader: ReportReader, spec: ReportSpec, model: type[BaseModel], first: date, last: date
) -> Iterator[pa.Table]:
    fetched_at = run_now()
    extra = {"property_id": reader.property_id, "fetched_at": fetched_at}
    # GA4 aggregates, so a (date, dimensions) key is unique in a report; a repeat can only come
    # from offset paging over numbers GA4 restated between two pages, and the first one wins.
    seen: set[str] = set()
    for response in reader.pages(spec, first, last):
        for start in range(0, len(response.rows), ROWS_PER_TABLE):
            records = []
            for record in row_records(spec, response, start, start + ROWS_PER_TABLE):
                if record["id"] in seen:
                    log.warning("%s.%s: row %s repeated, skipped", SOURCE, spec.name, record["id"])
                    continue
                seen.add(record["id"])
                records.append({**record, **extra})
            models, rejected = validate_records(records, model, SOURCE, spec.name, fetched_at)
            yield to_table(models, model)
            if rejected:
                yield dlt.mark.with_table_name(to_table(rejected, RejectedRecord), REJECTED_TABLE)
