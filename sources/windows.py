"""The slice of source time a run for one date reads, kept in dlt resource state.

A run for date D reads up to the end of D (UTC); a source whose API filters by instant (Stripe,
PayPal) reads, in D's own nightly run, up to the run's clock instead (`sources.clock`), so that
what it loaded and the sheets read in the same run describe one instant. It starts where the
previous run's window ended, or at the configured start date on the first run, so a daily run
reads about one day.
The window used for each date is remembered, so loading a date again reads exactly the same
slice and replaces that date's partition with the same data: idempotent reloads, which dlt's
max-cursor incremental cannot give once a partition is replaced. The state rides dlt's state
sync, so it is stored in the lake beside the data and restored from there on a rebuilt machine.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sources.clock import day_start

WINDOWS_KEY = "windows"
KEEP_WINDOWS = 400  # about a year of daily runs; older dates are rarely reloaded


@dataclass(frozen=True)
class Window:
    """Half-open interval [start, end) of source time, in UTC."""

    start: datetime
    end: datetime
    first: bool  # the first window of this resource: a backfill from the configured start

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        return int(self.end.timestamp())


def window_for(
    run_date: date,
    start_date: date,
    state: MutableMapping[str, Any],
    lookback: timedelta = timedelta(0),
    now: datetime | None = None,
) -> Window:
    """The window for `run_date`, recorded in `state` (a dlt resource state).

    `lookback` re-reads that much before where the previous window ended, for APIs that restate
    recent data (ad conversions, reporting delays); the re-read rows land in this date's
    partition and staging keeps the latest version of each. With `now` (the run's clock), a run
    made before the end of the day after `run_date` (its nightly run, or a run of today) reads
    up to `now`, exclusive (an object made in that second may not exist yet when it is asked
    for): the next window starts there, so nothing is read twice or skipped.
    """
    windows: dict[str, dict[str, Any]] = state.setdefault(WINDOWS_KEY, {})
    key = run_date.isoformat()
    end = day_start(run_date + timedelta(days=1))
    if now is not None and now < end + timedelta(days=1):
        end = now
    if key in windows:
        recorded = windows[key]
        return Window(
            datetime.fromisoformat(recorded["start"]),
            datetime.fromisoformat(recorded["end"]),
            bool(recorded.get("first", False)),
        )
    earlier_ends = [
        datetime.fromisoformat(window["end"])
        for window in windows.values()
        if datetime.fromisoformat(window["end"]) <= end
    ]
    first = not earlier_ends
    start = max(earlier_ends) - lookback if earlier_ends else day_start(start_date)
    start = max(start, day_start(start_date))
    window = Window(min(start, end), end, first)
    windows[key] = {"start": window.start.isoformat(), "end": end.isoformat(), "first": first}
    for stale in sorted(windows)[:-KEEP_WINDOWS]:
        del windows[stale]
    return window
