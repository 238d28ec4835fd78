"""Memory of the VM's Dagster services and of a full daily run, at 1x and 10x sandbox volume.

Run: `uv run python -m benchmarks.dagster_memory [--volumes 1 10] [--sources stripe,paypal]`.
Starts the gRPC code server and the daemon as on the VM (deploy/dagster.yaml, paths swapped for a
temporary home), measures them idle, queues yesterday's partition of the daily job and samples
the proportional set size (PSS, what the 1 GB VM really pays) of the code server's process tree
(runs are its children) and of the daemon until the run ends. The API emulators the run starts
are left out: production calls the real APIs. Informational: always exits 0. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUDGET_MB = 700  # our goal for code server + daemon + run together; the VM has 1 GB


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree(pid: int) -> list[int]:
    """`pid` and its descendants, without the sandbox emulators."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            cmdline = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"-m sandbox" in cmdline:
            continue
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def run_finished(home: Path) -> bool:
    """Whether the instance's only run has ended (read from its SQLite run storage)."""
    import sqlite3

    database = home / "storage" / "history" / "runs.db"
    if not database.exists():
        return False
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        statuses = [row[0] for row in connection.execute("SELECT status FROM runs")]
    return bool(statuses) and all(s in ("SUCCESS", "FAILURE", "CANCELED") for s in statuses)


def measure(volume: float, sources: list[str]) -> dict[str, float]:
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
        quiet = {"cwd": PROJECT_ROOT, "env": env, "stdout": subprocess.DEVNULL,
                 "stderr": subprocess.DEVNULL}  # fmt: skip
        server = subprocess.Popen(
            [str(BIN / "dagster"), "api", "grpc", "-m", "dagster_defs", "-h", "127.0.0.1",
             "-p", str(port), "--location-name", location], **quiet,
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
                [str(BIN / "dagster-daemon"), "run", "-w", str(home / "workspace.yaml")], **quiet
            )
            time.sleep(15)  # settle
            idle_server, idle_daemon = pss_mb(server.pid), pss_mb(daemon.pid)
            day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
            subprocess.run(
                [str(BIN / "dagster"), "job", "launch", "-w", str(home / "workspace.yaml"),
                 "-j", "daily", "--tags", json.dumps({"dagster/partition": day})],
                check=True, **quiet,
            )  # fmt: skip
            peak_total = peak_run = 0.0
            started = time.monotonic()
            while time.monotonic() - started < 1800:
                server_tree = tree(server.pid)
                run_pss = sum(pss_mb(pid) for pid in server_tree[1:])
                total = sum(pss_mb(pid) for pid in server_tree) + pss_mb(daemon.pid)
                peak_total, peak_run = max(peak_total, total), max(peak_run, run_pss)
                if run_finished(home):
                    break
                time.sleep(0.5)
            seconds = time.monotonic() - started
        finally:
            for process in (daemon, server):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
    return {
        "code_server_idle": idle_server,
        "daemon_idle": idle_daemon,
        "run_peak": peak_run,
        "all_peak": peak_total,
        "seconds": seconds,
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
    header = "volume | code server idle | daemon idle | run peak | all peak (PSS MiB) | seconds"
    print(header)
    for volume, m in rows:
        print(
            f"{volume:>5g}x | {m['code_server_idle']:>16.0f} | {m['daemon_idle']:>11.0f} | "
            f"{m['run_peak']:>8.0f} | {m['all_peak']:>18.0f} | {m['seconds']:>7.0f}"
        )
    worst = max(m["all_peak"] for _, m in rows)
    growth = rows[-1][1]["run_peak"] / max(rows[0][1]["run_peak"], 1.0)
    print(f"all together at worst: {worst:.0f} MiB (goal < {BUDGET_MB}: "
          f"{'met' if worst < BUDGET_MB else 'NOT met'}); run peak {rows[-1][0]:g}x / "
          f"{rows[0][0]:g}x = {growth:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
