"""Extraction speed: each source's load against its SDK's plain way of reading the same objects.

Run: `uv run python -m benchmarks.extraction [--sources stripe paypal] [--volumes 1 10]
[--rounds 2]`. For each source and sandbox volume one emulator is started, at the nightly run
of yesterday; then, `--rounds` times, interleaved A B A B, each in a fresh Python process:

- A, ours: the source's first load (its whole sandbox history) into a temporary lake, lake
  only (no warehouse), as `python -m sources.<name>` makes it: extract, normalise, Parquet;
- B, the SDK's plain way: the same objects read through the SDK's object API and turned into
  dicts, nothing written (for Stripe: `list(...).auto_paging_iter()` + `to_dict()` for every
  resource, 100 a page).

It prints medians: rows, rows/s of each (rows over the seconds after imports), ours / SDK,
our peak RSS, and our imports' seconds and MiB (the process's peak RSS once its imports are
done). Informational: always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
# Nothing of the project is imported at the top: a child's imports are part of what it measures.
_STARTED = time.perf_counter()

GOALS = {"stripe": 3.0}  # ours / SDK rows/s; the other sources: 2x where their SDK costs that
DEFAULT_GOAL = 2.0
PEAK_RSS_GOAL_MIB = 200
IMPORT_GOAL = (0.5, 100)  # seconds, MiB


def _peak_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


# --- the two ways, each run in its own process -------------------------------------------------


def ours(name: str, base_url: str, day: date) -> int:
    """Our load of `name`'s whole history into the lake; returns the rows written."""
    from destinations.load import build_source, load_source
    from sources.registry import source_spec

    spec = source_spec(name)
    source = build_source(spec, day, **spec.sandbox_arguments(base_url))
    mark_imports_done()  # what comes before the first request: the source built, its SDK's client
    summary = load_source(source, day)
    return sum(summary.rows.values())


def plain_stripe(base_url: str, day: date) -> int:
    import stripe

    from sources.stripe.client import sdk_service
    from sources.stripe.settings import RESOURCES

    client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": base_url})
    mark_imports_done()
    rows = 0
    for spec in RESOURCES:
        params = {"limit": 100, **dict(spec.list_params)}
        for item in sdk_service(client, spec.service).list(params=params).auto_paging_iter():
            item.to_dict()
            rows += 1
    return rows


def _start_date(name: str) -> date:
    """The source's configured first day: its first load reads from here up to `day`."""
    import dlt

    return date.fromisoformat(str(dlt.config[f"sources.{name}.start_date"]))


def _proto_value(row: Any, path: str) -> Any:
    value = row
    for part in path.split("."):
        value = getattr(value, part)
    return value.name if isinstance(value, Enum) else value


def plain_google_ads(base_url: str, day: date) -> int:
    from google.ads.googleads.client import GoogleAdsClient
    from google.oauth2.credentials import Credentials

    from sources.google_ads import SPEC
    from sources.google_ads.client import _loopback_service
    from sources.google_ads.settings import ADWORDS_SCOPE, API_VERSION, RESOURCES

    args = SPEC.sandbox_arguments(base_url)
    credentials = Credentials(
        token=None,
        refresh_token=args["refresh_token"],
        client_id=args["client_id"],
        client_secret=args["client_secret"],
        token_uri=args["token_uri"],
        scopes=[ADWORDS_SCOPE],
    )
    client = GoogleAdsClient(
        credentials=credentials,
        developer_token=args["developer_token"],
        login_customer_id=args["login_customer_id"],
        version=API_VERSION,
        use_proto_plus=True,
    )
    # `get_service` only builds TLS channels; the emulator is reached as the source reaches it
    service = _loopback_service(client, base_url.removeprefix("http://"))
    first = _start_date("google_ads").isoformat()
    mark_imports_done()
    rows = 0
    for spec in RESOURCES:
        query = spec.query(first, day.isoformat())
        for customer_id in args["customer_ids"]:
            for batch in service.search_stream(customer_id=customer_id, query=query):
                for row in batch.results:
                    {column: _proto_value(row, path) for path, column in spec.columns}
                    rows += 1
    return rows


def plain_google_analytics(base_url: str, day: date) -> int:
    from google.analytics.data_v1beta.types import (
        DateRange,
        Dimension,
        Metric,
        OrderBy,
        RunReportRequest,
    )

    from sources.google_analytics import SPEC
    from sources.google_analytics.client import build_client
    from sources.google_analytics.settings import DEFAULT_REPORTS, MAX_PAGE_ROWS, PAGE_SIZE

    args = SPEC.sandbox_arguments(base_url)
    client = build_client(args["base_url"])
    days = DateRange(start_date=_start_date("google_analytics").isoformat(), end_date=str(day))
    mark_imports_done()
    rows = 0
    for spec in DEFAULT_REPORTS:
        offset = 0
        while True:
            request = RunReportRequest(
                property=f"properties/{args['property_id']}",
                dimensions=[Dimension(name=name) for name in spec.dimensions],
                metrics=[Metric(name=name) for name in spec.metrics],
                date_ranges=[days],
                order_bys=[
                    OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name=name))
                    for name in spec.dimensions
                ],
                offset=offset,
                limit=min(PAGE_SIZE, MAX_PAGE_ROWS),
                return_property_quota=True,
            )
            response = client.run_report(request)
            dimensions = [header.name for header in response.dimension_headers]
            metrics = [header.name for header in response.metric_headers]
            for row in response.rows:
                record = {name: row.dimension_values[i].value for i, name in enumerate(dimensions)}
                record.update({name: row.metric_values[i].value for i, name in enumerate(metrics)})
                rows += 1
            offset += len(response.rows)
            if not response.rows or offset >= response.row_count:
                break
    return rows


def plain_facebook_ads(base_url: str, day: date) -> int:
    from facebook_business.adobjects.adaccount import AdAccount
    from facebook_business.adobjects.adreportrun import AdReportRun

    from sources.facebook_ads import SPEC
    from sources.facebook_ads.client import build_api
    from sources.facebook_ads.reports import insights_params, job_ranges
    from sources.facebook_ads.settings import (
        AD_FIELDS,
        AD_SET_FIELDS,
        CAMPAIGN_FIELDS,
        DEFAULT_ATTRIBUTION_WINDOWS,
        INSIGHTS_PAGE_SIZE,
        PAGE_SIZE,
        POLL_FIRST_SECONDS,
        POLL_GROWTH,
        POLL_MAX_SECONDS,
    )

    args = SPEC.sandbox_arguments(base_url)
    api = build_api(args["access_token"], args["base_url"])
    first = _start_date("facebook_ads")
    mark_imports_done()
    rows = 0
    for account_id in args["account_ids"]:
        account = AdAccount(account_id, api=api)
        for edge, fields in (
            (account.get_campaigns, CAMPAIGN_FIELDS),
            (account.get_ad_sets, AD_SET_FIELDS),
            (account.get_ads, AD_FIELDS),
        ):
            for item in edge(fields=list(fields), params={"limit": PAGE_SIZE}):
                item.export_all_data()
                rows += 1
        # The documented pattern, one job at a time: submit, `api_get()` until complete, read.
        # Our poll intervals: the emulator completes a job after a number of polls, so equal
        # sleeps keep this a comparison of reading rather than of waiting.
        for report in job_ranges(account_id, first, day):
            run = account.get_insights(
                params=insights_params(report, DEFAULT_ATTRIBUTION_WINDOWS), is_async=True
            )
            run.api_get()
            interval = POLL_FIRST_SECONDS
            while run[AdReportRun.Field.async_status] != "Job Completed":
                if run[AdReportRun.Field.async_status] in ("Job Failed", "Job Skipped"):
                    raise RuntimeError(f"report job {run.get_id()} for {report} failed")
                time.sleep(interval)
                interval = min(interval * POLL_GROWTH, POLL_MAX_SECONDS)
                run.api_get()
            for insight in run.get_result(params={"limit": INSIGHTS_PAGE_SIZE}):
                insight.export_all_data()
                rows += 1
    return rows


def plain_paypal(base_url: str, day: date) -> int:
    from paypalserversdk.api_helper import APIHelper

    from sources.paypal import SPEC
    from sources.paypal.client import build_client, chunks, rfc3339, search_options
    from sources.paypal.settings import MAX_RANGE

    args = SPEC.sandbox_arguments(base_url)
    client = build_client(args["client_id"], args["client_secret"], args["base_url"])
    searches = client.transaction_search
    # like ours, transactions up to the run's clock (exclusive), balances as of `day`'s end
    now = datetime.fromisoformat(os.environ["SANDBOX__NOW"])
    start = datetime.combine(_start_date("paypal"), datetime.min.time(), UTC)
    mark_imports_done()
    rows = 0
    for low, high in chunks(start, now, MAX_RANGE):
        page, pages = 1, 1
        while page <= pages:
            found = searches.search_transactions(search_options(low, high, page)).body
            # the SDK leaves a field the answer lacks unset, not None
            for detail in getattr(found, "transaction_details", None) or []:
                APIHelper.to_dictionary(detail)
                rows += 1
            pages, page = getattr(found, "total_pages", None) or 0, page + 1
    as_of = min(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC), now)
    balances = searches.search_balances({"as_of_time": rfc3339(as_of)}).body
    for balance in getattr(balances, "balances", None) or []:
        APIHelper.to_dictionary(balance)
        rows += 1
    return rows


def plain_google_sheets(base_url: str, day: date) -> int:
    from sources.google_sheets import SPEC
    from sources.google_sheets.client import build_client

    args = SPEC.sandbox_arguments(base_url)
    client = build_client(args["base_url"])
    mark_imports_done()
    rows = 0
    for sheet in args["sheets"]:
        worksheet = client.open_by_key(sheet["spreadsheet_id"]).worksheet(sheet["range"])
        # not `get_all_records()`: it refuses a header with blank cells (the sheets' note columns)
        header, *body = worksheet.get_all_values()
        for values in body:
            # hand-kept sheets have blank rows, which ours skips too
            if any(cell.strip() for cell in values):
                dict(zip(header, values, strict=False))
                rows += 1
    return rows


PLAIN: dict[str, Callable[[str, date], int]] = {
    "stripe": plain_stripe,
    "google_ads": plain_google_ads,
    "google_analytics": plain_google_analytics,
    "facebook_ads": plain_facebook_ads,
    "paypal": plain_paypal,
    "google_sheets": plain_google_sheets,
}

_marks: dict[str, float] = {}


def mark_imports_done() -> None:
    _marks["imports"] = time.perf_counter()
    _marks["imports_mib"] = _peak_mib()


def child(way: str, name: str, base_url: str, day: date) -> None:
    started = _STARTED
    rows = ours(name, base_url, day) if way == "ours" else PLAIN[name](base_url, day)
    ended = time.perf_counter()
    print(
        json.dumps(
            {
                "rows": rows,
                "import_seconds": _marks["imports"] - started,
                "import_mib": _marks["imports_mib"],
                "seconds": ended - _marks["imports"],
                "peak_mib": _peak_mib(),
            }
        )
    )


# --- the parent: emulators, interleaving, the table ---------------------------------------------


def run_child(way: str, name: str, base_url: str, day: date, now: datetime) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="extraction-") as workdir:
        env = {
            **os.environ,
            "LAKE__BUCKET_URL": str(Path(workdir) / "lake"),
            "WAREHOUSE__KIND": "none",
            "DLT_DATA_DIR": str(Path(workdir) / "dlt"),
            "SOURCES__USE_SANDBOX": "true",
            "SANDBOX__NOW": now.isoformat(),
            "RUNTIME__LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "benchmarks.extraction", "--child", way, name]
        done = subprocess.run(
            [*command, base_url, day.isoformat()],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"{way} {name} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(name: str, volume: float, rounds: int) -> dict[str, Any]:
    from sandbox.process import run_emulator
    from sources.clock import nightly_run_at

    day = datetime.now(UTC).date() - timedelta(days=1)
    now = nightly_run_at(day)
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "plain": []}
    ways = ["ours", "plain"] if name in PLAIN else ["ours"]
    with run_emulator(name, volume=volume) as emulator:
        emulator.set_clock(int(now.timestamp()))
        for round_ in range(rounds):
            for way in ways:
                result = run_child(way, name, emulator.base_url, day, now)
                runs[way].append(result)
                print(
                    f"  {name} {volume:g}x round {round_ + 1}/{rounds} {way}: "
                    f"{result['rows']:,} rows in {result['seconds']:.1f}s "
                    f"(imports {result['import_seconds']:.2f}s)",
                    file=sys.stderr,
                    flush=True,
                )

    def median(way: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[way]) if runs[way] else float("nan")

    rate = {way: median(way, "rows") / median(way, "seconds") for way in ways}
    return {
        "source": name,
        "volume": volume,
        "rows": int(median("ours", "rows")),
        "plain_rows": int(median("plain", "rows")) if runs["plain"] else None,
        "ours": rate["ours"],
        "plain": rate.get("plain", float("nan")),
        "peak": median("ours", "peak_mib"),
        "import_s": median("ours", "import_seconds"),
        "import_mib": median("ours", "import_mib"),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        way, name, base_url, day = sys.argv[2:6]
        child(way, name, base_url, date.fromisoformat(day))
        return
    from sources.registry import SOURCE_NAMES

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.extraction", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sources", nargs="+", default=list(SOURCE_NAMES), choices=SOURCE_NAMES)
    parser.add_argument("--volumes", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results = [
        measure(name, volume, args.rounds) for name in args.sources for volume in args.volumes
    ]
    header = (
        f"{'source':<17} {'vol':>4} | {'rows':>8} | {'ours rows/s':>11} | {'SDK rows/s':>10} | "
        f"{'ratio':>5} | {'goal':>4} | {'peak MiB':>8} | {'imports s':>9} | {'imports MiB':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        goal = GOALS.get(r["source"], DEFAULT_GOAL)
        ratio = r["ours"] / r["plain"] if r["plain"] == r["plain"] else float("nan")
        same = "" if r["plain_rows"] in (None, r["rows"]) else f"  (SDK read {r['plain_rows']:,})"
        print(
            f"{r['source']:<17} {r['volume']:>3g}x | {r['rows']:>8,} | {r['ours']:>11,.0f} | "
            f"{r['plain']:>10,.0f} | {ratio:>5.1f} | {goal:>3g}x | {r['peak']:>8.0f} | "
            f"{r['import_s']:>9.2f} | {r['import_mib']:>11.0f}{same}"
        )
    print(
        f"goals: ratio as shown; peak RSS <= {PEAK_RSS_GOAL_MIB} MiB; imports <= "
        f"{IMPORT_GOAL[0]} s and <= {IMPORT_GOAL[1]} MiB"
    )


if __name__ == "__main__":
    main()
