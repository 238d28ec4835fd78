"""The run's clock: `sandbox.now` with the sandbox, the wall clock otherwise, and which run is
a date's own nightly run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from destinations.settings import SettingError
from sources.clock import is_nightly, nightly_run_at, run_now, yesterday


def test_the_sandbox_clock_is_the_runs_clock_only_with_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SANDBOX__NOW", "2026-12-05T02:00:00Z")
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    assert run_now() == datetime(2026, 12, 5, 2, tzinfo=UTC)
    assert yesterday() == date(2026, 12, 4)
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "false")  # production never reads it
    assert abs(run_now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_an_offset_is_taken_and_a_bad_time_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    monkeypatch.setenv("SANDBOX__NOW", "2026-12-05T03:00:00+01:00")
    assert run_now() == datetime(2026, 12, 5, 2, tzinfo=UTC)
    monkeypatch.setenv("SANDBOX__NOW", "yesterday at two")
    with pytest.raises(SettingError, match=r"sandbox.now is 'yesterday at two'"):
        run_now()


def test_only_the_run_in_the_day_after_a_date_is_its_nightly_run() -> None:
    day = date(2026, 12, 4)
    assert nightly_run_at(day) == datetime(2026, 12, 5, 2, tzinfo=UTC)
    assert is_nightly(day, nightly_run_at(day))
    assert is_nightly(day, datetime(2026, 12, 5, 0, 0, tzinfo=UTC))
    assert is_nightly(day, datetime(2026, 12, 5, 23, 59, 59, tzinfo=UTC))  # a late retry
    assert not is_nightly(day, datetime(2026, 12, 6, tzinfo=UTC))  # a catch-up the night after
    assert not is_nightly(day, datetime(2026, 12, 4, 23, tzinfo=UTC))  # before the day ended
