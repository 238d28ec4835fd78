"""Stripe objects built from the organisation: shapes, ids, history and money."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pytest

from sandbox.org import build_org
from sandbox.stripe.objects import StripeData, build_stripe
from sandbox.stripe.server import StripeEmulator

from .conftest import ORG_END, ORG_START

ID_PREFIX = {
    "customer": r"cus_[0-9A-Za-z]{14}",
    "product": r"prod_[0-9A-Za-z]{14}",
    "price": r"price_[0-9A-Za-z]{24}",
    "charge": r"ch_[0-9A-Za-z]{24}",
    "refund": r"re_[0-9A-Za-z]{24}",
    "invoice": r"in_[0-9A-Za-z]{24}",
    "subscription": r"sub_[0-9A-Za-z]{24}",
    "balance_transaction": r"txn_[0-9A-Za-z]{24}",
    "payout": r"po_[0-9A-Za-z]{24}",
    "dispute": r"dp_[0-9A-Za-z]{24}",
    "radar.early_fraud_warning": r"issfr_[0-9A-Za-z]{24}",
    "payment_intent": r"pi_[0-9A-Za-z]{24}",
    "event": r"evt_[0-9A-Za-z]{24}",
}
# Free-form maps whose keys are ours, not Stripe's schema.
FREE_FORM = {"metadata", "previous_attributes"}


def key_mismatches(served: Any, fixture: Any, path: str = "") -> list[str]:
    """Where `served` has other keys than Stripe's fixture (recursing where both are dicts)."""
    out: list[str] = []
    if isinstance(served, dict) and isinstance(fixture, dict):
        if set(served) != set(fixture):
            missing, extra = set(fixture) - set(served), set(served) - set(fixture)
            out.append(f"{path or '.'}: missing {sorted(missing)} extra {sorted(extra)}")
        for key in set(served) & set(fixture):
            if key not in FREE_FORM:
                out += key_mismatches(served[key], fixture[key], f"{path}.{key}")
    elif isinstance(served, list) and isinstance(fixture, list) and served and fixture:
        out += key_mismatches(served[0], fixture[0], f"{path}[0]")
    return out


@pytest.fixture(scope="module")
def data(stripe_emulator: StripeEmulator) -> StripeData:
    return stripe_emulator.api.data


def test_same_seed_gives_identical_objects_and_events() -> None:
    def dump(seed: int) -> str:
        d = build_stripe(build_org(seed=seed, volume=0.3, start=ORG_START, end=ORG_END))
        objects = {r: [o.snapshot() for o in items] for r, items in d.objects.items()}
        return json.dumps([objects, [e.render() for e in d.events]], sort_keys=True)

    first = dump(7)
    assert first == dump(7)
    assert first != dump(8)


def test_every_object_has_exactly_the_fixture_keys(
    data: StripeData, fixture_shapes: dict[str, Any]
) -> None:
    for resource, items in data.objects.items():
        assert items, resource
        for obj in items:
            for version in range(len(obj.versions)):
                problems = key_mismatches(obj.snapshot(version), fixture_shapes[resource])
                assert not problems, f"{resource} {obj.id} v{version}: {problems}"
    for event in data.events[:500]:
        rendered = event.render()
        assert set(rendered) == set(fixture_shapes["event"]), event.type
        assert set(rendered["data"]) <= {"object", "previous_attributes"}


def test_nested_list_items_have_the_fixture_keys(
    data: StripeData, fixture_shapes: dict[str, Any]
) -> None:
    subscription = data.objects["subscription"][0].snapshot()
    item = subscription["items"]["data"][0]
    assert set(item) == set(fixture_shapes["subscription_item"])
    assert set(item["price"]) == set(fixture_shapes["price"])
    assert set(item["plan"]) == set(fixture_shapes["plan"])
    invoice = data.objects["invoice"][0].snapshot()
    assert set(invoice["lines"]["data"][0]) == set(fixture_shapes["invoice_line_item"])
    refunded = next(o for o in data.objects["charge"] if o.snapshot()["refunds"]["data"])
    assert set(refunded.snapshot()["refunds"]["data"][0]) == set(fixture_shapes["refund"])


def test_ids_look_like_stripe_ids_and_are_unique(data: StripeData) -> None:
    seen: set[str] = set()
    groups: list[tuple[str, Sequence[Any]]] = [*data.objects.items(), ("event", data.events)]
    for resource, items in groups:
        for obj in items:
            assert re.fullmatch(ID_PREFIX[resource], obj.id), obj.id
            assert obj.id not in seen
            seen.add(obj.id)


def test_no_placeholder_values_from_the_fixture_leak(data: StripeData) -> None:
    sample = [o.snapshot() for items in data.objects.values() for o in items[:50]]
    text = json.dumps(sample)
    for placeholder in ("1234567890", "obj_123", "Pgaf", "Jenny Rosen", '"created": 0,'):
        assert placeholder not in text


def test_charges_join_to_customers_and_products(data: StripeData) -> None:
    customers = {o.id: o.snapshot() for o in data.objects["customer"]}
    products = {o.id for o in data.objects["product"]}
    for obj in data.objects["charge"]:
        charge = obj.snapshot()
        assert charge["customer"] in customers
        assert charge["billing_details"]["email"] == customers[charge["customer"]]["email"]
        assert charge["metadata"]["product"] in products
        assert charge["metadata"]["kind"] in ("program", "good")
        assert charge["currency"] in ("usd", "eur")


def test_balance_transactions_add_up(data: StripeData) -> None:
    charges = {o.id: o.snapshot() for o in data.objects["charge"]}
    refunds = {o.id: o.snapshot() for o in data.objects["refund"]}
    for obj in data.objects["balance_transaction"]:
        bt = obj.snapshot()
        assert bt["currency"] == "usd"
        assert bt["net"] == bt["amount"] - bt["fee"]
        assert bt["fee"] == sum(f["amount"] for f in bt["fee_details"])
        assert isinstance(bt["amount"], int)
        if bt["type"] == "charge":
            charge = charges[bt["source"]]
            assert charge["balance_transaction"] == bt["id"]
            assert bt["fee"] > 0
            if charge["currency"] == "usd":
                assert bt["exchange_rate"] is None
                assert bt["amount"] == charge["amount"]
            else:
                assert bt["amount"] == round(charge["amount"] * bt["exchange_rate"])
            assert bt["available_on"] - bt["created"] <= 2 * 86_400
            assert bt["status"] == "available"  # the final version
            assert obj.snapshot(0)["status"] == "pending"
        elif bt["type"] == "refund":
            assert bt["amount"] < 0
            assert refunds[bt["source"]]["balance_transaction"] == bt["id"]


def test_refunds_update_their_charges(data: StripeData) -> None:
    by_charge: dict[str, int] = defaultdict(int)
    for obj in data.objects["refund"]:
        by_charge[obj.snapshot()["charge"]] += obj.snapshot()["amount"]
    assert by_charge
    for obj in data.objects["charge"]:
        charge = obj.snapshot()
        assert charge["amount_refunded"] == by_charge.get(charge["id"], 0)
        assert charge["refunded"] == (charge["amount_refunded"] == charge["amount"])
        assert charge["amount_refunded"] <= charge["amount"]


def test_payouts_pay_out_the_available_balance(data: StripeData) -> None:
    bts = [o.snapshot() for o in data.objects["balance_transaction"]]
    payouts = sorted((o.snapshot() for o in data.objects["payout"]), key=lambda p: p["created"])
    assert len(payouts) > 10
    paid_out = 0
    for payout in payouts:
        available = sum(
            bt["net"]
            for bt in bts
            if bt["type"] != "payout" and bt["available_on"] <= payout["created"]
        )
        assert payout["amount"] == available - paid_out
        paid_out += payout["amount"]
        payout_bt = next(bt for bt in bts if bt["id"] == payout["balance_transaction"])
        assert payout_bt["amount"] == payout_bt["net"] == -payout["amount"]
    pending = sum(bt["net"] for bt in bts if bt["status"] == "pending")
    total = sum(bt["net"] for bt in bts)
    # What has not been paid out is the balance still pending or not yet swept.
    assert total == sum(bt["net"] for bt in bts if bt["type"] != "payout") - paid_out
    assert total >= pending


def test_failed_charges_have_no_balance_transaction(data: StripeData) -> None:
    failed = [o.snapshot() for o in data.objects["charge"] if o.snapshot()["status"] == "failed"]
    assert failed
    for charge in failed:
        assert charge["paid"] is False
        assert charge["balance_transaction"] is None
        assert charge["failure_code"] == "card_declined"


def test_subscription_invoices_are_paid_by_charges(data: StripeData) -> None:
    charges_by_invoice = {
        o.snapshot()["metadata"].get("invoice"): o.snapshot() for o in data.objects["charge"]
    }
    statuses = set()
    for obj in data.objects["invoice"]:
        invoice = obj.snapshot()
        statuses.add(invoice["status"])
        charge = charges_by_invoice[invoice["id"]]
        assert charge["amount"] == invoice["amount_due"]
        assert invoice["subscription"] == charge["metadata"]["subscription"]
        if invoice["status"] == "paid":
            assert charge["status"] == "succeeded"
            assert invoice["amount_paid"] == invoice["total"]
            assert invoice["number"]
    assert {"paid", "void"} <= statuses


def test_events_show_the_object_as_it_was(data: StripeData) -> None:
    types = {e.type for e in data.events}
    assert types >= {
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "product.created",
        "product.updated",
        "price.created",
        "price.updated",
        "charge.succeeded",
        "charge.failed",
        "charge.refunded",
        "charge.updated",
        "refund.created",
        "refund.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.voided",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "payout.created",
        "payout.paid",
        "payout.updated",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
        "radar.early_fraud_warning.created",
        "radar.early_fraud_warning.updated",
        "payment_intent.created",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
    }
    assert not any(t.startswith("balance_transaction") for t in types)
    for event in data.events[::7]:
        rendered = event.render()
        # Several versions can share a second (an invoice created, finalized and paid).
        assert rendered["data"]["object"] == event.target.snapshot(event.version)
        assert event.target.version_at(event.created) >= event.version
        assert rendered["data"]["object"]["id"] == event.target.id
        if event.type.endswith(".updated"):
            previous = rendered["data"]["previous_attributes"]
            assert previous
            for key in previous:
                before = event.target.snapshot(event.version - 1)[key]
                assert rendered["data"]["object"][key] != before or isinstance(before, dict)


def test_disputes_move_the_balance_as_stripe_does(data: StripeData) -> None:
    """A chargeback takes its amount and the dispute fee when it opens; a won one gives both back
    when it closes; an inquiry moves nothing. The dispute embeds the balance transactions it made,
    and its events tell each step."""
    bts_by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in data.objects["balance_transaction"]:
        bt = obj.snapshot()
        bts_by_source[bt["source"]].append(bt)
    charges = {o.id: o for o in data.objects["charge"]}
    events: dict[str, list[str]] = defaultdict(list)
    for event in data.events:
        if event.type.startswith("charge.dispute."):
            events[event.target.id].append(event.type)
    outcomes: set[tuple[str, str]] = set()
    for obj in data.objects["dispute"]:
        dispute = obj.snapshot()
        charge = charges[dispute["charge"]]
        assert charge.field_at(dispute["created"], "disputed") is True
        assert charge.field_at(dispute["created"] - 1, "disputed") is False
        case = dispute["payment_method_details"]["card"]["case_type"]
        outcomes.add((case, dispute["status"]))
        moved = sorted(bts_by_source[obj.id], key=lambda bt: bt["created"])
        assert dispute["balance_transactions"] == moved
        assert dispute["amount"] == charge.snapshot()["amount"]
        if case == "inquiry":
            assert moved == []
            assert "charge.dispute.funds_withdrawn" not in events[obj.id]
            continue
        withdrawal, *rest = moved
        assert withdrawal["reporting_category"] == "dispute"
        assert withdrawal["type"] == "adjustment"
        assert withdrawal["created"] == dispute["created"]
        assert withdrawal["fee"] == 1500
        assert withdrawal["amount"] < 0
        assert withdrawal["net"] == withdrawal["amount"] - withdrawal["fee"]
        if dispute["currency"] == "usd":
            assert withdrawal["amount"] == -dispute["amount"]
        if dispute["status"] == "won":
            (reversal,) = rest
            assert reversal["reporting_category"] == "dispute_reversal"
            assert reversal["fee"] == -1500
            assert reversal["net"] == reversal["amount"] + 1500
            assert events[obj.id][-1] == "charge.dispute.funds_reinstated"
        else:
            assert rest == []
    assert {
        ("chargeback", "won"),
        ("chargeback", "lost"),
        ("inquiry", "warning_closed"),
    } <= outcomes
