"""The VM's Dagster services as real processes: gRPC code server + daemon, with deploy/'s files.

Paths in `deploy/dagster.yaml` and `deploy/workspace.yaml` are swapped for a temporary home and
a free port (and the queue is polled every 2 s instead of 30 s); everything else is as on the VM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from benchmarks.dagster_memory import children, command_line, unit_environment
from destinations.settings import PROJECT_ROOT
from tests.alerts.servers import Webhook, webhook_receiver
from tests.conftest import PlatformPaths
from tests.processes import outlived

# the daemon and code server run the same job on every Python; the in-process job runs on each
pytestmark = [pytest.mark.slow, pytest.mark.version_agnostic]

BIN = Path(sys.executable).parent
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"code server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"code server did not listen on {port} within {seconds}s")


@dataclass(frozen=True)
class Services:
    home: Path  # DAGSTER_HOME
    workspace: Path
    env: dict[str, str]
    code_server_pid: int
    journal: Path  # the code server's stderr, which systemd sends to its journal on the VM


@pytest.fixture
def services(platform_env: PlatformPaths, tmp_path: Path) -> Iterator[Services]:
    """Both services running on a temporary Dagster home."""
    home = tmp_path / "dagster-home"
    home.mkdir()
    instance = yaml.safe_load((PROJECT_ROOT / "deploy" / "dagster.yaml").read_text())
    instance["storage"]["sqlite"]["base_dir"] = str(home / "storage")
    instance["run_coordinator"]["config"]["dequeue_interval_seconds"] = 2
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance))
    port = free_port()
    workspace = yaml.safe_load((PROJECT_ROOT / "deploy" / "workspace.yaml").read_text())
    workspace["load_from"][0]["grpc_server"]["port"] = port
    workspace_file = home / "workspace.yaml"
    workspace_file.write_text(yaml.safe_dump(workspace))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SOURCES__USE_SANDBOX": "true",
        "SOURCES__ENABLED": '["stripe"]',  # one source keeps the test short
    }
    # each service with its unit's environment (PYTHONPATH, MALLOC_ARENA_MAX, ...), so a run
    # that needs more than the unit gives fails here as it would on the VM
    server_env = {**env, **unit_environment("dagster-code.service")}
    daemon_env = {**env, **unit_environment("dagster.service")}
    location = workspace["load_from"][0]["grpc_server"]["location_name"]
    journal = tmp_path / "dagster-code.journal"
    with journal.open("wb") as journal_file:
        code_server = subprocess.Popen(
            [str(BIN / "dagster"), "api", "grpc", "--python-file", "tests/dagster/fast_defs.py",
             "--host", "127.0.0.1", "--port", str(port), "--location-name", location],
            cwd=PROJECT_ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=journal_file,
        )  # fmt: skip
    daemon = None
    try:
        wait_for_port(port, code_server, 120)
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "--workspace", str(workspace_file)],
            cwd=PROJECT_ROOT, env=daemon_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        yield Services(home, workspace_file, env, code_server.pid, journal)
    finally:
        for process in (daemon, code_server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def runs(env: dict[str, str]) -> list[dict[str, str]]:
    """Every run the instance knows, with its status and tags, read in a fresh process."""
    script = (
        "import json; from dagster import DagsterInstance\n"
        "with DagsterInstance.get() as i:\n"
        "    print(json.dumps([{'id': r.run_id, 'status': r.status.value, **r.tags}"
        " for r in i.get_runs()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    found: list[dict[str, str]] = json.loads(out.stdout)
    return found


def wait_for_run(env: dict[str, str], match: dict[str, str], seconds: float) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    seen: list[dict[str, str]] = []
    while time.monotonic() < deadline:
        seen = [run for run in runs(env) if match.items() <= run.items()]
        # newest first; a fast schedule queues a new run every minute, so the newest may well
        # still be waiting while an older one has finished: return the oldest finished run
        finished = [run for run in seen if run["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        if finished:
            return finished[-1]
        time.sleep(3)
    raise TimeoutError(f"no finished run matching {match} within {seconds}s: {seen}")


def launch_yesterday(services: Services, by: str) -> None:
    """`dagster job launch` of the daily job for yesterday, tagged `by` to find the run."""
    launched = subprocess.run(
        [str(BIN / "dagster"), "job", "launch", "-w", str(services.workspace), "-j", "daily",
         "--tags", json.dumps({"dagster/partition": YESTERDAY.isoformat(), "by": by})],
        cwd=PROJECT_ROOT, env=services.env, capture_output=True, text=True, check=False,
        timeout=180,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stdout + launched.stderr


def test_daemon_launches_a_partitioned_run_and_a_schedule_tick_starts_one(
    services: Services,
) -> None:
    home, workspace, env = services.home, services.workspace, services.env
    launch_yesterday(services, by="test")

    run = wait_for_run(env, {"by": "test"}, 300)
    assert run["status"] == "SUCCESS", run
    assert run["dagster/partition"] == YESTERDAY.isoformat()

    scheduled = wait_for_run(env, {"dagster/schedule_name": "every_minute"}, 240)
    assert scheduled["status"] == "SUCCESS", scheduled
    assert (home / "storage").is_dir()  # SQLite run storage under the (swapped) Dagster home
    # A run's output is in the code server's journal, and only there (deploy/dagster.yaml's
    # compute_logs): Dagster's default would also write it to files under storage/.
    assert f"stripe {YESTERDAY.isoformat()}: load " in services.journal.read_text(errors="replace")
    assert not list((home / "storage").rglob("compute_logs")), "run output copied to files"

    # The README's operator commands, against the same instance
    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
            check=False, timeout=180,
        )  # fmt: skip

    listed = command(str(BIN / "dagster"), "run", "list")
    assert run["id"] in listed.stdout
    logs = command(sys.executable, "-m", "dagster_defs.run_logs", run["id"][:8])
    assert logs.returncode == 0, logs.stderr
    assert f"stripe {YESTERDAY.isoformat()}: load " in logs.stdout
    health = command(str(BIN / "dagster-daemon"), "liveness-check")
    assert health.returncode == 0, health.stdout + health.stderr
    backfill = command(
        str(BIN / "dagster"), "job", "backfill", "-w", str(workspace), "-j", "daily",
        "--from", (YESTERDAY - timedelta(days=2)).isoformat(),
        "--to", (YESTERDAY - timedelta(days=1)).isoformat(), "--noprompt",
    )  # fmt: skip
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr
    assert "Launched backfill job" in backfill.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_whose_process_is_killed_is_retried_and_leaves_no_load_behind(
    services: Services,
) -> None:
    """As an OOM kill would: the run's process dies mid-load. Its load's child dies with it, the
    code server fails the run, and the daemon runs it again (run_retries), successfully."""
    env = services.env
    launch_yesterday(services, by="kill-test")
    (run,) = [run for run in runs(env) if run.get("by") == "kill-test"]

    # Once ours has started it is the only run (one at a time): its process is the code server's
    # child; wait for it to be inside a load, which runs in a child of its own (for seconds).
    deadline = time.monotonic() + 240
    while next(r for r in runs(env) if r["id"] == run["id"])["status"] != "STARTED":
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.5)
    deadline = time.monotonic() + 120
    worker, load = None, []
    while not load and time.monotonic() < deadline:
        for pid in children(services.code_server_pid):
            if b"spawn_main" in command_line(pid) and children(pid):
                worker, load = pid, children(pid)
        time.sleep(0.05)
    assert worker is not None, "the run never reached a load"
    os.kill(worker, signal.SIGKILL)

    assert not outlived(load), "the load outlived the run's process"

    retry = wait_for_run(env, {"dagster/parent_run_id": run["id"]}, 300)
    assert retry["status"] == "SUCCESS", retry
    assert retry["dagster/retry_number"] == "1"
    failed = next(r for r in runs(env) if r["id"] == run["id"])
    assert (failed["status"], failed["dagster/will_retry"]) == ("FAILURE", "true")


@pytest.fixture
def alert_hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    """Alerts to a local webhook, as the VM's .env sets them; every Stripe call refused with a
    400 (a request no retry fixes), so every night fails for good. Set up before `services`."""
    with webhook_receiver() as hook:
        monkeypatch.setenv("ALERTS__WEBHOOK_URL", hook.url)
        monkeypatch.setenv("SANDBOX__FAULTS", '[{"path": "/v1/", "status": 400, "rate": 1.0}]')
        yield hook


def test_the_deployed_daemon_alerts_a_night_that_failed_for_good(
    alert_hook: Webhook, services: Services
) -> None:
    env = services.env
    launch_yesterday(services, by="alert-test")
    run = wait_for_run(env, {"by": "alert-test"}, 300)
    assert run["status"] == "FAILURE", run

    # the daemon's run-failure sensor (deploy's dagster.yaml runs sensors) posts it, once
    deadline = time.monotonic() + 150
    ours: list[str] = []
    while time.monotonic() < deadline and not ours:
        ours = [p["json"]["text"] for p in alert_hook.posts if run["id"] in p["json"]["text"]]
        time.sleep(2)
    assert len(ours) == 1, alert_hook.posts
    text = ours[0]
    assert text.startswith(f"platform: the daily run for {YESTERDAY.isoformat()} FAILED")
    assert "failed: load_stripe: stripe." in text
    assert "API call failed (400)" in text
    assert f"python -m dagster_defs.run_logs {run['id'][:8]}" in text
    time.sleep(35)  # a sensor tick later: still once
    assert len([p for p in alert_hook.posts if run["id"] in p["json"]["text"]]) == 1
