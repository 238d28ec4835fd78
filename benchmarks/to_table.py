"""Benchmark ``sources.arrow.to_table`` against ``pa.Table.from_pylist`` on Stripe-like charges.

Run: ``uv run python -m benchmarks.to_table [--rows N]``. Informational: always exits 0.
"""

from __future__ import annotations

import argparse
import enum
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, Field

if __package__ in (None, ""):  # run as a script: make `sources` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sources.arrow import arrow_schema, to_table

TARGET_RATIO = 0.9


class ChargeStatus(enum.Enum):
    """A plain Enum (not str-mixin), so to_table pays for its member -> value pass."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"


class BillingDetails(BaseModel):
    name: str
    email: str | None = None
    city: str
    country: str
    postal_code: str | None = None


class Charge(BaseModel):
    id: str
    amount: int = Field(description="Amount in the currency's smallest unit.")
    currency: str
    created: datetime
    paid: bool
    description: str | None = None
    fee_rate: Decimal = Field(max_digits=12, decimal_places=4)
    status: ChargeStatus
    billing: BillingDetails
    refund_ids: list[str]


def make_charges(rows: int, seed: int = 7) -> list[Charge]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    statuses = list(ChargeStatus)
    cities = ["Berlin", "Paris", "Lisbon", "Austin", "Osaka"]
    return [
        Charge(
            id=f"ch_3N{i:018d}",
            amount=rng.randrange(50, 500_000),
            currency=rng.choice(["usd", "eur", "gbp"]),
            created=start + timedelta(seconds=rng.randrange(31_536_000)),
            paid=rng.random() < 0.95,
            description=None if rng.random() < 0.3 else f"Order #{i}",
            fee_rate=Decimal(rng.randrange(0, 100_000)).scaleb(-4),
            status=rng.choice(statuses),
            billing=BillingDetails(
                name=f"Customer {i}",
                email=None if rng.random() < 0.2 else f"c{i}@example.com",
                city=rng.choice(cities),
                country=rng.choice(["DE", "FR", "PT", "US", "JP"]),
                postal_code=None if rng.random() < 0.5 else f"{rng.randrange(10_000, 99_999)}",
            ),
            refund_ids=[f"re_{i}_{k}" for k in range(rng.choice([0, 0, 0, 1, 2]))],
        )
        for i in range(rows)
    ]


def as_dicts(charges: list[Charge]) -> list[dict[str, Any]]:
    """The same records as plain dicts pyarrow accepts (enum as its value)."""
    dicts = []
    for charge in charges:
        row = charge.model_dump()
        row["status"] = charge.status.value
        dicts.append(row)
    return dicts


def best_times(runs: int, methods: dict[str, Callable[[], pa.Table]]) -> dict[str, float]:
    """Best wall time per method; runs are interleaved so machine load hits both alike."""
    best = dict.fromkeys(methods, float("inf"))
    for _ in range(runs):
        for name, method in methods.items():
            started = time.perf_counter()
            method()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)

    charges = make_charges(args.rows)
    dicts = as_dicts(charges)
    schema = arrow_schema(Charge)

    methods = {
        "to_table": lambda: to_table(charges, Charge),
        "from_pylist": lambda: pa.Table.from_pylist(dicts, schema=schema),
    }
    if not methods["to_table"]().equals(methods["from_pylist"]()):
        print("WARNING: to_table and from_pylist produced different tables")
    seconds = best_times(args.runs, methods)

    base_s = seconds["from_pylist"]
    print(f"{'method':<12} | {'rows':>9} | {'seconds':>8} | {'rows/s':>11} | ratio vs from_pylist")
    for name, took in seconds.items():
        print(
            f"{name:<12} | {args.rows:>9,} | {took:>8.3f} | {args.rows / took:>11,.0f} | "
            f"{base_s / took:.2f}x"
        )
    met = base_s / seconds["to_table"] >= TARGET_RATIO
    print(f"target {TARGET_RATIO}x: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
