"""The Google Ads emulator over gRPC, held against the real `google-ads` SDK (in process)."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from google.ads.googleads.errors import GoogleAdsException
from google.api_core import exceptions as core_exceptions
from google.oauth2.credentials import Credentials

from sandbox.google_ads.account import MANAGER_ID
from sandbox.google_ads.server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DEVELOPER_TOKEN,
    DEFAULT_REFRESH_TOKEN,
    GoogleAdsEmulator,
    RunningEmulator,
    serve_in_thread,
)
from sandbox.org import epoch
from sources.google_ads.client import Connection, _failure, build_service, error_codes

BATCH_SIZE = 6
SEARCH_ACCOUNT = "5550001001"
DAILY = (
    "SELECT campaign.id, segments.date, metrics.clicks FROM campaign "
    "WHERE segments.date BETWEEN '2026-07-01' AND '2026-07-31'"
)


@pytest.fixture(scope="module")
def emulator() -> GoogleAdsEmulator:
    return GoogleAdsEmulator(
        seed=7, start=date(2026, 7, 1), end=date(2026, 10, 31), batch_size=BATCH_SIZE
    )


@pytest.fixture(scope="module")
def running(emulator: GoogleAdsEmulator) -> Iterator[RunningEmulator]:
    with serve_in_thread(emulator) as servers:
        yield servers


@pytest.fixture
def connection(running: RunningEmulator, emulator: GoogleAdsEmulator) -> Iterator[Connection]:
    yield Connection(
        developer_token=DEFAULT_DEVELOPER_TOKEN,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        refresh_token=DEFAULT_REFRESH_TOKEN,
        login_customer_id=str(MANAGER_ID),
        base_url=running.base_url,
        token_uri=f"{running.base_url}/token",
    )
    emulator.faults.clear()
    emulator.requests.clear()


def service(connection: Connection, token: str | None = None) -> Any:
    credentials = Credentials(
        token=token,
        refresh_token=connection.refresh_token,
        client_id=connection.client_id,
        client_secret=connection.client_secret,
        token_uri=connection.token_uri,
    )
    return build_service(connection, credentials)


def refused(call: Any) -> tuple[str, str, str]:
    with pytest.raises(GoogleAdsException) as raised:
        call()
    return (raised.value.error.code().name, *error_codes(raised.value.failure)[0][:2])


def test_search_stream_sends_batches_of_at_most_the_batch_size(connection: Connection) -> None:
    batches = list(service(connection).search_stream(customer_id=SEARCH_ACCOUNT, query=DAILY))
    rows = [row for batch in batches for row in batch.results]
    assert len(rows) > 2 * BATCH_SIZE
    assert len(batches) == math.ceil(len(rows) / BATCH_SIZE)
    assert all(len(batch.results) <= BATCH_SIZE for batch in batches)
    assert list(batches[0].field_mask.paths) == ["campaign.id", "segments.date", "metrics.clicks"]
    assert len({batch.request_id for batch in batches}) == 1
    assert all(row.segments.date.startswith("2026-07") for row in rows)


def test_search_pages_give_the_same_rows_as_the_stream(connection: Connection) -> None:
    ads = service(connection)
    streamed = [
        (row.campaign.id, row.segments.date)
        for batch in ads.search_stream(customer_id=SEARCH_ACCOUNT, query=DAILY)
        for row in batch.results
    ]
    pager = ads.search(request={"customer_id": SEARCH_ACCOUNT, "query": DAILY, "page_size": 10})
    assert [(row.campaign.id, row.segments.date) for row in pager] == streamed


def test_an_empty_result_is_one_empty_batch(connection: Connection) -> None:
    query = DAILY.replace("'2026-07-01' AND '2026-07-31'", "'2030-01-01' AND '2030-01-31'")
    batches = list(service(connection).search_stream(customer_id=SEARCH_ACCOUNT, query=query))
    assert len(batches) == 1
    assert len(batches[0].results) == 0


def test_an_unknown_field_is_a_query_error(connection: Connection) -> None:
    ads = service(connection)
    call = lambda: list(  # noqa: E731
        ads.search_stream(customer_id=SEARCH_ACCOUNT, query="SELECT campaign.colour FROM campaign")
    )
    assert refused(call) == ("INVALID_ARGUMENT", "query_error", "UNRECOGNIZED_FIELD")


def test_a_wrong_developer_token_is_an_authentication_error(connection: Connection) -> None:
    ads = service(replace(connection, developer_token="not-the-token"))
    call = lambda: list(ads.search_stream(customer_id=SEARCH_ACCOUNT, query=DAILY))  # noqa: E731
    assert refused(call) == ("UNAUTHENTICATED", "authentication_error", "DEVELOPER_TOKEN_INVALID")


def test_an_access_token_the_emulator_did_not_issue_is_refused(connection: Connection) -> None:
    ads = service(connection, token="ya29.made-up")
    call = lambda: list(ads.search_stream(customer_id=SEARCH_ACCOUNT, query=DAILY))  # noqa: E731
    assert refused(call) == ("UNAUTHENTICATED", "authentication_error", "OAUTH_TOKEN_INVALID")


@pytest.mark.parametrize("customer_id", ["1234567890", "5550001001"])
def test_an_unknown_customer_or_a_foreign_login_customer_is_denied(
    connection: Connection, customer_id: str
) -> None:
    login = "5550001002" if customer_id == SEARCH_ACCOUNT else str(MANAGER_ID)
    ads = service(replace(connection, login_customer_id=login))
    call = lambda: list(ads.search_stream(customer_id=customer_id, query=DAILY))  # noqa: E731
    assert refused(call) == ("PERMISSION_DENIED", "authorization_error", "USER_PERMISSION_DENIED")


def test_quota_faults_are_resource_exhausted_with_a_retry_delay(
    connection: Connection, emulator: GoogleAdsEmulator
) -> None:
    emulator.faults.add(
        {"path": f"/v26/customers/{SEARCH_ACCOUNT}/", "status": 429, "retry_after": 7}
    )
    ads = service(connection)
    with pytest.raises(core_exceptions.ResourceExhausted) as raised:
        list(ads.search_stream(customer_id=SEARCH_ACCOUNT, query=DAILY))
    failure = _failure(raised.value)
    assert error_codes(failure)[0][:2] == ("quota_error", "RESOURCE_EXHAUSTED")
    assert failure.errors[0].details.quota_error_details.retry_delay.total_seconds() == 7
    assert len(list(ads.search_stream(customer_id=SEARCH_ACCOUNT, query=DAILY))) > 1
    statuses = [entry["status"] for entry in emulator.requests.entries()]
    assert statuses[-2:] == [429, 200]


def test_the_clock_control_moves_restatement(
    connection: Connection, emulator: GoogleAdsEmulator, running: RunningEmulator
) -> None:
    query = (
        "SELECT segments.date, metrics.conversions FROM customer "
        "WHERE segments.date BETWEEN '2026-10-20' AND '2026-10-20'"
    )
    ads = service(connection)

    def conversions() -> float:
        return (
            next(iter(ads.search_stream(customer_id=SEARCH_ACCOUNT, query=query)))
            .results[0]
            .metrics.conversions
        )

    saved = emulator.clock.now
    try:
        control(running, "clock", {"now": epoch(date(2026, 10, 24))})
        early = conversions()
        control(running, "clock", {"advance_days": 10})
        assert conversions() > early
    finally:
        emulator.clock.now = saved


def test_the_token_endpoint_refuses_a_wrong_refresh_token(running: RunningEmulator) -> None:
    form = urllib.parse.urlencode(
        {
            "grant_type": "refresh_token",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": "wrong",
        }
    ).encode()
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{running.base_url}/token", data=form)
    assert raised.value.code == 400
    assert json.loads(raised.value.read())["error"] == "invalid_grant"


def control(running: RunningEmulator, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{running.base_url}/_sandbox/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)
