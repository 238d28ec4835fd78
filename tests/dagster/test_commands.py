"""`python -m dagster_defs` and `python -m sources` as a new user types them: a day that is not
whole yet, a range backwards and every bad setting are one line naming what is wrong, at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_runs import run_module, stderr_lines
from tests.conftest import PlatformPaths

NOW = "2026-12-03T02:00:00+00:00"  # the run's clock: today is 2026-12-03


def _run(module: str, *args: str, **env: str) -> tuple[int, list[str], str]:
    result = run_module(
        module, *args, env={"SOURCES__USE_SANDBOX": "true", "SANDBOX__NOW": NOW, **env}
    )
    return result.returncode, stderr_lines(result), result.stdout + result.stderr


@pytest.mark.version_agnostic  # our argument checks: the same on every Python
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--date", "2026-12-03"],
            "error: 2026-12-03 is not a whole day yet: the latest day to run is 2026-12-02",
        ),
        (["--start", "2026-12-02", "--end", "2026-12-01"], "error: --start 2026-12-02 is after"),
        (["--date", "2025-01-01"], "error: 2025-01-01 is before the first day, 2026-07-01"),
    ],
)
def test_days_a_run_cannot_be_for_are_one_line(
    platform_env: PlatformPaths, args: list[str], expected: str
) -> None:
    code, lines, output = _run("dagster_defs", *args)
    assert code == 1
    assert lines[-1].startswith(expected), lines
    assert "Traceback" not in output
    assert not platform_env.lake.exists()  # nothing ran


BAD_SETTINGS = [
    ({"SOURCES__ENABLED": "not json"}, "sources.enabled is not a JSON list", "SOURCES__ENABLED"),
    ({"SOURCES__ENABLED": '["stripe", "shopify"]'}, "unknown sources: shopify", "SOURCES__ENABLED"),
    ({"WAREHOUSE__KIND": "bigquery"}, "warehouse.bigquery_project is not set", "PROJECT"),
    ({"SANDBOX__VOLUME": "-1"}, "sandbox.volume is '-1'; it must be above 0", "SANDBOX__VOLUME"),
    ({"SANDBOX__VOLUME": "0"}, "sandbox.volume is '0'; it must be above 0", "SANDBOX__VOLUME"),
    ({"SANDBOX__VOLUME": "abc"}, "sandbox.volume is 'abc', not a number", "SANDBOX__VOLUME"),
    # production without its keys: every source's missing setting, before any API is called
    (
        {"SOURCES__USE_SANDBOX": "false"},
        "missing setting sources.stripe.api_key",
        "SOURCES__STRIPE__API_KEY",
    ),
]


# every bad setting through `python -m dagster_defs`; the load commands share its check
# (sources.apis.check_settings), so one of each kind through them
CASES = [
    *(("dagster_defs", *case) for case in BAD_SETTINGS),
    *(("sources", *case) for case in BAD_SETTINGS[::3]),
    *(("sources.stripe", *case) for case in BAD_SETTINGS[1::3]),
]


@pytest.mark.version_agnostic
@pytest.mark.parametrize(("module", "env", "message", "env_name"), CASES)
def test_a_bad_setting_is_one_line_naming_it_before_any_work(
    platform_env: PlatformPaths, module: str, env: dict[str, str], message: str, env_name: str
) -> None:
    code, lines, output = _run(module, "--date", "2026-12-02", **env)
    assert code == 1
    assert lines[-1].startswith("error: "), lines
    assert message in lines[-1]
    assert env_name in lines[-1]
    assert "Traceback" not in output
    assert not platform_env.lake.exists()


@pytest.mark.slow
@pytest.mark.version_agnostic
def test_a_failed_run_names_the_command_that_shows_its_log_and_it_works(
    platform_env: PlatformPaths, tmp_path: Path
) -> None:
    home = {"DAGSTER_HOME": str(tmp_path / "dagster"), "SOURCES__ENABLED": '["stripe"]'}
    refused = '[{"path": "/v1/", "status": 400, "rate": 1.0}]'  # no retry fixes a 400
    code, _, output = _run("dagster_defs", "--date", "2026-12-02", SANDBOX__FAULTS=refused, **home)
    assert code == 1
    hint = re.search(r"its log: `uv run (python -m dagster_defs\.run_logs \w+)`", output)
    assert hint, output
    shown = run_module(*hint.group(1).split()[2:], env=home)
    assert shown.returncode == 0, shown.stderr
    failure = [line for line in shown.stdout.splitlines() if " load_stripe " in line]
    assert any("API call failed (400)" in line for line in failure), shown.stdout
