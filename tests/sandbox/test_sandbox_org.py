"""The demo organisation: deterministic, coherent and scaled by volume."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict

from sandbox.org import DAY, FIRST_DAY, LAST_DAY, Organisation, build_org

from .conftest import ORG_END, ORG_START


def _org(seed: int = 7, volume: float = 1.0) -> Organisation:
    return build_org(seed=seed, volume=volume, start=ORG_START, end=ORG_END)


def test_same_seed_builds_the_same_organisation() -> None:
    a, b = _org(), _org()
    assert [asdict(p) for p in a.purchases] == [asdict(p) for p in b.purchases]
    assert [asdict(c) for c in a.customers] == [asdict(c) for c in b.customers]
    assert a.refunds == b.refunds
    assert a.subscriptions == b.subscriptions


def test_another_seed_builds_another_organisation() -> None:
    a, b = _org(seed=7), _org(seed=8)
    assert [c.email for c in a.customers] != [c.email for c in b.customers]
    assert [p.at for p in a.purchases] != [p.at for p in b.purchases]


def test_volume_one_has_hundreds_of_customers_and_thousands_of_purchases() -> None:
    org = _org()
    assert 250 <= len(org.customers) <= 700
    assert 1500 <= len(org.purchases) <= 3000
    processors = Counter(p.processor for p in org.purchases)
    assert processors["stripe"] > 2 * processors["paypal"] > 0
    assert 0 < len(org.refunds) < len(org.purchases) * 0.1
    assert Counter(p.currency for p in org.purchases)["eur"] > 0
    assert any(p.utm_campaign for p in org.purchases)
    assert {c.utm_campaign for c in org.customers if c.utm_campaign} <= {
        c.utm_campaign for c in org.campaigns
    }


def test_volume_scales_counts_roughly_linearly() -> None:
    one, three = _org(volume=1), _org(volume=3)
    ratio = len(three.purchases) / len(one.purchases)
    assert 2.4 < ratio < 3.6
    assert 2.4 < len(three.customers) / len(one.customers) < 3.6


def test_volume_ten_builds_in_seconds() -> None:
    started = time.perf_counter()
    org = _org(volume=10)
    assert time.perf_counter() - started < 5
    assert len(org.purchases) > 15_000


def test_purchases_stay_inside_the_range_and_the_catalogue() -> None:
    org = _org()
    seats: Counter[str] = Counter()
    for p in org.purchases:
        assert org.start_epoch <= p.at < org.end_epoch
        item = org.item(p.item_kind, p.item_id)
        assert p.amount == p.unit_amount * p.quantity
        assert p.currency in item.prices
        customer = org.customer(p.customer_id)
        assert p.at >= customer.signed_up_at
        assert p.currency == customer.currency
    for e in org.enrolments:
        seats[e.program_id] += 1
    for program in org.programs:
        assert seats[program.id] <= program.capacity
    purchases = {p.id: p for p in org.purchases}
    for r in org.refunds:
        assert 0 < r.amount <= purchases[r.purchase_id].amount
        assert r.at > purchases[r.purchase_id].at
        assert isinstance(r.amount, int)


def test_timestamps_spread_across_each_day() -> None:
    org = _org()
    hours = Counter((p.at % DAY) // 3600 for p in org.purchases)
    assert len(hours) == 24
    days = {(p.at - org.start_epoch) // DAY for p in org.purchases}
    assert len(days) == (ORG_END - ORG_START).days + 1


def test_subscriptions_bill_monthly_installments() -> None:
    org = _org()
    by_sub: dict[str, list[int]] = {}
    for p in org.purchases:
        if p.subscription_id:
            by_sub.setdefault(p.subscription_id, []).append(p.installment or 0)
    assert org.subscriptions
    assert any(len(v) > 1 for v in by_sub.values())
    for sub in org.subscriptions:
        assert by_sub[sub.id] == list(range(1, len(by_sub[sub.id]) + 1))
        assert len(by_sub[sub.id]) <= sub.installments
        assert sub.processor == "stripe"
    assert {s.end_reason for s in org.subscriptions} >= {None, "completed"}


def test_default_calendar_is_fixed_not_the_wall_clock() -> None:
    org = build_org(seed=1, volume=0.1)
    assert (org.start, org.end) == (FIRST_DAY, LAST_DAY)
    assert org == build_org(seed=1, volume=0.1, start=FIRST_DAY, end=LAST_DAY)
