"""marts.ad_attribution_daily over real loads of the five sources it reads, against the sandbox.

The expected rows are `sandbox.truth.Truth(org, now).ad_attribution_daily(last)`, per day and
channel, computed from the demo organisation and the emulators' own generators of ad delivery and
traffic, never from the warehouse, with the emulators' clock at the nightly run of the last day
loaded: Google Ads reports every day so far; Facebook completed days and ad-days with
impressions; GA4 shows recent days partly processed (`completeness`), each cell rounded. Money
is compared to the cent: a converted amount is rounded to NUMERIC's 9 decimals once per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.truth import Truth, differences, mart_query
from sources.cli import main as load_cli
from sources.facebook_ads import SPEC as FACEBOOK_ADS
from sources.google_ads import SPEC as GOOGLE_ADS
from sources.google_analytics import SPEC as GOOGLE_ANALYTICS
from sources.registry import SourceSpec
from sqlmesh import Context
from tests.sqlmesh.conftest import PaymentsLoaded
from tests.sqlmesh.sandbox_org import sandbox_org

SQLMESH = PROJECT_ROOT / "sqlmesh"
MART = "marts.ad_attribution_daily"
MODELS = [
    "staging.stg_google_ads__campaigns",
    "staging.stg_google_ads__campaign_daily",
    "staging.stg_facebook_ads__campaigns",
    "staging.stg_facebook_ads__ad_insights",
    "staging.stg_google_analytics__traffic_daily",
    "staging.stg_fx__rates_daily",
    MART,
]


def one(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...]:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row


def load(specs: Sequence[SourceSpec], first: date, last: date) -> None:
    assert load_cli(specs, ["--start", str(first), "--end", str(last), "--quiet"]) == 0


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_ad_attribution_daily_matches_the_organisation(
    payments_loaded: PaymentsLoaded,
) -> None:
    first, last = payments_loaded.first, payments_loaded.last  # Stripe, PayPal: loaded
    # each source's first day backfills from its start_date; the next days re-read lookbacks,
    # so restated ad days and GA4 days land in several partitions and staging must dedupe them
    load([GOOGLE_ADS, FACEBOOK_ADS, GOOGLE_ANALYTICS], first, last)

    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        # only this mart and what it reads: other marts may read sources not loaded here
        context.plan(
            auto_apply=True,
            no_prompts=True,
            execution_time=payments_loaded.now,  # the nightly run of `last`
            select_models=[f"+{MART}"],
        )
        start = str(context.config.model_defaults.start)
        audited = context.audit(
            start=start, end=str(last), models=iter(MODELS), execution_time=payments_loaded.now
        )
    finally:
        context.close()
    assert audited, "an audit failed (SQLMesh printed which above)"

    org = sandbox_org()
    expected = Truth(org, int(payments_loaded.now.timestamp())).ad_attribution_daily(last)
    with duckdb.connect(str(payments_loaded.paths.warehouse), read_only=True) as connection:
        keys, sql = mart_query("ad_attribution_daily")
        found = {tuple(r[:keys]): tuple(r[keys:]) for r in connection.execute(sql).fetchall()}
        mismatched = differences(found, expected)
        assert not mismatched, f"{len(mismatched)} rows differ:\n" + "\n".join(mismatched[:40])
        assert {key[1] for key in found} == {"google_ads", "facebook_ads"}
        for column in range(8):  # spend, delivery, sessions, conversions, orders, new, revenue
            assert any(row[column] for row in found.values()), column
        names = connection.execute(
            f"SELECT channel, LIST(DISTINCT campaign_name ORDER BY campaign_name) FROM {MART} "
            "GROUP BY channel"
        ).fetchall()
        channel_of = {"google_ads": "google_ads", "facebook": "facebook_ads"}
        started = [c for c in org.campaigns if c.start <= last]  # the world goes on after `last`
        assert dict(names) == {
            channel: sorted(c.name for c in started if channel_of[c.channel] == channel)
            for channel in ("google_ads", "facebook_ads")
        }

        # the EUR account's spend went through a rate: the multi-currency path ran
        eur_rows, eur_spend, eur_in_usd = one(
            connection,
            f"SELECT COUNT(*), SUM(spend_account_currency), SUM(spend) FROM {MART} "
            "WHERE account_currency = 'eur'",
        )
        assert isinstance(eur_rows, int)
        assert eur_rows > 0
        assert isinstance(eur_spend, Decimal)
        assert isinstance(eur_in_usd, Decimal)
        assert eur_in_usd > eur_spend  # USD per EUR stayed above 1 in the sandbox

        # one row per restated ad day in staging although the lookbacks re-read days
        raw_rows, staged, distinct = one(
            connection,
            """
            SELECT
                (SELECT COUNT(*) FROM raw.google_ads__campaign_daily),
                COUNT(*), COUNT(DISTINCT (customer_id, campaign_id, day))
            FROM staging.stg_google_ads__campaign_daily
            """,
        )
        assert isinstance(raw_rows, int)
        assert isinstance(staged, int)
        assert raw_rows > staged == distinct
