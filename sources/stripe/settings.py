"""Stripe constants: page size, the events that mark each resource changed, retry limits."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from sources.stripe import models

API_BASE_URL = "https://api.stripe.com"
PAGE_SIZE = 100  # Stripe's maximum `limit` for list calls
EVENTS_RETENTION_DAYS = 30  # Stripe keeps events for 30 days; older changes can only be re-listed
MAX_NETWORK_RETRIES = 4  # the SDK's own retries: connection errors, 409 and 5xx
RATE_LIMIT_RETRIES = 6  # ours, for 429, which the SDK does not retry
MAX_RETRY_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class StripeResource:
    """One table: the SDK service that lists it, its model, and the events that change it."""

    name: str
    service: str  # attribute (path) of `StripeClient.v1`: "charges", "radar.early_fraud_warnings"
    model: type[BaseModel]
    event_types: tuple[str, ...] = ()  # empty: immutable, listed by `created` only
    # the SDK's class of the object (`stripe.Charge`): its annotations are the fields Stripe
    # documents for it at the SDK's API version, which the drift check expects
    sdk_class: str = ""
    list_params: tuple[tuple[str, str], ...] = ()
    # Reference objects (customers, the catalogue, subscriptions) made before `start_date` are
    # still bought, billed and joined to, so the first run lists all of them.
    full_history: bool = False


RESOURCES: tuple[StripeResource, ...] = (
    StripeResource(
        "customers",
        "customers",
        models.Customer,
        ("customer.created", "customer.updated", "customer.deleted"),
        full_history=True,
        sdk_class="Customer",
    ),
    StripeResource(
        "products",
        "products",
        models.Product,
        ("product.created", "product.updated", "product.deleted"),
        full_history=True,
        sdk_class="Product",
    ),
    StripeResource(
        "prices",
        "prices",
        models.Price,
        ("price.created", "price.updated", "price.deleted"),
        full_history=True,
        sdk_class="Price",
    ),
    StripeResource(
        "charges",
        "charges",
        models.Charge,
        (
            "charge.succeeded",
            "charge.failed",
            "charge.pending",
            "charge.captured",
            "charge.expired",
            "charge.refunded",
            "charge.updated",
        ),
        sdk_class="Charge",
    ),
    StripeResource(
        "refunds",
        "refunds",
        models.Refund,
        ("refund.created", "refund.updated", "refund.failed"),
        sdk_class="Refund",
    ),
    StripeResource(
        "invoices",
        "invoices",
        models.Invoice,
        (
            "invoice.created",
            "invoice.updated",
            "invoice.finalized",
            "invoice.paid",
            "invoice.payment_succeeded",
            "invoice.payment_failed",
            "invoice.marked_uncollectible",
            "invoice.voided",
            "invoice.deleted",
        ),
        sdk_class="Invoice",
    ),
    StripeResource(
        "subscriptions",
        "subscriptions",
        models.Subscription,
        (
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
            "customer.subscription.paused",
            "customer.subscription.resumed",
        ),
        # Stripe leaves canceled subscriptions out of the list unless asked for all.
        list_params=(("status", "all"),),
        full_history=True,
        sdk_class="Subscription",
    ),
    StripeResource(
        "disputes",
        "disputes",
        models.Dispute,
        (
            "charge.dispute.created",
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
        ),
        sdk_class="Dispute",
    ),
    StripeResource(
        "payment_intents",
        "payment_intents",
        models.PaymentIntent,
        (
            "payment_intent.created",
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
            "payment_intent.processing",
            "payment_intent.requires_action",
            "payment_intent.canceled",
            "payment_intent.amount_capturable_updated",
            "payment_intent.partially_funded",
        ),
        sdk_class="PaymentIntent",
    ),
    StripeResource(
        "early_fraud_warnings",
        "radar.early_fraud_warnings",
        models.EarlyFraudWarning,
        ("radar.early_fraud_warning.created", "radar.early_fraud_warning.updated"),
        sdk_class="radar.EarlyFraudWarning",
    ),
    StripeResource(
        "balance_transactions",
        "balance_transactions",
        models.BalanceTransaction,
        sdk_class="BalanceTransaction",
    ),
    StripeResource(
        "payouts",
        "payouts",
        models.Payout,
        ("payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled"),
        sdk_class="Payout",
    ),
)
