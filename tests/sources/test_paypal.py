"""The PayPal source with the real `paypal-server-sdk` against the sandbox, into a local lake."""

from __future__ import annotations

import itertools
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from destinations.load import LoadSummary, load_source
from sandbox.org import build_org, org_purchase, utc_date
from sandbox.process import EmulatorHandle, run_emulator
from sources.clock import nightly_run_at
from sources.paypal import paypal_source
from sources.paypal.settings import DISPUTES_PATH
from tests.cli_runs import assert_nowhere_on_disk, run_module, stderr_lines
from tests.conftest import PlatformPaths

pytestmark = pytest.mark.slow

CLIENT_ID = "AcmeRestApp-client-4f9e1c"
CLIENT_SECRET = "EHs3cr3t-paypal-DO-NOT-LEAK-7d1b9a"
SEARCH = "/v1/reporting/transactions"
BALANCES = "/v1/reporting/balances"
HOUR = timedelta(hours=1)
# Relative to today, like the real API (it lists the last three years; tests stay recent).
TODAY = datetime.now(UTC).date()
ORG_START = TODAY - timedelta(days=90)
ORG_END = TODAY - timedelta(days=1)
FIRST_DAY = TODAY - timedelta(days=10)  # the first run backfills ORG_START .. FIRST_DAY: 3 searches
NEXT_DAY = FIRST_DAY + timedelta(days=1)
VOLUME = 4.0  # ~19 PayPal transactions a day: a 31-day search needs two pages of 500
SEED = 5


def day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def start_emulator(**options: Any) -> Any:
    return run_emulator(
        "paypal",
        seed=SEED,
        volume=VOLUME,
        start=ORG_START,
        end=ORG_END,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        **options,
    )


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmulatorHandle]:
    with start_emulator(reporting_delay_hours=3) as emulator:
        yield emulator


@pytest.fixture
def paypal_api(sandbox: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The sandbox with no faults, an empty request log, and its clock 4 hours after FIRST_DAY."""
    sandbox.clear_faults()
    sandbox.set_clock(now=epoch(day_end(FIRST_DAY) + 4 * HOUR))
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()


class _Local(Configuration):
    def __init__(self, base_url: str, **options: Any) -> None:
        self._base_url = base_url
        super().__init__(**options)

    def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
        return self._base_url


def sdk(emulator: EmulatorHandle) -> PaypalServersdkClient:
    credentials = ClientCredentialsAuthCredentials(CLIENT_ID, CLIENT_SECRET)
    return PaypalServersdkClient(
        config=_Local(
            emulator.base_url,
            environment=Environment.PRODUCTION,
            client_credentials_auth_credentials=credentials,
        )
    )


def listed(emulator: EmulatorHandle, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Ground truth through the SDK: every transaction initiated in [start, end), by id."""
    client = sdk(emulator)
    found: dict[str, dict[str, Any]] = {}
    low = start
    while low < end:
        high = min(low + timedelta(days=1), end)  # one day is far below any result cap here
        page, pages = 1, 1
        while page <= pages:
            response = client.transaction_search.search_transactions(
                {
                    "start_date": stamp(low),
                    "end_date": stamp(high - timedelta(seconds=1)),
                    "fields": "all",
                    "page_size": 500,
                    "page": page,
                }
            )
            body = json.loads(response.text)
            for detail in body["transaction_details"]:
                found[detail["transaction_info"]["transaction_id"]] = detail
            pages, page = body["total_pages"], page + 1
        low = high
    return found


def load_day(emulator: EmulatorHandle, day: date, secret: str = CLIENT_SECRET) -> LoadSummary:
    source = paypal_source(
        client_id=CLIENT_ID,
        client_secret=secret,
        base_url=emulator.base_url,
        start_date=ORG_START.isoformat(),
        run_date=day,
    )
    return load_source(source, day)


def raw(paths: PlatformPaths, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def raw_ids(paths: PlatformPaths, day: date | None = None) -> list[str]:
    where = f"WHERE date = DATE '{day.isoformat()}'" if day else ""
    sql = f"SELECT transaction_id FROM raw.paypal__transactions {where}"
    return sorted(row[0] for row in raw(paths, sql))


def searches(emulator: EmulatorHandle, status: int | None = 200) -> list[dict[str, Any]]:
    return [
        r["query"]
        for r in emulator.requests()
        if r["path"] == SEARCH and (status is None or r["status"] == status)
    ]


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_first_run_backfills_in_31_day_searches_of_500_row_pages(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    summary = load_day(paypal_api, FIRST_DAY)

    expected = listed(paypal_api, day_end(ORG_START - timedelta(days=1)), day_end(FIRST_DAY))
    assert len(expected) > 1000
    assert raw_ids(platform_env) == sorted(expected)
    assert summary.rows["transactions"] == len(expected)
    # every field PayPal sent is one its SDK documents: no drift reported
    assert summary.undeclared == {}
    # each transaction keeps its object as received, to backfill a field modelled later
    kept = raw(platform_env, "SELECT transaction_id, record_json FROM raw.paypal__transactions")
    assert all(json.loads(j)["transaction_info"]["transaction_id"] == i for i, j in kept)

    queries = searches(paypal_api)
    ranges = {(q["start_date"], q["end_date"]) for q in queries}
    assert len(ranges) >= 3  # 80 days in searches of at most 31
    for start, end in ranges:
        assert parse(end) - parse(start) <= timedelta(days=31)
    assert all(q["page_size"] == "500" and q["fields"] == "all" for q in queries)
    assert any(q["page"] == "2" for q in queries)  # more than 500 in one search: paged
    assert min(parse(start) for start, _ in ranges) == day_end(ORG_START - timedelta(days=1))
    assert max(parse(end) for _, end in ranges) == day_end(FIRST_DAY) - timedelta(seconds=1)

    balances = json.loads(
        sdk(paypal_api)
        .transaction_search.search_balances({"as_of_time": stamp(day_end(FIRST_DAY))})
        .text
    )["balances"]
    loaded = raw(
        platform_env,
        "SELECT currency, total_balance, total_balance_decimal, as_of_time "
        "FROM raw.paypal__balances ORDER BY currency",
    )
    assert loaded == sorted(
        (
            b["currency"],
            int(Decimal(b["total_balance"]["value"]) * 100),
            Decimal(b["total_balance"]["value"]),
            day_end(FIRST_DAY),
        )
        for b in balances
    )
    assert {row[0] for row in loaded} == {"USD", "EUR"}


def test_amounts_keep_minor_units_exact_decimals_and_currencies(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    load_day(paypal_api, FIRST_DAY)
    expected = listed(paypal_api, day_end(ORG_START - timedelta(days=1)), day_end(FIRST_DAY))
    rows = raw(
        platform_env,
        "SELECT transaction_id, event_code, currency, gross_amount, gross_amount_decimal, "
        "fee_currency, fee_amount, fee_amount_decimal, net_amount, payer_email, "
        "paypal_reference_id FROM raw.paypal__transactions",
    )
    kinds = set()
    for row in rows:
        info = expected[row[0]]["transaction_info"]
        gross, fee = info["transaction_amount"], info.get("fee_amount")
        assert row[1] == info["transaction_event_code"]
        assert (row[2], row[4]) == (gross["currency_code"], Decimal(gross["value"]))
        assert row[3] == int(Decimal(gross["value"]) * 100)
        if fee:
            assert (row[5], row[7]) == (fee["currency_code"], Decimal(fee["value"]))
            assert row[8] == row[3] + row[6]
        else:
            assert row[6] is None
        kinds.add((row[1][:3], row[2]))
        if row[1] == "T0006":
            assert row[6] < 0 < row[3]  # PayPal's fee is charged
        if row[1].startswith("T11"):
            assert row[3] < 0 < row[6]  # a refund gives back part of the fee
            assert row[10] in expected  # and names the payment it refunds
    # payments, refunds and currency conversions, in both currencies
    assert {("T00", "USD"), ("T00", "EUR"), ("T02", "USD"), ("T02", "EUR")} <= kinds
    assert {kind for kind, _ in kinds} >= {"T00", "T02", "T11"}
    # the payers are the demo organisation's customers
    emails = {c.email for c in build_org(SEED, VOLUME, ORG_START, ORG_END).customers}
    payers = {row[9] for row in rows if row[9]}
    assert payers
    assert payers <= emails


def _late_transaction(emulator: EmulatorHandle) -> tuple[date, datetime, str]:
    """A day whose last transaction came within its final 3 hours (by then all are listed)."""
    emulator.set_clock(now=epoch(day_end(ORG_END)))
    for day in (FIRST_DAY - timedelta(days=n) for n in range(8)):
        day_rows = listed(emulator, day_end(day) - 3 * HOUR, day_end(day))
        if day_rows:
            latest = max(
                day_rows.values(),
                key=lambda d: parse(d["transaction_info"]["transaction_initiation_date"]),
            )
            info = latest["transaction_info"]
            return day, parse(info["transaction_initiation_date"]), info["transaction_id"]
    raise AssertionError("no transaction in the last 3 hours of 8 days")


def test_second_run_reads_the_new_day_plus_three_hours_and_picks_up_a_late_transaction(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    day, late_at, late_id = _late_transaction(paypal_api)
    # The first run happens 30 s after the late transaction: PayPal does not list it yet.
    paypal_api.set_clock(now=epoch(late_at) + 30)
    load_day(paypal_api, day)
    assert late_id not in raw_ids(platform_env)

    next_day = day + timedelta(days=1)
    paypal_api.set_clock(now=epoch(day_end(next_day) + 4 * HOUR))
    paypal_api.clear_requests()
    load_day(paypal_api, next_day)

    window_start = day_end(day) - 3 * HOUR
    assert {(q["start_date"], q["end_date"]) for q in searches(paypal_api)} == {
        (stamp(window_start), stamp(day_end(next_day) - timedelta(seconds=1)))
    }
    assert late_id in raw_ids(platform_env, next_day)
    assert raw_ids(platform_env, next_day) == sorted(
        listed(paypal_api, window_start, day_end(next_day))
    )
    counts = raw(
        platform_env,
        "SELECT count(*), count(DISTINCT (transaction_id, date)) FROM raw.paypal__transactions",
    )
    assert counts[0][0] == counts[0][1]  # no duplicates within a run


def test_reloading_a_date_replaces_it_with_the_same_rows(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    load_day(paypal_api, FIRST_DAY)
    paypal_api.set_clock(now=epoch(day_end(NEXT_DAY) + 4 * HOUR))
    load_day(paypal_api, NEXT_DAY)
    query = "SELECT * EXCLUDE (_dlt_load_id) FROM raw.paypal__{table} ORDER BY ALL"
    tables = ("transactions", "balances", "disputes")
    before = {t: raw(platform_env, query.format(table=t)) for t in tables}

    again = load_day(paypal_api, NEXT_DAY)

    for table, rows in before.items():
        assert raw(platform_env, query.format(table=table)) == rows, table
    assert again.replaced_files == len(tables)  # one earlier file per table for that date


def test_a_search_over_the_result_cap_is_halved_and_every_transaction_arrives_once(
    platform_env: PlatformPaths,
) -> None:
    with start_emulator(result_cap=100, reporting_delay_hours=0) as emulator:
        emulator.set_clock(now=epoch(day_end(FIRST_DAY)))
        source = paypal_source(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=emulator.base_url,
            start_date=(FIRST_DAY - timedelta(days=19)).isoformat(),
            run_date=FIRST_DAY,
        )
        load_source(source, FIRST_DAY)

        too_large = searches(emulator, status=400)
        answered = {(q["start_date"], q["end_date"]) for q in searches(emulator)}
        expected = listed(emulator, day_end(FIRST_DAY - timedelta(days=20)), day_end(FIRST_DAY))

    assert too_large  # 20 days of ~19 a day is more than 100: refused, then halved
    assert len(expected) > 3 * 100
    assert raw_ids(platform_env) == sorted(expected)  # none missing, none twice
    covered = sorted((parse(start), parse(end)) for start, end in answered)
    assert len(covered) >= 4
    for (_, end), (next_start, _) in itertools.pairwise(covered):
        assert next_start == end + timedelta(seconds=1)  # adjoining, not overlapping


def test_rate_limits_and_server_errors_are_retried_and_the_load_is_complete(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    paypal_api.set_faults(path=SEARCH, status=429, retry_after=1, count=2)
    paypal_api.set_faults(path=BALANCES, status=500, count=2)
    paypal_api.set_faults(path="/v1/oauth2/token", status=503, count=1)

    summary = load_day(paypal_api, FIRST_DAY)

    statuses = [(r["path"], r["status"]) for r in paypal_api.requests()]
    assert statuses.count((SEARCH, 429)) == 2
    assert statuses.count((BALANCES, 500)) == 2
    assert statuses.count(("/v1/oauth2/token", 503)) == 1
    expected = listed(paypal_api, day_end(ORG_START - timedelta(days=1)), day_end(FIRST_DAY))
    assert raw_ids(platform_env) == sorted(expected)
    assert summary.rows["balances"] == 2


def test_a_malformed_transaction_is_rejected_with_its_id_and_the_rest_load(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    paypal_api.set_faults(path=SEARCH, malformed=True, count=1)
    load_day(paypal_api, FIRST_DAY)

    rejected = raw(
        platform_env,
        "SELECT resource, record_id, error, record_json FROM raw.paypal__rejected_records",
    )
    assert len(rejected) == 1
    resource, record_id, error, record_json = rejected[0]
    assert resource == "transactions"
    assert len(record_id) == 17
    assert "transaction_amount.value" in error
    assert "not-a-number" in record_json
    expected = listed(paypal_api, day_end(ORG_START - timedelta(days=1)), day_end(FIRST_DAY))
    assert raw_ids(platform_env) == sorted(i for i in expected if i != record_id)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_module("sources.paypal", *args, env=env)


def test_cli_with_a_wrong_client_secret_fails_with_one_clear_line(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    wrong_secret = "EHwrong-secret-0123456789abcdef"
    result = run_cli(
        "--date",
        FIRST_DAY.isoformat(),
        "--quiet",
        env={
            "SOURCES__USE_SANDBOX": "false",
            "SOURCES__PAYPAL__BASE_URL": paypal_api.base_url,
            "SOURCES__PAYPAL__CLIENT_ID": CLIENT_ID,
            "SOURCES__PAYPAL__CLIENT_SECRET": wrong_secret,
        },
    )
    assert result.returncode == 1
    lines = stderr_lines(result)
    assert lines[-1] == (
        "error: paypal: the client credentials were refused (401): check "
        "sources.paypal.client_id / client_secret "
        "(env SOURCES__PAYPAL__CLIENT_ID / SOURCES__PAYPAL__CLIENT_SECRET)"
    )
    assert wrong_secret not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert [(r["path"], r["status"]) for r in paypal_api.requests()][-1] == (
        "/v1/oauth2/token",
        401,
    )


def test_cli_loads_a_day_without_the_secret_reaching_output_lake_state_or_warehouse(
    paypal_api: EmulatorHandle, platform_env: PlatformPaths
) -> None:
    result = run_cli(
        "--date",
        FIRST_DAY.isoformat(),
        env={
            "SOURCES__USE_SANDBOX": "false",
            "SOURCES__PAYPAL__BASE_URL": paypal_api.base_url,
            "SOURCES__PAYPAL__CLIENT_ID": CLIENT_ID,
            "SOURCES__PAYPAL__CLIENT_SECRET": CLIENT_SECRET,
            "SOURCES__PAYPAL__START_DATE": ORG_START.isoformat(),
            "RUNTIME__LOG_LEVEL": "DEBUG",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "raw.paypal__transactions" in result.stdout
    assert "transactions" in result.stdout
    assert CLIENT_SECRET not in result.stdout + result.stderr
    assert_nowhere_on_disk(CLIENT_SECRET, platform_env)
    assert CLIENT_SECRET.encode() not in platform_env.warehouse.read_bytes()


def test_disputes_arrive_in_full_paged_and_again_when_they_change(
    platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every PayPal dispute updated in the window is listed (pages of 50, the next one by the
    `next` link's token) and shown in full: the disputed payment, and once resolved the outcome.
    A later night reads only the disputes updated since, so a decision arrives on its own day.
    On a fixed world and clock, so the dispute followed is the same every day."""
    start, end = date(2026, 9, 1), date(2027, 3, 31)
    org = build_org(seed=7, volume=10.0, start=start, end=end)
    paypal_disputes = [
        d for d in org.disputes if org_purchase(org, d.purchase_id).processor == "paypal"
    ]
    dispute = next(
        d
        for d in paypal_disputes[51:]  # opened after enough others for the backfill to page
        if d.evidence_at is not None
        and d.closed_at is not None
        and utc_date(d.opened_at) < utc_date(d.evidence_at) < utc_date(d.closed_at)
        and d.outcome == "lost"
    )
    opened, closed = utc_date(dispute.opened_at), utc_date(dispute.closed_at)
    dispute_id = f"PP-D-{dispute.id[3:]}"
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    with run_emulator(
        "paypal",
        seed=7,
        volume=10.0,
        start=start,
        end=end,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    ) as emulator:
        found = []
        for day in (opened, closed):
            now = nightly_run_at(day)
            monkeypatch.setenv("SANDBOX__NOW", now.isoformat())
            emulator.set_clock(now=int(now.timestamp()))
            emulator.clear_requests()
            source = paypal_source(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                base_url=emulator.base_url,
                start_date=start.isoformat(),
                run_date=day,
            )
            load_source(source, day)
            listed = [r["query"] for r in emulator.requests() if r["path"] == DISPUTES_PATH]
            shown = [r for r in emulator.requests() if r["path"].startswith(f"{DISPUTES_PATH}/")]
            loaded = raw(
                platform_env,
                f"SELECT dispute_id FROM raw.paypal__disputes WHERE date = DATE '{day}'",
            )
            assert len(shown) == len(loaded)
            found.append((listed, loaded))
        (first_lists, first_rows), (later_lists, later_rows) = found
    # the first night backfills every dispute opened since the start, in pages of 50
    opened_by_then = [
        d for d in paypal_disputes if d.opened_at < int(nightly_run_at(opened).timestamp())
    ]
    assert len(first_rows) == len(opened_by_then) > 50
    assert [q.get("next_page_token") is None for q in first_lists] == [True, False]
    assert all(q["page_size"] == "50" for q in first_lists + later_lists)
    # the later night reads the disputes updated since the first: the decided one among them
    assert {q["update_time_after"] for q in later_lists} == {
        nightly_run_at(opened).strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    assert (dispute_id,) in later_rows
    assert len(later_rows) < len(first_rows)
    rows = raw(
        platform_env,
        "SELECT date, status, outcome_code, amount, amount_refunded, currency, transaction_id, "
        f"record_json FROM raw.paypal__disputes WHERE dispute_id = '{dispute_id}' ORDER BY date",
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (opened, "WAITING_FOR_SELLER_RESPONSE", None),
        (closed, "RESOLVED", "RESOLVED_BUYER_FAVOUR"),
    ]
    assert rows[-1][3] == rows[-1][4] == dispute.amount
    assert rows[-1][5] == dispute.currency.upper()
    # the disputed payment is the one Transaction Search lists, and the object is kept whole
    payment = raw(
        platform_env,
        f"SELECT event_code FROM raw.paypal__transactions WHERE transaction_id = '{rows[-1][6]}'",
    )
    assert [row[0] for row in payment] == ["T0006"]
    assert json.loads(rows[-1][7])["dispute_outcome"]["outcome_code"] == "RESOLVED_BUYER_FAVOUR"
