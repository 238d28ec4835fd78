"""The daily partitions every asset shares: one partition is one day of data (UTC)."""

from __future__ import annotations

import dlt
from dagster import DailyPartitionsDefinition

DEFAULT_START = "2026-07-01"


def daily_partitions() -> DailyPartitionsDefinition:
    """Days from `dagster.partitions_start` (env DAGSTER__PARTITIONS_START) until yesterday."""
    start = str(dlt.config.get("dagster.partitions_start") or DEFAULT_START)
    return DailyPartitionsDefinition(start_date=start, timezone="UTC")


DAILY = daily_partitions()
