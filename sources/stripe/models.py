"""The columns of every Stripe table: one Pydantic model per resource.

Money stays in minor units (`amount` in cents for usd) beside its `currency`; timestamps arrive as
epoch seconds and become UTC datetimes. Nested Stripe objects are flattened to the few fields we
use (`AliasPath`); free-form maps (`metadata`) are JSON text. Every model carries `snapshot_at`
(when this version of the object was current: the event's time, or the time it was listed) and
`deleted`, so staging can keep the latest version of each object. The money records (charges,
refunds, disputes, invoices, balance transactions, payouts) keep the object as received too
(`KeptRaw.record_json`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from sources.field_types import JsonText, KeptRaw


class StripeRecord(BaseModel):
    """Fields common to every Stripe object we keep."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(description="Stripe object id")
    created: datetime = Field(description="When the object was created (UTC)")
    livemode: bool = Field(False, description="False for test-mode objects")
    snapshot_at: datetime = Field(description="When this version of the object was current (UTC)")
    deleted: bool = Field(False, description="True once Stripe reported the object deleted")


class Customer(StripeRecord):
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    currency: str | None = None
    balance: int | None = Field(None, description="Customer balance, minor units")
    delinquent: bool | None = None
    address_country: str | None = Field(None, validation_alias=AliasPath("address", "country"))
    metadata: JsonText | None = None


class Product(StripeRecord):
    name: str
    active: bool
    description: str | None = None
    type: str | None = None
    default_price: str | None = None
    unit_label: str | None = None
    updated: datetime | None = None
    metadata: JsonText | None = None


class Price(StripeRecord):
    product: str
    active: bool
    currency: str
    unit_amount: int | None = Field(None, description="Price per unit, minor units")
    type: str = Field(description="one_time or recurring")
    billing_scheme: str | None = None
    recurring_interval: str | None = Field(
        None, validation_alias=AliasPath("recurring", "interval")
    )
    recurring_interval_count: int | None = Field(
        None, validation_alias=AliasPath("recurring", "interval_count")
    )
    nickname: str | None = None
    lookup_key: str | None = None
    metadata: JsonText | None = None


class Charge(KeptRaw, StripeRecord):
    amount: int = Field(description="Amount charged, minor units")
    amount_captured: int = 0
    amount_refunded: int = Field(0, description="Amount refunded so far, minor units")
    currency: str
    status: str = Field(description="succeeded, pending or failed")
    paid: bool
    captured: bool
    refunded: bool
    disputed: bool = False
    customer: str | None = None
    description: str | None = None
    payment_intent: str | None = None
    balance_transaction: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    receipt_email: str | None = None
    billing_email: str | None = Field(None, validation_alias=AliasPath("billing_details", "email"))
    billing_country: str | None = Field(
        None, validation_alias=AliasPath("billing_details", "address", "country")
    )
    payment_method_type: str | None = Field(
        None, validation_alias=AliasPath("payment_method_details", "type")
    )
    card_brand: str | None = Field(
        None, validation_alias=AliasPath("payment_method_details", "card", "brand")
    )
    metadata: JsonText | None = None


class Refund(KeptRaw, StripeRecord):
    amount: int = Field(description="Amount refunded, minor units")
    currency: str
    charge: str | None = None
    payment_intent: str | None = None
    reason: str | None = None
    status: str | None = None
    balance_transaction: str | None = None
    metadata: JsonText | None = None


class Invoice(KeptRaw, StripeRecord):
    customer: str | None = None
    customer_email: str | None = None
    status: str | None = Field(None, description="draft, open, paid, uncollectible or void")
    currency: str
    amount_due: int
    amount_paid: int
    amount_remaining: int
    subtotal: int | None = None
    total: int | None = None
    number: str | None = None
    billing_reason: str | None = None
    collection_method: str | None = None
    subscription: str | None = Field(
        None, validation_alias=AliasPath("parent", "subscription_details", "subscription")
    )
    period_start: datetime | None = None
    period_end: datetime | None = None
    due_date: datetime | None = None
    paid_at: datetime | None = Field(
        None, validation_alias=AliasPath("status_transitions", "paid_at")
    )
    metadata: JsonText | None = None


class Subscription(StripeRecord):
    customer: str
    status: str = Field(description="active, past_due, canceled, ...")
    currency: str | None = None
    collection_method: str | None = None
    start_date: datetime | None = None
    cancel_at_period_end: bool | None = None
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    trial_end: datetime | None = None
    price: str | None = Field(None, validation_alias=AliasPath("items", "data", 0, "price", "id"))
    quantity: int | None = Field(None, validation_alias=AliasPath("items", "data", 0, "quantity"))
    latest_invoice: str | None = None
    metadata: JsonText | None = None


class BalanceTransaction(KeptRaw, StripeRecord):
    amount: int = Field(description="Gross amount in the balance currency, minor units")
    fee: int = Field(description="Stripe fees, minor units")
    net: int = Field(description="amount - fee, minor units")
    currency: str = Field(description="Balance (settlement) currency")
    exchange_rate: float | None = Field(None, description="Charge currency to balance currency")
    type: str
    reporting_category: str | None = None
    status: str | None = Field(None, description="pending or available")
    available_on: datetime | None = None
    source: str | None = Field(None, description="The charge, refund or payout it records")
    description: str | None = None
    fee_details: JsonText | None = None


class Payout(KeptRaw, StripeRecord):
    amount: int = Field(description="Amount paid out, minor units")
    currency: str
    status: str
    arrival_date: datetime | None = None
    method: str | None = None
    type: str | None = None
    automatic: bool | None = None
    balance_transaction: str | None = None
    failure_code: str | None = None
    description: str | None = None


class Dispute(KeptRaw, StripeRecord):
    """A cardholder's dispute of a charge: an inquiry, or a chargeback that takes the money back
    until the bank decides. What it moved is in the balance transactions whose `source` it is."""

    amount: int = Field(description="Amount disputed, minor units of `currency`")
    currency: str
    charge: str = Field(description="The disputed charge")
    payment_intent: str | None = None
    reason: str = Field(description="fraudulent, product_not_received, duplicate, general, ...")
    status: str = Field(
        description="warning_needs_response, warning_under_review, warning_closed, "
        "needs_response, under_review, won or lost"
    )
    is_charge_refundable: bool | None = None
    case_type: str | None = Field(
        None,
        description="inquiry or chargeback (card disputes)",
        validation_alias=AliasPath("payment_method_details", "card", "case_type"),
    )
    network_reason_code: str | None = Field(
        None, validation_alias=AliasPath("payment_method_details", "card", "network_reason_code")
    )
    evidence_due_by: datetime | None = Field(
        None, validation_alias=AliasPath("evidence_details", "due_by")
    )
    evidence_submissions: int | None = Field(
        None, validation_alias=AliasPath("evidence_details", "submission_count")
    )
    metadata: JsonText | None = None


class EarlyFraudWarning(StripeRecord):
    """A card network's early warning that a charge was fraudulent (Stripe Radar), often days
    before the cardholder disputes it: refunding the charge then avoids the dispute and its fee."""

    charge: str = Field(description="The charge warned about")
    payment_intent: str | None = None
    fraud_type: str = Field(
        description="made_with_stolen_card, unauthorized_use_of_card, card_never_received, ..."
    )
    actionable: bool = Field(description="False once the charge is refunded or disputed")


class PaymentIntent(StripeRecord):
    """How a payment was asked for and how it went: one per checkout or invoice payment, with
    its latest charge (a declined card leaves it `requires_payment_method`)."""

    amount: int = Field(description="Amount to collect, minor units")
    amount_received: int = Field(0, description="Amount collected, minor units")
    currency: str
    status: str = Field(
        description="requires_payment_method, requires_confirmation, requires_action, "
        "processing, requires_capture, canceled or succeeded"
    )
    customer: str | None = None
    description: str | None = None
    latest_charge: str | None = None
    payment_method: str | None = None
    capture_method: str | None = None
    canceled_at: datetime | None = None
    cancellation_reason: str | None = None
    last_payment_error_type: str | None = Field(
        None, validation_alias=AliasPath("last_payment_error", "type")
    )
    metadata: JsonText | None = None
