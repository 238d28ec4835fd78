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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sandbox.org import DAY, Organisation, Program, Purchase, epoch, org_purchase, utc_date
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
        (
            "transactions",
            "gross",
            "refund_transactions",
            "refunds",
            "disputes",
            "disputed",
            "disputes_won",
            "dispute_reversals",
        ),
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


# marts.ad_attribution_daily is held to the truth per day and channel: its campaign rows join
# three platforms' ids and names, which the truth does not rebuild; money to the cent, because a
# converted amount is rounded to NUMERIC's 9 decimals once per row
AD_ATTRIBUTION_QUERY = """
SELECT day, channel, ROUND(SUM(spend), 2), SUM(impressions), SUM(clicks), SUM(sessions),
       SUM(conversions), SUM(orders), SUM(new_customers), ROUND(SUM(attributed_revenue), 2)
FROM marts.ad_attribution_daily
GROUP BY day, channel
"""


def mart_query(mart: str) -> tuple[int, str]:
    """(number of key columns, SQL) that reads `marts.<mart>` as the truth keys its rows."""
    if mart == "ad_attribution_daily":
        return 2, AD_ATTRIBUTION_QUERY
    keys, columns = MART_COLUMNS[mart]
    return len(keys), f"SELECT {', '.join(keys + columns)} FROM marts.{mart}"


def truth_rows(truth: Truth, mart: str, last: date) -> Rows:
    """What `marts.<mart>` must hold after the nightly run of `last` at the truth's clock."""
    if mart == "revenue_daily":
        return truth.revenue_daily(last)
    if mart == "ad_attribution_daily":
        return truth.ad_attribution_daily(last)
    if mart == "inventory_by_item":
        return truth.inventory_by_item()
    if mart == "enrollment_by_program":
        return truth.enrollment_by_program()
    raise ValueError(f"no truth for marts.{mart}")


class _Money:
    """A campaign-day's amount in the reporting currency: NULL once an amount lacks a rate."""

    def __init__(self) -> None:
        self.total = Decimal(0)
        self.unknown = False

    def add(self, amount: Decimal | None) -> None:
        if amount is None:
            self.unknown = True
        else:
            self.total += amount

    @property
    def value(self) -> Decimal | None:
        return None if self.unknown else self.total


@dataclass
class _CampaignDay:
    spend: _Money = field(default_factory=_Money)
    impressions: int = 0
    clicks: int = 0
    sessions: int = 0
    conversions: int = 0
    orders: int = 0
    new_customers: int = 0
    revenue: _Money = field(default_factory=_Money)


@dataclass
class _Channel:
    """A day's campaign-days summed as SQL sums them: NULLs left out, all NULL is NULL."""

    spend: Decimal | None = None
    impressions: int = 0
    clicks: int = 0
    sessions: int = 0
    conversions: int = 0
    orders: int = 0
    new_customers: int = 0
    revenue: Decimal | None = None

    def add(self, day: _CampaignDay) -> None:
        self.spend = _add(self.spend, day.spend.value)
        self.impressions += day.impressions
        self.clicks += day.clicks
        self.sessions += day.sessions
        self.conversions += day.conversions
        self.orders += day.orders
        self.new_customers += day.new_customers
        self.revenue = _add(self.revenue, day.revenue.value)

    def row(self) -> Row:
        return (
            None if self.spend is None else self.spend.quantize(CENT),
            self.impressions,
            self.clicks,
            self.sessions,
            self.conversions,
            self.orders,
            self.new_customers,
            None if self.revenue is None else self.revenue.quantize(CENT),
        )


def _add(total: Decimal | None, amount: Decimal | None) -> Decimal | None:
    if amount is None:
        return total
    return amount if total is None else total + amount


@dataclass
class _Totals:
    transactions: int = 0
    gross: int = 0
    refund_transactions: int = 0
    refunds: int = 0
    disputes: int = 0
    disputed: int = 0
    disputes_won: int = 0
    dispute_reversals: int = 0

    def figures(self) -> Row:
        return (
            self.transactions,
            Decimal(self.gross) * CENT,
            self.refund_transactions,
            Decimal(self.refunds) * CENT,
            self.disputes,
            Decimal(self.disputed) * CENT,
            self.disputes_won,
            Decimal(self.dispute_reversals) * CENT,
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
        (transactions, gross), refunds, and chargebacks (taken back when they opened, given
        back when won, each on its own day), as listed at `now`. Stripe lists a dispute at once;
        inquiries move no money."""
        org = self.org
        rows: dict[tuple[Any, ...], _Totals] = defaultdict(_Totals)

        def settled_row(sale: Purchase, amount: int, currency: str, at: int) -> tuple[_Totals, int]:
            """The row `amount` of `sale` lands in at `at`, and the amount as settled."""
            currency, settled = self._settled(sale.processor, amount, currency, at)
            sku = org.item(sale.item_kind, sale.item_id).sku
            return rows[(utc_date(at), sale.processor, sku, currency)], settled

        for purchase in org.purchases:
            if purchase.status != "paid" or utc_date(purchase.at) > last:
                continue
            if self.listed(purchase):
                totals, amount = settled_row(
                    purchase, purchase.amount, purchase.currency, purchase.at
                )
                totals.transactions += 1
                totals.gross += amount
        for refund in org.refunds:
            refunded = org_purchase(org, refund.purchase_id)
            if utc_date(refund.at) > last:
                continue
            if self._refund_listed(refund.id, refund.at, refunded.processor):
                totals, amount = settled_row(refunded, refund.amount, refund.currency, refund.at)
                totals.refund_transactions += 1
                totals.refunds += amount
        for dispute in org.disputes:
            disputed = org_purchase(org, dispute.purchase_id)
            # PayPal's ledger does not move money for its disputes yet (sandbox/paypal/disputes)
            if dispute.kind != "chargeback" or disputed.processor != "stripe":
                continue
            if dispute.opened_at < self.now and utc_date(dispute.opened_at) <= last:
                totals, amount = settled_row(
                    disputed, dispute.amount, dispute.currency, dispute.opened_at
                )
                totals.disputes += 1
                totals.disputed += amount
            closed_at = dispute.closed_at
            if (
                dispute.outcome == "won"
                and closed_at is not None
                and closed_at < self.now
                and utc_date(closed_at) <= last
            ):
                totals, amount = settled_row(disputed, dispute.amount, dispute.currency, closed_at)
                totals.disputes_won += 1
                totals.dispute_reversals += amount
        return {key: totals.figures() for key, totals in rows.items()}

    def ad_attribution_daily(self, last: date) -> Rows:
        """Per (day, channel), every day up to `last`: ad delivery as each platform reported it
        at `now` (Google Ads every day so far; Facebook completed days, ad-days with
        impressions), GA4 sessions and key events of the channel's campaigns as processed by
        `now`, and the paid Stripe purchases tagged with them (orders, revenue, new customers).

        Built per campaign and day first, with the mart's rule for money: a campaign-day's spend
        or revenue is NULL when an amount in it has no exchange rate yet, else its sum (0 when
        there is none); a day's sum leaves NULLs out, as SQL's SUM does."""
        from sandbox.facebook_ads.account import build_account
        from sandbox.google_ads.account import build_ads
        from sandbox.google_analytics.traffic import build_traffic, completeness

        org = self.org
        rates = StripeRates(org, last)
        campaign_days: dict[tuple[date, str, str], _CampaignDay] = defaultdict(_CampaignDay)
        channel_of_utm = {
            c.utm_campaign: "google_ads" if c.channel == "google_ads" else "facebook_ads"
            for c in org.campaigns
        }
        utm_of_name = {c.name: c.utm_campaign for c in org.campaigns}

        ads = build_ads(org)
        currency_of = {account.id: account.currency_code for account in ads.accounts}
        google = {c.id: c for c in ads.campaigns}
        campaign_of_group = {group.id: group.campaign_id for group in ads.ad_groups}
        cost: dict[tuple[int, date], int] = defaultdict(int)  # micros per campaign-day
        for (group_id, day), metrics in ads.daily.items():
            if day <= last:
                campaign = google[campaign_of_group[group_id]]
                cost[(campaign.id, day)] += metrics.cost_micros
                row = campaign_days[(day, "google_ads", utm_of_name[campaign.name])]
                row.impressions += metrics.impressions
                row.clicks += metrics.clicks
        for (campaign_id, day), micros in cost.items():
            campaign = google[campaign_id]
            rate = rates.usd_per(currency_of[campaign.customer_id], day)
            row = campaign_days[(day, "google_ads", utm_of_name[campaign.name])]
            row.spend.add(None if rate is None else Decimal(micros) / 1_000_000 * rate)

        account = build_account(org)
        facebook = {ad.id: utm_of_name[account.campaign_of(ad).name] for ad in account.ads}
        for (ad_id, day), ad_day in account.days.items():
            if day <= last and ad_day.impressions:
                row = campaign_days[(day, "facebook_ads", facebook[ad_id])]
                row.spend.add(Decimal(ad_day.spend_cents) / 100)
                row.impressions += ad_day.impressions
                row.clicks += ad_day.clicks

        for cell in build_traffic(org):
            channel = channel_of_utm.get(cell.campaign)
            if channel and cell.day <= last:
                share = completeness(cell.day, self.now)
                row = campaign_days[(cell.day, channel, cell.campaign)]
                row.sessions += round(cell.sessions * share)
                row.conversions += round(cell.key_events * share)

        paid = [
            p
            for p in org.purchases
            if p.status == "paid" and utc_date(p.at) <= last and self.listed(p)
        ]
        first_day: dict[str, date] = {}
        for purchase in paid:  # either processor: a customer's first purchase ever
            day = utc_date(purchase.at)
            first_day[purchase.customer_id] = min(first_day.get(purchase.customer_id, day), day)
        new: dict[tuple[date, str, str], set[str]] = defaultdict(set)
        for purchase in paid:
            utm = purchase.utm_campaign or ""
            channel = channel_of_utm.get(utm)
            if purchase.processor != "stripe" or channel is None:
                continue
            day = utc_date(purchase.at)
            rate = rates.usd_per(purchase.currency, day)
            row = campaign_days[(day, channel, utm)]
            row.orders += 1
            row.revenue.add(None if rate is None else Decimal(purchase.amount) / 100 * rate)
            if first_day[purchase.customer_id] == day:
                new[(day, channel, utm)].add(purchase.customer_id)
        for key, customers in new.items():
            campaign_days[key].new_customers += len(customers)

        days: dict[tuple[Any, ...], _Channel] = defaultdict(_Channel)
        for (day, channel, _utm), campaign_day in campaign_days.items():
            days[(day, channel)].add(campaign_day)
        return {key: row.row() for key, row in days.items()}

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


class StripeRates:
    """USD per EUR as the mart takes it: the rate Stripe recorded on the latest day on or before
    a day that had a converted EUR charge or refund."""

    def __init__(self, org: Organisation, last: date) -> None:
        stripe_eur = [p for p in org.purchases if p.processor == "stripe" and p.currency == "eur"]
        days = {utc_date(p.at) for p in stripe_eur if p.status == "paid"}
        paid = {p.id for p in stripe_eur if p.status == "paid"}
        days |= {utc_date(r.at) for r in org.refunds if r.purchase_id in paid}
        self.days = sorted(day for day in days if day <= last)
        self.org = org

    def usd_per(self, currency: str, day: date) -> Decimal | None:
        """The rate on or before `day`; None before the first (the mart's money is NULL)."""
        if currency.lower() == "usd":
            return Decimal(1)
        seen = [d for d in self.days if d <= day]
        if not seen:
            return None
        return Decimal(str(self.org.fx_usd_per_eur(epoch(seen[-1]))))


def differences(found: Rows, expected: Rows) -> list[str]:
    """One readable line per key where a mart and the truth disagree (missing rows included)."""
    lines = []
    for key in sorted(found.keys() | expected.keys(), key=repr):
        got, want = found.get(key), expected.get(key)
        if got != want:
            lines.append(f"{key}: mart {got}, truth {want}")
    return lines
