"""Peak memory of a whole Stripe load at several sandbox volumes: it must not grow with volume.

Run: `uv run python -m benchmarks.stripe_memory [--volumes 1 10]`. Each load runs in a fresh
Python process (the emulator in another), backfilling the sandbox's whole history into a
temporary lake and DuckDB warehouse; the table shows that process's peak RSS. Extraction is
page by page, so 10x the data should cost time, not memory. Informational: always exits 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sandbox.process import run_emulator  # noqa: E402

GROWTH_TARGET = 1.25  # peak at the largest volume over peak at the smallest

LOAD = """
import sys
from datetime import date, timedelta
from destinations.load import load_source
from sources.stripe import stripe_source

day = date.today() - timedelta(days=1)
source = stripe_source(api_key="sk_test_sandbox", base_url=sys.argv[1], start_date="2000-01-01",
                       run_date=day)
summary = load_source(source, day)
print(sum(summary.rows.values()))
"""


def measure(volume: float, workdir: Path) -> tuple[int, float, float]:
    """(rows loaded, seconds, peak RSS in MiB) of one load at `volume`."""
    env = {
        **os.environ,
        "LAKE__BUCKET_URL": str(workdir / "lake"),
        "WAREHOUSE__KIND": "duckdb",
        "WAREHOUSE__DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
        "DLT_DATA_DIR": str(workdir / "dlt"),
    }
    with run_emulator("stripe", volume=volume, event_retention_days=0) as emulator:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", LOAD, emulator.base_url],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        output = process.stdout.read() if process.stdout else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"load at volume {volume} failed")
    # ru_maxrss is KiB on Linux, bytes on macOS
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return int(output.strip().splitlines()[-1]), seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    results = []
    for volume in args.volumes:
        with tempfile.TemporaryDirectory(prefix="stripe-memory-") as workdir:
            results.append((volume, *measure(volume, Path(workdir))))
    print(f"{'volume':>7} | {'rows':>9} | {'seconds':>8} | {'rows/s':>8} | {'peak RSS MiB':>12}")
    for volume, rows, seconds, peak in results:
        rate = rows / seconds
        print(f"{volume:>6g}x | {rows:>9,} | {seconds:>8.1f} | {rate:>8,.0f} | {peak:>12.0f}")
    growth = results[-1][3] / results[0][3]
    verdict = "met" if growth <= GROWTH_TARGET else "NOT met"
    print(
        f"peak at {results[-1][0]:g}x / peak at {results[0][0]:g}x = {growth:.2f} "
        f"(target <= {GROWTH_TARGET}: {verdict})"
    )


if __name__ == "__main__":
    main()
