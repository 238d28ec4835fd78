"""Memory of the VM's Dagster services and of a full daily run, at 1x and 10x sandbox volume.

Run: `uv run python -m benchmarks.dagster_memory [--volumes 1 10] [--sources stripe,paypal]`.
Starts the gRPC code server and the daemon as on the VM (deploy/dagster.yaml, paths swapped for a
temporary home), measures them idle, queues yesterday's partition of the daily job and samples
the proportional set size (PSS, what the 1 GB VM really pays) of the code server's process tree
(runs are its children) and of the daemon until the run ends. Each service gets the environment
its systemd unit sets (deploy/systemd: MALLOC_ARENA_MAX, ...), paths aside. The API emulators the
run starts are left out: production calls the real APIs. Informational: always exits 0. Linux
only (/proc).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUDGET_MB = 700  # our goal for code server + daemon + run together; the VM has 1 GB
UNITS = PROJECT_ROOT / "deploy" / "systemd"
VM_CHECKOUT = "/opt/platform"
# Unit settings that name VM paths; the benchmark has its own temporary ones.
_VM_PATHS = {"DAGSTER_HOME", "HOME", "DLT_DATA_DIR", "PYTHONPYCACHEPREFIX"}


def unit_environment(unit: str) -> dict[str, str]:
    """The `Environment=` settings of a systemd unit in deploy/systemd/, as they apply to this
    checkout: the VM's checkout (/opt/platform) is this one, other VM paths are left out."""
    settings = {}
    for line in (UNITS / unit).read_text().splitlines():
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            if name not in _VM_PATHS:
                settings[name] = value.replace(VM_CHECKOUT, str(PROJECT_ROOT))
    return settings


def pss_mb(pid: int, field: str = "Pss") -> float:
    """The process's proportional set size (or `field="Rss"`: resident set size) in MiB.

    PSS splits shared pages among every process that maps them, on this machine other people's
    Python processes too, so it reads lower and noisier here than on the VM; RSS counts shared
    pages in full and is the steadier number to compare two versions by.
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def idle_mb(pid: int, field: str, seconds: int = 10) -> float:
    """The median of one sample a second: a single sample can catch a request being served."""
    samples = []
    for _ in range(seconds):
        samples.append(pss_mb(pid, field))
        time.sleep(1)
    return statistics.median(samples)


def tree(pid: int) -> list[int]:
    """`pid` and its descendants, without the sandbox emulators."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        cmdline = command_line(current).replace(b"\0", b" ")
        if not cmdline or b"-m sandbox" in cmdline:
            continue
        found.append(current)
        todo += children(current)
    return found


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # ended meanwhile
        return b""


def children(pid: int) -> list[int]:
    """`pid`'s child processes (of any of its threads)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the services; kill one that has not exited after a grace period (the code
    server sometimes outlives SIGTERM by more than a minute)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def run_status(home: Path) -> str | None:
    """The status of the instance's only run once it has ended, else None (SQLite storage)."""
    import sqlite3

    database = home / "storage" / "history" / "runs.db"
    if not database.exists():
        return None
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        statuses = [row[0] for row in connection.execute("SELECT status FROM runs")]
    ended = bool(statuses) and all(s in ("SUCCESS", "FAILURE", "CANCELED") for s in statuses)
    return ",".join(statuses) if ended else None


def measure(volume: float, sources: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dagster-memory-") as workdir:
        home = Path(workdir) / "home"
        home.mkdir()
        instance = yaml.safe_load((PROJECT_ROOT / "deploy" / "dagster.yaml").read_text())
        instance["storage"]["sqlite"]["base_dir"] = str(home / "storage")
        instance["run_coordinator"]["config"]["dequeue_interval_seconds"] = 2
        (home / "dagster.yaml").write_text(yaml.safe_dump(instance))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        workspace = yaml.safe_load((PROJECT_ROOT / "deploy" / "workspace.yaml").read_text())
        workspace["load_from"][0]["grpc_server"]["port"] = port
        (home / "workspace.yaml").write_text(yaml.safe_dump(workspace))
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "SOURCES__USE_SANDBOX": "true",
            "SOURCES__ENABLED": json.dumps(sources),
            "SANDBOX__VOLUME": str(volume),
            "LAKE__BUCKET_URL": f"{workdir}/lake",
            "WAREHOUSE__DUCKDB_PATH": f"{workdir}/warehouse.duckdb",
            "DLT_DATA_DIR": f"{workdir}/dlt",
        }
        location = workspace["load_from"][0]["grpc_server"]["location_name"]
        quiet: dict[str, Any] = {
            "cwd": PROJECT_ROOT,
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
        }
        server_env = {**env, **unit_environment("dagster-code.service")}
        server = subprocess.Popen(
            [str(BIN / "dagster"), "api", "grpc", "-m", "dagster_defs.definitions",
             "-h", "127.0.0.1", "-p", str(port), "--location-name", location],
            env=server_env, **quiet,
        )  # fmt: skip
        daemon = None
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.5)
            daemon = subprocess.Popen(
                [str(BIN / "dagster-daemon"), "run", "-w", str(home / "workspace.yaml")],
                env={**env, **unit_environment("dagster.service")},
                **quiet,
            )
            time.sleep(15)  # settle
            idle = {
                f"{name}_idle{suffix}": idle_mb(pid, field)
                for name, pid in (("code_server", server.pid), ("daemon", daemon.pid))
                for field, suffix in (("Pss", ""), ("Rss", "_rss"))
            }
            day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
            subprocess.run(
                [str(BIN / "dagster"), "job", "launch", "-w", str(home / "workspace.yaml"),
                 "-j", "daily", "--tags", json.dumps({"dagster/partition": day})],
                check=True, env=env, **quiet,
            )  # fmt: skip
            peak_total = peak_run = peak_run_rss = 0.0
            # the run's peak while one of its loads runs in a step process, and while none does
            # (SQLMesh's steps run in the run's own process): which of the two sets the peak
            peak_loading = peak_transforming = 0.0
            status = "TIMEOUT"
            started = time.monotonic()
            while time.monotonic() - started < 1800:
                server_tree = tree(server.pid)
                run_pss = sum(pss_mb(pid) for pid in server_tree[1:])
                total = sum(pss_mb(pid) for pid in server_tree) + pss_mb(daemon.pid)
                peak_total, peak_run = max(peak_total, total), max(peak_run, run_pss)
                runs = [pid for pid in children(server.pid) if b"spawn_main" in command_line(pid)]
                if any(children(pid) for pid in runs):
                    peak_loading = max(peak_loading, run_pss)
                else:
                    peak_transforming = max(peak_transforming, run_pss)
                peak_run_rss = max(peak_run_rss, sum(pss_mb(pid, "Rss") for pid in server_tree[1:]))
                ended = run_status(home)
                if ended:
                    status = ended
                    break
                time.sleep(0.5)
            seconds = time.monotonic() - started
        finally:
            stop([process for process in (daemon, server) if process is not None])
    return {
        **idle,
        "run_peak": peak_run,
        "run_peak_rss": peak_run_rss,
        "run_peak_loading": peak_loading,
        "run_peak_transforming": peak_transforming,
        "all_peak": peak_total,
        "seconds": seconds,
        "status": status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--sources", default="", help="comma-separated (default: all enabled)")
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT_ROOT))
    from sources.registry import enabled_source_names

    sources = args.sources.split(",") if args.sources else list(enabled_source_names())
    rows = [(volume, measure(volume, sources)) for volume in args.volumes]
    print(f"sources: {', '.join(sources)}")
    header = (
        "volume | code server idle | daemon idle | run peak | all peak (PSS MiB) | seconds | run"
    )
    print(header)
    for volume, m in rows:
        print(
            f"{volume:>5g}x | {m['code_server_idle']:>16.0f} | {m['daemon_idle']:>11.0f} | "
            f"{m['run_peak']:>8.0f} | {m['all_peak']:>18.0f} | {m['seconds']:>7.0f} | "
            f"{m['status']}"
        )
    print("RSS (MiB): volume | code server idle | daemon idle | run peak")
    for volume, m in rows:
        print(
            f"{volume:>5g}x | {m['code_server_idle_rss']:>16.0f} | {m['daemon_idle_rss']:>11.0f} "
            f"| {m['run_peak_rss']:>8.0f}"
        )
    print("run peak (PSS MiB): volume | while a load runs (step process) | while none does")
    for volume, m in rows:
        print(
            f"{volume:>5g}x | {m['run_peak_loading']:>32.0f} | {m['run_peak_transforming']:>15.0f}"
        )
    failed = [f"{volume:g}x" for volume, m in rows if m["status"] != "SUCCESS"]
    if failed:  # a run that stopped early peaks low: its numbers say nothing about the budget
        print(f"runs that did not succeed: {', '.join(failed)}; the peaks above do not count")
        return
    worst = max(m["all_peak"] for _, m in rows)
    growth = rows[-1][1]["run_peak"] / max(rows[0][1]["run_peak"], 1.0)
    print(f"all together at worst: {worst:.0f} MiB (goal < {BUDGET_MB}: "
          f"{'met' if worst < BUDGET_MB else 'NOT met'}); run peak {rows[-1][0]:g}x / "
          f"{rows[0][0]:g}x = {growth:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
