"""Numbers as people read them: separators, money to the cent rounded half up, rates in %."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reports import formatting


def test_money_has_separators_two_decimals_and_rounds_half_up() -> None:
    assert formatting.money(Decimal("1234567.005"), "usd") == "1,234,567.01 USD"
    assert formatting.money(Decimal("-376.5"), "eur") == "-376.50 EUR"
    assert formatting.money(0, "usd") == "0.00 USD"
    assert formatting.money(None, "usd") == "n/a"


def test_rates_ratios_counts_and_days() -> None:
    assert formatting.percent(65 / 75) == "86.7%"
    assert formatting.percent(Decimal("1")) == "100.0%"
    assert formatting.ratio(Decimal(440) / Decimal(230)) == "1.91x"
    assert formatting.ratio(None) == "n/a"
    assert formatting.count(12345) == "12,345"
    assert formatting.days(6) == "6.0 days"
    assert formatting.period(date(2026, 11, 1), date(2026, 11, 1)) == "2026-11-01"
    assert formatting.period(date(2026, 11, 1), date(2026, 11, 3)) == "2026-11-01 to 2026-11-03"
