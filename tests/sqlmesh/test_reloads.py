"""A day loaded again reaches staging and the marts: SQLMesh restates the models over it."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from dagster_defs.sqlmesh_assets import model_graph, run_models, runnable
from sandbox.truth import Truth, differences
from sources.cli import main as load_cli
from sources.registry import enabled_source_names
from sources.stripe import SPEC as STRIPE
from tests.sqlmesh.conftest import PaymentsLoaded
from tests.sqlmesh.sandbox_org import sandbox_org
from tests.sqlmesh.test_revenue_daily_vs_org import mart_rows


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_a_record_fixed_at_the_source_and_its_day_reloaded_reaches_the_mart(
    payments_loaded: PaymentsLoaded,
    payments_warehouse: PaymentsLoaded,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    last, paths = payments_loaded.last, payments_loaded.paths
    # the lake the shared warehouse was loaded from, as this test's own: a reload replaces a day
    shutil.copytree(payments_warehouse.paths.lake, paths.lake, dirs_exist_ok=True)
    models = [node.name for node in runnable(model_graph(), enabled_source_names())]
    stripe_staging = [name for name in models if name.startswith("staging.stg_stripe__")]
    expected = Truth(sandbox_org(), int(payments_loaded.now.timestamp())).revenue_daily(last)
    assert run_models(models, last).restated == {}  # the first build: nothing to restate
    assert not differences(mart_rows(str(paths.warehouse)), expected)

    # The day's newest balance transaction arrives malformed: it is rejected, the day is short.
    fault = {"path": "/v1/balance_transactions", "malformed": True}
    monkeypatch.setenv("SANDBOX__FAULTS", json.dumps([fault]))
    assert load_cli([STRIPE], ["--date", last.isoformat(), "--quiet"]) == 0
    restated = run_models(models, last).restated
    assert restated["marts.revenue_daily"] == [(last, last)]
    short = differences(mart_rows(str(paths.warehouse)), expected)
    assert short
    assert all(line.startswith(repr((last,))[:-2]) for line in short), short  # that day only

    # Fixed at the source and loaded again: every model over Stripe restates the day, in the
    # daily job's order (staging, then what reads it), and the mart is right again.
    monkeypatch.delenv("SANDBOX__FAULTS")
    assert load_cli([STRIPE], ["--date", last.isoformat(), "--quiet"]) == 0
    note = paths.lake / "stripe" / "_reloads" / f"{last.isoformat()}.json"
    assert note.exists()
    first = run_models(stripe_staging, last).restated
    assert set(first) == set(stripe_staging)
    assert note.exists()  # the models after staging have not restated it yet
    rest = run_models([name for name in models if name not in stripe_staging], last).restated
    assert rest["marts.revenue_daily"] == [(last, last)]
    assert "staging.stg_paypal__transactions" not in rest  # PayPal was not loaded again
    assert not note.exists()
    assert not differences(mart_rows(str(paths.warehouse)), expected)
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        rejected = connection.execute(
            "SELECT count(*) FROM raw.stripe__rejected_records WHERE date = ?", [last]
        ).fetchone()
    assert rejected == (0,)
    assert run_models(models, last).restated == {}  # nothing left to restate
