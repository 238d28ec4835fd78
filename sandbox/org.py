"""The demo organisation: one coherent, seeded world that every sandbox emulator is built from.

The organisation sells places on programs (courses with a term, a capacity and a price,
some paid monthly) and goods kept in stock, to customers who found it through ad
campaigns or organically. Everything here is processor-neutral: the Stripe emulator turns
the purchases paid through Stripe into charges, the PayPal emulator the ones paid
through PayPal, the enrolment sheet lists enrolments, and the ad and analytics emulators
use the campaigns and the purchases' UTM tags. All of it derives from one
`random.Random(seed)`, so the same arguments always give the same organisation.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal

DAY = 86_400
# The organisation's calendar when nothing else is said: a year, fixed, so that every emulator,
# and every run, whenever it starts, serves the same world. The clock decides what of it is seen.
FIRST_DAY = date(2026, 8, 1)
LAST_DAY = date(2027, 7, 31)

ItemKind = Literal["program", "good"]
Processor = Literal["stripe", "paypal"]
PurchaseStatus = Literal["paid", "failed"]

# (country, city choices, currency, weight). Weights keep usd the large majority.
_COUNTRIES: tuple[tuple[str, tuple[str, ...], str, int], ...] = (
    ("US", ("New York", "Austin", "Chicago", "Seattle", "Denver", "Boston"), "usd", 50),
    ("CA", ("Toronto", "Vancouver", "Montreal"), "usd", 8),
    ("GB", ("London", "Manchester", "Bristol"), "usd", 7),
    ("AU", ("Sydney", "Melbourne"), "usd", 4),
    ("DE", ("Berlin", "Munich", "Hamburg"), "eur", 9),
    ("FR", ("Paris", "Lyon", "Nantes"), "eur", 8),
    ("NL", ("Amsterdam", "Utrecht"), "eur", 5),
    ("ES", ("Madrid", "Barcelona", "Valencia"), "eur", 5),
    ("IE", ("Dublin", "Cork"), "eur", 2),
    ("IT", ("Milan", "Rome"), "eur", 2),
)

_FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Ben",
    "Bruno",
    "Carla",
    "Chen",
    "Chloe",
    "Dan",
    "Diego",
    "Elif",
    "Ella",
    "Emma",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jack",
    "Jana",
    "Jonas",
    "Kai",
    "Kofi",
    "Lara",
    "Leo",
    "Lina",
    "Luca",
    "Maya",
    "Mei",
    "Mila",
    "Nadia",
    "Nico",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rafael",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Vera",
    "Yara",
    "Zoe",
]
_LAST_NAMES = [
    "Adams",
    "Bauer",
    "Becker",
    "Brown",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Kowalski",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Murphy",
    "Nguyen",
    "Novak",
    "Okafor",
    "Patel",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Smith",
    "Tanaka",
    "Taylor",
    "Van",
    "Dijk",
    "Walker",
    "Weber",
    "Wilson",
    "Young",
    "Zhang",
]
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")

# name, sku stem, usd price in cents, billing, installments, base capacity
_PROGRAM_CATALOG: tuple[tuple[str, str, int, str, int, int], ...] = (
    ("Intro to Data Analysis", "DATA101", 49_000, "one_time", 1, 40),
    ("SQL for Analysts", "SQL201", 39_000, "one_time", 1, 35),
    ("Python Foundations", "PY101", 59_000, "one_time", 1, 40),
    ("Machine Learning Bootcamp", "ML301", 129_000, "one_time", 1, 25),
    ("Dashboard Design Workshop", "VIZ110", 19_000, "one_time", 1, 30),
    ("Weekly Coaching Circle", "COACH", 12_000, "monthly", 4, 30),
    ("Career Mentorship", "MENTOR", 15_000, "monthly", 3, 20),
    ("Data Engineering Track", "DE401", 29_000, "monthly", 6, 25),
)

# name, sku, usd price in cents, base stock
_GOOD_CATALOG: tuple[tuple[str, str, int, int], ...] = (
    ("Course Workbook", "BK-WORKBOOK", 2_900, 120),
    ("SQL Pocket Guide", "BK-SQLGUIDE", 1_900, 150),
    ("Stats Flashcards", "FC-STATS", 1_500, 100),
    ("Branded Hoodie", "AP-HOODIE", 5_500, 60),
    ("Branded T-shirt", "AP-TSHIRT", 2_500, 90),
    ("Coffee Mug", "HM-MUG", 1_400, 80),
    ("Laptop Sticker Pack", "ST-PACK", 600, 200),
    ("Notebook Set", "ST-NOTEBOOK", 1_200, 140),
    ("USB-C Hub", "TK-USBHUB", 4_900, 40),
    ("Desk Whiteboard", "TK-BOARD", 3_500, 45),
    ("Mechanical Keyboard", "TK-KEYBOARD", 11_900, 25),
    ("Noise-cancelling Headset", "TK-HEADSET", 8_900, 30),
)

# channel, utm_source, utm_medium, campaign name, target kind
_CAMPAIGN_CATALOG: tuple[tuple[str, str, str, str, str], ...] = (
    ("google_ads", "google", "cpc", "Brand Search", "brand"),
    ("google_ads", "google", "cpc", "Programs Search", "program"),
    ("google_ads", "google", "cpc", "Shop Shopping", "good"),
    ("facebook", "facebook", "paid_social", "Programs Lookalike", "program"),
    ("facebook", "facebook", "paid_social", "Shop Retargeting", "good"),
    ("facebook", "facebook", "paid_social", "Term Launch Video", "program"),
)

# Relative purchase likelihood per UTC hour: quiet nights, busy afternoons.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 4, 6, 7, 8, 8, 9, 9, 9, 9, 8, 8, 7, 6, 5, 4, 3, 2)
_WEEKDAY_FACTOR = (1.05, 1.1, 1.1, 1.05, 1.0, 0.8, 0.75)  # Monday first


@dataclass(frozen=True, slots=True)
class Campaign:
    """An ad campaign; its `utm_campaign` tags the sessions and purchases it brought."""

    id: str
    channel: Literal["google_ads", "facebook"]
    name: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    target: str  # "program", "good" or "brand"
    start: date
    end: date
    daily_budget: int  # usd cents


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    country: str
    city: str
    currency: str  # what they pay in: "usd" or "eur"
    signed_up_at: int
    preferred_processor: Processor
    # First-touch acquisition; None means organic/direct.
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Program:
    id: str
    sku: str
    name: str
    term: str
    starts_on: date
    enrolment_opens: date
    enrolment_closes: date
    capacity: int
    prices: dict[str, int]  # currency -> minor units, per installment
    billing: Literal["one_time", "monthly"]
    installments: int
    created_at: int

    @property
    def kind(self) -> ItemKind:
        return "program"


@dataclass(frozen=True, slots=True)
class Good:
    id: str
    sku: str
    name: str
    prices: dict[str, int]
    initial_stock: int
    reorder_point: int
    created_at: int

    @property
    def kind(self) -> ItemKind:
        return "good"


@dataclass(frozen=True, slots=True)
class PriceChange:
    """A new list price for a program or good, effective from `at`."""

    item_kind: ItemKind
    item_id: str
    at: int
    prices: dict[str, int]


@dataclass(frozen=True, slots=True)
class Restock:
    good_id: str
    at: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Subscription:
    """A monthly-billed enrolment in a program; each paid month is one Purchase."""

    id: str
    customer_id: str
    program_id: str
    processor: Processor
    started_at: int
    installments: int
    currency: str
    unit_amount: int
    ended_at: int | None  # None while running at the end of the range
    end_reason: Literal["completed", "cancellation_requested", "payment_failed"] | None


@dataclass(frozen=True, slots=True)
class Purchase:
    id: str
    customer_id: str
    item_kind: ItemKind
    item_id: str
    quantity: int
    unit_amount: int
    amount: int  # minor units of `currency`
    currency: str
    at: int
    processor: Processor
    status: PurchaseStatus
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    subscription_id: str | None = None
    installment: int | None = None  # 1-based month number for subscriptions
    period_start: int | None = None
    period_end: int | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    purchase_id: str
    amount: int
    currency: str
    at: int
    reason: Literal["requested_by_customer", "duplicate", "fraudulent"]


DisputeReason = Literal[
    "fraudulent", "product_not_received", "duplicate", "subscription_canceled", "general"
]


@dataclass(frozen=True, slots=True)
class Dispute:
    """A cardholder contesting a payment with their bank, weeks after it.

    A chargeback takes the amount back when it opens; the organisation answers with evidence,
    and the bank decides: won gives the amount back, lost keeps it taken. An inquiry (a
    "warning") moves no money and closes without a decision. `outcome` and `closed_at` are None
    while the dispute is still open at the end of the range.
    """

    id: str
    purchase_id: str
    amount: int  # the whole purchase, minor units of `currency`
    currency: str
    opened_at: int
    reason: DisputeReason
    kind: Literal["inquiry", "chargeback"]
    evidence_at: int | None  # when the organisation answered; None if it never did
    outcome: Literal["won", "lost", "warning_closed"] | None
    closed_at: int | None


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    """A customer editing their profile (new city or phone)."""

    customer_id: str
    at: int
    changes: dict[str, str]


@dataclass(frozen=True, slots=True)
class Erasure:
    """A customer asking to be forgotten: processors delete their customer record."""

    customer_id: str
    at: int


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A seat on a program, as the enrolment sheet records it."""

    id: str
    customer_id: str
    program_id: str
    enrolled_at: int
    purchase_id: str
    subscription_id: str | None
    withdrawn_at: int | None


@dataclass(slots=True)
class Organisation:
    seed: int
    volume: float
    start: date
    end: date
    name: str
    campaigns: list[Campaign]
    customers: list[Customer]
    programs: list[Program]
    goods: list[Good]
    price_changes: list[PriceChange]
    restocks: list[Restock]
    subscriptions: list[Subscription]
    purchases: list[Purchase]
    refunds: list[Refund]
    disputes: list[Dispute]
    enrolments: list[Enrolment]
    customer_updates: list[CustomerUpdate]
    erasures: list[Erasure]
    usd_per_eur: dict[date, float]
    _by_id: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def start_epoch(self) -> int:
        return epoch(self.start)

    @property
    def end_epoch(self) -> int:
        """First second after the range: the range covers whole days up to `end`."""
        return epoch(self.end) + DAY

    def get(self, id_: str) -> object:
        if not self._by_id:
            for items in (
                self.campaigns,
                self.customers,
                self.programs,
                self.goods,
                self.subscriptions,
                self.purchases,
                self.refunds,
                self.disputes,
                self.enrolments,
            ):
                for item in items:
                    self._by_id[item.id] = item
        return self._by_id[id_]

    def customer(self, id_: str) -> Customer:
        found = self.get(id_)
        assert isinstance(found, Customer)
        return found

    def item(self, kind: ItemKind, id_: str) -> Program | Good:
        found = self.get(id_)
        assert isinstance(found, Program | Good)
        assert found.kind == kind
        return found

    def fx_usd_per_eur(self, at: int) -> float:
        day = utc_date(at)
        return self.usd_per_eur.get(day) or self.usd_per_eur[min(max(day, self.start), self.end)]


def epoch(day: date) -> int:
    return calendar.timegm(day.timetuple())


def utc_date(at: int) -> date:
    return datetime.fromtimestamp(at, UTC).date()


def add_months(at: int, months: int) -> int:
    """Same day-of-month and time `months` later, clamped like Stripe's billing anchors."""
    moment = datetime.fromtimestamp(at, UTC)
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return calendar.timegm(moment.replace(year=year, month=month, day=day).timetuple())


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _eur_price(usd_cents: int) -> int:
    # List prices in eur are rounded to whole euros, as a shop would print them.
    return max(100, round(usd_cents * 0.92 / 100) * 100)


def _prices(usd_cents: int) -> dict[str, int]:
    return {"usd": usd_cents, "eur": _eur_price(usd_cents)}


def _slug(name: str) -> str:
    return "_".join(name.lower().replace("-", " ").split())


def _term_of(day: date) -> str:
    season = "Spring" if day.month <= 4 else "Summer" if day.month <= 8 else "Fall"
    return f"{season} {day.year}"


class _Builder:
    """Holds the random stream and the running state (stock, seats) while building."""

    def __init__(self, seed: int, volume: float, start: date, end: date) -> None:
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        if volume <= 0:
            raise ValueError("volume must be positive")
        self.rng = random.Random(seed)
        self.seed, self.volume, self.start, self.end = seed, volume, start, end
        self.n_days = (end - start).days + 1
        self.start_epoch = epoch(start)
        self.end_epoch = epoch(end) + DAY

    def time_in_day(self, day: date, not_before: int = 0) -> int:
        base = epoch(day)
        hour = self.rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
        at = base + hour * 3600 + self.rng.randrange(3600)
        if at < not_before:
            at = min(not_before + self.rng.randrange(60, 3600), base + DAY - 1)
        return at

    def build(self) -> Organisation:
        campaigns = self._campaigns()
        programs = self._programs()
        goods = self._goods()
        price_changes = self._price_changes(programs, goods)
        usd_per_eur = self._fx()
        customers = self._customers(campaigns)
        org = Organisation(
            seed=self.seed,
            volume=self.volume,
            start=self.start,
            end=self.end,
            name="Northwind Data Academy",
            campaigns=campaigns,
            customers=customers,
            programs=programs,
            goods=goods,
            price_changes=price_changes,
            restocks=[],
            subscriptions=[],
            purchases=[],
            refunds=[],
            disputes=[],
            enrolments=[],
            customer_updates=[],
            erasures=[],
            usd_per_eur=usd_per_eur,
        )
        self._purchases(org)
        self._refunds(org)
        self._disputes(org)
        self._enrolments(org)
        self._customer_changes(org)
        org.purchases.sort(key=lambda p: (p.at, p.id))
        org.refunds.sort(key=lambda r: (r.at, r.id))
        return org

    def _campaigns(self) -> list[Campaign]:
        out = []
        for i, (channel, source, medium, name, target) in enumerate(_CAMPAIGN_CATALOG, 1):
            # Brand search runs throughout; the others run for a few weeks each.
            if target == "brand":
                first, last = self.start, self.end
            else:
                length = min(self.n_days, self.rng.randint(21, 60))
                offset = self.rng.randrange(max(1, self.n_days - length + 1))
                first = self.start + timedelta(days=offset)
                last = first + timedelta(days=length - 1)
            out.append(
                Campaign(
                    id=f"CMP{i:02d}",
                    channel=channel,  # type: ignore[arg-type]
                    name=name,
                    utm_source=source,
                    utm_medium=medium,
                    utm_campaign=f"{_slug(name)}_{first:%Y%m}",
                    target=target,
                    start=first,
                    end=last,
                    daily_budget=self.rng.choice((2_000, 3_500, 5_000, 8_000)),
                )
            )
        return out

    def _programs(self) -> list[Program]:
        out = []
        created = self.start_epoch - 90 * DAY
        n = 0
        # Two intakes: one starting inside the range, one after it, so enrolment runs
        # across the whole range.
        intake_starts = [
            self.start + timedelta(days=max(14, self.n_days // 2)),
            self.end + timedelta(days=30),
        ]
        for intake, starts_on in enumerate(intake_starts):
            for name, stem, usd, billing, installments, capacity in _PROGRAM_CATALOG:
                if self.rng.random() < 0.25 and intake == 1:
                    continue  # not every program runs every term
                n += 1
                shift = timedelta(days=self.rng.randint(-10, 10))
                begins = starts_on + shift
                opens = max(self.start - timedelta(days=30), begins - timedelta(days=75))
                if intake == 1:
                    opens = max(opens, intake_starts[0] - timedelta(days=7))
                out.append(
                    Program(
                        id=f"PRG{n:03d}",
                        sku=f"PRG-{stem}-{begins:%y%m}",
                        name=name,
                        term=_term_of(begins),
                        starts_on=begins,
                        enrolment_opens=opens,
                        enrolment_closes=begins + timedelta(days=7),
                        capacity=max(5, round(capacity * max(self.volume, 0.2))),
                        prices=_prices(usd),
                        billing=billing,  # type: ignore[arg-type]
                        installments=installments,
                        created_at=min(created + n * 3600, epoch(opens) - DAY),
                    )
                )
        return out

    def _goods(self) -> list[Good]:
        created = self.start_epoch - 200 * DAY
        return [
            Good(
                id=f"GD{i:03d}",
                sku=sku,
                name=name,
                prices=_prices(usd),
                initial_stock=max(5, round(stock * self.volume)),
                reorder_point=max(2, round(stock * self.volume * 0.15)),
                created_at=created + i * 7200,
            )
            for i, (name, sku, usd, stock) in enumerate(_GOOD_CATALOG, 1)
        ]

    def _price_changes(self, programs: list[Program], goods: list[Good]) -> list[PriceChange]:
        # A couple of goods get a new price mid-range (sale or increase).
        out = []
        for good in self.rng.sample(goods, k=min(3, len(goods))):
            at = self.start_epoch + self.rng.randrange(self.n_days) * DAY + 9 * 3600
            factor = self.rng.choice((0.8, 1.1, 1.15))
            usd = int(round(good.prices["usd"] * factor / 100) * 100 - 1)
            out.append(PriceChange("good", good.id, at, _prices(max(usd, 99))))
        program = self.rng.choice([p for p in programs if p.billing == "one_time"])
        at = epoch(program.enrolment_opens) + 20 * DAY + 10 * 3600
        if self.start_epoch <= at < self.end_epoch:
            out.append(
                PriceChange("program", program.id, at, _prices(program.prices["usd"] + 5_000))
            )
        out.sort(key=lambda c: (c.at, c.item_id))
        return out

    def _fx(self) -> dict[date, float]:
        rate, out = 1.10, {}
        for day in _days(self.start - timedelta(days=1), self.end + timedelta(days=60)):
            rate = min(1.22, max(1.02, rate + self.rng.gauss(0, 0.004)))
            out[day] = round(rate, 6)
        return out

    def _customers(self, campaigns: list[Campaign]) -> list[Customer]:
        rng = self.rng
        count = max(20, round(3.5 * self.n_days * self.volume))
        weights = [c[3] for c in _COUNTRIES]
        out = []
        for i in range(1, count + 1):
            # A third were already customers before the range began.
            if rng.random() < 0.3:
                signed_up = self.start_epoch - rng.randrange(1, 365 * DAY)
            else:
                day = self.start + timedelta(days=rng.randrange(self.n_days))
                signed_up = self.time_in_day(day)
            country, cities, currency, _ = rng.choices(_COUNTRIES, weights=weights)[0]
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            local = f"{first}.{last}".lower().replace(" ", "")
            active = [c for c in campaigns if c.start <= utc_date(signed_up) <= c.end]
            campaign = rng.choice(active) if active and rng.random() < 0.45 else None
            out.append(
                Customer(
                    id=f"CUS{i:05d}",
                    first_name=first,
                    last_name=last,
                    email=f"{local}{i}@{rng.choice(_EMAIL_DOMAINS)}",
                    phone=f"+1555{rng.randrange(10**7):07d}",
                    country=country,
                    city=rng.choice(cities),
                    currency=currency,
                    signed_up_at=signed_up,
                    preferred_processor="stripe" if rng.random() < 0.82 else "paypal",
                    utm_source=campaign.utm_source if campaign else None,
                    utm_medium=campaign.utm_medium if campaign else None,
                    utm_campaign=campaign.utm_campaign if campaign else None,
                )
            )
        out.sort(key=lambda c: (c.signed_up_at, c.id))
        return out

    def _purchases(self, org: Organisation) -> None:
        rng = self.rng
        seats = {p.id: 0 for p in org.programs}
        stock = {g.id: g.initial_stock for g in org.goods}
        restock_due: dict[str, int] = {}
        items: list[Program | Good] = [*org.programs, *org.goods]
        prices: dict[str, dict[str, int]] = {i.id: i.prices for i in items}
        changes = list(org.price_changes)
        enrolled: set[tuple[str, str]] = set()
        pending_subs: list[tuple[int, Subscription, int]] = []  # (next due, sub, next n)
        by_signup_day: dict[date, list[Customer]] = {}
        pool: list[Customer] = []
        for c in org.customers:
            if c.signed_up_at < self.start_epoch:
                pool.append(c)
            else:
                by_signup_day.setdefault(utc_date(c.signed_up_at), []).append(c)
        counter = {"purchase": 0, "sub": 0}

        def next_id(kind: str, prefix: str, width: int) -> str:
            counter[kind] += 1
            return f"{prefix}{counter[kind]:0{width}d}"

        def touch(customer: Customer, at: int) -> tuple[str | None, str | None, str | None]:
            # Last-touch attribution: an ad click shortly before buying wins, else the
            # customer's own acquisition campaign during their first week.
            day = utc_date(at)
            live = [c for c in org.campaigns if c.start <= day <= c.end]
            if live and rng.random() < 0.15:
                c = rng.choice(live)
                return c.utm_source, c.utm_medium, c.utm_campaign
            if customer.utm_campaign and at - customer.signed_up_at < 7 * DAY:
                return customer.utm_source, customer.utm_medium, customer.utm_campaign
            return None, None, None

        def buy(customer: Customer, at: int) -> None:
            day = utc_date(at)
            while changes and changes[0].at <= at:
                change = changes.pop(0)
                prices[change.item_id] = change.prices
            open_programs = [
                p
                for p in org.programs
                if p.enrolment_opens <= day <= p.enrolment_closes
                and seats[p.id] < p.capacity
                and (customer.id, p.id) not in enrolled
            ]
            processor: Processor = customer.preferred_processor
            if rng.random() < 0.08:
                processor = "paypal" if processor == "stripe" else "stripe"
            source, medium, campaign = touch(customer, at)
            if open_programs and rng.random() < 0.3:
                program = rng.choice(open_programs)
                if program.billing == "monthly":
                    processor = "stripe"  # recurring billing runs on Stripe only
                unit = prices[program.id][customer.currency]
                failed = rng.random() < (0.03 if processor == "stripe" else 0.01)
                sub_id = None
                period_end = None
                if program.billing == "monthly" and not failed:
                    sub_id = next_id("sub", "SUB", 5)
                    period_end = add_months(at, 1)
                purchase = Purchase(
                    id=next_id("purchase", "PUR", 6),
                    customer_id=customer.id,
                    item_kind="program",
                    item_id=program.id,
                    quantity=1,
                    unit_amount=unit,
                    amount=unit,
                    currency=customer.currency,
                    at=at,
                    processor=processor,
                    status="failed" if failed else "paid",
                    utm_source=source,
                    utm_medium=medium,
                    utm_campaign=campaign,
                    subscription_id=sub_id,
                    installment=1 if sub_id else None,
                    period_start=at if sub_id else None,
                    period_end=period_end,
                )
                org.purchases.append(purchase)
                if failed:
                    return
                seats[program.id] += 1
                enrolled.add((customer.id, program.id))
                if sub_id:
                    sub = Subscription(
                        id=sub_id,
                        customer_id=customer.id,
                        program_id=program.id,
                        processor=processor,
                        started_at=at,
                        installments=program.installments,
                        currency=customer.currency,
                        unit_amount=unit,
                        ended_at=None,
                        end_reason=None,
                    )
                    assert period_end is not None
                    pending_subs.append((period_end, sub, 2))
                return
            in_stock = [g for g in org.goods if stock[g.id] > 0]
            if not in_stock:
                return
            good = rng.choice(in_stock)
            qty = min(stock[good.id], rng.choices((1, 2, 3), weights=(80, 15, 5))[0])
            unit = prices[good.id][customer.currency]
            failed = rng.random() < (0.03 if processor == "stripe" else 0.01)
            org.purchases.append(
                Purchase(
                    id=next_id("purchase", "PUR", 6),
                    customer_id=customer.id,
                    item_kind="good",
                    item_id=good.id,
                    quantity=qty,
                    unit_amount=unit,
                    amount=unit * qty,
                    currency=customer.currency,
                    at=at,
                    processor=processor,
                    status="failed" if failed else "paid",
                    utm_source=source,
                    utm_medium=medium,
                    utm_campaign=campaign,
                )
            )
            if failed:
                return
            stock[good.id] -= qty
            if stock[good.id] <= good.reorder_point and good.id not in restock_due:
                restock_due[good.id] = at + rng.randint(2, 6) * DAY

        def renew_subscriptions(until: int) -> None:
            # Monthly installments fall due on the anniversary of the first payment.
            while True:
                due = [entry for entry in pending_subs if entry[0] < until]
                if not due:
                    return
                for entry in due:
                    pending_subs.remove(entry)
                    at, sub, n = entry
                    self._renew(org, sub, at, n, pending_subs, next_id)

        for day in _days(self.start, self.end):
            day_start = epoch(day)
            for good_id, at in sorted(restock_due.items()):
                if at < day_start + DAY:
                    good = next(g for g in org.goods if g.id == good_id)
                    qty = good.initial_stock
                    stock[good_id] += qty
                    org.restocks.append(Restock(good_id, max(at, day_start), qty))
                    del restock_due[good_id]
            newcomers = by_signup_day.get(day, [])
            moments: list[tuple[int, Customer]] = []
            for c in newcomers:
                if rng.random() < 0.7:
                    moments.append((self.time_in_day(day, not_before=c.signed_up_at), c))
            target = 17.5 * self.volume * _WEEKDAY_FACTOR[day.weekday()]
            repeat = max(0, round(rng.gauss(target, target**0.5)) - len(moments))
            if pool:
                for _ in range(repeat):
                    moments.append((self.time_in_day(day), rng.choice(pool)))
            moments.sort(key=lambda m: (m[0], m[1].id))
            for at, customer in moments:
                renew_subscriptions(at)
                buy(customer, at)
            pool.extend(newcomers)
        renew_subscriptions(self.end_epoch)
        for _, sub, _n in pending_subs:
            org.subscriptions.append(sub)  # still running at the end of the range
        org.subscriptions.sort(key=lambda s: s.id)

    def _renew(
        self,
        org: Organisation,
        sub: Subscription,
        at: int,
        n: int,
        pending: list[tuple[int, Subscription, int]],
        next_id: object,
    ) -> None:
        rng = self.rng
        assert callable(next_id)
        if n > sub.installments:
            self._end_subscription(org, sub, at, "completed")
            return
        if rng.random() < 0.08:
            # The customer cancels before the next month is billed.
            cancel_at = at - rng.randrange(DAY, 10 * DAY)
            self._end_subscription(
                org, sub, max(cancel_at, sub.started_at + DAY), "cancellation_requested"
            )
            return
        failed = rng.random() < 0.04
        period_end = add_months(sub.started_at, n)
        org.purchases.append(
            Purchase(
                id=next_id("purchase", "PUR", 6),
                customer_id=sub.customer_id,
                item_kind="program",
                item_id=sub.program_id,
                quantity=1,
                unit_amount=sub.unit_amount,
                amount=sub.unit_amount,
                currency=sub.currency,
                # Processors collect a renewal about an hour after the period begins.
                at=at + 3600,
                processor=sub.processor,
                status="failed" if failed else "paid",
                utm_source=None,
                utm_medium=None,
                utm_campaign=None,
                subscription_id=sub.id,
                installment=n,
                period_start=at,
                period_end=period_end,
            )
        )
        if failed:
            # Retries give up after three days and the subscription is cancelled.
            end_at = at + 3 * DAY
            if end_at < self.end_epoch:
                self._end_subscription(org, sub, end_at, "payment_failed")
            else:
                org.subscriptions.append(sub)
            return
        pending.append((period_end, sub, n + 1))

    def _end_subscription(
        self,
        org: Organisation,
        sub: Subscription,
        at: int,
        reason: Literal["completed", "cancellation_requested", "payment_failed"],
    ) -> None:
        if at >= self.end_epoch:
            org.subscriptions.append(sub)
            return
        ended = replace(sub, ended_at=at, end_reason=reason)
        org.subscriptions.append(ended)

    def _refunds(self, org: Organisation) -> None:
        rng = self.rng
        n = 0
        for p in org.purchases:
            if p.status != "paid" or rng.random() >= 0.04:
                continue
            at = p.at + rng.randint(1, 20) * DAY + rng.randrange(-6 * 3600, 6 * 3600)
            if at >= self.end_epoch:
                continue
            full = rng.random() < 0.7
            amount = (
                p.amount if full else max(100, int(round(p.amount * rng.uniform(0.25, 0.75), -2)))
            )
            n += 1
            org.refunds.append(
                Refund(
                    id=f"REF{n:05d}",
                    purchase_id=p.id,
                    amount=min(amount, p.amount),
                    currency=p.currency,
                    at=at,
                    reason=rng.choices(
                        ("requested_by_customer", "duplicate", "fraudulent"), weights=(90, 7, 3)
                    )[0],
                )
            )

    def _disputes(self, org: Organisation) -> None:
        """About one Stripe payment in a hundred, never refunded, is disputed 10-60 days later.

        Drawn from a stream of their own, so that adding them left every other part of the
        organisation as it was. PayPal's come after (`_paypal_disputes`).
        """
        rng = random.Random(f"disputes:{self.seed}:{self.volume}:{self.start}:{self.end}")
        refunded = {r.purchase_id for r in org.refunds}
        for p in self._disputed_payments(org, "stripe", refunded, rng):
            opened_at = p.at + rng.randint(10, 60) * DAY + rng.randrange(DAY)
            if opened_at >= self.end_epoch:
                continue
            reason: DisputeReason = rng.choices(
                (
                    "fraudulent",
                    "product_not_received",
                    "duplicate",
                    "subscription_canceled",
                    "general",
                ),
                weights=(40, 20, 10, 10, 20),
            )[0]
            inquiry = rng.random() < 0.2
            evidence_at: int | None = opened_at + rng.randint(2, 9) * DAY + rng.randrange(DAY)
            if not inquiry and rng.random() < 0.15:
                evidence_at = None  # never answered: lost when the bank decides
            closed_at = opened_at + rng.randint(25 if not inquiry else 12, 75) * DAY
            outcome: Literal["won", "lost", "warning_closed"] = (
                "warning_closed"
                if inquiry
                else "won"
                if evidence_at is not None and rng.random() < 0.5
                else "lost"
            )
            kind: Literal["inquiry", "chargeback"] = "inquiry" if inquiry else "chargeback"
            self._record_dispute(org, p, opened_at, reason, kind, evidence_at, outcome, closed_at)
        self._paypal_disputes(org, refunded)
        org.disputes.sort(key=lambda d: (d.opened_at, d.id))

    def _paypal_disputes(self, org: Organisation, refunded: set[str]) -> None:
        """About one PayPal payment in a hundred, never refunded, is disputed 5-45 days later:
        most through PayPal itself (an inquiry, which PayPal decides for one side or the other),
        some by the card's bank (a chargeback). From a stream of their own, numbered after
        Stripe's, so Stripe's disputes are as they were."""
        rng = random.Random(f"paypal-disputes:{self.seed}:{self.volume}:{self.start}:{self.end}")
        for p in self._disputed_payments(org, "paypal", refunded, rng):
            opened_at = p.at + rng.randint(5, 45) * DAY + rng.randrange(DAY)
            if opened_at >= self.end_epoch:
                continue
            reason: DisputeReason = rng.choices(
                (
                    "product_not_received",
                    "fraudulent",
                    "duplicate",
                    "subscription_canceled",
                    "general",
                ),
                weights=(45, 25, 10, 5, 15),
            )[0]
            chargeback = rng.random() < 0.35
            evidence_at = opened_at + rng.randint(1, 8) * DAY + rng.randrange(DAY)
            closed_at = opened_at + rng.randint(10 if not chargeback else 30, 60) * DAY
            outcome: Literal["won", "lost"] = "won" if rng.random() < 0.45 else "lost"
            kind: Literal["inquiry", "chargeback"] = "chargeback" if chargeback else "inquiry"
            self._record_dispute(org, p, opened_at, reason, kind, evidence_at, outcome, closed_at)

    @staticmethod
    def _disputed_payments(
        org: Organisation, processor: Processor, refunded: set[str], rng: random.Random
    ) -> Iterator[Purchase]:
        """One in a hundred of `processor`'s paid, never refunded purchases, in time order. Lazy:
        the caller's draws for one purchase come before the next purchase's draw."""
        for p in sorted(org.purchases, key=lambda p: (p.at, p.id)):
            if p.status != "paid" or p.processor != processor or p.id in refunded:
                continue
            if rng.random() < 0.01:
                yield p

    def _record_dispute(
        self,
        org: Organisation,
        p: Purchase,
        opened_at: int,
        reason: DisputeReason,
        kind: Literal["inquiry", "chargeback"],
        evidence_at: int | None,
        outcome: Literal["won", "lost", "warning_closed"],
        closed_at: int,
    ) -> None:
        """The next dispute (numbered in the order drawn: Stripe's, then PayPal's), of the whole
        of `p`; what would come after the range has not happened (yet): no answer, no decision."""
        if evidence_at is not None and evidence_at >= self.end_epoch:
            evidence_at = None
        closed = closed_at < self.end_epoch
        org.disputes.append(
            Dispute(
                id=f"DSP{len(org.disputes) + 1:05d}",
                purchase_id=p.id,
                amount=p.amount,
                currency=p.currency,
                opened_at=opened_at,
                reason=reason,
                kind=kind,
                evidence_at=evidence_at,
                outcome=outcome if closed else None,
                closed_at=closed_at if closed else None,
            )
        )

    def _enrolments(self, org: Organisation) -> None:
        full_refunds = {r.purchase_id: r.at for r in org.refunds}
        amounts = {p.id: p.amount for p in org.purchases}
        refunded_full = {
            pid: at
            for pid, at in full_refunds.items()
            if sum(r.amount for r in org.refunds if r.purchase_id == pid) >= amounts[pid]
        }
        early_ends = {
            s.id: s.ended_at
            for s in org.subscriptions
            if s.end_reason in ("cancellation_requested", "payment_failed")
        }
        n = 0
        for p in org.purchases:
            if p.item_kind != "program" or p.status != "paid" or (p.installment or 1) != 1:
                continue
            n += 1
            withdrawn = refunded_full.get(p.id)
            if p.subscription_id and p.subscription_id in early_ends:
                withdrawn = early_ends[p.subscription_id]
            org.enrolments.append(
                Enrolment(
                    id=f"ENR{n:05d}",
                    customer_id=p.customer_id,
                    program_id=p.item_id,
                    enrolled_at=p.at,
                    purchase_id=p.id,
                    subscription_id=p.subscription_id,
                    withdrawn_at=withdrawn,
                )
            )

    def _customer_changes(self, org: Organisation) -> None:
        rng = self.rng
        last_purchase: dict[str, int] = {}
        for p in org.purchases:
            last_purchase[p.customer_id] = max(last_purchase.get(p.customer_id, 0), p.at)
        for r in org.refunds:
            cid = org.customer(org_purchase(org, r.purchase_id).customer_id).id
            last_purchase[cid] = max(last_purchase[cid], r.at)
        for c in org.customers:
            if rng.random() < 0.06:
                at = max(c.signed_up_at, self.start_epoch) + rng.randrange(10 * DAY, 90 * DAY)
                if at < self.end_epoch:
                    cities = next(x[1] for x in _COUNTRIES if x[0] == c.country)
                    if rng.random() < 0.5:
                        changes = {"city": rng.choice(cities)}
                    else:
                        changes = {"phone": f"+1555{rng.randrange(10**7):07d}"}
                    org.customer_updates.append(CustomerUpdate(c.id, at, changes))
        org.customer_updates.sort(key=lambda u: (u.at, u.customer_id))
        # About one customer in a hundred, quiet for two weeks and with no running
        # subscription, asks to be forgotten.
        running = {s.customer_id for s in org.subscriptions if s.ended_at is None}
        updated = {u.customer_id: u.at for u in org.customer_updates}
        quiet: list[tuple[Customer, int]] = []
        for c in org.customers:
            last = max(last_purchase.get(c.id, c.signed_up_at), updated.get(c.id, 0))
            if (
                c.id not in running
                and last >= self.start_epoch
                and last + 15 * DAY < self.end_epoch
            ):
                quiet.append((c, last))
        wanted = min(len(quiet), max(1, round(len(org.customers) / 100)))
        for c, last in rng.sample(quiet, k=wanted):
            at = last + rng.randrange(14 * DAY, min(40 * DAY, self.end_epoch - last))
            org.erasures.append(Erasure(c.id, at))
        org.erasures.sort(key=lambda e: (e.at, e.customer_id))


def org_purchase(org: Organisation, purchase_id: str) -> Purchase:
    found = org.get(purchase_id)
    assert isinstance(found, Purchase)
    return found


def build_org(
    seed: int = 7,
    volume: float = 1.0,
    start: date = FIRST_DAY,
    end: date = LAST_DAY,
) -> Organisation:
    """Build the organisation for `seed`, covering whole UTC days `start`..`end`.

    Nothing here reads the wall clock: the same arguments give the same organisation on any
    day. `volume` scales customers, purchases, capacities and stock roughly linearly.
    """
    return _Builder(seed, volume, start, end).build()
