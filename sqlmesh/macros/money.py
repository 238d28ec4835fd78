"""Money macros: Stripe and PayPal minor units to major units, by the currency's exponent."""

from __future__ import annotations

from sqlglot import exp
from sqlmesh.core.macros import MacroEvaluator

from sqlmesh import macro

# ISO 4217 currencies without minor units, as Stripe lists them (amounts are whole units).
ZERO_DECIMAL = (
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
    "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
)  # fmt: skip


@macro()
def minor_to_major(
    evaluator: MacroEvaluator, amount: exp.Expression, currency: exp.Expression
) -> exp.Expression:
    """`amount` (integer minor units) as NUMERIC(38, 9) major units of `currency`, exactly.

    A product, not a division: DuckDB divides decimals into DOUBLE, BigQuery keeps NUMERIC.
    """
    zero = ", ".join(f"'{code}'" for code in ZERO_DECIMAL)
    value, code = amount.sql("bigquery"), currency.sql("bigquery")
    return exp.maybe_parse(
        f"CAST(CAST({value} AS NUMERIC(38, 9)) * CASE WHEN LOWER({code}) IN ({zero}) "
        "THEN NUMERIC '1' ELSE NUMERIC '0.01' END AS NUMERIC(38, 9))",
        dialect="bigquery",
    )
