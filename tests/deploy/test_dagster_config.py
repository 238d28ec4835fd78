"""deploy/dagster.yaml and deploy/workspace.yaml agree with the systemd units."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DAGSTER_HOME = "/var/dagster/home"


def load(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def test_instance_is_sized_for_one_run_at_a_time() -> None:
    config = load("dagster.yaml")
    assert config["storage"]["sqlite"]["base_dir"].startswith(DAGSTER_HOME + "/")
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    assert coordinator["config"]["max_concurrent_runs"] == 1
    assert config["run_launcher"]["class"] == "DefaultRunLauncher"
    assert config["telemetry"]["enabled"] is False
    assert config["run_monitoring"]["enabled"] is True
    assert config["code_servers"]["local_startup_timeout"] > 0
    assert config["retention"]


def test_workspace_points_at_the_code_server_unit() -> None:
    (location,) = load("workspace.yaml")["load_from"]
    server = location["grpc_server"]
    unit = (DEPLOY / "systemd/dagster-code.service").read_text()
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE).group(1)
    assert f"--host {server['host']}" in exec_start
    assert f"--port {server['port']}" in exec_start
    assert f"--location-name {server['location_name']}" in exec_start
    assert server["host"] == "127.0.0.1"


def test_dagster_accepts_the_instance_config(tmp_path: Path, monkeypatch) -> None:
    """Dagster itself loads the file (storage moved into a temporary DAGSTER_HOME)."""
    dagster = pytest.importorskip("dagster")
    text = (DEPLOY / "dagster.yaml").read_text().replace(DAGSTER_HOME, str(tmp_path))
    (tmp_path / "dagster.yaml").write_text(text)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dagster.DagsterInstance.get() as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
        assert instance.run_monitoring_enabled
        # a hung run is cancelled, not left to block the one-run queue for good
        assert instance.run_monitoring_max_runtime_seconds == 6 * 3600
        assert instance.get_settings("telemetry") == {"enabled": False}
        # a run's output goes to the code server's journal only: no tail processes, no files
        assert type(instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
