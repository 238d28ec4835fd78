"""Alerts reach a real webhook receiver and a real SMTP server (STARTTLS, login), once each,
with what an operator needs and never a secret; a channel that is down loses nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    SkipReason,
    asset,
    asset_check,
    build_run_status_sensor_context,
    build_sensor_context,
    define_asset_job,
)

from alerts.heartbeat import METRIC, record_success
from alerts.send import Alert, send
from alerts.settings import alert_settings
from dagster_defs.alert_sensors import stale_source_sensor
from dagster_defs.definitions import defs
from dagster_defs.partitions import DAILY
from sources.clock import nightly_run_at
from tests.alerts.servers import SMTP_USER, Mailbox, Webhook, smtp_server, webhook_receiver
from tests.conftest import PlatformPaths
from tests.stripe_runs import run_stripe_loads, stripe_emulator_at, use_stripe_key

DAY = date(2026, 12, 2)
SMTP_PASSWORD = "smtp-pass-5f3a9c"
STRIPE_KEY = "sk_test_wrong_key_987654321"


@pytest.fixture
def channels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Webhook, Mailbox]]:
    with webhook_receiver() as hook, smtp_server(tmp_path, SMTP_PASSWORD) as box:
        settings = {
            "ALERTS__WEBHOOK_URL": hook.url,
            "ALERTS__SMTP_HOST": box.host,
            "ALERTS__SMTP_PORT": str(box.port),
            "ALERTS__SMTP_USER": SMTP_USER,
            "ALERTS__SMTP_PASSWORD": SMTP_PASSWORD,
            "ALERTS__SMTP_CA_FILE": str(box.ca_file),
            "ALERTS__MAIL_FROM": "platform@example.org",
            "ALERTS__MAIL_TO": "ops@example.org, data@example.org",
            "ALERTS__OUTBOX": str(tmp_path / "outbox.jsonl"),
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        yield hook, box


def texts(hook: Webhook, box: Mailbox) -> tuple[list[str], list[str]]:
    posted = [post["json"]["text"] for post in hook.posts]
    mailed = [
        f"{m['Subject']}\n{m.get_payload(decode=True).decode().replace(chr(13), '')}"
        for m in box.messages
    ]
    return posted, mailed


def test_an_alert_goes_once_to_each_channel_without_secrets(
    channels: tuple[Webhook, Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    hook, box = channels
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", STRIPE_KEY)
    leaky = Alert("platform: test", (f"key {STRIPE_KEY} url {hook.url} pw {SMTP_PASSWORD}",))
    assert send(leaky) == 0
    posted, mailed = texts(hook, box)
    assert len(posted) == len(mailed) == 1
    assert box.logins == [SMTP_USER]  # logged in, after STARTTLS (the server requires both)
    assert box.messages[0]["To"] == "ops@example.org, data@example.org"
    for text in (*posted, *mailed):
        assert "platform: test" in text
        assert "[secret]" in text
        for secret in (STRIPE_KEY, SMTP_PASSWORD, "secret-token-123"):
            assert secret not in text


def test_a_channel_that_is_down_keeps_the_alert_and_sends_it_with_the_next(
    channels: tuple[Webhook, Mailbox],
) -> None:
    hook, box = channels
    hook.failing = True
    assert send(Alert("platform: first")) == 1  # the webhook's copy waits; the mail went
    assert alert_settings().outbox_path().exists()
    hook.failing = False
    assert send(Alert("platform: second")) == 0
    posted, mailed = texts(hook, box)
    assert [text.splitlines()[0] for text in posted] == ["platform: first", "platform: second"]
    assert len(mailed) == 2
    assert not alert_settings().outbox_path().exists()


def wait_for_post(hook: Webhook, subject: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for post in hook.posts:
            if post["json"]["text"].startswith(subject):
                return str(post["json"]["text"])
        time.sleep(0.5)
    raise TimeoutError(f"no post starting {subject!r} within {seconds}s: {hook.posts}")


def _sensor_context(instance: Any, result: Any, event: Any) -> Any:
    run = instance.get_run_by_id(result.run_id)
    return build_run_status_sensor_context(
        sensor_name="test", dagster_event=event, dagster_instance=instance, dagster_run=run
    )


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as entered:
        yield entered


@pytest.fixture
def stripe_emulator() -> Iterator[Any]:
    with stripe_emulator_at(DAY) as emulator:
        yield emulator


@pytest.mark.version_agnostic  # three runs of the daily job's loads: the same on every Python
def test_a_failed_night_then_a_recovered_one_alert_once_each(
    stack: ExitStack,
    platform_env: PlatformPaths,
    channels: tuple[Webhook, Mailbox],
    stripe_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook, box = channels
    monitoring = stack.enter_context(webhook_receiver())
    monitoring_url = monitoring.url.split("/hooks/")[0]
    monkeypatch.setenv("ALERTS__HEARTBEAT_PROJECT", "platform-prod")
    monkeypatch.setenv("ALERTS__MONITORING_URL", monitoring_url)
    failed_sensor = defs.get_sensor_def("alert_on_failed_run")
    success_sensor = defs.get_sensor_def("alert_on_successful_run")
    use_stripe_key(monkeypatch, stripe_emulator, STRIPE_KEY)  # refused: the night fails
    with DagsterInstance.ephemeral() as instance:
        failed = run_stripe_loads(instance, DAY, raise_on_error=False)
        assert not failed.success
        context = _sensor_context(instance, failed, failed.get_run_failure_event())
        failed_sensor(context.for_run_failure())

        # a failed run the daemon will run again (a killed one) is not news
        retried = run_stripe_loads(
            instance, DAY, raise_on_error=False, tags={"dagster/will_retry": "true"}
        )
        failed_sensor(
            _sensor_context(instance, retried, retried.get_run_failure_event()).for_run_failure()
        )

        posted, mailed = texts(hook, box)
        assert len(posted) == len(mailed) == 1
        for text in (*posted, *mailed):
            assert f"the daily run for {DAY} FAILED" in text
            # Stripe's resources are read side by side: whichever is refused first is named
            assert re.search(
                r"failed: load_stripe: stripe\.(customers|products|prices|charges|refunds|"
                r"invoices|subscriptions|balance_transactions|payouts): "
                r"the API key was refused \(401\)",
                text,
            ), text
            assert f"python -m dagster_defs.run_logs {failed.run_id[:8]}" in text
            assert STRIPE_KEY not in text

        monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")  # fixed: the next night succeeds
        monkeypatch.setenv("SANDBOX__NOW", nightly_run_at(DAY).isoformat())
        recovered = run_stripe_loads(instance, DAY)
        success_sensor(_sensor_context(instance, recovered, recovered.get_run_success_event()))
        monkeypatch.setenv("ALERTS__DIGEST", "true")  # and from now on a digest of each night
        again = run_stripe_loads(instance, DAY)
        success_sensor(_sensor_context(instance, again, again.get_run_success_event()))
        digest = wait_for_post(hook, "platform: digest for ")  # sent by its own process

    assert f"platform: digest for {DAY.isoformat()}: the night succeeded" in digest
    stripe_rows = sum(
        int(m.metadata["rows"].value)  # type: ignore[arg-type]
        for event in again.get_asset_materialization_events()
        if (m := event.materialization) is not None and "rows" in m.metadata
    )
    assert f"rows loaded: stripe {stripe_rows:,}" in digest
    assert "marts: not readable" in digest  # this run loaded Stripe only: no marts to read
    posted, mailed = texts(hook, box)
    posted = [text for text in posted if "digest" not in text.splitlines()[0]]
    mailed = [text for text in mailed if "digest" not in text.splitlines()[0]]
    assert len(posted) == len(mailed) == 2  # the failure, then "recovered" once, not twice
    for text in (posted[1], mailed[1]):
        assert f"recovered: the daily run for {DAY} succeeded" in text
    # the dead man's switch: one heartbeat per successful night, none for the failed one
    assert [post["path"] for post in monitoring.posts] == [
        "/v3/projects/platform-prod/timeSeries"
    ] * 2
    (series,) = monitoring.posts[0]["json"]["timeSeries"]
    assert series["metric"] == {"type": METRIC, "labels": {"partition": DAY.isoformat()}}
    assert series["points"][0]["value"] == {"int64Value": "1"}


def test_a_heartbeat_that_cannot_be_written_never_fails_the_run(
    stack: ExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monitoring = stack.enter_context(webhook_receiver())
    monitoring.failing = True
    monkeypatch.setenv("ALERTS__HEARTBEAT_PROJECT", "platform-prod")
    monkeypatch.setenv("ALERTS__MONITORING_URL", monitoring.url.split("/hooks/")[0])
    assert record_success(alert_settings(), DAY.isoformat()) is False
    monitoring.failing = False
    assert record_success(alert_settings(), DAY.isoformat()) is True
    assert len(monitoring.posts) == 1


def test_a_source_that_missed_the_deadline_is_alerted_once(
    channels: tuple[Webhook, Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    hook, box = channels
    keys = [AssetKey(["raw", "stripe__charges"]), AssetKey(["raw", "paypal__transactions"])]
    watch = stale_source_sensor(keys)
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")  # the run's clock is sandbox.now
    with DagsterInstance.ephemeral() as instance:
        for key, day in ((keys[0], "2026-12-05"), (keys[1], "2026-12-06")):
            instance.report_runless_asset_event(AssetMaterialization(key, partition=day))

        monkeypatch.setenv("SANDBOX__NOW", "2026-12-07T08:30:00+00:00")  # before 09:00
        early = watch(build_sensor_context(instance=instance))
        assert isinstance(early, SkipReason)
        assert not hook.posts  # 2026-12-05 is all that is due before the deadline

        monkeypatch.setenv("SANDBOX__NOW", "2026-12-07T09:15:00+00:00")
        context = build_sensor_context(instance=instance)
        watch(context)
        posted, mailed = texts(hook, box)
        assert len(posted) == len(mailed) == 1
        for text in (posted[0], mailed[0]):
            assert "1 source(s) stale for 2026-12-06" in text
            assert "stripe: newest day loaded 2026-12-05, expected 2026-12-06 by 09:00 UTC" in text
            assert "paypal" not in text

        watch(build_sensor_context(instance=instance, cursor=context.cursor))  # 15 min later
        assert len(hook.posts) == 1  # once per source and day


def test_a_failed_check_in_a_successful_run_is_alerted_once(
    channels: tuple[Webhook, Mailbox],
) -> None:
    hook, box = channels

    @asset(partitions_def=DAILY)
    def charges() -> int:
        return 1

    @asset_check(asset=charges)
    def rows_landed() -> AssetCheckResult:
        return AssetCheckResult(passed=False, metadata={"rows": 0})

    job = define_asset_job("daily").resolve(
        asset_graph=Definitions(assets=[charges], asset_checks=[rows_landed]).resolve_asset_graph()
    )
    success_sensor = defs.get_sensor_def("alert_on_successful_run")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, partition_key=DAY.isoformat())
        assert result.success  # a failed check does not fail the run: hence its own alert
        success_sensor(_sensor_context(instance, result, result.get_run_success_event()))
    posted, mailed = texts(hook, box)
    assert len(posted) == len(mailed) == 1
    for text in (posted[0], mailed[0]):
        assert f"1 check(s) failed in the run for {DAY.isoformat()}" in text
        assert "check failed: charges rows_landed" in text
