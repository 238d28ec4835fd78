"""The columns of the PayPal tables: one Pydantic model per resource.

PayPal sends money as `{"currency_code": "EUR", "value": "-12.34"}`. Each amount becomes two
columns: `<name>` in minor units (cents, as an int, like every source here) beside its
currency, and `<name>_decimal` with PayPal's exact decimal. A value with more decimals than
its currency has is rejected, never rounded. Fees are negative, refunds (T11xx) have negative
gross amounts, currency conversions (T02xx) come as one row per currency; all keep their own
amounts and currencies. Dates arrive in the account's time zone and are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar

from pydantic import (
    AliasPath,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sources.field_types import KeptRaw

# ISO 4217 currencies PayPal supports without minor units; all others it supports have two.
ZERO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})

Amount = Annotated[Decimal, Field(max_digits=20, decimal_places=2)]


def minor_units(value: Any, currency: str | None) -> int | None:
    """`"12.34"` EUR -> 1234; refuses values with more decimals than the currency has."""
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    places = 0 if (currency or "").upper() in ZERO_DECIMAL_CURRENCIES else 2
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} has more than {places} decimals for {currency}")
    return int(scaled)


def _info(*path: str | int) -> AliasPath:
    return AliasPath("transaction_info", *path)


class PaypalRecord(BaseModel):
    """Turns every `<name>` money field into minor units of the currency read before it."""

    model_config = ConfigDict(extra="ignore")

    # money field -> the field holding its currency (declared before it)
    currency_fields: ClassVar[dict[str, str]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _to_minor_units(cls, value: Any, info: ValidationInfo) -> Any:
        currency_field = cls.currency_fields.get(info.field_name or "")
        if currency_field is None or value is None:
            return value
        return minor_units(value, info.data.get(currency_field))


class CartItem(PaypalRecord):
    """One line of the cart the payer paid for (PayPal's `cart_info.item_details`)."""

    currency_fields: ClassVar[dict[str, str]] = {"unit_price": "currency", "amount": "currency"}

    item_code: str | None = None
    item_name: str | None = None
    quantity: int | None = Field(None, validation_alias="item_quantity")
    currency: str | None = Field(None, validation_alias=AliasPath("item_amount", "currency_code"))
    unit_price: int | None = Field(
        None,
        validation_alias=AliasPath("item_unit_price", "value"),
        description="Price of one unit, minor units",
    )
    amount: int | None = Field(
        None, validation_alias=AliasPath("item_amount", "value"), description="Minor units"
    )
    invoice_number: str | None = None


class Transaction(KeptRaw, PaypalRecord):
    """One row of the account's transaction history, as Transaction Search lists it."""

    currency_fields: ClassVar[dict[str, str]] = {
        "gross_amount": "currency",
        "fee_amount": "fee_currency",
        "ending_balance": "ending_balance_currency",
        "available_balance": "available_balance_currency",
    }

    transaction_id: str = Field(validation_alias=_info("transaction_id"))
    event_code: str = Field(
        validation_alias=_info("transaction_event_code"),
        description="T0006 payment, T11xx refund or reversal, T02xx currency conversion, ...",
    )
    status: str | None = Field(
        None, validation_alias=_info("transaction_status"), description="S, P, D or V"
    )
    initiated_at: datetime = Field(validation_alias=_info("transaction_initiation_date"))
    updated_at: datetime | None = Field(None, validation_alias=_info("transaction_updated_date"))
    paypal_reference_id: str | None = Field(
        None,
        validation_alias=_info("paypal_reference_id"),
        description="The transaction this one refunds or converts",
    )
    paypal_reference_id_type: str | None = Field(
        None, validation_alias=_info("paypal_reference_id_type")
    )
    paypal_account_id: str | None = Field(
        None, validation_alias=_info("paypal_account_id"), description="The counterparty"
    )
    currency: str = Field(validation_alias=_info("transaction_amount", "currency_code"))
    gross_amount: int = Field(
        validation_alias=_info("transaction_amount", "value"),
        description="Gross amount, minor units; negative for money going out",
    )
    gross_amount_decimal: Amount = Field(validation_alias=_info("transaction_amount", "value"))
    fee_currency: str | None = Field(None, validation_alias=_info("fee_amount", "currency_code"))
    fee_amount: int | None = Field(
        None,
        validation_alias=_info("fee_amount", "value"),
        description="PayPal's fee, minor units; negative when charged, positive when refunded",
    )
    fee_amount_decimal: Amount | None = Field(None, validation_alias=_info("fee_amount", "value"))
    net_amount: int | None = Field(
        None, description="gross_amount + fee_amount, minor units of `currency`"
    )
    ending_balance_currency: str | None = Field(
        None, validation_alias=_info("ending_balance", "currency_code")
    )
    ending_balance: int | None = Field(
        None,
        validation_alias=_info("ending_balance", "value"),
        description="The currency's balance after this transaction, minor units",
    )
    ending_balance_decimal: Amount | None = Field(
        None, validation_alias=_info("ending_balance", "value")
    )
    available_balance_currency: str | None = Field(
        None, validation_alias=_info("available_balance", "currency_code")
    )
    available_balance: int | None = Field(
        None, validation_alias=_info("available_balance", "value")
    )
    invoice_id: str | None = Field(None, validation_alias=_info("invoice_id"))
    custom_field: str | None = Field(None, validation_alias=_info("custom_field"))
    transaction_subject: str | None = Field(None, validation_alias=_info("transaction_subject"))
    transaction_note: str | None = Field(None, validation_alias=_info("transaction_note"))
    protection_eligibility: str | None = Field(
        None, validation_alias=_info("protection_eligibility")
    )
    instrument_type: str | None = Field(None, validation_alias=_info("instrument_type"))
    payer_account_id: str | None = Field(
        None, validation_alias=AliasPath("payer_info", "account_id")
    )
    payer_email: str | None = Field(None, validation_alias=AliasPath("payer_info", "email_address"))
    payer_given_name: str | None = Field(
        None, validation_alias=AliasPath("payer_info", "payer_name", "given_name")
    )
    payer_surname: str | None = Field(
        None, validation_alias=AliasPath("payer_info", "payer_name", "surname")
    )
    payer_full_name: str | None = Field(
        None, validation_alias=AliasPath("payer_info", "payer_name", "alternate_full_name")
    )
    payer_country_code: str | None = Field(
        None, validation_alias=AliasPath("payer_info", "country_code")
    )
    shipping_country_code: str | None = Field(
        None, validation_alias=AliasPath("shipping_info", "address", "country_code")
    )
    cart_items: list[CartItem] | None = Field(
        None, validation_alias=AliasPath("cart_info", "item_details")
    )
    paypal_invoice_id: str | None = Field(
        None, validation_alias=AliasPath("cart_info", "paypal_invoice_id")
    )

    @model_validator(mode="after")
    def _net(self) -> Transaction:
        if self.fee_amount is None:
            self.net_amount = self.gross_amount
        elif self.fee_currency in (None, self.currency):
            self.net_amount = self.gross_amount + self.fee_amount
        return self


class Balance(PaypalRecord):
    """One currency's balance at `as_of_time` (`/v1/reporting/balances`)."""

    currency_fields: ClassVar[dict[str, str]] = {
        "total_balance": "currency",
        "available_balance": "currency",
        "withheld_balance": "currency",
    }

    as_of_time: datetime = Field(description="The moment the balance is for (UTC)")
    last_refresh_time: datetime | None = Field(
        None, description="When PayPal last refreshed balances"
    )
    account_id: str | None = None
    currency: str
    is_primary: bool | None = Field(
        None, validation_alias="primary", description="The account's primary currency"
    )
    total_balance: int = Field(
        validation_alias=AliasPath("total_balance", "value"), description="Minor units"
    )
    total_balance_decimal: Amount = Field(validation_alias=AliasPath("total_balance", "value"))
    available_balance: int | None = Field(
        None, validation_alias=AliasPath("available_balance", "value")
    )
    available_balance_decimal: Amount | None = Field(
        None, validation_alias=AliasPath("available_balance", "value")
    )
    withheld_balance: int | None = Field(
        None, validation_alias=AliasPath("withheld_balance", "value")
    )
    withheld_balance_decimal: Amount | None = Field(
        None, validation_alias=AliasPath("withheld_balance", "value")
    )


class Dispute(KeptRaw, PaypalRecord):
    """A PayPal dispute as the Disputes API shows it: an inquiry or claim opened through PayPal,
    or a chargeback by the card's bank, with the payment it disputes and, once resolved, how."""

    currency_fields: ClassVar[dict[str, str]] = {
        "amount": "currency",
        "amount_refunded": "refund_currency",
    }

    dispute_id: str
    created_at: datetime = Field(validation_alias="create_time")
    updated_at: datetime = Field(validation_alias="update_time")
    reason: str = Field(description="MERCHANDISE_OR_SERVICE_NOT_RECEIVED, UNAUTHORISED, ...")
    status: str = Field(description="WAITING_FOR_SELLER_RESPONSE, UNDER_REVIEW, RESOLVED, ...")
    dispute_state: str | None = None
    currency: str = Field(validation_alias=AliasPath("dispute_amount", "currency_code"))
    amount: int = Field(
        validation_alias=AliasPath("dispute_amount", "value"),
        description="Amount disputed, minor units",
    )
    amount_decimal: Amount = Field(validation_alias=AliasPath("dispute_amount", "value"))
    life_cycle_stage: str | None = Field(
        None,
        validation_alias="dispute_life_cycle_stage",
        description="INQUIRY, CHARGEBACK, PRE_ARBITRATION or ARBITRATION",
    )
    channel: str | None = Field(
        None, validation_alias="dispute_channel", description="INTERNAL (PayPal) or EXTERNAL"
    )
    seller_response_due_date: datetime | None = None
    transaction_id: str | None = Field(
        None,
        validation_alias=AliasPath("disputed_transactions", 0, "seller_transaction_id"),
        description="The disputed payment, as Transaction Search lists it",
    )
    outcome_code: str | None = Field(
        None,
        validation_alias=AliasPath("dispute_outcome", "outcome_code"),
        description="RESOLVED_BUYER_FAVOUR, RESOLVED_SELLER_FAVOUR, ... once resolved",
    )
    refund_currency: str | None = Field(
        None, validation_alias=AliasPath("dispute_outcome", "amount_refunded", "currency_code")
    )
    amount_refunded: int | None = Field(
        None,
        validation_alias=AliasPath("dispute_outcome", "amount_refunded", "value"),
        description="Given back to the buyer by the outcome, minor units",
    )
