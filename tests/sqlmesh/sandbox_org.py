"""The sandbox's organisation as the marts' tests compute their expected rows from it."""

from __future__ import annotations

from datetime import date

import pytest

from destinations.load import load_source
from sandbox.org import Organisation, build_org
from sandbox.process import run_emulator
from sources.apis import sandbox_options
from sources.clock import nightly_run_at
from sources.google_sheets import SPEC as SHEETS
from sources.google_sheets import google_sheets_source

# The nightly run the marts' tests stand at, fixed inside the sandbox's fixed world so that no
# test depends on the wall clock: 2027-05-25's, when both Google Ads accounts (USD and EUR) and
# Facebook spend, purchases come through both processors and stock moves.
NOW = nightly_run_at(date(2027, 5, 25))


def sandbox_org() -> Organisation:
    """The organisation the emulators serve (`sources.apis.sandbox_options`)."""
    options = sandbox_options()
    return build_org(options["seed"], options["volume"], options["start"], options["end"])


def load_sheets(org: Organisation, days: list[date]) -> None:
    """Load each day's snapshot of the sheets as its nightly run reads it, at `nightly_run_at`."""
    with run_emulator(
        "google_sheets", seed=org.seed, volume=org.volume, start=org.start, end=org.end
    ) as sheets:
        for day in days:
            at = nightly_run_at(day)
            sheets.set_clock(int(at.timestamp()))
            with pytest.MonkeyPatch.context() as monkeypatch:
                monkeypatch.setenv("SANDBOX__NOW", at.isoformat())
                source = google_sheets_source(
                    **SHEETS.sandbox_arguments(sheets.base_url), run_date=day
                )
                load_source(source, day)
