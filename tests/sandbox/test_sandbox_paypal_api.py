"""The PayPal emulator through the real paypal-server-sdk and raw HTTP, held against the spec."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException
from paypalserversdk.exceptions.search_error_exception import SearchErrorException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from sandbox.org import DAY, epoch
from sandbox.paypal.server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PaypalEmulator,
    serve_in_thread,
)
from sandbox.process import run_emulator

from .conftest import ORG_END, ORG_START

# PayPal's OpenAPI spec, the parts these tests need (origin in its `_source`).
SPEC = json.loads(Path(__file__).with_name("paypal_spec_excerpt.json").read_text())
DATE_TIME = re.compile(SPEC["patterns"]["date_time"])
MONEY_VALUE = re.compile(SPEC["patterns"]["money_value"])
SEARCH = "/v1/reporting/transactions"
JULY = (epoch(ORG_START), epoch(ORG_START) + 31 * DAY - 1)


@pytest.fixture(scope="module")
def emulator() -> PaypalEmulator:
    return PaypalEmulator(seed=7, start=ORG_START, end=ORG_END)


@pytest.fixture(scope="module")
def _server(emulator: PaypalEmulator) -> Iterator[str]:
    with serve_in_thread(emulator) as server:
        yield server.base_url


@pytest.fixture
def base_url(_server: str, emulator: PaypalEmulator) -> Iterator[str]:
    """The in-process emulator, with clock, faults and log reset after the test."""
    default_now = emulator.clock.now
    yield _server
    emulator.clock.now = default_now
    emulator.faults.clear()
    emulator.requests.clear()


class _Local(Configuration):
    def __init__(self, base_url: str, **options: Any) -> None:
        self._base_url = base_url
        super().__init__(**options)

    def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
        return self._base_url


def sdk(base_url: str, secret: str = DEFAULT_CLIENT_SECRET) -> PaypalServersdkClient:
    credentials = ClientCredentialsAuthCredentials(DEFAULT_CLIENT_ID, secret)
    config = _Local(
        base_url,
        environment=Environment.PRODUCTION,
        client_credentials_auth_credentials=credentials,
    )
    return PaypalServersdkClient(config=config)


def stamp(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search(client: PaypalServersdkClient, first: int, last: int, **options: Any) -> Any:
    response = client.transaction_search.search_transactions(
        {"start_date": stamp(first), "end_date": stamp(last), **options}
    )
    return json.loads(response.text)


def every_page(client: PaypalServersdkClient, first: int, last: int, **options: Any) -> list[Any]:
    details, page, pages = [], 1, 1
    while page <= pages:
        body = search(client, first, last, page=page, page_size=500, **options)
        details += body["transaction_details"]
        pages, page = body["total_pages"], page + 1
    return details


def raw_get(url: str, token: str | None = None) -> tuple[int, dict[str, str], Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def token_request(base_url: str, client_id: str, secret: str) -> tuple[int, Any]:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base_url}/v1/oauth2/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {credentials}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_client_credentials_get_a_bearer_token_and_a_wrong_secret_gets_401(base_url: str) -> None:
    status, body = token_request(base_url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert "reporting/search/read" in body["scope"]
    code, _, _ = raw_get(
        f"{base_url}{SEARCH}?start_date={stamp(JULY[0])}&end_date={stamp(JULY[1])}"
    )
    assert code == 401
    code, _, page = raw_get(
        f"{base_url}{SEARCH}?start_date={stamp(JULY[0])}&end_date={stamp(JULY[1])}",
        body["access_token"],
    )
    assert code == 200
    assert page["total_items"] > 0

    assert token_request(base_url, DEFAULT_CLIENT_ID, "wrong") == (
        401,
        {"error": "invalid_client", "error_description": "Client Authentication failed"},
    )
    assert sdk(base_url).oauth_2.fetch_token().access_token  # through the SDK too
    with pytest.raises(OAuthProviderException) as refused:
        sdk(base_url, "wrong").oauth_2.fetch_token()
    assert refused.value.response_code == 401
    assert refused.value.error == "invalid_client"


def test_search_response_has_only_the_specs_fields_and_formats(base_url: str) -> None:
    body = search(sdk(base_url), *JULY, fields="all", page_size=50)
    properties = SPEC["properties"]
    assert set(body) <= set(properties["search_response"])
    assert all(DATE_TIME.match(body[k]) for k in ("start_date", "end_date"))
    assert len(body["transaction_details"]) == 50
    for detail in body["transaction_details"]:
        assert set(detail) == set(properties["transaction_detail"])
        info = detail["transaction_info"]
        assert set(info) <= set(properties["transaction_info"])
        assert DATE_TIME.match(info["transaction_initiation_date"])
        assert len(info["transaction_id"]) == 17
        for key in ("transaction_amount", "fee_amount", "ending_balance", "available_balance"):
            if key in info:
                assert set(info[key]) == set(properties["money"])
                assert MONEY_VALUE.match(info[key]["value"])
        assert set(detail["payer_info"]) <= set(properties["payer_info"])
        assert set(detail["payer_info"].get("payer_name", {})) <= set(properties["name"])
        for item in detail["cart_info"].get("item_details", []):
            assert set(item) <= set(properties["item_detail"])
        if detail["shipping_info"]:
            address = detail["shipping_info"]["address"]
            assert set(SPEC["required"]["address"]) <= set(address) <= set(properties["address"])
    # the default `fields` is transaction_info only
    plain = search(sdk(base_url), *JULY, page_size=5)
    assert all(set(d) == {"transaction_info"} for d in plain["transaction_details"])


def test_pages_cover_the_range_once_in_order(base_url: str, emulator: PaypalEmulator) -> None:
    client = sdk(base_url)
    first = search(client, *JULY, page_size=40)
    total = first["total_items"]
    assert first["total_pages"] == -(-total // 40)
    ids = []
    for page in range(1, first["total_pages"] + 1):
        ids += [
            d["transaction_info"]["transaction_id"]
            for d in search(client, *JULY, page_size=40, page=page)["transaction_details"]
        ]
    assert len(ids) == len(set(ids)) == total
    expected = [
        e.id
        for e in emulator.api.ledger.entries
        if JULY[0] <= e.at <= JULY[1] and e.balance_affecting
    ]
    assert ids == expected
    assert {link["rel"] for link in first["links"]} == {"self", "next", "last"}


@pytest.mark.parametrize(
    ("query", "field", "issue"),
    [
        ({"start_date": None}, "start_date", "MISSING_REQUIRED_PARAMETER"),
        ({"end_date": "2026-07-31"}, "end_date", "INVALID_PARAMETER_SYNTAX"),
        (
            {"end_date": stamp(JULY[0] + 31 * DAY + 1)},
            "end_date",
            "Date range is greater than 31 days",
        ),
        ({"page_size": 501}, "page_size", "Value must be between 1 and 500"),
        ({"page": 0}, "page", "Value must be between 1 and 2147483647"),
        ({"fields": "everything"}, "fields", "INVALID_PARAMETER_VALUE"),
    ],
)
def test_bad_parameters_are_refused_as_invalid_request(
    base_url: str, query: dict[str, Any], field: str, issue: str
) -> None:
    options = {"start_date": stamp(JULY[0]), "end_date": stamp(JULY[1]), **query}
    with pytest.raises(SearchErrorException) as refused:
        sdk(base_url).transaction_search.search_transactions(
            {k: v for k, v in options.items() if v is not None}
        )
    error = refused.value
    assert error.response_code == 400
    assert error.name in SPEC["enums"]["error_400_name"]
    assert [(d.field, d.issue, d.location) for d in error.details] == [(field, issue, "query")]
    body = json.loads(error.response.text)
    assert set(body) <= set(SPEC["properties"]["error_400"])


def test_exactly_31_days_and_500_a_page_are_allowed(base_url: str) -> None:
    body = search(sdk(base_url), JULY[0], JULY[0] + 31 * DAY, page_size=500)
    assert body["total_items"] > 0


def test_a_search_over_the_result_cap_is_refused_as_resultset_too_large(
    base_url: str, emulator: PaypalEmulator
) -> None:
    assert emulator.api.result_cap == 10_000  # PayPal's
    emulator.api.result_cap = 100
    try:
        with pytest.raises(SearchErrorException) as refused:
            search(sdk(base_url), *JULY, page_size=500)
        week = search(sdk(base_url), JULY[0], JULY[0] + 7 * DAY)
    finally:
        emulator.api.result_cap = 10_000
    error = refused.value
    assert (error.response_code, error.name) == (400, "RESULTSET_TOO_LARGE")
    assert error.maximum_items == 100
    assert error.total_items > 100
    assert 0 < week["total_items"] <= 100
    # total_items / maximum_items are not in the 2024 spec's error schema; the SDK reads them
    body = json.loads(error.response.text)
    extra = set(body) - set(SPEC["properties"]["error_400"])
    assert extra == {"total_items", "maximum_items"}


def test_ledger_has_fees_refunds_conversions_and_the_orgs_paypal_customers(
    base_url: str, emulator: PaypalEmulator
) -> None:
    org = emulator.org
    details = every_page(sdk(base_url), *JULY, fields="all")
    by_code: dict[str, list[Any]] = defaultdict(list)
    for detail in details:
        by_code[detail["transaction_info"]["transaction_event_code"]].append(detail)
    paypal_purchases = {p.id: p for p in org.purchases if p.processor == "paypal"}
    emails = {c.id: c.email for c in org.customers}
    for payment in by_code["T0006"]:
        info = payment["transaction_info"]
        purchase = paypal_purchases[info["invoice_id"]]
        gross = Decimal(info["transaction_amount"]["value"])
        assert gross * 100 == purchase.amount
        assert info["transaction_amount"]["currency_code"] == purchase.currency.upper()
        assert Decimal(info["fee_amount"]["value"]) < 0
        assert payment["payer_info"]["email_address"] == emails[purchase.customer_id]
    assert {d["transaction_info"]["transaction_amount"]["currency_code"] for d in details} == {
        "USD",
        "EUR",
    }
    ids = {d["transaction_info"]["transaction_id"] for d in details}
    for refund in by_code["T1107"]:
        assert Decimal(refund["transaction_info"]["transaction_amount"]["value"]) < 0
        assert refund["transaction_info"]["paypal_reference_id_type"] == "TXN"
    # conversions come in pairs: EUR out, USD in, for the same payment
    conversions: dict[str, list[Any]] = defaultdict(list)
    for row in by_code["T0200"]:
        conversions[row["transaction_info"]["paypal_reference_id"]].append(row["transaction_info"])
    assert conversions
    for reference, pair in conversions.items():
        assert reference in ids
        amounts = {r["transaction_amount"]["currency_code"]: r["transaction_amount"] for r in pair}
        assert set(amounts) == {"USD", "EUR"}
        assert (Decimal(amounts["USD"]["value"]) > 0) == (Decimal(amounts["EUR"]["value"]) < 0)
    refunds_in_org = [r for r in org.refunds if r.purchase_id in paypal_purchases]
    assert refunds_in_org


def test_balances_sum_the_listed_transactions_and_match_the_ending_balances(
    base_url: str, emulator: PaypalEmulator
) -> None:
    client = sdk(base_url)
    as_of = JULY[1]
    response = client.transaction_search.search_balances({"as_of_time": stamp(as_of)})
    body = json.loads(response.text)
    assert set(body) <= set(SPEC["properties"]["balances_response"])
    assert re.match(SPEC["patterns"]["account_id"], body["account_id"])
    balances = {b["currency"]: b for b in body["balances"]}
    assert balances["USD"]["primary"] is True
    for balance in body["balances"]:
        assert set(balance) <= set(SPEC["properties"]["balance_detail"])
    details = every_page(client, epoch(ORG_START), as_of)
    last: dict[str, str] = {}
    for detail in details:
        info = detail["transaction_info"]
        last[info["ending_balance"]["currency_code"]] = info["ending_balance"]["value"]
    for currency, value in last.items():
        assert balances[currency]["total_balance"]["value"] == value
    # a filter leaves ending_balance out, as the spec says
    filtered = search(client, *JULY, transaction_currency="EUR", page_size=5)
    assert all(
        "ending_balance" not in d["transaction_info"] for d in filtered["transaction_details"]
    )


def test_a_transaction_is_listed_only_after_its_reporting_delay(
    base_url: str, emulator: PaypalEmulator
) -> None:
    entry = next(e for e in emulator.api.ledger.entries if e.visible_at - e.at > 600)
    assert entry.visible_at - entry.at <= 3 * 3600
    client = sdk(base_url)

    def listed_at(now: int) -> bool:
        emulator.clock.now = now
        body = search(client, entry.at - 60, entry.at + 60, transaction_id=entry.id)
        return [d["transaction_info"]["transaction_id"] for d in body["transaction_details"]] == [
            entry.id
        ]

    assert not listed_at(entry.at + 1)
    assert not listed_at(entry.visible_at - 1)
    assert listed_at(entry.visible_at)


def test_faults_rate_limit_with_retry_after_and_corrupt_one_record(
    base_url: str, emulator: PaypalEmulator
) -> None:
    client = sdk(base_url)
    emulator.faults.add({"path": SEARCH, "status": 429, "retry_after": 2, "count": 1})
    with pytest.raises(SearchErrorException) as limited:
        search(client, *JULY)
    assert limited.value.response_code == 429
    assert limited.value.response.headers["Retry-After"] == "2"
    assert limited.value.name == "RATE_LIMIT_REACHED"

    emulator.faults.add({"path": SEARCH, "malformed": True})
    body = search(client, *JULY, page_size=3)
    assert body["transaction_details"][0]["transaction_info"]["transaction_amount"]["value"] == (
        "not-a-number"
    )
    assert (
        search(client, *JULY, page_size=3)["transaction_details"][0]
        != body["transaction_details"][0]
    )
    statuses = [(r["path"], r["status"]) for r in emulator.requests.entries()]
    assert statuses[:2] == [("/v1/oauth2/token", 200), (SEARCH, 429)]
    assert all("secret" not in json.dumps(r) for r in emulator.requests.entries())


def test_the_emulator_runs_as_its_own_process() -> None:
    start = ORG_END - timedelta(days=20)
    with run_emulator("paypal", seed=3, volume=0.5, start=start, end=ORG_END) as handle:
        client = sdk(handle.base_url)
        body = search(client, epoch(start), epoch(ORG_END) + DAY - 1, page_size=1)
        assert body["total_items"] > 0
        assert [r["path"] for r in handle.requests()] == ["/v1/oauth2/token", SEARCH]
    assert handle.process.returncode == 0
