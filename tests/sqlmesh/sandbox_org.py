"""The sandbox's organisation as the marts' tests compute their expected rows from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from destinations.load import load_source
from sandbox.org import Organisation, build_org, epoch
from sandbox.process import run_emulator
from sources.apis import sandbox_options
from sources.google_sheets import SPEC as SHEETS
from sources.google_sheets import google_sheets_source

DAY = timedelta(days=1)


def sandbox_org() -> Organisation:
    """The organisation the emulators serve (`sources.apis.sandbox_options`), up to today (UTC)."""
    return build_org(**sandbox_options(), end=datetime.now(UTC).date())


def end_of(day: date) -> int:
    """The last second of `day`, UTC."""
    return epoch(day) + 86_400 - 1


def load_sheets(org: Organisation, days: list[date]) -> None:
    """Load each day's snapshot of the sheets, read at the end of the day after it."""
    with run_emulator(
        "google_sheets", seed=org.seed, volume=org.volume, start=org.start, end=org.end
    ) as sheets:
        for day in days:
            sheets.set_clock(end_of(day + DAY))
            source = google_sheets_source(**SHEETS.sandbox_arguments(sheets.base_url), run_date=day)
            load_source(source, day)
