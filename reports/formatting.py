"""How the report writes numbers for people: thousands separators, 2-decimal money, percentages."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

NOT_AVAILABLE = "n/a"


def money(amount: Decimal | float | int | None, currency: str) -> str:
    """`12,345.68 USD`: two decimals, rounded half up (as accountants do), currency upper case."""
    if amount is None:
        return NOT_AVAILABLE
    cents = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{cents:,.2f} {currency.upper()}"


def percent(rate: Decimal | float | None) -> str:
    """`87.5%` for 0.875: one decimal is enough to compare programs."""
    if rate is None:
        return NOT_AVAILABLE
    share = (Decimal(str(rate)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{share:,.1f}%"


def ratio(value: Decimal | float | None) -> str:
    """`3.25x` for a return on ad spend of 3.25."""
    if value is None:
        return NOT_AVAILABLE
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}x"


def count(value: int | None) -> str:
    """`1,234`."""
    return NOT_AVAILABLE if value is None else f"{value:,}"


def days(value: Decimal | float | None) -> str:
    """`12.3 days` of cover."""
    if value is None:
        return NOT_AVAILABLE
    return f"{Decimal(str(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,.1f} days"


def period(first: date | None, last: date | None) -> str:
    """`2026-07-01 to 2026-11-24`."""
    if first is None or last is None:
        return NOT_AVAILABLE
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
