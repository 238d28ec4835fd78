"""Every source declares the columns of every table it loads (they become external models), and
reads its settings under its own name."""

from __future__ import annotations

from datetime import date

import pytest

from destinations.lake import pipeline_for
from destinations.load import build_source
from sources.registry import SOURCE_NAMES, source_spec
from tests.conftest import PlatformPaths


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_each_resource_has_a_table_model(name: str) -> None:
    spec = source_spec(name)
    assert sorted(table for table, _ in spec.table_models) == sorted(spec.resources)


def test_a_source_reads_its_settings_under_its_own_name_only(
    platform_env: PlatformPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another pipeline is the active one, as in a Dagster run after every source is defined;
    # dlt looks settings up under the active pipeline's name first.
    monkeypatch.setenv("GOOGLE_SHEETS__SOURCES__STRIPE__START_DATE", "not a date")
    day = date(2026, 12, 2)
    pipeline_for("google_sheets", day)
    stripe = source_spec("stripe")
    with pytest.raises(ValueError, match="not a date"):
        stripe.build(run_date=day, api_key="sk_test_x", base_url="http://127.0.0.1:9")
    pipeline_for("google_sheets", day)
    built = build_source(stripe, day, api_key="sk_test_x", base_url="http://127.0.0.1:9")
    assert sorted(built.resources) == sorted(stripe.resources)
