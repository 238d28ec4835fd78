"""One run at a time per lake and warehouse: real runs started together take turns."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from datetime import date

import duckdb
import pytest

from destinations.run_lock import acquire, lock_path
from destinations.settings import PROJECT_ROOT, lake_settings, warehouse_settings
from sources.clock import nightly_run_at
from tests.cli_runs import run_module, stderr_lines
from tests.conftest import PlatformPaths

DAY = date(2026, 12, 2)


def _sandbox_env() -> dict[str, str]:
    return {"SOURCES__USE_SANDBOX": "true", "SANDBOX__NOW": nightly_run_at(DAY).isoformat()}


@pytest.mark.slow
@pytest.mark.version_agnostic  # flock and two whole loads: the same on every Python
def test_two_loads_started_together_take_turns_and_load_the_day_once(
    platform_env: PlatformPaths,
) -> None:
    command = [sys.executable, "-m", "sources.stripe", "--date", DAY.isoformat(), "--quiet"]
    env = {**os.environ, **_sandbox_env()}
    runs = [
        subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    waited = [index for index, (_, stderr) in enumerate(outputs) if "waiting for" in stderr]
    assert len(waited) == 1, outputs  # the second waited for the first ...
    other = runs[1 - waited[0]]
    assert f"held by pid {other.pid} " in outputs[waited[0]][1]  # ... and said whose run it was
    with duckdb.connect(str(platform_env.warehouse), read_only=True) as connection:
        loads = connection.execute(
            "SELECT count(DISTINCT _dlt_load_id), count(*), count(DISTINCT id) "
            "FROM raw.stripe__charges WHERE date = ?",
            [DAY],
        ).fetchone()
    assert loads is not None
    assert loads[0] == 1  # the day is the second load's, whole, not a mix
    assert loads[1] == loads[2] > 0
    partition = platform_env.lake / "stripe" / "charges" / f"date={DAY}"
    assert (
        len({path.name.split(".parquet")[0].rsplit(".", 1)[0] for path in partition.iterdir()}) == 1
    )


@pytest.mark.version_agnostic
@pytest.mark.parametrize("module", ["sources.stripe", "dagster_defs"])
def test_a_run_beside_a_held_lock_stops_at_once_naming_the_holder(
    platform_env: PlatformPaths, module: str
) -> None:
    held = acquire(lock_path(lake_settings(), warehouse_settings()), 0)
    try:
        result = run_module(
            module,
            "--date",
            DAY.isoformat(),
            env={**_sandbox_env(), "LAKE__LOCK_WAIT_SECONDS": "0"},
        )
    finally:
        held.release()
    assert result.returncode == 1
    last = stderr_lines(result)[-1]
    assert last.startswith("error: another run holds ")
    assert f"pid {os.getpid()} " in last
    assert "lake.lock_wait_seconds" in last
    assert "Traceback" not in result.stderr
    assert not (platform_env.lake / "stripe").exists()  # nothing was loaded


def test_a_lock_left_by_a_killed_run_is_taken_over(
    platform_env: PlatformPaths, caplog: pytest.LogCaptureFixture
) -> None:
    path = lock_path(lake_settings(), warehouse_settings())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from destinations.run_lock import acquire; "
            f"acquire(Path({str(path)!r}), 0); print('held', flush=True); time.sleep(600)",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RuntimeError, match=f"pid {holder.pid} "):
            acquire(path, 0)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with caplog.at_level(logging.WARNING, logger="destinations.run_lock"):
        taken = acquire(path, 0)
    taken.release()
    assert f"pid {holder.pid} " in caplog.text
    assert "taking over" in caplog.text
