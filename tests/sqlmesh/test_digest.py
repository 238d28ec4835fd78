"""The daily digest reads the marts as the organisation's own records say they must be."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from alerts.digest import digest_alert, warehouse_query
from dagster_defs.sqlmesh_assets import model_graph, run_models, runnable
from destinations.settings import warehouse_settings
from sandbox.truth import Truth
from sources.registry import enabled_source_names
from tests.sqlmesh.conftest import PaymentsLoaded
from tests.sqlmesh.sandbox_org import sandbox_org


@pytest.mark.slow
@pytest.mark.version_agnostic  # SQL on DuckDB
def test_the_digest_says_what_the_marts_say_of_the_day(payments_loaded: PaymentsLoaded) -> None:
    last = payments_loaded.last
    run_models([node.name for node in runnable(model_graph(), enabled_source_names())], last)
    alert = digest_alert(last, {"stripe": 12, "paypal": 3}, warehouse_query(warehouse_settings()))

    truth = Truth(sandbox_org(), int(payments_loaded.now.timestamp())).revenue_daily(last)
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)
    for (day, _, _, currency), figures in truth.items():
        sales, gross, _, refunds, disputes, disputed, *_ = figures
        if day == last:
            for i, value in enumerate((gross, refunds, sales, disputes, disputed)):
                totals[currency][i] += value
    expected = "revenue: " + "; ".join(
        f"{currency.upper()} {gross:,.2f} gross, {refunds:,.2f} refunded, {int(sales)} sales"
        + (f", {disputed:,.2f} disputed ({int(disputes)} chargeback" if disputes else "")
        + ("s)" if disputes > 1 else ")" if disputes else "")
        for currency, (gross, refunds, sales, disputes, disputed) in sorted(totals.items())
    )
    assert alert.subject == f"platform: digest for {last.isoformat()}: the night succeeded"
    assert alert.lines[0] == "rows loaded: paypal 3, stripe 12"
    assert alert.lines[1] == expected
    assert len(totals) >= 2  # more than one currency sold that day: not a vacuous line
    assert "disputed (1 chargeback)" in expected  # a chargeback opened that day, in USD
    assert [line.split(":")[0] for line in alert.lines[2:]] == ["ads", "stock", "enrolment"]
