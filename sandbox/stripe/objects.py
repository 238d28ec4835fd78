"""Stripe's view of the demo organisation: versioned API objects and the events they emit.

Every object keeps the list of its versions `(at, patch)`: the first patch holds the
fields the object was created with, each later one the fields that changed at `at`.
A snapshot is the resource's template (`shapes.py`) with the patches up to a moment
merged in, so only the differences are held in memory and a page is rendered on demand.
Each version announces itself with the Stripe events Stripe would send for it.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.org import (
    DAY,
    Customer,
    Dispute,
    Good,
    Organisation,
    Program,
    Purchase,
    add_months,
    epoch,
    org_purchase,
)
from sandbox.stripe import shapes

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1 pins
ACCOUNT_CURRENCY = "usd"
STATEMENT_DESCRIPTOR = "NORTHWIND ACADEMY"
DISPUTE_FEE = 1500  # Stripe's US dispute fee, usd cents: taken when a chargeback opens
# Card networks' reason codes (Visa's) for each reason Stripe reports.
_NETWORK_REASON_CODES = {
    "fraudulent": "10.4",
    "product_not_received": "13.1",
    "duplicate": "12.6.1",
    "subscription_canceled": "13.2",
    "general": "13.3",
}

TEMPLATES: dict[str, dict[str, Any]] = {
    "customer": shapes.CUSTOMER,
    "product": shapes.PRODUCT,
    "price": shapes.PRICE,
    "charge": shapes.CHARGE,
    "refund": shapes.REFUND,
    "invoice": shapes.INVOICE,
    "subscription": shapes.SUBSCRIPTION,
    "balance_transaction": shapes.BALANCE_TRANSACTION,
    "payout": shapes.PAYOUT,
    "dispute": shapes.DISPUTE,
    "radar.early_fraud_warning": shapes.EARLY_FRAUD_WARNING,
    "payment_intent": shapes.PAYMENT_INTENT,
}
# Parsing a JSON string is the cheapest way to get a fresh deep copy of a template.

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Events whose payload carries `previous_attributes`, as Stripe sends them.
_WITH_PREVIOUS = ("charge.refunded",)


def token(*parts: object, length: int = 24) -> str:
    """Base62 characters that depend only on `parts` (up to 64 characters)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=64).digest()
    # The modulo bias is irrelevant for ids that only need to look like Stripe's.
    return "".join([_BASE62[b % 62] for b in digest[:length]])


def stripe_id(prefix: str, *parts: object, length: int = 24) -> str:
    """A Stripe-looking id (`ch_` + base62) that depends only on `parts`."""
    return f"{prefix}_{token(prefix, *parts, length=length)}"


def _merged(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`base` with `patch` applied, both left as they were: what the patch does not touch is
    shared with them, so a render copies only the dicts on the patches' paths."""
    out = dict(base)
    for key, value in patch.items():
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = _merged(current, value)
        else:
            out[key] = value
    return out


def _previous(before: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Stripe's `previous_attributes`: the old values of exactly what the patch changed."""
    out: dict[str, Any] = {}
    for key, value in patch.items():
        old = before.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            out[key] = _previous(old, value)
        else:
            out[key] = old
    return out


class StripeObject:
    """One API object and its history."""

    __slots__ = ("created", "deleted_at", "id", "resource", "versions")

    def __init__(self, resource: str, id_: str, created: int, fields: dict[str, Any]) -> None:
        self.resource = resource
        self.id = id_
        self.created = created
        self.versions: list[tuple[int, dict[str, Any]]] = [(created, fields)]
        self.deleted_at: int | None = None

    def version_at(self, now: int) -> int:
        """Index of the version current at `now`, -1 before the object exists."""
        return bisect.bisect_right(self.versions, now, key=lambda v: v[0]) - 1

    def visible(self, now: int) -> bool:
        return self.created <= now and (self.deleted_at is None or self.deleted_at > now)

    def snapshot(self, index: int = -1) -> dict[str, Any]:
        """The object as of version `index`. It shares its unchanged parts with the template
        and the patches: read it or serialise it, never change it."""
        obj: dict[str, Any] = TEMPLATES[self.resource]
        last = len(self.versions) - 1 if index < 0 else index
        for _, patch in self.versions[: last + 1]:
            obj = _merged(obj, patch)
        return obj

    def at(self, now: int) -> dict[str, Any]:
        return self.snapshot(self.version_at(now))

    def field_at(self, now: int, key: str) -> Any:
        """One top-level field at `now`, without rendering the whole object."""
        for _, patch in reversed(self.versions[: self.version_at(now) + 1]):
            if key in patch:
                return patch[key]
        return TEMPLATES[self.resource].get(key)


class StripeEvent:
    __slots__ = ("created", "id", "request_id", "target", "type", "version")

    def __init__(
        self, id_: str, type_: str, target: StripeObject, version: int, request_id: str | None
    ) -> None:
        self.id = id_
        self.type = type_
        self.target = target
        self.version = version
        self.created = target.versions[version][0]
        self.request_id = request_id

    def render(self) -> dict[str, Any]:
        data: dict[str, Any] = {"object": self.target.snapshot(self.version)}
        if self.version > 0 and (self.type.endswith(".updated") or self.type in _WITH_PREVIOUS):
            before = self.target.snapshot(self.version - 1)
            data["previous_attributes"] = _previous(before, self.target.versions[self.version][1])
        return {
            "api_version": API_VERSION,
            "created": self.created,
            "data": data,
            "id": self.id,
            "livemode": False,
            "object": "event",
            "pending_webhooks": 0,
            "request": {
                "id": self.request_id,
                "idempotency_key": token(self.request_id, length=36) if self.request_id else None,
            },
            "type": self.type,
        }


@dataclass
class StripeData:
    """All Stripe objects and events of one organisation, ready to be indexed and served."""

    org: Organisation
    objects: dict[str, list[StripeObject]]
    events: list[StripeEvent]
    by_id: dict[str, StripeObject | StripeEvent] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {name: len(items) for name, items in self.objects.items()}
        out["event"] = len(self.events)
        return out


@dataclass
class _Pending:
    """A built object with its not-yet-ordered changes and the events each one sends."""

    obj: StripeObject
    created_events: tuple[str, ...]
    request: bool
    changes: list[tuple[int, dict[str, Any], tuple[str, ...]]] = field(default_factory=list)


class _StripeBuilder:
    def __init__(self, org: Organisation) -> None:
        self.org = org
        self.seed = org.seed
        self.rng = random.Random(f"stripe:{org.seed}:{org.volume}:{org.start}:{org.end}")
        self.pending: dict[str, list[_Pending]] = defaultdict(list)
        self.deletions: list[tuple[_Pending, int, str]] = []
        self.customers: dict[str, _Pending] = {}
        self.cards: dict[str, dict[str, Any]] = {}
        self.products: dict[str, _Pending] = {}
        # item id -> list of (effective from, {currency: price pending})
        self.prices: dict[str, list[tuple[int, dict[str, _Pending]]]] = {}
        self.charge_bts: list[tuple[int, int, int]] = []  # (available_on, net, created)
        self.bank_account = stripe_id("ba", self.seed, "bank")

    def id(self, prefix: str, *parts: object, length: int = 24) -> str:
        return stripe_id(prefix, self.seed, *parts, length=length)

    def token(self, *parts: object, length: int = 24) -> str:
        return token(self.seed, *parts, length=length)

    def add(
        self,
        resource: str,
        id_: str,
        created: int,
        fields: dict[str, Any],
        events: tuple[str, ...] = (),
        request: bool = False,
    ) -> _Pending:
        fields = {"id": id_, "created": created, **fields}
        p = _Pending(StripeObject(resource, id_, created, fields), events, request)
        self.pending[resource].append(p)
        return p

    # --- customers -------------------------------------------------------------------

    def build_customers(self, purchases: list[Purchase]) -> None:
        first: dict[str, int] = {}
        for p in purchases:
            first.setdefault(p.customer_id, p.at)
        updates = defaultdict(list)
        for u in self.org.customer_updates:
            updates[u.customer_id].append(u)
        erased = {e.customer_id: e.at for e in self.org.erasures}
        for cid, first_at in first.items():
            c = self.org.customer(cid)
            # Checkout creates the customer minutes before the first payment.
            created = max(c.signed_up_at, first_at - self.rng.randint(30, 900))
            city, phone = c.city, c.phone
            later = []
            for u in updates.get(cid, []):
                if u.at <= created:
                    city = u.changes.get("city", city)
                    phone = u.changes.get("phone", phone)
                else:
                    later.append(u)
            metadata = {"org_customer_id": c.id}
            for key in ("utm_source", "utm_medium", "utm_campaign"):
                if getattr(c, key):
                    metadata[key] = getattr(c, key)
            pending = self.add(
                "customer",
                self.id("cus", "customer", cid, length=14),
                created,
                {
                    "address": {"city": city, "country": c.country},
                    "currency": c.currency,
                    "email": c.email,
                    "invoice_prefix": self.token("prefix", cid, length=8).upper(),
                    "metadata": metadata,
                    "name": c.name,
                    "phone": phone,
                    "preferred_locales": [_locale(c.country)],
                },
                ("customer.created",),
                request=True,
            )
            for u in later:
                patch: dict[str, Any] = {}
                if "city" in u.changes:
                    patch["address"] = {"city": u.changes["city"]}
                if "phone" in u.changes:
                    patch["phone"] = u.changes["phone"]
                pending.changes.append((u.at, patch, ("customer.updated",)))
            if cid in erased:
                self.deletions.append((pending, erased[cid], "customer.deleted"))
            self.customers[cid] = pending
            self.cards[cid] = self._card(c)

    def _card(self, c: Customer) -> dict[str, Any]:
        rng = self.rng
        brand = rng.choices(("visa", "mastercard", "amex"), weights=(60, 30, 10))[0]
        return {
            "payment_method": self.id("pm", "card", c.id),
            "details": {
                "brand": brand,
                "country": c.country,
                "exp_month": rng.randint(1, 12),
                "exp_year": rng.randint(2027, 2031),
                "fingerprint": self.token("fingerprint", c.id, length=16),
                "funding": rng.choices(("credit", "debit"), weights=(70, 30))[0],
                "last4": f"{rng.randrange(10_000):04d}",
                "network": brand,
            },
        }

    # --- catalog ---------------------------------------------------------------------

    def build_catalog(self) -> None:
        items: list[Program | Good] = [*self.org.programs, *self.org.goods]
        for item in items:
            self._product(item)
        for n, change in enumerate(self.org.price_changes):
            product = self.products[change.item_id]
            item = self.org.item(change.item_kind, change.item_id)
            old = self.prices[item.id][-1][1]
            new = self._prices(item, product.obj.id, change.at, change.prices, n + 1)
            self.prices[item.id].append((change.at, new))
            for price in old.values():
                price.changes.append((change.at, {"active": False}, ("price.updated",)))
            product.changes.append(
                (
                    change.at,
                    {"default_price": new["usd"].obj.id, "updated": change.at},
                    ("product.updated",),
                )
            )

    def _product(self, item: Program | Good) -> None:
        pid = self.id("prod", "product", item.id, length=14)
        if isinstance(item, Program):
            description = (
                f"{item.term} cohort starting {item.starts_on:%d %b %Y}, {item.capacity} seats"
            )
            metadata = {
                "kind": "program",
                "sku": item.sku,
                "org_item_id": item.id,
                "term": item.term,
                "starts_on": item.starts_on.isoformat(),
                "capacity": str(item.capacity),
                "billing": item.billing,
            }
            extra: dict[str, Any] = {"type": "service", "unit_label": "seat"}
        else:
            description = f"{item.name} (SKU {item.sku})"
            metadata = {"kind": "good", "sku": item.sku, "org_item_id": item.id}
            extra = {"type": "good", "shippable": True}
        product = self.add(
            "product",
            pid,
            item.created_at,
            {
                "name": item.name,
                "description": description,
                "metadata": metadata,
                "updated": item.created_at,
                **extra,
            },
            ("product.created",),
            request=True,
        )
        self.products[item.id] = product
        prices = self._prices(item, pid, item.created_at + 1, item.prices, 0)
        self.prices[item.id] = [(item.created_at, prices)]
        product.obj.versions[0][1]["default_price"] = prices["usd"].obj.id
        if isinstance(item, Program):
            # The program leaves the shop once its enrolment window closes.
            closes = epoch(item.enrolment_closes) + DAY
            product.changes.append(
                (closes, {"active": False, "updated": closes}, ("product.updated",))
            )

    def _prices(
        self,
        item: Program | Good,
        product_id: str,
        created: int,
        amounts: dict[str, int],
        generation: int,
    ) -> dict[str, _Pending]:
        out = {}
        monthly = isinstance(item, Program) and item.billing == "monthly"
        for currency, amount in amounts.items():
            recurring = (
                {
                    "interval": "month",
                    "interval_count": 1,
                    "meter": None,
                    "usage_type": "licensed",
                    "trial_period_days": None,
                }
                if monthly
                else None
            )
            out[currency] = self.add(
                "price",
                self.id("price", "price", item.id, currency, generation),
                created,
                {
                    "currency": currency,
                    "lookup_key": f"{item.sku.lower()}_{currency}_v{generation + 1}",
                    "metadata": {"sku": item.sku},
                    "nickname": f"{item.name} ({currency.upper()})",
                    "product": product_id,
                    "recurring": recurring,
                    "type": "recurring" if monthly else "one_time",
                    "unit_amount": amount,
                    "unit_amount_decimal": str(amount),
                },
                ("price.created",),
                request=True,
            )
        return out

    def price_for(self, item_id: str, currency: str, at: int) -> _Pending:
        current = self.prices[item_id][0][1]
        for effective, prices in self.prices[item_id]:
            if effective <= at:
                current = prices
        return current[currency]

    # --- charges, refunds and their balance transactions ------------------------------

    def charge(
        self,
        p: Purchase,
        description: str,
        invoice_id: str | None = None,
        subscription_id: str | None = None,
    ) -> _Pending:
        c = self.org.customer(p.customer_id)
        card = self.cards[c.id]
        item = self.org.item(p.item_kind, p.item_id)
        price = self.price_for(item.id, p.currency, p.at)
        ch_id = self.id("ch", "charge", p.id)
        paid = p.status == "paid"
        metadata = {
            "org_purchase_id": p.id,
            "kind": p.item_kind,
            "sku": item.sku,
            "product": self.products[item.id].obj.id,
            "price": price.obj.id,
            "quantity": str(p.quantity),
        }
        for key in ("utm_source", "utm_medium", "utm_campaign"):
            if getattr(p, key):
                metadata[key] = getattr(p, key)
        if invoice_id:
            metadata["invoice"] = invoice_id
        if subscription_id:
            metadata["subscription"] = subscription_id
        fields: dict[str, Any] = {
            "amount": p.amount,
            "amount_captured": p.amount if paid else 0,
            "billing_details": {
                "address": {"city": c.city, "country": c.country},
                "email": c.email,
                "name": c.name,
            },
            "calculated_statement_descriptor": STATEMENT_DESCRIPTOR,
            "captured": paid,
            "currency": p.currency,
            "customer": self.customers[c.id].obj.id,
            "description": description,
            "metadata": metadata,
            "paid": paid,
            "payment_intent": self.id("pi", "payment_intent", p.id),
            "payment_method": card["payment_method"],
            "payment_method_details": {
                "card": {
                    **card["details"],
                    "amount_authorized": p.amount if paid else None,
                    "overcapture": {"maximum_amount_capturable": p.amount},
                }
            },
            "receipt_email": c.email,
            "receipt_url": (
                f"https://pay.stripe.com/receipts/payment/{self.token('rcpt', p.id, length=60)}"
                if paid
                else None
            ),
            "refunds": {"url": f"/v1/charges/{ch_id}/refunds"},
            "status": "succeeded" if paid else "failed",
        }
        if not paid:
            fields.update(
                failure_code="card_declined",
                failure_message="Your card was declined.",
                outcome={
                    "advice_code": "try_again_later",
                    "network_decline_code": "05",
                    "network_status": "declined_by_network",
                    "reason": "generic_decline",
                    "seller_message": "The bank did not return any further details with this "
                    "decline.",
                    "type": "issuer_declined",
                },
            )
            self._payment_intent(p, fields, ch_id)
            return self.add("charge", ch_id, p.at, fields, ("charge.failed",), request=True)
        self._payment_intent(p, fields, ch_id)
        txn = self.id("txn", "charge", p.id)
        fields["balance_transaction"] = txn
        charge = self.add("charge", ch_id, p.at, fields, ("charge.succeeded",), request=True)
        self._charge_bt(txn, charge, p, description, card["details"]["country"])
        if p.item_kind == "good":
            shipped = p.at + self.rng.randint(1, 3) * DAY + self.rng.randrange(8 * 3600)
            charge.changes.append(
                (shipped, {"metadata": {"fulfilment": "shipped"}}, ("charge.updated",))
            )
        return charge

    def _payment_intent(self, p: Purchase, charge: dict[str, Any], ch_id: str) -> None:
        """The PaymentIntent the charge was made through: confirmed at once, so created with its
        charge, succeeded or back to `requires_payment_method` with the card's decline."""
        paid = p.status == "paid"
        pi_id = charge["payment_intent"]
        fields: dict[str, Any] = {
            "amount": p.amount,
            "amount_received": p.amount if paid else 0,
            "automatic_payment_methods": {"enabled": True},
            "client_secret": f"{pi_id}_secret_{self.token('secret', p.id, length=25)}",
            "currency": p.currency,
            "customer": charge["customer"],
            "description": charge["description"],
            "latest_charge": ch_id,
            "metadata": {
                key: value
                for key, value in charge["metadata"].items()
                if key in ("org_purchase_id", "kind", "sku", "invoice", "subscription")
            },
            "payment_method": charge["payment_method"],
            "receipt_email": charge["receipt_email"],
            "status": "succeeded" if paid else "requires_payment_method",
        }
        events: tuple[str, ...] = ("payment_intent.created", "payment_intent.succeeded")
        if not paid:
            # (the decline's code and message are on the charge: failure_code, failure_message)
            fields["last_payment_error"] = {"type": "card_error"}
            events = ("payment_intent.created", "payment_intent.payment_failed")
        self.add("payment_intent", pi_id, p.at, fields, events, request=True)

    def _settled(self, amount: int, currency: str, at: int) -> tuple[float | None, int]:
        """(exchange rate, amount in the account's currency) of `amount` settled at `at`: Stripe
        converts at the rate of the moment, to the cent; no rate for the account's own."""
        if currency == ACCOUNT_CURRENCY:
            return None, amount
        rate = self.org.fx_usd_per_eur(at)
        return rate, round(amount * rate)

    def _charge_bt(
        self, txn: str, charge: _Pending, p: Purchase, description: str, card_country: str
    ) -> None:
        rate, amount = self._settled(p.amount, p.currency, p.at)
        # Stripe's US pricing: 2.9% + 30c, +1.5% for international cards, +1% conversion.
        pct = 0.029 + (0.015 if card_country != "US" else 0) + (0.01 if rate else 0)
        fee = round(amount * pct) + 30
        available_on = _midnight(p.at) + 2 * DAY
        bt = self.add(
            "balance_transaction",
            txn,
            p.at,
            {
                "amount": amount,
                "available_on": available_on,
                "description": description,
                "exchange_rate": rate,
                "fee": fee,
                "fee_details": _stripe_fee(fee, "Stripe processing fees"),
                "net": amount - fee,
                "source": charge.obj.id,
                "status": "pending",
                "type": "charge",
                "reporting_category": "charge",
            },
        )
        bt.changes.append((available_on, {"status": "available"}, ()))
        self.charge_bts.append((available_on, amount - fee, p.at))

    def build_refunds(self, charges: dict[str, _Pending]) -> None:
        by_charge: dict[str, list[dict[str, Any]]] = defaultdict(list)
        refunded: dict[str, int] = defaultdict(int)
        for r in self.org.refunds:
            charge = charges.get(r.purchase_id)
            if charge is None:
                continue  # paid through another processor
            p = self.org.get(r.purchase_id)
            assert isinstance(p, Purchase)
            re_id = self.id("re", "refund", r.id)
            txn = self.id("txn", "refund", r.id)
            pending = self.rng.random() < 0.3
            fields: dict[str, Any] = {
                "amount": r.amount,
                "balance_transaction": txn,
                "charge": charge.obj.id,
                "currency": r.currency,
                "metadata": {"org_refund_id": r.id, "org_purchase_id": p.id},
                "payment_intent": charge.obj.versions[0][1]["payment_intent"],
                "reason": r.reason,
                "status": "pending" if pending else "succeeded",
                "customer": charge.obj.versions[0][1]["customer"],
                "payment_method": charge.obj.versions[0][1]["payment_method"],
            }
            refund = self.add("refund", re_id, r.at, fields, ("refund.created",), request=True)
            if pending:
                done = r.at + self.rng.randint(1, 3) * DAY
                refund.changes.append((done, {"status": "succeeded"}, ("refund.updated",)))
            rate, refunded_amount = self._settled(r.amount, r.currency, r.at)
            amount = -refunded_amount
            self.add(
                "balance_transaction",
                txn,
                r.at,
                {
                    "amount": amount,
                    "available_on": r.at,
                    "description": "REFUND FOR CHARGE",
                    "exchange_rate": rate,
                    "net": amount,
                    "source": re_id,
                    "status": "available",
                    "type": "refund",
                    "reporting_category": "refund",
                },
            )
            self.charge_bts.append((r.at, amount, r.at))
            refunded[charge.obj.id] += r.amount
            snapshot = refund.obj.snapshot()
            by_charge[charge.obj.id].insert(0, snapshot)
            charge.changes.append(
                (
                    r.at,
                    {
                        "amount_refunded": refunded[charge.obj.id],
                        "refunded": refunded[charge.obj.id] >= p.amount,
                        "refunds": {"data": list(by_charge[charge.obj.id])},
                    },
                    ("charge.refunded",),
                )
            )

    # --- disputes and their balance transactions ---------------------------------------

    def build_disputes(self, charges: dict[str, _Pending]) -> None:
        """Each dispute of a Stripe payment as Stripe shows it: a chargeback takes the amount and
        the dispute fee from the balance when it opens (`dispute`), and a won one gives both back
        when it closes (`dispute_reversal`); an inquiry moves no money."""
        for d in self.org.disputes:
            charge = charges.get(d.purchase_id)
            if charge is None:
                continue  # paid through another processor
            created = charge.obj.versions[0][1]
            card = created["payment_method_details"]["card"]
            dp_id = self.id("dp", "dispute", d.id)
            inquiry = d.kind == "inquiry"
            due_by = _midnight(d.opened_at) + (10 if inquiry else 20) * DAY - 1
            fields: dict[str, Any] = {
                "amount": d.amount,
                "charge": charge.obj.id,
                "currency": d.currency,
                "evidence_details": {"due_by": due_by},
                # an inquiry's charge can still be refunded to close it; a chargeback's cannot
                "is_charge_refundable": inquiry,
                "metadata": {"org_dispute_id": d.id, "org_purchase_id": d.purchase_id},
                "payment_intent": created["payment_intent"],
                "payment_method_details": {
                    "card": {
                        "brand": card["brand"],
                        "case_type": d.kind,
                        "network_reason_code": _NETWORK_REASON_CODES[d.reason],
                        "network": card["network"],
                    }
                },
                "reason": d.reason,
                "status": "warning_needs_response" if inquiry else "needs_response",
            }
            moved: list[dict[str, Any]] = []
            events: tuple[str, ...] = ("charge.dispute.created",)
            if not inquiry:
                moved.append(
                    self._dispute_bt(d.id, dp_id, charge.obj.id, d, d.opened_at, reversal=False)
                )
                fields["balance_transactions"] = list(moved)
                events += ("charge.dispute.funds_withdrawn",)
            dispute = self.add("dispute", dp_id, d.opened_at, fields, events)
            # Stripe sends no charge event for this: the charge only reads as disputed.
            charge.changes.append((d.opened_at, {"disputed": True}, ()))
            if d.evidence_at is not None:
                answer: dict[str, Any] = {
                    "status": "warning_under_review" if inquiry else "under_review",
                    "evidence": {
                        "customer_email_address": self.org.customer(
                            org_purchase(self.org, d.purchase_id).customer_id
                        ).email,
                        "product_description": created["description"],
                        "uncategorized_text": "Service delivered as described.",
                    },
                    "evidence_details": {"has_evidence": True, "submission_count": 1},
                }
                if inquiry:
                    answer["is_charge_refundable"] = False
                dispute.changes.append((d.evidence_at, answer, ("charge.dispute.updated",)))
            if d.closed_at is None or d.outcome is None:
                continue
            closing: dict[str, Any] = {"status": d.outcome}
            closed_events: tuple[str, ...] = ("charge.dispute.closed",)
            if d.outcome == "won":
                moved.append(
                    self._dispute_bt(d.id, dp_id, charge.obj.id, d, d.closed_at, reversal=True)
                )
                closing["balance_transactions"] = list(moved)
                closed_events += ("charge.dispute.funds_reinstated",)
            dispute.changes.append((d.closed_at, closing, closed_events))

    def _dispute_bt(
        self, dispute_id: str, dp_id: str, charge_id: str, d: Dispute, at: int, *, reversal: bool
    ) -> dict[str, Any]:
        """The balance transaction of a chargeback's withdrawal or reversal, settled at `at`'s
        rate; returns its snapshot, which the dispute embeds as Stripe does."""
        rate, amount = self._settled(d.amount, d.currency, at)
        sign = 1 if reversal else -1
        fee = -DISPUTE_FEE if reversal else DISPUTE_FEE
        txn = self.id("txn", "dispute", dispute_id, reversal)
        bt = self.add(
            "balance_transaction",
            txn,
            at,
            {
                "amount": sign * amount,
                "available_on": at,
                "description": f"Chargeback {'reversal' if reversal else 'withdrawal'} for "
                f"{charge_id}",
                "exchange_rate": rate,
                "fee": fee,
                "fee_details": _stripe_fee(fee, "Dispute fee"),
                "net": sign * amount - fee,
                "source": dp_id,
                "status": "available",
                "type": "adjustment",
                "reporting_category": "dispute_reversal" if reversal else "dispute",
            },
        )
        self.charge_bts.append((at, sign * amount - fee, at))
        return bt.obj.snapshot()

    def build_early_fraud_warnings(self, charges: dict[str, _Pending]) -> None:
        """Card networks' early warnings of fraud (Stripe Radar): most fraudulent disputes are
        preceded by one a few days before they open, and one charge in a hundred gets one and
        is never disputed. A warning stops being actionable once its charge is disputed.

        Drawn from a stream of their own, so every other object is as it was without them."""
        rng = random.Random(f"early_fraud_warnings:{self.seed}:{self.org.volume}")
        disputed = {d.purchase_id: d for d in self.org.disputes}
        for p in self.org.purchases:
            charge = charges.get(p.id)
            if charge is None or p.status != "paid":
                continue
            dispute = disputed.get(p.id)
            if dispute is not None and dispute.reason == "fraudulent":
                if rng.random() >= 0.7:
                    continue
                latest = dispute.opened_at - 3600
                at = max(p.at + 3600, latest - rng.randint(1, 5) * DAY + rng.randrange(DAY))
                at = min(at, latest)
            elif dispute is None and rng.random() < 0.01:
                at = p.at + rng.randint(2, 20) * DAY + rng.randrange(DAY)
            else:
                continue
            if at >= self.org.end_epoch:
                continue
            fraud_type = rng.choices(
                ("made_with_stolen_card", "unauthorized_use_of_card", "card_never_received"),
                weights=(50, 40, 10),
            )[0]
            warning = self.add(
                "radar.early_fraud_warning",
                self.id("issfr", "early_fraud_warning", p.id),
                at,
                {"actionable": True, "charge": charge.obj.id, "fraud_type": fraud_type},
                ("radar.early_fraud_warning.created",),
            )
            if dispute is not None:
                warning.changes.append(
                    (
                        dispute.opened_at,
                        {"actionable": False},
                        ("radar.early_fraud_warning.updated",),
                    )
                )

    # --- subscriptions and invoices --------------------------------------------------

    def build_subscriptions(
        self, installments: dict[str, list[Purchase]], charges: dict[str, _Pending]
    ) -> None:
        for sub in self.org.subscriptions:
            if sub.processor != "stripe":
                continue
            program = self.org.item("program", sub.program_id)
            assert isinstance(program, Program)
            c = self.org.customer(sub.customer_id)
            customer = self.customers[c.id]
            price = self.price_for(program.id, sub.currency, sub.started_at)
            sub_id = self.id("sub", "subscription", sub.id)
            si_id = self.id("si", "subscription_item", sub.id, length=14)
            metadata = {"org_subscription_id": sub.id, "sku": program.sku}
            price_obj = price.obj.snapshot(0)
            plan = {
                **shapes.PLAN,
                "id": price_obj["id"],
                "amount": price_obj["unit_amount"],
                "amount_decimal": price_obj["unit_amount_decimal"],
                "created": price_obj["created"],
                "currency": price_obj["currency"],
                "product": price_obj["product"],
                "nickname": price_obj["nickname"],
                "metadata": price_obj["metadata"],
            }

            def items(
                start: int,
                end: int,
                sub_id: str = sub_id,
                created: int = sub.started_at,
                si_id: str = si_id,
                price_obj: dict[str, Any] = price_obj,
                plan: dict[str, Any] = plan,
            ) -> dict[str, Any]:
                item = {
                    **shapes.SUBSCRIPTION_ITEM,
                    "created": created,
                    "id": si_id,
                    "price": price_obj,
                    "plan": plan,
                    "subscription": sub_id,
                    "current_period_start": start,
                    "current_period_end": end,
                }
                return {"data": [item], "url": f"/v1/subscription_items?subscription={sub_id}"}

            payments = installments.get(sub.id, [])
            first = payments[0]
            assert first.period_start is not None
            assert first.period_end is not None
            invoice_ids = [self.id("in", "invoice", sub.id, p.installment) for p in payments]
            subscription = self.add(
                "subscription",
                sub_id,
                sub.started_at,
                {
                    "billing_cycle_anchor": sub.started_at,
                    "cancel_at": add_months(sub.started_at, sub.installments),
                    "currency": sub.currency,
                    "customer": customer.obj.id,
                    "default_payment_method": self.cards[c.id]["payment_method"],
                    "description": f"{program.name}, {program.term} (monthly)",
                    "items": items(first.period_start, first.period_end),
                    "latest_invoice": invoice_ids[0],
                    "metadata": metadata,
                    "start_date": sub.started_at,
                    "status": "active",
                },
                ("customer.subscription.created",),
                request=True,
            )
            prev_start = None
            for p, in_id in zip(payments, invoice_ids, strict=True):
                assert p.period_start is not None
                assert p.period_end is not None
                if p.installment != 1:
                    patch: dict[str, Any] = {
                        "items": items(p.period_start, p.period_end),
                        "latest_invoice": in_id,
                    }
                    if p.status == "failed":
                        patch["status"] = "past_due"
                    subscription.changes.append((p.at, patch, ("customer.subscription.updated",)))
                invoice = self._invoice(
                    in_id, p, prev_start, customer, c, sub_id, metadata, program, charges
                )
                prev_start = p.period_start
            if sub.ended_at is not None:
                reason = (
                    "payment_failed"
                    if sub.end_reason == "payment_failed"
                    else ("cancellation_requested")
                )
                subscription.changes.append(
                    (
                        sub.ended_at,
                        {
                            "status": "canceled",
                            "canceled_at": sub.ended_at,
                            "ended_at": sub.ended_at,
                            "cancellation_details": {"reason": reason},
                        },
                        ("customer.subscription.deleted",),
                    )
                )
                last = payments[-1]
                if last.status == "failed":
                    invoice.changes.append(
                        (
                            sub.ended_at,
                            {
                                "status": "void",
                                "amount_remaining": 0,
                                "next_payment_attempt": None,
                                "auto_advance": False,
                                "status_transitions": {"voided_at": sub.ended_at},
                            },
                            ("invoice.voided",),
                        )
                    )

    def _invoice(
        self,
        in_id: str,
        p: Purchase,
        prev_start: int | None,
        customer: _Pending,
        c: Customer,
        sub_id: str,
        metadata: dict[str, str],
        program: Program,
        charges: dict[str, _Pending],
    ) -> _Pending:
        assert p.period_start is not None
        assert p.period_end is not None
        first = p.installment == 1
        created = p.period_start if not first else p.at
        seq = p.installment or 1
        number = f"{customer.obj.versions[0][1]['invoice_prefix']}-{seq:04d}"
        line = {
            **shapes.INVOICE_LINE_ITEM,
            "amount": p.amount,
            "currency": p.currency,
            "description": f"1 x {program.name} (at {_money(p.unit_amount, p.currency)} / month)",
            "id": self.id("il", "line", p.id),
            "invoice": in_id,
            "metadata": metadata,
            "period": {"end": p.period_end, "start": p.period_start},
            "subscription": sub_id,
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": sub_id,
                    "subscription_item": self.id(
                        "si", "subscription_item", p.subscription_id, length=14
                    ),
                },
                "type": "subscription_item_details",
            },
            "pricing": {
                "type": "price_details",
                "unit_amount_decimal": str(p.unit_amount),
            },
            "subtotal": p.amount,
        }
        invoice = self.add(
            "invoice",
            in_id,
            created,
            {
                "amount_due": p.amount,
                "amount_remaining": p.amount,
                "auto_advance": True,
                "billing_reason": "subscription_create" if first else "subscription_cycle",
                "currency": p.currency,
                "customer": customer.obj.id,
                "customer_address": {"city": c.city, "country": c.country},
                "customer_email": c.email,
                "customer_name": c.name,
                "customer_phone": c.phone,
                "lines": {"data": [line], "url": f"/v1/invoices/{in_id}/lines"},
                "parent": {
                    "quote_details": None,
                    "subscription_details": {"metadata": metadata, "subscription": sub_id},
                    "type": "subscription_details",
                },
                # Stripe bills a cycle for the period that just ended; the first invoice's
                # period is the instant the subscription began.
                "period_start": prev_start if prev_start is not None else created,
                "period_end": created,
                "subscription": sub_id,
                "subtotal": p.amount,
                "subtotal_excluding_tax": p.amount,
                "total": p.amount,
                "total_excluding_tax": p.amount,
                "webhooks_delivered_at": created + 2,
                "status": "draft",
            },
            ("invoice.created",),
        )
        finalized = {
            "status": "open",
            "number": number,
            "effective_at": p.at,
            "hosted_invoice_url": (
                f"https://invoice.stripe.com/i/{self.token('hosted', in_id, length=40)}"
            ),
            "invoice_pdf": (
                f"https://pay.stripe.com/invoice/{self.token('pdf', in_id, length=40)}/pdf"
            ),
            "status_transitions": {"finalized_at": p.at},
        }
        invoice.changes.append((p.at, finalized, ("invoice.finalized",)))
        description = "Subscription creation" if first else "Subscription update"
        charge = self.charge(p, description, invoice_id=in_id, subscription_id=sub_id)
        charges[p.id] = charge
        if p.status == "paid":
            invoice.changes.append(
                (
                    p.at,
                    {
                        "status": "paid",
                        "amount_paid": p.amount,
                        "amount_remaining": 0,
                        "attempted": True,
                        "attempt_count": 1,
                        "auto_advance": False,
                        "status_transitions": {"paid_at": p.at},
                    },
                    ("invoice.paid", "invoice.payment_succeeded"),
                )
            )
        else:
            invoice.changes.append(
                (
                    p.at,
                    {
                        "attempted": True,
                        "attempt_count": 1,
                        "next_payment_attempt": p.at + DAY,
                    },
                    ("invoice.updated",),
                )
            )
        return invoice

    # --- payouts ---------------------------------------------------------------------

    def build_payouts(self) -> None:
        """Automatic payouts every three days of whatever balance has become available."""
        entries = sorted(self.charge_bts)
        paid_out = 0
        i = 0
        available = 0
        t = _midnight(self.org.start_epoch) + 2 * DAY + 7 * 3600
        while t < self.org.end_epoch:
            while i < len(entries) and entries[i][0] <= t and entries[i][2] <= t:
                available += entries[i][1]
                i += 1
            amount = available - paid_out
            if amount > 0:
                self._payout(t, amount)
                paid_out += amount
            t += 3 * DAY

    def _payout(self, t: int, amount: int) -> None:
        po_id = self.id("po", "payout", t)
        txn = self.id("txn", "payout", t)
        arrival = _midnight(t) + 2 * DAY
        payout = self.add(
            "payout",
            po_id,
            t,
            {
                "amount": amount,
                "arrival_date": arrival,
                "balance_transaction": txn,
                "destination": self.bank_account,
            },
            ("payout.created",),
        )
        payout.changes.append((t + 4 * 3600, {"status": "in_transit"}, ("payout.updated",)))
        trace = self.token("trace", t, length=15).upper()
        payout.changes.append(
            (
                arrival,
                {"status": "paid", "trace_id": {"status": "supported", "value": trace}},
                ("payout.paid",),
            )
        )
        self.add(
            "balance_transaction",
            txn,
            t,
            {
                "amount": -amount,
                "available_on": t,
                "description": "STRIPE PAYOUT",
                "net": -amount,
                "source": po_id,
                "status": "available",
                "type": "payout",
                "reporting_category": "payout",
            },
        )

    # --- assembling ------------------------------------------------------------------

    def build(self) -> StripeData:
        purchases = [p for p in self.org.purchases if p.processor == "stripe"]
        self.build_customers(purchases)
        self.build_catalog()
        installments: dict[str, list[Purchase]] = defaultdict(list)
        for p in purchases:
            if p.subscription_id:
                installments[p.subscription_id].append(p)
        charges: dict[str, _Pending] = {}
        self.build_subscriptions(installments, charges)
        for p in purchases:
            if p.subscription_id is None:
                item = self.org.item(p.item_kind, p.item_id)
                charges[p.id] = self.charge(p, _describe(item, p))
        self.build_refunds(charges)
        self.build_disputes(charges)
        self.build_early_fraud_warnings(charges)
        self.build_payouts()
        return self._finish()

    def _finish(self) -> StripeData:
        objects: dict[str, list[StripeObject]] = {}
        events: list[StripeEvent] = []
        for resource, pendings in self.pending.items():
            objects[resource] = []
            for p in pendings:
                obj = p.obj
                events.extend(self._events(obj, 0, p.created_events, p.request))
                # Stable sort: changes at the same second keep the order they were made in.
                for at, patch, types in sorted(p.changes, key=lambda ch: ch[0]):
                    obj.versions.append((at, patch))
                    events.extend(self._events(obj, len(obj.versions) - 1, types, False))
                objects[resource].append(obj)
        for p, at, type_ in self.deletions:
            p.obj.deleted_at = at
            last = len(p.obj.versions) - 1
            event = StripeEvent(self.id("evt", p.obj.id, "deleted"), type_, p.obj, last, None)
            event.created = at
            events.append(event)
        data = StripeData(self.org, objects, events)
        for items in objects.values():
            for obj in items:
                data.by_id[obj.id] = obj
        for event in events:
            data.by_id[event.id] = event
        return data

    def _events(
        self, obj: StripeObject, version: int, types: Iterable[str], request: bool
    ) -> list[StripeEvent]:
        req = self.id("req", obj.id, version, length=14) if request else None
        return [
            StripeEvent(self.id("evt", obj.id, version, t), t, obj, version, req) for t in types
        ]


def _stripe_fee(fee: int, description: str) -> list[dict[str, Any]]:
    """A balance transaction's `fee_details`: Stripe's own fee, in the account's currency."""
    return [
        {
            "amount": fee,
            "application": None,
            "currency": ACCOUNT_CURRENCY,
            "description": description,
            "type": "stripe_fee",
        }
    ]


def _midnight(at: int) -> int:
    return at - at % DAY


def _money(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€"}.get(currency, "")
    return f"{symbol}{amount / 100:,.2f}"


def _describe(item: Program | Good, p: Purchase) -> str:
    if isinstance(item, Program):
        return f"{item.name} ({item.term})"
    return f"{item.name} x {p.quantity}" if p.quantity > 1 else item.name


def _locale(country: str) -> str:
    return {"DE": "de", "FR": "fr", "NL": "nl", "ES": "es", "IT": "it"}.get(country, "en")


def build_stripe(org: Organisation) -> StripeData:
    """Everything the Stripe account of `org` holds, with its full history."""
    return _StripeBuilder(org).build()


__all__ = [
    "API_VERSION",
    "TEMPLATES",
    "StripeData",
    "StripeEvent",
    "StripeObject",
    "build_stripe",
    "stripe_id",
    "token",
]
