"""The daily job retries what a retry can fix and fails at once on what it cannot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dagster import DagsterInstance, RetryPolicy, job, op

from dagster_defs.retries import permanent_errors_fail_at_once
from sources.errors import SourceError
from tests.conftest import PlatformPaths
from tests.stripe_runs import run_stripe_loads, stripe_emulator_at, use_stripe_key


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
    with stripe_emulator_at() as emulator:
        yield emulator


@pytest.mark.version_agnostic  # a run of the daily job's Stripe load: the same on every Python
def test_a_refused_key_fails_the_daily_jobs_load_at_once(
    platform_env: PlatformPaths, stripe_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_key = "sk_test_wrong_key_123456789"
    use_stripe_key(monkeypatch, stripe_emulator, wrong_key)
    with DagsterInstance.ephemeral() as instance:
        result = run_stripe_loads(instance, raise_on_error=False)
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
