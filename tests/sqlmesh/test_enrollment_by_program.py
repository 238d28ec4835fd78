"""marts.enrollment_by_program over real Stripe, PayPal and Google Sheets loads from the sandbox.

The expected rows are `sandbox.truth.Truth(org, now).enrollment_by_program()`, computed from the
organisation the emulators serve, never from the warehouse: the roster as the nightly run read
it, and the payments and refunds the processors had listed by that same moment (PayPal lists a
payment up to hours late: a seat taken in the evening may be paid and still outstanding).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.org import Organisation
from sandbox.truth import MART_COLUMNS, Truth, differences
from sources.cli import main as load_cli
from sources.clock import nightly_run_at
from sources.paypal import SPEC as PAYPAL
from sources.stripe import SPEC as STRIPE
from sqlmesh import Context
from tests.conftest import PlatformPaths
from tests.sqlmesh.conftest import sandbox_settings
from tests.sqlmesh.sandbox_org import load_sheets, sandbox_org

SQLMESH = PROJECT_ROOT / "sqlmesh"
DAY = timedelta(days=1)
MART = "marts.enrollment_by_program"
MODELS = (
    "staging.stg_google_sheets__enrolments",
    "staging.stg_stripe__products",
    "staging.stg_stripe__charges",
    "staging.stg_stripe__refunds",
    "staging.stg_paypal__transactions",
    MART,
)
KEYS, COLUMNS = MART_COLUMNS["enrollment_by_program"]
# nights in the sandbox's first enrolment season (from 2026-11-07): seats taken every day
ENROLMENT_SEASON = date(2026, 11, 29)
Row = tuple[Any, ...]


def load_day_range(
    org: Organisation, first: date, last: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stripe and PayPal for `first`..`last` with the clock at `last`'s nightly run, and each
    day's sheets as its own nightly run read them."""
    for name, value in sandbox_settings(nightly_run_at(last)).items():
        monkeypatch.setenv(name, value)
    period = ["--start", str(first), "--end", str(last), "--quiet"]
    assert load_cli([STRIPE, PAYPAL], period) == 0
    load_sheets(org, [first + DAY * n for n in range((last - first).days + 1)])


def mart_rows(warehouse: str) -> dict[tuple[Any, ...], Row]:
    with duckdb.connect(warehouse, read_only=True) as connection:
        found = connection.execute(f"SELECT {', '.join(KEYS + COLUMNS)} FROM {MART}").fetchall()
    return {tuple(row[: len(KEYS)]): tuple(row[len(KEYS) :]) for row in found}


def snapshots(warehouse: str) -> tuple[Row, Row]:
    """(raw partitions, rows) of the roster, and (reads, rows) staged."""
    with duckdb.connect(warehouse, read_only=True) as connection:
        raw = connection.execute(
            "SELECT count(DISTINCT date), count(*) FROM raw.google_sheets__enrolments"
        ).fetchone()
        staged = connection.execute(
            "SELECT count(DISTINCT snapshot_at), count(*) "
            "FROM staging.stg_google_sheets__enrolments"
        ).fetchone()
    assert raw is not None
    assert staged is not None
    return raw, staged


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_enrollment_by_program_matches_the_organisation_on_two_nights(
    platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = sandbox_org()
    last = ENROLMENT_SEASON  # and the next day too
    load_day_range(org, last - 2 * DAY, last, monkeypatch)

    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        # only this mart and what it reads: other marts are not this test's business
        context.plan(
            auto_apply=True,
            no_prompts=True,
            execution_time=nightly_run_at(last),
            select_models=[f"+{MART}"],
        )
        audited = context.audit(
            start=str(context.config.model_defaults.start),
            end=last,
            models=iter(MODELS),
            execution_time=nightly_run_at(last),
        )
    finally:
        context.close()
    assert audited, "an audit failed (SQLMesh printed which above)"

    (partitions, raw_rows), (staged_reads, staged_rows) = snapshots(str(platform_env.warehouse))
    assert (partitions, staged_reads) == (3, 1)  # staging holds the last read only
    assert raw_rows > staged_rows > 0
    found = mart_rows(str(platform_env.warehouse))
    truth = Truth(org, int(nightly_run_at(last).timestamp()))
    mismatched = differences(found, truth.enrollment_by_program())
    assert not mismatched, "\n".join(mismatched)
    assert sum(row[6] for row in found.values()) > 0  # paid seats
    assert sum(row[8] for row in found.values()) > 0  # new students
    assert sum(row[9] for row in found.values()) > 0  # returning students

    # the next night: new seats and new payments, one instant again
    load_day_range(org, last + DAY, last + DAY, monkeypatch)
    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        status = context.run(execution_time=nightly_run_at(last + DAY), select_models=[f"+{MART}"])
    finally:
        context.close()
    assert not status.is_failure
    after = mart_rows(str(platform_env.warehouse))
    truth = Truth(org, int(nightly_run_at(last + DAY).timestamp()))
    mismatched = differences(after, truth.enrollment_by_program())
    assert not mismatched, "\n".join(mismatched)
    assert {row[-1] for row in after.values()} == {nightly_run_at(last + DAY)}
    assert after != found  # the roster and its payments moved on between the two reads
