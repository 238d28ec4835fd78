"""The Stripe emulator as its own process: CLI, fault injection, clock and request log."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from sandbox.process import EmulatorHandle, EmulatorStartError, run_emulator
from tests.processes import outlived

from .conftest import ORG_END, ORG_START

DAY = 86_400


@pytest.fixture(scope="module")
def _process() -> Iterator[EmulatorHandle]:
    with run_emulator(
        "stripe", seed=7, volume=0.5, start=ORG_START, end=ORG_END, api_key="sk_test_proc"
    ) as handle:
        yield handle
    assert handle.process.returncode == 0, "SIGTERM should stop the emulator cleanly"


@pytest.fixture
def emulator(_process: EmulatorHandle) -> Iterator[EmulatorHandle]:
    default_now = _process.clock()["end"]
    yield _process
    _process.clear_faults()
    _process.set_clock(now=default_now)
    _process.clear_requests()


@pytest.fixture
def client(emulator: EmulatorHandle) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_proc", base_addresses={"api": emulator.base_url}, max_network_retries=0
    )


def test_process_serves_the_sdk(emulator: EmulatorHandle, client: stripe.StripeClient) -> None:
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert emulator.process.poll() is None
    page = client.v1.customers.list(params={"limit": 3})
    assert len(page.data) == 3
    assert emulator.requests() == [
        {"method": "GET", "path": "/v1/customers", "query": {"limit": "3"}, "status": 200}
    ]


def test_rate_limit_fault_carries_retry_after(
    emulator: EmulatorHandle, client: stripe.StripeClient
) -> None:
    emulator.set_faults(path="/v1/charges", status=429, retry_after=1, count=2)
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError) as exc:
            client.v1.charges.list(params={"limit": 100})
        assert exc.value.http_status == 429
        assert exc.value.headers is not None
        assert exc.value.headers["Retry-After"] == "1"
        assert exc.value.error is not None
        assert exc.value.error.code == "rate_limit"
    client.v1.customers.list()  # other paths are untouched
    assert len(client.v1.charges.list(params={"limit": 100}).data) == 100
    assert [r["status"] for r in emulator.requests()] == [429, 429, 200, 200]


def test_server_error_fault(emulator: EmulatorHandle, client: stripe.StripeClient) -> None:
    emulator.set_faults(status=500, count=1)
    with pytest.raises(stripe.APIError) as exc:
        client.v1.payouts.list()
    assert exc.value.http_status == 500
    assert exc.value.error is not None
    assert exc.value.error.type == "api_error"
    assert client.v1.payouts.list().data


def test_a_fault_rate_strikes_about_that_share_of_requests_for_good(
    emulator: EmulatorHandle, client: stripe.StripeClient
) -> None:
    emulator.set_faults(path="/v1/payouts", status=503, rate=0.25, seed=3)
    failed = 0
    for _ in range(80):
        try:
            client.v1.payouts.list()
        except stripe.APIError:
            failed += 1
    assert 10 <= failed <= 30  # 20 expected; the draws are seeded, so this never flakes
    assert client.v1.prices.list().data  # other paths are untouched
    assert [fault["rate"] for fault in emulator.set_faults(status=500, count=1)] == [0.25, None]


def test_sdk_retries_server_errors_when_allowed(emulator: EmulatorHandle) -> None:
    emulator.set_faults(path="/v1/prices", status=503, count=1)
    retrying = stripe.StripeClient(
        "sk_test_proc", base_addresses={"api": emulator.base_url}, max_network_retries=2
    )
    assert retrying.v1.prices.list().data
    assert [r["status"] for r in emulator.requests()] == [503, 200]


def test_delay_fault_slows_responses(emulator: EmulatorHandle, client: stripe.StripeClient) -> None:
    emulator.set_faults(path="/v1/refunds", delay=0.4, count=2)
    started = time.perf_counter()
    client.v1.refunds.list()
    client.v1.refunds.list()
    slow = time.perf_counter() - started
    started = time.perf_counter()
    client.v1.refunds.list()
    assert slow >= 0.8
    assert time.perf_counter() - started < 0.4


def test_malformed_fault_breaks_one_record(
    emulator: EmulatorHandle, client: stripe.StripeClient
) -> None:
    clean = client.v1.charges.list(params={"limit": 5})
    emulator.set_faults(path="/v1/charges", malformed=True)
    client.v1.charges.retrieve(clean.data[0].id)  # a single object does not use it up
    broken = client.v1.charges.list(params={"limit": 5})
    assert [c.id for c in broken.data] == [c.id for c in clean.data]
    assert broken.data[0].amount == "not-a-number"
    assert all(isinstance(c.amount, int) for c in broken.data[1:])
    assert isinstance(client.v1.charges.list(params={"limit": 5}).data[0].amount, int)
    customers_clean = client.v1.customers.list(params={"limit": 2})
    emulator.set_faults(path="/v1/customers", malformed=True)
    customers = client.v1.customers.list(params={"limit": 2})
    assert customers.data[0].id == customers_clean.data[0].id
    assert customers.data[0].created is None


def test_clear_faults(emulator: EmulatorHandle, client: stripe.StripeClient) -> None:
    emulator.set_faults(status=500, count=5)
    emulator.clear_faults()
    assert client.v1.products.list().data


def test_advancing_the_clock_reveals_new_and_changed_objects(
    emulator: EmulatorHandle, client: stripe.StripeClient
) -> None:
    now = emulator.set_clock(now=emulator.clock()["start"] + 60 * DAY)

    def load(since: int) -> dict[str, dict[str, Any]]:
        params: Any = {"limit": 100, "created": {"gte": since}}
        return {
            bt.id: bt.to_dict()
            for bt in client.v1.balance_transactions.list(params=params).auto_paging_iter()
        }

    first = load(now - 5 * DAY)
    assert all(bt["created"] <= now for bt in first.values())
    emulator.clear_requests()
    later = emulator.advance_days(1)
    assert later == now + DAY
    second = load(now - 5 * DAY)
    new = set(second) - set(first)
    assert new
    assert all(now < second[i]["created"] <= later for i in new)
    changed = [i for i in first if first[i]["status"] != second[i]["status"]]
    assert changed, "some pending balance became available overnight"
    assert all(second[i]["status"] == "available" for i in changed)
    assert all(r["query"]["limit"] == "100" for r in emulator.requests())
    assert all(r["query"]["created"] == {"gte": str(now - 5 * DAY)} for r in emulator.requests())
    events = client.v1.events.list(params={"created": {"gt": now}, "limit": 100})
    assert events.data
    assert all(now < e.created <= later for e in events.data)


def test_startup_failure_reports_stderr() -> None:
    with (
        pytest.raises(EmulatorStartError, match="volume"),
        run_emulator("stripe", volume="lots", startup_timeout=30),
    ):
        pass


# A process that starts an emulator, says its pid, and waits to be killed.
_STARTER = """
import sys, time
from sandbox.process import run_emulator
with run_emulator("stripe", volume=0.2) as handle:
    print(handle.process.pid, flush=True)
    time.sleep(600)
"""


def test_an_emulator_stops_when_the_process_that_started_it_is_killed() -> None:
    """As when a load is killed mid-way: its emulator must not serve on for good."""
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    emulator = int(starter.stdout.readline())
    starter.kill()
    starter.wait(timeout=30)
    assert not outlived([emulator]), "the emulator kept serving after its starter was killed"


def test_a_clock_and_faults_given_at_start_hold_from_the_first_request() -> None:
    faults = '[{"status": 429, "retry_after": 1, "count": 1}]'
    with run_emulator(
        "stripe",
        seed=7,
        volume=0.2,
        start=ORG_START,
        end=ORG_END,
        now="2026-09-01T02:00:00Z",
        faults=faults,
    ) as handle:
        clock = handle.clock()
        assert clock["now"] == 1_788_228_000  # 2026-09-01 02:00 UTC, standing still
        assert clock["wall_clock"] is False
        client = stripe.StripeClient(
            "sk_test_sandbox", base_addresses={"api": handle.base_url}, max_network_retries=0
        )
        with pytest.raises(stripe.RateLimitError):
            client.v1.charges.list()
        charges = client.v1.charges.list(params={"limit": 100})
        assert charges.data
        assert max(c.created for c in charges.data) <= clock["now"]
        time.sleep(1.1)
        assert handle.clock()["now"] == clock["now"]
        assert handle.use_wall_clock() >= int(time.time()) - 1  # and back to the wall's


def test_bad_faults_or_time_stop_the_emulator_with_one_line() -> None:
    for flag, value, said in (
        ("--faults", '[{"count": 1}]', "a fault needs a status, a delay, malformed or new_field"),
        ("--now", "next tuesday", "not epoch seconds or an ISO time"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "sandbox", "stripe", flag, value],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert done.returncode == 2
        assert said in done.stderr
