"""The Stripe source with the real `stripe` SDK against the sandbox emulator, into a local lake."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import stripe

from destinations.load import LoadSummary, load_source
from destinations.settings import PROJECT_ROOT
from sandbox.org import build_org, org_purchase, utc_date
from sandbox.process import run_emulator
from sources.clock import nightly_run_at
from sources.field_types import RECORD_JSON
from sources.rejects import validate_records
from sources.stripe import stripe_source
from sources.stripe.client import sdk_service
from sources.stripe.settings import RESOURCES
from sources.tables import to_table
from tests.cli_runs import assert_nowhere_on_disk, run_module, stderr_lines
from tests.conftest import PlatformPaths

pytestmark = pytest.mark.slow

API_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
# Relative to today, as the real API is: Stripe keeps events for 30 days, so a test whose days
# drifted further into the past would test the fallback instead.
TODAY = datetime.now(UTC).date()
ORG_START = TODAY - timedelta(days=90)
ORG_END = TODAY - timedelta(days=1)
FIRST_DAY = TODAY - timedelta(days=10)  # the first run backfills ORG_START .. FIRST_DAY
NEXT_DAY = FIRST_DAY + timedelta(days=1)
MUTABLE = [spec for spec in RESOURCES if spec.event_types]
NOW = datetime.now(UTC)


def day_end(day: date) -> int:
    return int(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with run_emulator(
        "stripe",
        seed=11,
        volume=1.0,
        start=ORG_START.isoformat(),
        end=ORG_END.isoformat(),
        api_key=API_KEY,
    ) as emulator:
        yield emulator


@pytest.fixture
def stripe_api(sandbox: Any) -> Iterator[Any]:
    """The sandbox with no faults, an empty request log, and its clock at the end of FIRST_DAY."""
    sandbox.clear_faults()
    sandbox.set_clock(now=day_end(FIRST_DAY))
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()


def sdk(emulator: Any) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": emulator.base_url})


def load_day(emulator: Any, day: date, api_key: str = API_KEY) -> LoadSummary:
    source = stripe_source(
        api_key=api_key, base_url=emulator.base_url, start_date=ORG_START.isoformat(), run_date=day
    )
    return load_source(source, day)


def raw(paths: PlatformPaths, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def raw_ids(paths: PlatformPaths, table: str, day: date | None = None) -> list[str]:
    where = f"WHERE date = DATE '{day.isoformat()}'" if day else ""
    return sorted(row[0] for row in raw(paths, f"SELECT id FROM raw.stripe__{table} {where}"))


def listed_ids(client: stripe.StripeClient, service: str, created: dict[str, int]) -> list[str]:
    params: dict[str, Any] = {"limit": 100, "created": created}
    if service == "subscriptions":
        params["status"] = "all"
    pages = sdk_service(client, service).list(params=params)
    return sorted(item.id for item in pages.auto_paging_iter())


def test_first_run_backfills_every_object_since_the_start_date(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    summary = load_day(stripe_api, FIRST_DAY)

    client = sdk(stripe_api)
    since_start = {"gte": day_end(ORG_START - timedelta(days=1)), "lt": day_end(FIRST_DAY)}
    for spec in RESOURCES:
        window = {"lt": day_end(FIRST_DAY)} if spec.full_history else since_start
        expected = listed_ids(client, spec.service, window)
        assert expected, spec.name
        assert raw_ids(platform_env, spec.name) == expected, spec.name
        assert summary.rows[spec.name] == len(expected)
    # customers and the catalogue made before the start date are there too
    assert raw(platform_env, "SELECT min(created) FROM raw.stripe__products")[0][
        0
    ] < datetime.combine(ORG_START, datetime.min.time(), UTC)
    assert summary.rows["charges"] > 300  # many pages of 100

    requests = stripe_api.requests()
    lists = [r for r in requests if r["path"].startswith("/v1/") and r["method"] == "GET"]
    charge_pages = [r for r in lists if r["path"] == "/v1/charges"]
    assert len(charge_pages) >= 4
    assert all(str(r["query"].get("limit")) == "100" for r in lists)


def test_every_row_and_type_in_the_lake_equals_what_the_sdks_objects_give(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    """The source reads the SDK's raw responses; the SDK's objects, turned back into dicts,
    must give the same tables to the last value and type."""
    load_day(stripe_api, FIRST_DAY)
    client = sdk(stripe_api)
    since_start = {"gte": day_end(ORG_START - timedelta(days=1)), "lt": day_end(FIRST_DAY)}
    for spec in RESOURCES:
        files = sorted((platform_env.lake / "stripe" / spec.name).rglob("*.parquet"))
        lake = (
            pq.read_table(files[0])
            if len(files) == 1
            else pa.concat_tables(pq.read_table(file) for file in files)
        )
        snapshot_at = int(lake.column("snapshot_at")[0].as_py().timestamp())
        params: dict[str, Any] = {
            "limit": 100,
            "created": {"lt": day_end(FIRST_DAY)} if spec.full_history else since_start,
            **dict(spec.list_params),
        }
        objects = sdk_service(client, spec.service).list(params=params).auto_paging_iter()
        as_dicts = [item.to_dict() for item in objects]
        records = [{**item, "snapshot_at": snapshot_at, "deleted": False} for item in as_dicts]
        models, rejected = validate_records(records, spec.model, "stripe", spec.name, NOW)
        assert not rejected, spec.name
        expected = to_table(models, spec.model).sort_by("id")
        modelled = [name for name in expected.column_names if name != RECORD_JSON]
        loaded = lake.select(expected.column_names).sort_by("id")
        assert loaded.schema == expected.schema, spec.name
        assert loaded.select(modelled).to_pylist() == expected.select(modelled).to_pylist()
        if RECORD_JSON in lake.column_names:  # the object as received is the SDK's object
            kept = {row["id"]: json.loads(row[RECORD_JSON]) for row in lake.to_pylist()}
            # (the SDK turns decimal strings, `unit_amount_decimal`, into Decimals)
            sent = [json.loads(json.dumps(item, default=str)) for item in as_dicts]
            assert kept == {item["id"]: item for item in sent}, spec.name


def test_money_stays_in_minor_units_with_its_currency(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    load_day(stripe_api, FIRST_DAY)
    client = sdk(stripe_api)
    sample = next(iter(client.v1.charges.list(params={"limit": 5}).auto_paging_iter()))
    rows = raw(
        platform_env,
        "SELECT amount, currency, amount_refunded FROM raw.stripe__charges "
        f"WHERE id = '{sample.id}'",
    )
    assert rows == [(sample.amount, sample.currency, sample.amount_refunded)]
    currencies = {
        row[0] for row in raw(platform_env, "SELECT DISTINCT currency FROM raw.stripe__charges")
    }
    assert {"usd", "eur"} <= currencies


def test_second_run_fetches_only_new_and_changed_objects(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    load_day(stripe_api, FIRST_DAY)
    stripe_api.set_clock(now=day_end(NEXT_DAY))
    stripe_api.clear_requests()

    summary = load_day(stripe_api, NEXT_DAY)

    requests = [r for r in stripe_api.requests() if r["path"].startswith("/v1/")]
    start, end = str(day_end(FIRST_DAY)), str(day_end(NEXT_DAY))
    for request in requests:
        created = request["query"].get("created", {})
        assert created == {"gte": start, "lt": end}, request
    paths = {r["path"] for r in requests}
    assert paths == {"/v1/events", "/v1/balance_transactions"}

    client = sdk(stripe_api)
    events = client.v1.events.list(
        params={"limit": 100, "created": {"gte": day_end(FIRST_DAY), "lt": day_end(NEXT_DAY)}}
    )
    changed: dict[str, set[str]] = {spec.name: set() for spec in MUTABLE}
    for event in events.auto_paging_iter():
        for spec in MUTABLE:
            if event.type in spec.event_types:
                changed[spec.name].add(event.data.object.id)
    for spec in MUTABLE:
        assert raw_ids(platform_env, spec.name, NEXT_DAY) == sorted(changed[spec.name]), spec.name
    assert summary.rows["charges"] > 0
    # an object created before the new day but changed during it comes back in its new version
    old_but_changed = raw(
        platform_env,
        f"SELECT count(*) FROM raw.stripe__charges WHERE date = DATE '{NEXT_DAY}' "
        f"AND created < TIMESTAMP '{NEXT_DAY} 00:00:00+00'",
    )
    assert old_but_changed[0][0] > 0


def test_reloading_a_date_replaces_it_with_the_same_rows(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    load_day(stripe_api, FIRST_DAY)
    stripe_api.set_clock(now=day_end(NEXT_DAY))
    load_day(stripe_api, NEXT_DAY)
    query = (
        "SELECT id, amount, amount_refunded, status, snapshot_at, date FROM raw.stripe__charges "
        "ORDER BY date, id"
    )
    before = raw(platform_env, query)
    again = load_day(stripe_api, NEXT_DAY)
    assert raw(platform_env, query) == before
    assert again.replaced_files == len(RESOURCES)  # one earlier file per table for that date
    total = raw(
        platform_env, "SELECT count(*), count(DISTINCT (id, date)) FROM raw.stripe__charges"
    )
    assert total[0][0] == total[0][1]  # no duplicates within a date


def test_rate_limits_and_server_errors_are_retried_and_the_load_is_complete(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    stripe_api.set_faults(path="/v1/charges", status=429, retry_after=1, count=2)
    stripe_api.set_faults(path="/v1/customers", status=500, count=2)
    summary = load_day(stripe_api, FIRST_DAY)

    statuses = [(r["path"], r["status"]) for r in stripe_api.requests()]
    assert statuses.count(("/v1/charges", 429)) == 2
    assert statuses.count(("/v1/customers", 500)) == 2
    window = {"gte": day_end(ORG_START - timedelta(days=1)), "lt": day_end(FIRST_DAY)}
    client = sdk(stripe_api)
    assert raw_ids(platform_env, "charges") == listed_ids(client, "charges", window)
    customers = listed_ids(client, "customers", {"lt": day_end(FIRST_DAY)})
    assert raw_ids(platform_env, "customers") == customers
    assert summary.rows["charges"] == len(raw_ids(platform_env, "charges"))


def test_a_malformed_record_is_rejected_with_its_id_and_the_rest_loads(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    stripe_api.set_faults(path="/v1/charges", malformed=True, count=1)
    load_day(stripe_api, FIRST_DAY)

    rejected = raw(
        platform_env,
        "SELECT resource, record_id, error, record_json FROM raw.stripe__rejected_records",
    )
    assert len(rejected) == 1
    resource, record_id, error, record_json = rejected[0]
    assert resource == "charges"
    assert record_id
    assert record_id.startswith("ch_")
    assert record_id in record_json
    window = {"gte": day_end(ORG_START - timedelta(days=1)), "lt": day_end(FIRST_DAY)}
    expected = listed_ids(sdk(stripe_api), "charges", window)
    assert raw_ids(platform_env, "charges") == [i for i in expected if i != record_id]
    assert error  # names the field that failed, e.g. "amount: Input should be a valid integer"


def test_a_reload_after_the_record_is_fixed_replaces_the_dates_rejects_with_none(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    stripe_api.set_faults(path="/v1/charges", malformed=True, count=1)
    load_day(stripe_api, FIRST_DAY)
    (record_id,) = raw(platform_env, "SELECT record_id FROM raw.stripe__rejected_records")[0]
    assert record_id not in raw_ids(platform_env, "charges")

    reloaded = load_day(stripe_api, FIRST_DAY)  # the source serves the record whole again

    assert "rejected_records" not in {t for t, n in reloaded.rows.items() if n}
    assert raw(platform_env, "SELECT count(*) FROM raw.stripe__rejected_records") == [(0,)]
    assert record_id in raw_ids(platform_env, "charges")
    partition = platform_env.lake / "stripe" / "rejected_records" / f"date={FIRST_DAY}"
    assert [path.name for path in partition.iterdir()] == [f"{reloaded.load_id}.empty.parquet"]


def test_state_is_resumed_from_the_lake_when_the_pipelines_folder_is_lost(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    load_day(stripe_api, FIRST_DAY)
    shutil.rmtree(platform_env.pipelines)
    stripe_api.set_clock(now=day_end(NEXT_DAY))
    stripe_api.clear_requests()

    load_day(stripe_api, NEXT_DAY)

    starts = {
        r["query"].get("created", {}).get("gte")
        for r in stripe_api.requests()
        if r["path"].startswith("/v1/")
    }
    assert starts == {str(day_end(FIRST_DAY))}  # resumed, not a new backfill
    counts = raw(
        platform_env, "SELECT count(*), count(DISTINCT (id, date)) FROM raw.stripe__customers"
    )
    assert counts[0][0] == counts[0][1]


KILLED_LOAD = """
import os, sys
from datetime import date
from dlt.destinations.impl.filesystem.filesystem import FilesystemClient
from destinations.load import load_source
from sources.stripe import stripe_source

FilesystemClient.complete_load = lambda self, load_id: os._exit(9)
day = date.fromisoformat(sys.argv[3])
load_source(stripe_source(api_key=sys.argv[1], base_url=sys.argv[2], start_date=sys.argv[4],
                          run_date=day), day)
"""

COMPARABLE = "SELECT * EXCLUDE (snapshot_at, _dlt_load_id) FROM raw.stripe__{table} ORDER BY ALL"


def test_a_killed_load_then_a_rerun_gives_the_data_of_one_clean_run(
    stripe_api: Any, platform_env: PlatformPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_LOAD,
            API_KEY,
            stripe_api.base_url,
            FIRST_DAY.isoformat(),
            ORG_START.isoformat(),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == 9, killed.stderr
    load_day(stripe_api, FIRST_DAY)
    after_crash = {s.name: raw(platform_env, COMPARABLE.format(table=s.name)) for s in RESOURCES}

    clean = tmp_path / "clean"
    monkeypatch.setenv("LAKE__BUCKET_URL", str(clean / "lake"))
    monkeypatch.setenv("WAREHOUSE__DUCKDB_PATH", str(clean / "warehouse.duckdb"))
    monkeypatch.setenv("DLT_DATA_DIR", str(clean / "dlt"))
    load_day(stripe_api, FIRST_DAY)
    clean_paths = PlatformPaths(clean / "lake", clean / "warehouse.duckdb", clean / "dlt")
    for spec in RESOURCES:
        assert after_crash[spec.name] == raw(clean_paths, COMPARABLE.format(table=spec.name))


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_module("sources.stripe", *args, env=env)


def test_cli_with_a_wrong_key_fails_with_one_clear_line(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    wrong_key = "sk_test_wrong_key_123456789"
    result = run_cli(
        "--date",
        FIRST_DAY.isoformat(),
        "--quiet",
        env={
            "SOURCES__USE_SANDBOX": "false",
            "SOURCES__STRIPE__BASE_URL": stripe_api.base_url,
            "SOURCES__STRIPE__API_KEY": wrong_key,
        },
    )
    assert result.returncode == 1
    lines = stderr_lines(result)
    assert lines[-1].startswith("error: stripe.")
    assert "API key was refused (401)" in lines[-1]
    assert "sources.stripe.api_key" in lines[-1]
    assert wrong_key not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_cli_without_a_key_in_production_names_the_missing_setting(
    platform_env: PlatformPaths,
) -> None:
    result = run_cli("--quiet", env={"SOURCES__USE_SANDBOX": "false"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: missing setting sources.stripe.api_key (env SOURCES__STRIPE__API_KEY)"
    )


def test_cli_loads_a_day_and_prints_a_summary_without_leaking_the_key(
    stripe_api: Any, platform_env: PlatformPaths
) -> None:
    result = run_cli(
        "--date",
        FIRST_DAY.isoformat(),
        env={
            "SOURCES__USE_SANDBOX": "false",
            "SOURCES__STRIPE__BASE_URL": stripe_api.base_url,
            "SOURCES__STRIPE__API_KEY": API_KEY,
            "SOURCES__STRIPE__START_DATE": ORG_START.isoformat(),
        },
    )
    assert result.returncode == 0, result.stderr
    assert f"date={FIRST_DAY.isoformat()}" in result.stdout
    assert "charges" in result.stdout
    assert "rows" in result.stdout
    assert "raw.stripe__charges" in result.stdout
    # the secret appears nowhere: not in output, the lake, dlt's state and traces, the warehouse
    assert API_KEY not in result.stdout + result.stderr
    assert_nowhere_on_disk(API_KEY, platform_env)


def test_a_dispute_comes_back_at_each_step_and_its_money_on_the_days_it_moved(
    platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chargeback opened weeks after its charge, answered, then won: each nightly run after
    the first reads its new state through the Events API, and the balance transactions of its
    withdrawal and reversal land on the days they were made. On a fixed world and clock, so the
    dispute picked is the same every day."""
    start, end = date(2026, 9, 1), date(2027, 3, 31)
    org = build_org(seed=7, volume=1.0, start=start, end=end)
    dispute = next(
        d
        for d in org.disputes
        if org_purchase(org, d.purchase_id).processor == "stripe"
        and d.outcome == "won"
        and d.evidence_at is not None
        and d.closed_at is not None
        # the close is read by the Events API, which reaches 30 days back
        and d.closed_at - d.evidence_at < 27 * 86_400
        and utc_date(d.evidence_at) > utc_date(d.opened_at)
    )
    opened, answered, closed = (
        utc_date(at) for at in (dispute.opened_at, dispute.evidence_at, dispute.closed_at)
    )
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    with run_emulator(
        "stripe", seed=7, volume=1.0, start=start.isoformat(), end=end.isoformat(), api_key=API_KEY
    ) as emulator:
        statuses = []
        for day in (opened, answered, closed):
            monkeypatch.setenv("SANDBOX__NOW", nightly_run_at(day).isoformat())
            emulator.set_clock(now=int(nightly_run_at(day).timestamp()))
            emulator.clear_requests()
            source = stripe_source(
                api_key=API_KEY,
                base_url=emulator.base_url,
                start_date=start.isoformat(),
                run_date=day,
            )
            load_source(source, day)
            found = raw(
                platform_env,
                "SELECT id, status, charge, amount, case_type FROM raw.stripe__disputes "
                f"WHERE date = DATE '{day}' AND metadata LIKE '%{dispute.id}%'",
            )
            assert len(found) == 1, day
            statuses.append(found[0][1])
            if day != opened:  # a later night reads events, not the list
                paths = {r["path"] for r in emulator.requests() if r["path"].startswith("/v1/")}
                assert "/v1/disputes" not in paths
    assert statuses == ["needs_response", "under_review", "won"]
    dispute_id, _, charge_id, amount, case_type = found[0]
    assert (amount, case_type) == (dispute.amount, "chargeback")
    moved = raw(
        platform_env,
        "SELECT date, reporting_category, amount, fee, net FROM raw.stripe__balance_transactions "
        f"WHERE source = '{dispute_id}' ORDER BY created",
    )
    assert [(row[0], row[1], row[3]) for row in moved] == [
        (opened, "dispute", 1500),
        (closed, "dispute_reversal", -1500),
    ]
    assert moved[0][2] < 0 < moved[1][2]
    if dispute.currency == "usd":
        assert moved[0][2] == -moved[1][2] == -dispute.amount
    charges = raw(
        platform_env, f"SELECT count(*) FROM raw.stripe__charges WHERE id = '{charge_id}'"
    )
    assert charges[0][0] >= 1  # the disputed charge, loaded weeks before, joins


def test_a_field_stripe_adds_is_reported_once_and_kept_in_the_lake(
    stripe_api: Any, platform_env: PlatformPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """API drift: Stripe starts sending a field on charges. The load names it once, with a charge
    that carried it and never its value, in the log and the summary; every other table reports
    nothing (what the SDK documents is not drift); and the charge's object as received is in the
    lake, so the field can be modelled and backfilled from there."""
    stripe_api.set_faults(path="/v1/charges", new_field="risk_tier", count=1)
    with caplog.at_level(logging.WARNING, logger="sources.drift"):
        summary = load_day(stripe_api, FIRST_DAY)

    assert list(summary.undeclared) == ["charges"]
    ((field, record_id),) = summary.undeclared["charges"].items()
    assert field == "risk_tier"
    assert record_id is not None
    assert record_id.startswith("ch_")
    lines = [r.getMessage() for r in caplog.records if r.name == "sources.drift"]
    assert lines == [
        "stripe.charges: the API sent 1 field the model does not declare: risk_tier "
        f"(e.g. in record {record_id})"
    ]
    assert f"drift: {lines[0]}" in summary.render()
    assert "sandbox drift fault" not in caplog.text + summary.render()  # names, never values

    # the object as received, in the lake: the new field, and the columns as modelled
    (kept,) = raw(
        platform_env,
        f"SELECT record_json, amount, currency FROM raw.stripe__charges WHERE id = '{record_id}'",
    )
    received = json.loads(kept[0])
    assert received["risk_tier"] == {"added_by": "sandbox drift fault"}
    assert (received["amount"], received["currency"]) == kept[1:]
    # a PaymentIntent's client_secret (the key a browser confirms it with) reaches no column
    intents = pa.concat_tables(
        pq.read_table(file)
        for file in (platform_env.lake / "stripe" / "payment_intents").rglob("*.parquet")
    )
    assert intents.num_rows > 0
    for column in intents.columns:
        if pa.types.is_string(column.type):
            assert not any("_secret_" in (value or "") for value in column.to_pylist())
    # money records keep their objects; the others do not
    for spec in RESOURCES:
        columns = {row[0] for row in raw(platform_env, f"DESCRIBE raw.stripe__{spec.name}")}
        assert ("record_json" in columns) == (
            spec.name
            in {"charges", "refunds", "disputes", "invoices", "balance_transactions", "payouts"}
        ), spec.name
