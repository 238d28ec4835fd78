"""Per-date read windows: consecutive, remembered for reloads, with an optional lookback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sources.windows import KEEP_WINDOWS, window_for

START = date(2026, 7, 1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_first_window_backfills_from_the_start_date_to_the_end_of_the_day() -> None:
    window = window_for(date(2026, 7, 10), START, {})
    assert (window.start, window.end, window.first) == (at(START), at(date(2026, 7, 11)), True)


def test_next_day_starts_where_the_previous_window_ended() -> None:
    state: dict[str, Any] = {}
    window_for(date(2026, 7, 10), START, state)
    window = window_for(date(2026, 7, 11), START, state)
    assert (window.start, window.end, window.first) == (
        at(date(2026, 7, 11)),
        at(date(2026, 7, 12)),
        False,
    )


def test_missed_days_are_caught_up_by_the_next_run() -> None:
    state: dict[str, Any] = {}
    window_for(date(2026, 7, 10), START, state)
    window = window_for(date(2026, 7, 14), START, state)
    assert window.start == at(date(2026, 7, 11))


def test_reloading_a_date_reads_the_same_window_again() -> None:
    state: dict[str, Any] = {}
    first = window_for(date(2026, 7, 10), START, state)
    window_for(date(2026, 7, 11), START, state)
    assert window_for(date(2026, 7, 10), START, state) == first


def test_lookback_rereads_before_the_previous_end_but_not_before_the_start_date() -> None:
    state: dict[str, Any] = {}
    window_for(date(2026, 7, 2), START, state, lookback=timedelta(days=7))
    window = window_for(date(2026, 7, 3), START, state, lookback=timedelta(days=7))
    assert window.start == at(START)
    window_for(date(2026, 7, 20), START, state, lookback=timedelta(days=7))
    window = window_for(date(2026, 7, 21), START, state, lookback=timedelta(days=7))
    assert window.start == at(date(2026, 7, 14))


def test_state_keeps_a_bounded_number_of_windows() -> None:
    state: dict[str, Any] = {}
    for offset in range(KEEP_WINDOWS + 30):
        window_for(START + timedelta(days=offset), START, state)
    assert len(state["windows"]) == KEEP_WINDOWS
    assert min(state["windows"]) == (START + timedelta(days=30)).isoformat()
