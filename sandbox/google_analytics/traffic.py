"""The demo property's web traffic: sessions per day, source / medium / campaign and landing page.

Built from the shared organisation so it lines up with the other sources: every live ad
campaign brings sessions tagged with its UTM fields (more for a bigger budget), organic,
direct and referral traffic fill the rest, and each web purchase (a paid purchase that is
not a subscription renewal) is one key event, with its amount in USD as revenue, on the
session source of the purchase's UTM tags. Deterministic from the organisation's seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.org import DAY, Organisation, Purchase, epoch, utc_date

# (source, medium, campaign) of traffic no campaign brought, with a base of daily sessions.
ORGANIC = ("google", "organic", "(organic)")
DIRECT = ("(direct)", "(none)", "(direct)")
REFERRAL = ("linkedin.com", "referral", "(referral)")
_UNTAGGED: tuple[tuple[tuple[str, str, str], int], ...] = (
    (ORGANIC, 45),
    (DIRECT, 30),
    (REFERRAL, 6),
)
_BLOG_PAGES = ("/blog/sql-tips", "/blog/career-in-data")
_WEEKDAY_FACTOR = (1.05, 1.1, 1.1, 1.05, 1.0, 0.8, 0.75)  # Monday first

CHANNEL_GROUPS = {
    "cpc": "Paid Search",
    "paid_social": "Paid Social",
    "organic": "Organic Search",
    "(none)": "Direct",
    "referral": "Referral",
}


@dataclass(frozen=True, slots=True)
class TrafficCell:
    """One day's final numbers for one session source / medium / campaign and landing page."""

    day: date
    source: str
    medium: str
    campaign: str
    landing_page: str
    sessions: int
    total_users: int
    new_users: int
    engaged_sessions: int
    page_views: int
    key_events: int
    revenue_usd: float


def page_of_program(name: str) -> str:
    return "/programs/" + "-".join(name.lower().replace("-", " ").split())


def page_of_good(sku: str) -> str:
    return "/shop/" + sku.lower()


def is_web_purchase(purchase: Purchase) -> bool:
    """A purchase made on the site: paid, and not a renewal the processor collected itself."""
    return purchase.status == "paid" and (purchase.installment or 1) == 1


def build_traffic(org: Organisation) -> list[TrafficCell]:
    """Every non-empty cell of the organisation's date range, ordered by day."""
    rng = random.Random(f"{org.seed}-google_analytics")
    by_day: dict[date, list[Purchase]] = defaultdict(list)
    for purchase in org.purchases:
        if is_web_purchase(purchase):
            by_day[utc_date(purchase.at)].append(purchase)
    cells: list[TrafficCell] = []
    day = org.start
    while day <= org.end:
        cells.extend(_day_cells(org, day, by_day.get(day, []), rng))
        day += timedelta(days=1)
    return cells


def _channel_pages(org: Organisation, day: date) -> dict[tuple[str, str, str], list[str]]:
    """Where each channel's sessions land that day."""
    open_programs = sorted(
        {
            page_of_program(p.name)
            for p in org.programs
            if p.enrolment_opens <= day <= p.enrolment_closes
        }
    ) or ["/programs"]
    pages: dict[tuple[str, str, str], list[str]] = {
        ORGANIC: ["/", *_BLOG_PAGES, *open_programs[:2]],
        DIRECT: ["/", "/programs"],
        REFERRAL: [_BLOG_PAGES[1]],
    }
    for campaign in org.campaigns:
        if not campaign.start <= day <= campaign.end:
            continue
        key = (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign)
        if campaign.target == "program":
            pages[key] = open_programs[:3]
        elif campaign.target == "good":
            pages[key] = ["/shop"]
        else:
            pages[key] = ["/"]
    return pages


def _day_cells(
    org: Organisation, day: date, purchases: list[Purchase], rng: random.Random
) -> list[TrafficCell]:
    factor = _WEEKDAY_FACTOR[day.weekday()] * org.volume
    pages = _channel_pages(org, day)
    base: dict[tuple[str, str, str], float] = {key: 0.0 for key in pages}
    for key, sessions in _UNTAGGED:
        base[key] = sessions * factor
    for campaign in org.campaigns:
        key = (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign)
        if key in base and not key[2].startswith("("):
            base[key] = campaign.daily_budget / 100 * factor
    # Key events and revenue per (channel, landing page), from that day's web purchases.
    events: dict[tuple[tuple[str, str, str], str], list[float]] = defaultdict(lambda: [0, 0.0])
    for purchase in purchases:
        if purchase.utm_campaign and purchase.utm_source and purchase.utm_medium:
            key = (purchase.utm_source, purchase.utm_medium, purchase.utm_campaign)
        else:
            key = rng.choices((ORGANIC, DIRECT, REFERRAL), weights=(55, 38, 7))[0]
        if key not in pages:
            # A campaign that has ended still brings back the people it reached.
            pages[key] = ["/"]
            base[key] = 0.0
        landing = rng.choice(pages[key])
        usd = purchase.amount / 100
        if purchase.currency == "eur":
            usd *= org.fx_usd_per_eur(purchase.at)
        tally = events[(key, landing)]
        tally[0] += 1
        tally[1] += usd
    cells = []
    for key in sorted(pages):
        weights = [rng.uniform(0.5, 1.5) for _ in pages[key]]
        total_weight = sum(weights)
        channel_sessions = base[key] * rng.uniform(0.75, 1.25)
        for page, weight in zip(pages[key], weights, strict=True):
            key_events, revenue = events.get((key, page), (0, 0.0))
            sessions = round(channel_sessions * weight / total_weight) + int(key_events)
            if sessions == 0:
                continue
            users = max(1, round(sessions * rng.uniform(0.8, 0.95)))
            cells.append(
                TrafficCell(
                    day=day,
                    source=key[0],
                    medium=key[1],
                    campaign=key[2],
                    landing_page=page,
                    sessions=sessions,
                    total_users=users,
                    new_users=round(users * rng.uniform(0.3, 0.6)),
                    engaged_sessions=max(int(key_events), round(sessions * rng.uniform(0.5, 0.75))),
                    page_views=round(sessions * rng.uniform(1.8, 3.5)),
                    key_events=int(key_events),
                    revenue_usd=round(revenue, 2),
                )
            )
    return cells


def completeness(day: date, now: int) -> float:
    """How much of a day's final numbers GA4 shows at `now`: they settle over about two days.

    0 before the day began; part of the day while it runs; then 92% and 98% on the two
    following days as late hits are processed, and final from the third day on.
    """
    start = epoch(day)
    if now < start:
        return 0.0
    if now < start + DAY:
        return 0.85 * (now - start + 1) / DAY
    if now < start + 2 * DAY:
        return 0.92
    if now < start + 3 * DAY:
        return 0.98
    return 1.0
