"""The moment a run reads its sources at, and which run for a date is that date's own.

Against the real APIs it is the wall clock. Against the sandbox it is `sandbox.now` when set
(an ISO time: the emulators stand still there, so a run sees the world exactly as the APIs
showed it at that instant, e.g. at a night's 02:00 schedule), else the wall clock too. Windows
and sheet snapshots take their "now" from here, never from `datetime.now()`, so that what a
source asks for and what the emulators answer are the same instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import dlt

from destinations.settings import SettingError

NOW_SETTING = "sandbox.now"
# When the daily schedule runs for a day, the day after it, UTC: late data of the day (PayPal's
# listings, ad conversions) has had two hours to arrive, and the night is quiet.
NIGHTLY_RUN = time(2, 0)


def parse_instant(value: str, setting: str = NOW_SETTING) -> datetime:
    """A UTC datetime, to the second, from an ISO time (`2026-12-05T02:00:00Z`)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SettingError(
            f"{setting} is {value!r}, not an ISO time like 2026-12-05T02:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def sandbox_now() -> datetime | None:
    """`sandbox.now` (env SANDBOX__NOW) as a UTC datetime, or None when unset."""
    value: object = dlt.config.get(NOW_SETTING)
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_instant(str(value))


def run_now() -> datetime:
    """The instant this run reads at: `sandbox.now` with the sandbox, else the wall clock."""
    from sources.apis import use_sandbox  # here: sources.apis imports this module

    fixed = sandbox_now() if use_sandbox() else None
    return fixed if fixed is not None else datetime.now(UTC).replace(microsecond=0)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def nightly_run_at(day: date) -> datetime:
    """When the daily schedule runs for `day`."""
    return datetime.combine(day + timedelta(days=1), NIGHTLY_RUN, tzinfo=UTC)


def is_nightly(run_date: date, now: datetime) -> bool:
    """Whether a run at `now` is `run_date`'s own: made in the day after it, as the daily
    schedule makes it (02:00 UTC), not a catch-up or a backfill made later. Only that run can
    read a source that shows its present only (a sheet) and still say something true of the
    day it loads."""
    end = day_start(run_date + timedelta(days=1))
    return end <= now < end + timedelta(days=1)


def yesterday() -> date:
    """The day before the run's clock: what a run without a date loads."""
    return run_now().date() - timedelta(days=1)
