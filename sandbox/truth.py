"""What each mart must say at an instant, from the organisation itself, never from the warehouse.

`Truth(org, now)` is the organisation as the real APIs showed it at `now` (epoch seconds), by the
emulators' own rules of lateness: PayPal lists a transaction some minutes to hours after it
happened (`sandbox.paypal.ledger`), Stripe at once; the sheets are as they stood at `now`. A
nightly run at `now` loads what those APIs listed before `now` (its windows end there,
exclusive), so that is what the marts are held to.

Rows are keyed as the marts key them and hold the columns `MART_COLUMNS` names, so a caller
compares `SELECT <key>, <columns> FROM marts.<name>` with them directly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sandbox.org import DAY, Organisation, Program, Purchase, org_purchase, utc_date
from sandbox.paypal.ledger import Ledger

CENT = Decimal("0.01")
STRIPE_SETTLEMENT = "usd"  # the Stripe account's currency: every balance transaction is in it
# the stock sheet's convention (sandbox/google_sheets/workbook.py): a unit costs the
# organisation 40% of its USD list price, rounded to the cent
UNIT_COST_SHARE = 0.4
SALES_DAYS = 28

Row = tuple[Any, ...]
Rows = dict[tuple[Any, ...], Row]

# mart -> (key columns, compared columns), in the order of the truth's keys and rows
MART_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "revenue_daily": (
        ("day", "processor", "product", "currency"),
        ("transactions", "gross", "refund_transactions", "refunds"),
    ),
    "inventory_by_item": (
        ("sku",),
        (
            "item_name",
            "on_hand",
            "reorder_point",
            "unit_cost",
            "stock_value",
            "units_sold_28d",
            "avg_daily_units_sold",
            "days_of_cover",
            "below_reorder_point",
            "as_of_at",
        ),
    ),
    "enrollment_by_program": (
        ("program", "term"),
        (
            "sku",
            "cohorts",
            "capacity",
            "enrolled",
            "withdrawn",
            "fill_rate",
            "paid_students",
            "outstanding_students",
            "new_students",
            "returning_students",
            "as_of_at",
        ),
    ),
}


@dataclass
class _Totals:
    transactions: int = 0
    gross: int = 0
    refund_transactions: int = 0
    refunds: int = 0

    def figures(self) -> Row:
        return (
            self.transactions,
            Decimal(self.gross) * CENT,
            self.refund_transactions,
            Decimal(self.refunds) * CENT,
        )


class Truth:
    """The organisation at `now` as its APIs listed it; each method is one mart's rows."""

    def __init__(self, org: Organisation, now: int, reporting_delay_hours: float = 3.0) -> None:
        self.org = org
        self.now = now
        self.at = datetime.fromtimestamp(now, UTC)
        ledger = Ledger(org, reporting_delay_hours)
        self._paypal_payment_seen = {
            e.purchase.id: e.visible_at
            for e in ledger.entries
            if e.event_code == "T0006" and e.purchase is not None
        }
        self._paypal_refund_seen = {
            e.note: e.visible_at for e in ledger.entries if e.event_code == "T1107" and e.note
        }

    def listed(self, purchase: Purchase) -> bool:
        """Whether the nightly run at `now` loaded the purchase's payment (paid or failed)."""
        if purchase.at >= self.now:
            return False
        return purchase.processor == "stripe" or self._paypal_payment_seen[purchase.id] <= self.now

    def _refund_listed(self, refund_id: str, at: int, processor: str) -> bool:
        if at >= self.now:
            return False
        return processor == "stripe" or self._paypal_refund_seen[refund_id] <= self.now

    def _settled(self, processor: str, amount: int, currency: str, at: int) -> tuple[str, int]:
        """(currency, minor units) of `amount` as it reaches the processor's balance at `at`:
        Stripe settles EUR in USD at the organisation's rate of the moment, to the cent."""
        if processor == "stripe" and currency != STRIPE_SETTLEMENT:
            return STRIPE_SETTLEMENT, round(amount * self.org.fx_usd_per_eur(at))
        return currency, amount

    def revenue_daily(self, last: date) -> Rows:
        """Per (day UTC, processor, product, currency), every day up to `last`: paid purchases
        (transactions, gross) and refunds, as listed at `now`."""
        org = self.org
        rows: dict[tuple[Any, ...], _Totals] = defaultdict(_Totals)
        for purchase in org.purchases:
            day = utc_date(purchase.at)
            if purchase.status != "paid" or day > last or not self.listed(purchase):
                continue
            currency, amount = self._settled(
                purchase.processor, purchase.amount, purchase.currency, purchase.at
            )
            sku = org.item(purchase.item_kind, purchase.item_id).sku
            totals = rows[(day, purchase.processor, sku, currency)]
            totals.transactions += 1
            totals.gross += amount
        for refund in org.refunds:
            day = utc_date(refund.at)
            refunded = org_purchase(org, refund.purchase_id)
            if day > last or not self._refund_listed(refund.id, refund.at, refunded.processor):
                continue
            currency, amount = self._settled(
                refunded.processor, refund.amount, refund.currency, refund.at
            )
            sku = org.item(refunded.item_kind, refunded.item_id).sku
            totals = rows[(day, refunded.processor, sku, currency)]
            totals.refund_transactions += 1
            totals.refunds += amount
        return {key: totals.figures() for key, totals in rows.items()}

    def inventory_by_item(self) -> Rows:
        """Per SKU: the stock sheet at `now` and the units sold in the 28 days before `now`."""
        org, now = self.org, self.now
        since = now - SALES_DAYS * DAY
        rows: Rows = {}
        for good in org.goods:
            paid = [p for p in org.purchases if p.item_id == good.id and p.status == "paid"]
            on_hand = (
                good.initial_stock
                - sum(p.quantity for p in paid if p.at <= now)
                + sum(r.quantity for r in org.restocks if r.good_id == good.id and r.at <= now)
            )
            sold = sum(p.quantity for p in paid if since <= p.at and self.listed(p))
            unit_cost = Decimal(round(good.prices["usd"] * UNIT_COST_SHARE)) / 100
            rows[(good.sku,)] = (
                good.name,
                on_hand,
                good.reorder_point,
                unit_cost,
                on_hand * unit_cost,
                sold,
                sold / SALES_DAYS,
                on_hand * SALES_DAYS / sold if sold else None,
                on_hand <= good.reorder_point,
                self.at,
            )
        return rows

    def enrollment_by_program(self) -> Rows:
        """Per program and term with a Stripe product by `now`: the roster at `now`; a seat is
        paid when the purchase that made it (a monthly program's first installment) was listed
        before `now` and refunds listed before `now` did not take it back in full. No rows while
        the roster is empty: the mart takes its as-of moment from the roster's rows."""
        org, now = self.org, self.now
        seats = [e for e in org.enrolments if e.enrolled_at <= now]
        if not seats:
            return {}  # an empty roster says as of when nothing: the mart has no rows
        cohorts: dict[tuple[str, str], list[Program]] = defaultdict(list)
        for program in org.programs:
            if program.created_at < now:  # its Stripe product existed before the run's clock
                cohorts[(program.name, program.term)].append(program)
        first_day: dict[str, date] = {}
        for seat in seats:
            day = utc_date(seat.enrolled_at)
            first_day[seat.customer_id] = min(first_day.get(seat.customer_id, day), day)
        refunded: dict[str, int] = defaultdict(int)
        for refund in org.refunds:
            processor = org_purchase(org, refund.purchase_id).processor
            if self._refund_listed(refund.id, refund.at, processor):
                refunded[refund.purchase_id] += refund.amount
        programs = {program.id: program for program in org.programs}
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for seat in seats:
            program = programs[seat.program_id]
            counts_of = counts[(program.name, program.term)]
            if seat.withdrawn_at is not None and seat.withdrawn_at <= now:
                counts_of["withdrawn"] += 1
                continue
            counts_of["enrolled"] += 1
            purchase = org_purchase(org, seat.purchase_id)
            if self.listed(purchase) and refunded[purchase.id] < purchase.amount:
                counts_of["paid"] += 1
            if utc_date(seat.enrolled_at) == first_day[seat.customer_id]:
                counts_of["new"] += 1
        rows: Rows = {}
        for key, group in cohorts.items():
            got = counts[key]
            capacity = sum(p.capacity for p in group)
            rows[key] = (
                ", ".join(sorted(p.sku for p in group)),
                len(group),
                capacity,
                got["enrolled"],
                got["withdrawn"],
                got["enrolled"] / capacity,
                got["paid"],
                got["enrolled"] - got["paid"],
                got["new"],
                got["enrolled"] - got["new"],
                self.at,
            )
        return rows


def differences(found: Rows, expected: Rows) -> list[str]:
    """One readable line per key where a mart and the truth disagree (missing rows included)."""
    lines = []
    for key in sorted(found.keys() | expected.keys(), key=repr):
        got, want = found.get(key), expected.get(key)
        if got != want:
            lines.append(f"{key}: mart {got}, truth {want}")
    return lines
