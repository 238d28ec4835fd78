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


def test_a_nightly_run_reads_up_to_its_clock_and_the_next_night_starts_there() -> None:
    state: dict[str, Any] = {}
    two_am = at(date(2026, 7, 11)) + timedelta(hours=2)  # the schedule's run for 07-10
    window = window_for(date(2026, 7, 10), START, state, now=two_am)
    assert (window.start, window.end) == (at(START), two_am)
    following = window_for(date(2026, 7, 11), START, state, now=two_am + timedelta(days=1))
    assert (following.start, following.end) == (two_am, two_am + timedelta(days=1))
    # a reload later reads the recorded window, whatever the clock says then
    reloaded = window_for(date(2026, 7, 10), START, state, now=two_am + timedelta(days=30))
    assert (reloaded.start, reloaded.end) == (at(START), two_am)


def test_a_backfill_or_catch_up_reads_to_the_end_of_its_day_only() -> None:
    state: dict[str, Any] = {}
    window_for(date(2026, 7, 9), START, state, now=at(date(2026, 7, 10)) + timedelta(hours=2))
    two_days_late = at(date(2026, 7, 12)) + timedelta(hours=2)
    missed = window_for(date(2026, 7, 10), START, state, now=two_days_late)
    assert missed.end == at(date(2026, 7, 11))
    caught_up = window_for(date(2026, 7, 11), START, state, now=two_days_late)
    assert (caught_up.start, caught_up.end) == (at(date(2026, 7, 11)), two_days_late)
