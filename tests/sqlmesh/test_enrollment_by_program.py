"""marts.enrollment_by_program over real Stripe, PayPal and Google Sheets loads from the sandbox.

The expected rows are computed from `sandbox.org.build_org(...)`, the organisation the emulators
serve, never from the warehouse. Each day's sheet snapshot is read on the day after (as the daily
run does; here at the end of that day), so the roster already lists that day's new students while
their payments arrive with the next day's load: late payers, outstanding on one day and paid on
the next. The sandbox's programs fill up and enrolment stops some days before today, so the
three days loaded end the day before the last day anyone enrolled.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.org import Organisation, Program, epoch, org_purchase, utc_date
from sources.cli import main as load_cli
from sources.paypal import SPEC as PAYPAL
from sources.stripe import SPEC as STRIPE
from sqlmesh import Context
from tests.conftest import PlatformPaths
from tests.sqlmesh.sandbox_org import end_of, load_sheets, sandbox_org

SQLMESH = PROJECT_ROOT / "sqlmesh"
TODAY = datetime.now(UTC).date()
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
# what the mart is compared on, after (program, term)
COLUMNS = (
    "sku, cohorts, capacity, enrolled, withdrawn, fill_rate, paid_students, "
    "outstanding_students, new_students, returning_students, as_of_date"
)
Row = tuple[Any, ...]


def load_day_range(org: Organisation, first: date, last: date) -> None:
    period = ["--start", str(first), "--end", str(last), "--quiet"]
    assert load_cli([STRIPE, PAYPAL], period) == 0
    load_sheets(org, [first + DAY * n for n in range((last - first).days + 1)])


def expected_rows(org: Organisation, as_of: date) -> dict[tuple[str, str], Row]:
    """The mart's rows from the organisation: roster read at the end of the day after `as_of`,
    payments and refunds up to the end of `as_of`.

    A seat is paid when the purchase that made it (the first installment of a monthly program)
    was made by the end of `as_of` and not refunded in full by then.
    """
    sheet_read_at, paid_before = end_of(as_of + DAY), epoch(as_of + DAY)
    cohorts: dict[tuple[str, str], list[Program]] = defaultdict(list)
    for program in org.programs:
        cohorts[(program.name, program.term)].append(program)
    seats = [e for e in org.enrolments if e.enrolled_at <= sheet_read_at]
    first_day: dict[str, date] = {}
    for seat in seats:
        day = utc_date(seat.enrolled_at)
        first_day[seat.customer_id] = min(first_day.get(seat.customer_id, day), day)
    refunded: dict[str, int] = defaultdict(int)
    for refund in org.refunds:
        if refund.at < paid_before:
            refunded[refund.purchase_id] += refund.amount

    programs = {program.id: program for program in org.programs}
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for seat in seats:
        program = programs[seat.program_id]
        counts_of = counts[(program.name, program.term)]
        if seat.withdrawn_at is not None and seat.withdrawn_at <= sheet_read_at:
            counts_of["withdrawn"] += 1
            continue
        counts_of["enrolled"] += 1
        purchase = org_purchase(org, seat.purchase_id)
        if purchase.at < paid_before and refunded[purchase.id] < purchase.amount:
            counts_of["paid"] += 1
        if utc_date(seat.enrolled_at) == first_day[seat.customer_id]:
            counts_of["new"] += 1

    rows = {}
    for key, group in cohorts.items():
        got = counts[key]
        capacity = sum(p.capacity for p in group)
        rows[key] = (
            ", ".join(sorted(p.sku for p in group)),
            len(group),
            capacity,
            got["enrolled"],
            got["withdrawn"],
            got["enrolled"] / capacity,
            got["paid"],
            got["enrolled"] - got["paid"],
            got["new"],
            got["enrolled"] - got["new"],
            as_of,
        )
    return rows


def mart_rows(warehouse: str) -> dict[tuple[str, str], Row]:
    with duckdb.connect(warehouse, read_only=True) as connection:
        found = connection.execute(f"SELECT program, term, {COLUMNS} FROM {MART}").fetchall()
    return {(row[0], row[1]): tuple(row[2:]) for row in found}


def snapshots(warehouse: str) -> tuple[Row, Row]:
    """(raw partitions, rows) of the roster, and (snapshot dates, rows) staged."""
    with duckdb.connect(warehouse, read_only=True) as connection:
        raw = connection.execute(
            "SELECT count(DISTINCT date), count(*) FROM raw.google_sheets__enrolments"
        ).fetchone()
        staged = connection.execute(
            "SELECT count(DISTINCT snapshot_date), count(*) "
            "FROM staging.stg_google_sheets__enrolments"
        ).fetchone()
    assert raw is not None
    assert staged is not None
    return raw, staged


def daily_run_time(day: date) -> datetime:
    """When the daily schedule runs for `day`: 02:00 UTC the day after."""
    return datetime.combine(day + DAY, time(2), UTC)


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_enrollment_by_program_matches_the_organisation_and_late_payers_turn_paid(
    platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    org = sandbox_org()
    last_enrolment = max(utc_date(e.enrolled_at) for e in org.enrolments)
    last = min(TODAY, last_enrolment) - DAY  # the sheet read on the next day lists new students
    load_day_range(org, last - 2 * DAY, last)

    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        # only this mart and what it reads: other marts are not this test's business
        context.plan(
            auto_apply=True,
            no_prompts=True,
            execution_time=daily_run_time(last),
            select_models=[f"+{MART}"],
        )
        audited = context.audit(
            start=str(context.config.model_defaults.start),
            end=last,
            models=iter(MODELS),
            execution_time=daily_run_time(last),
        )
    finally:
        context.close()
    assert audited, "an audit failed (SQLMesh printed which above)"

    (partitions, raw_rows), (staged_snapshots, staged_rows) = snapshots(str(platform_env.warehouse))
    assert (partitions, staged_snapshots) == (3, 1)  # staging holds the newest snapshot only
    assert raw_rows > staged_rows > 0
    expected = expected_rows(org, last)
    found = mart_rows(str(platform_env.warehouse))
    assert found == expected
    outstanding = sum(row[7] for row in found.values())
    assert outstanding > 0  # the late payers: on the roster, their payments not loaded yet
    assert sum(row[8] for row in found.values()) > 0  # new students
    assert sum(row[9] for row in found.values()) > 0  # returning students

    # the next day's loads bring the late payers' payments: they turn paid
    load_day_range(org, last + DAY, last + DAY)
    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        status = context.run(execution_time=daily_run_time(last + DAY), select_models=[f"+{MART}"])
    finally:
        context.close()
    assert not status.is_failure
    after = mart_rows(str(platform_env.warehouse))
    assert after == expected_rows(org, last + DAY)
    assert sum(row[6] for row in after.values()) >= sum(row[6] for row in found.values())
    assert sum(row[7] for row in after.values()) < outstanding
