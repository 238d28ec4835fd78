"""PayPal records into models: money to minor units and exact decimals, dates to UTC; ranges."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from sources.paypal.client import chunks, rfc3339
from sources.paypal.models import Transaction, minor_units


def money(value: str, currency: str = "EUR") -> dict[str, str]:
    return {"currency_code": currency, "value": value}


def record(**info: object) -> dict[str, object]:
    base: dict[str, object] = {
        "transaction_id": "5TY05013RG002845M",
        "transaction_event_code": "T1107",
        "transaction_initiation_date": "2026-11-03T16:05:09+0000",
        "transaction_amount": money("-49.00"),
        "fee_amount": money("1.71"),
    }
    return {"transaction_info": {**base, **info}}


def test_minor_units_follow_the_currency_and_refuse_rounding() -> None:
    assert minor_units("-12.34", "EUR") == -1234
    assert minor_units("1500", "JPY") == 1500
    assert minor_units("0.5", "USD") == 50
    with pytest.raises(ValueError, match="more than 0 decimals"):
        minor_units("10.5", "JPY")
    with pytest.raises(ValueError, match="not an amount"):
        minor_units("not-a-number", "USD")


def test_a_refund_keeps_negative_gross_positive_fee_and_net_in_its_currency() -> None:
    row = Transaction.model_validate(record())
    assert (row.currency, row.gross_amount, row.fee_amount, row.net_amount) == (
        "EUR",
        -4900,
        171,
        -4729,
    )
    assert row.gross_amount_decimal == Decimal("-49.00")
    # PayPal's own examples write offsets without a colon; both forms are read, stored in UTC
    assert row.initiated_at == datetime(2026, 11, 3, 16, 5, 9, tzinfo=UTC)
    later = Transaction.model_validate(
        record(transaction_initiation_date="2026-11-03T09:05:09-07:00")
    )
    assert later.initiated_at == row.initiated_at


def test_a_conversion_has_no_fee_and_its_net_is_its_gross() -> None:
    row = Transaction.model_validate(
        record(
            transaction_event_code="T0200",
            transaction_amount=money("52.10", "USD"),
            fee_amount=None,
        )
    )
    assert (row.currency, row.gross_amount, row.fee_amount, row.net_amount) == (
        "USD",
        5210,
        None,
        5210,
    )


def test_an_amount_with_too_many_decimals_names_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        Transaction.model_validate(record(transaction_amount=money("1.005", "USD")))
    assert "transaction_info.transaction_amount.value" in str(error.value)


def test_cart_items_keep_quantities_and_prices_in_minor_units() -> None:
    row = Transaction.model_validate(
        {
            **record(),
            "cart_info": {
                "item_details": [
                    {
                        "item_code": "BK-WORKBOOK",
                        "item_quantity": "2",
                        "item_unit_price": money("27.00"),
                        "item_amount": money("54.00"),
                    }
                ]
            },
        }
    )
    assert row.cart_items is not None
    item = row.cart_items[0]
    assert (item.item_code, item.quantity, item.unit_price, item.amount, item.currency) == (
        "BK-WORKBOOK",
        2,
        2700,
        5400,
        "EUR",
    )


def test_a_window_is_cut_into_searches_of_at_most_31_days() -> None:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    end = start + timedelta(days=80)
    pieces = list(chunks(start, end, timedelta(days=31)))
    assert [(b - a).days for a, b in pieces] == [31, 31, 18]
    assert pieces[0][0] == start
    assert pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert rfc3339(start) == "2026-07-01T00:00:00Z"
