"""The daily job retries what a retry can fix and fails at once on what it cannot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, RetryPolicy, job, op

from dagster_defs.definitions import defs
from dagster_defs.retries import permanent_errors_fail_at_once
from sandbox.process import run_emulator
from sources.clock import nightly_run_at
from sources.errors import SourceError
from sources.registry import source_spec
from tests.conftest import PlatformPaths

DAY = date(2026, 12, 2)


def _attempts(retryable: bool) -> Any:
    @op(retry_policy=RetryPolicy(max_retries=2))
    def load() -> None:
        with permanent_errors_fail_at_once():
            raise SourceError("stripe", "the API said no", "charges", retryable=retryable)

    @job
    def one_step() -> None:
        load()

    with DagsterInstance.ephemeral() as instance:
        result = one_step.execute_in_process(instance=instance, raise_on_error=False)
    types = [event.event_type_value for event in result.all_events]
    failures = [event for event in result.all_events if event.is_step_failure]
    return types.count("STEP_START") + types.count("STEP_RESTARTED"), failures


def test_a_retryable_error_is_retried_by_the_policy() -> None:
    started, _ = _attempts(retryable=True)
    assert started == 3


def test_an_error_no_retry_can_fix_fails_the_step_once_with_the_sources_line() -> None:
    started, failures = _attempts(retryable=False)
    assert started == 1
    assert len(failures) == 1
    error = failures[0].step_failure_data.error
    assert error is not None
    assert "stripe.charges: the API said no" in error.message


@pytest.fixture
def stripe_emulator() -> Iterator[Any]:
    with run_emulator("stripe", now=int(nightly_run_at(DAY).timestamp())) as emulator:
        yield emulator


@pytest.mark.version_agnostic  # a run of the daily job's Stripe load: the same on every Python
def test_a_refused_key_fails_the_daily_jobs_load_at_once(
    platform_env: PlatformPaths, stripe_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_key = "sk_test_wrong_key_123456789"
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "false")
    monkeypatch.setenv("SOURCES__STRIPE__BASE_URL", stripe_emulator.base_url)
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", wrong_key)
    daily = defs.resolve_job_def("daily")
    keys = [AssetKey(["raw", f"stripe__{table}"]) for table in source_spec("stripe").resources]
    with DagsterInstance.ephemeral() as instance:
        result = daily.execute_in_process(
            instance=instance,
            partition_key=DAY.isoformat(),
            asset_selection=keys,
            raise_on_error=False,
        )
    assert not result.success
    types = [event.event_type_value for event in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in types
    failures = [event for event in result.all_events if event.is_step_failure]
    assert len(failures) == 1
    error = failures[0].step_failure_data.error
    assert error is not None
    assert "API key was refused (401)" in error.message
    assert "sources.stripe.api_key" in error.message
    logged = " ".join(str(event.message) for event in result.all_events)
    assert wrong_key not in logged + error.to_string()
