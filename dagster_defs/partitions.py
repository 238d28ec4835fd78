"""The daily partitions every asset shares: one partition is one day of data (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import dlt
from dagster import DailyPartitionsDefinition

from sources.clock import run_now

DEFAULT_START = "2026-07-01"


def daily_partitions() -> DailyPartitionsDefinition:
    """Days from `dagster.partitions_start` (env DAGSTER__PARTITIONS_START) until yesterday, by
    the run's clock: Dagster counts partitions to the wall clock's yesterday, so a sandbox clock
    ahead of it (`sandbox.now`, a simulated night) extends them by the days it is ahead."""
    start = str(dlt.config.get("dagster.partitions_start") or DEFAULT_START)
    ahead = (run_now().date() - datetime.now(UTC).date()).days
    return DailyPartitionsDefinition(start_date=start, timezone="UTC", end_offset=max(0, ahead))


DAILY = daily_partitions()
