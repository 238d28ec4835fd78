"""The daily partitions every asset shares: one partition is one day of data (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dlt
from dagster import DailyPartitionsDefinition

from destinations.settings import SettingError
from sources.clock import run_now

DEFAULT_START = "2026-07-01"


def first_day() -> date:
    """`dagster.partitions_start`: the first day a run can be for."""
    value = str(dlt.config.get("dagster.partitions_start") or DEFAULT_START).strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingError(
            f"dagster.partitions_start is {value!r}, not a YYYY-MM-DD date "
            "(env DAGSTER__PARTITIONS_START)"
        ) from None


def check_days(first: date, last: date) -> None:
    """One line naming what is wrong when `first`..`last` are not whole days a run can be for."""
    latest = run_now().date() - timedelta(days=1)
    if first > last:
        raise SettingError(f"--start {first} is after --end {last}")
    if last > latest:
        raise SettingError(
            f"{last} is not a whole day yet: the latest day to run is {latest}, yesterday by "
            "the run's clock (UTC; sandbox.now with the sandbox)"
        )
    if first < first_day():
        raise SettingError(
            f"{first} is before the first day, {first_day()} (setting dagster.partitions_start, "
            "env DAGSTER__PARTITIONS_START)"
        )


def daily_partitions() -> DailyPartitionsDefinition:
    """Days from `dagster.partitions_start` (env DAGSTER__PARTITIONS_START) until yesterday, by
    the run's clock: Dagster counts partitions to the wall clock's yesterday, so a sandbox clock
    ahead of it (`sandbox.now`, a simulated night) extends them by the days it is ahead."""
    ahead = (run_now().date() - datetime.now(UTC).date()).days
    return DailyPartitionsDefinition(
        start_date=first_day().isoformat(), timezone="UTC", end_offset=max(0, ahead)
    )


DAILY = daily_partitions()
