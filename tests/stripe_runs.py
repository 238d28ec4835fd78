"""The daily job's Stripe loads alone, against a Stripe emulator with its clock at a night: what
the retry and alert tests run, with a key the emulator refuses or the sandbox's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from dagster import AssetKey

from dagster_defs.definitions import defs
from sandbox.process import run_emulator
from sources.clock import nightly_run_at
from sources.registry import source_spec

NIGHT = date(2026, 12, 2)


@contextmanager
def stripe_emulator_at(day: date = NIGHT) -> Iterator[Any]:
    """A Stripe emulator with its clock at `day`'s nightly run."""
    with run_emulator("stripe", now=int(nightly_run_at(day).timestamp())) as emulator:
        yield emulator


def use_stripe_key(monkeypatch: pytest.MonkeyPatch, emulator: Any, key: str) -> None:
    """Point the platform's Stripe source at `emulator` as at a real API, with `key`."""
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "false")
    monkeypatch.setenv("SOURCES__STRIPE__BASE_URL", emulator.base_url)
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", key)


def run_stripe_loads(instance: Any, day: date = NIGHT, **options: Any) -> Any:
    """The daily job for `day`, its Stripe load steps only, in this process."""
    keys = [AssetKey(["raw", f"stripe__{table}"]) for table in source_spec("stripe").resources]
    return defs.resolve_job_def("daily").execute_in_process(
        instance=instance, partition_key=day.isoformat(), asset_selection=keys, **options
    )
