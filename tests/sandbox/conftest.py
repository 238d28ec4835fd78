"""Fixtures for the sandbox tests: one pinned demo organisation and its Stripe emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe

from sandbox.org import epoch
from sandbox.stripe.server import DEFAULT_API_KEY, StripeEmulator, serve_in_thread

# Pinned so no test depends on today's date.
ORG_START = date(2026, 7, 1)
ORG_END = date(2026, 10, 31)
FIXTURE_SHAPES = Path(__file__).with_name("stripe_fixture_shapes.json")


@pytest.fixture(scope="session")
def fixture_shapes() -> dict[str, dict[str, Any]]:
    """Stripe's own example object of each resource (stripe/openapi fixtures3.json)."""
    return json.loads(FIXTURE_SHAPES.read_text())["resources"]


@pytest.fixture(scope="session")
def stripe_emulator() -> StripeEmulator:
    # Events are kept for the whole range so event tests can see every kind; the clock stands at
    # the range's last second, so every test sees the whole history, whatever today is.
    return StripeEmulator(
        seed=7,
        start=ORG_START,
        end=ORG_END,
        now=epoch(ORG_END + timedelta(days=1)) - 1,
        event_retention_days=0,
    )


@pytest.fixture(scope="session")
def _stripe_server(stripe_emulator: StripeEmulator) -> Iterator[str]:
    with serve_in_thread(stripe_emulator) as server:
        yield server.base_url


@pytest.fixture
def stripe_url(_stripe_server: str, stripe_emulator: StripeEmulator) -> Iterator[str]:
    """Base URL of the in-process emulator, with clock, faults and log reset after the test."""
    default_now = stripe_emulator.clock.now
    yield _stripe_server
    stripe_emulator.clock.now = default_now
    stripe_emulator.faults.clear()
    stripe_emulator.requests.clear()


@pytest.fixture
def client(stripe_url: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        DEFAULT_API_KEY, base_addresses={"api": stripe_url}, max_network_retries=0
    )
