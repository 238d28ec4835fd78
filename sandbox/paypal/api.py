"""PayPal's Transaction Search API over the ledger: parameters, paging, shapes and errors.

Follows PayPal's OpenAPI spec `reporting_transactions_v1.json` (version 1.9):
`GET /v1/reporting/transactions` needs `start_date` and `end_date` (RFC 3339 with seconds, at
most 31 days apart, both ends inclusive), pages with `page` (from 1) and `page_size` (1..500,
default 100), returns only `transaction_info` unless `fields` asks for more, and only
balance-affecting rows unless `balance_affecting_records_only=N`. A query matching more rows
than the result cap (PayPal: 10,000) is refused with `RESULTSET_TOO_LARGE`, whatever the page
size. `GET /v1/reporting/balances` gives each currency's balance at `as_of_time`. Dates are
written in the account's time zone, as PayPal does.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from sandbox.paypal.ledger import (
    ACCOUNT_ID,
    PRIMARY_CURRENCY,
    Ledger,
    LedgerEntry,
    payer_account_id,
)

MAX_RANGE = timedelta(days=31)
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
DEFAULT_RESULT_CAP = 10_000
ACCOUNT_TIMEZONE = timezone(timedelta(hours=-7))  # the merchant's account is on US Pacific time
FIELD_SECTIONS = (
    "transaction_info",
    "payer_info",
    "shipping_info",
    "auction_info",
    "cart_info",
    "incentive_info",
    "store_info",
)
# Optional filters; with any of them PayPal leaves `ending_balance` out.
FILTERS = (
    "transaction_id",
    "transaction_type",
    "transaction_status",
    "transaction_amount",
    "transaction_currency",
    "payment_instrument_type",
    "store_id",
    "terminal_id",
)
_DATE_TIME = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])[T,t]([0-1][0-9]|2[0-3]):[0-5][0-9]:"
    r"([0-5][0-9]|60)([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_AMOUNT_RANGE = re.compile(r"^\[?\s*(-?\d+)\s+TO\s+(-?\d+)\s*\]?$")
DOCS = "https://developer.paypal.com/docs/api/transaction-search/v1/"
INVALID_REQUEST_MESSAGE = "Request is not well-formed, syntactically incorrect, or violates schema."


class PaypalError(Exception):
    """An error answer: HTTP status and PayPal's JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("name") or body.get("error"))
        self.status = status
        self.body = body


def invalid_request(field: str, value: Any, issue: str, debug_id: str) -> PaypalError:
    return PaypalError(
        400,
        {
            "name": "INVALID_REQUEST",
            "message": INVALID_REQUEST_MESSAGE,
            "debug_id": debug_id,
            "details": [{"field": field, "value": str(value), "location": "query", "issue": issue}],
            "links": [{"href": f"{DOCS}#error-INVALID_REQUEST", "rel": "information_link"}],
        },
    )


def money(minor: int, currency: str) -> dict[str, str]:
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    return {"currency_code": currency, "value": f"{sign}{units}.{cents:02d}"}


def format_time(epoch: int | float) -> str:
    return datetime.fromtimestamp(int(epoch), ACCOUNT_TIMEZONE).isoformat()


def parse_time(field: str, value: str | None, debug_id: str) -> datetime:
    if value is None or value == "":
        raise invalid_request(field, "", "MISSING_REQUIRED_PARAMETER", debug_id)
    if not _DATE_TIME.match(value):
        raise invalid_request(field, value, "INVALID_PARAMETER_SYNTAX", debug_id)
    text = value.replace(",", "T").replace("t", "T").replace("z", "Z")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise invalid_request(field, value, "INVALID_PARAMETER_SYNTAX", debug_id) from None


def _int_param(
    query: dict[str, str], name: str, default: int, low: int, high: int, debug: str
) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_request(name, raw, "INVALID_PARAMETER_SYNTAX", debug) from None
    if not low <= value <= high:
        raise invalid_request(name, raw, f"Value must be between {low} and {high}", debug)
    return value


@dataclass(frozen=True)
class SearchQuery:
    start: datetime
    end: datetime
    page: int
    page_size: int
    sections: tuple[str, ...]
    balance_affecting_only: bool
    filters: dict[str, str]

    @classmethod
    def parse(cls, query: dict[str, str], debug_id: str) -> SearchQuery:
        start = parse_time("start_date", query.get("start_date"), debug_id)
        end = parse_time("end_date", query.get("end_date"), debug_id)
        if end < start:
            raise invalid_request(
                "end_date", query["end_date"], "End date must be after the start date", debug_id
            )
        if end - start > MAX_RANGE:
            raise invalid_request(
                "end_date", query["end_date"], "Date range is greater than 31 days", debug_id
            )
        page_size = _int_param(query, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE, debug_id)
        page = _int_param(query, "page", 1, 1, 2_147_483_647, debug_id)
        fields = [f.strip() for f in (query.get("fields") or "transaction_info").split(",")]
        sections: tuple[str, ...] = FIELD_SECTIONS
        if fields != ["all"]:
            if any(f not in FIELD_SECTIONS for f in fields):
                raise invalid_request(
                    "fields", query["fields"], "INVALID_PARAMETER_VALUE", debug_id
                )
            sections = tuple(f for f in FIELD_SECTIONS if f in fields)
        affecting = (query.get("balance_affecting_records_only") or "Y").upper()
        if affecting not in ("Y", "N"):
            raise invalid_request(
                "balance_affecting_records_only", affecting, "INVALID_PARAMETER_VALUE", debug_id
            )
        filters = {k: query[k] for k in FILTERS if query.get(k)}
        if "transaction_amount" in filters and not _AMOUNT_RANGE.match(
            filters["transaction_amount"]
        ):
            raise invalid_request(
                "transaction_amount",
                filters["transaction_amount"],
                "INVALID_PARAMETER_SYNTAX",
                debug_id,
            )
        return cls(start, end, page, page_size, sections, affecting == "Y", filters)

    def matches(self, entry: LedgerEntry) -> bool:
        f = self.filters
        if self.balance_affecting_only and not entry.balance_affecting:
            return False
        if "transaction_id" in f and entry.id != f["transaction_id"]:
            return False
        if "transaction_type" in f and entry.event_code != f["transaction_type"]:
            return False
        if "transaction_status" in f and entry.status != f["transaction_status"]:
            return False
        if "transaction_currency" in f and entry.currency != f["transaction_currency"].upper():
            return False
        if "transaction_amount" in f:
            found = _AMOUNT_RANGE.match(f["transaction_amount"])
            assert found is not None
            low, high = int(found.group(1)), int(found.group(2))
            if not low <= entry.gross <= high:
                return False
        # The sandbox account has no stores, terminals or card-funded payments.
        return not ({"store_id", "terminal_id", "payment_instrument_type"} & f.keys())


class PaypalApi:
    """Answers the two reporting endpoints from a ledger, at the clock's `now`."""

    def __init__(self, ledger: Ledger, result_cap: int = DEFAULT_RESULT_CAP) -> None:
        self.ledger = ledger
        self.result_cap = result_cap

    def search(
        self, query: dict[str, str], now: int, debug_id: str, base_url: str
    ) -> dict[str, Any]:
        search = SearchQuery.parse(query, debug_id)
        first = max(math.ceil(search.start.timestamp()), 0)
        last = math.floor(search.end.timestamp())
        entries = self.ledger.entries
        lo = bisect.bisect_left(self.ledger.times, first)
        hi = bisect.bisect_right(self.ledger.times, last)
        matched = [
            e for e in entries[lo:hi] if e.at <= now and e.visible_at <= now and search.matches(e)
        ]
        total = len(matched)
        if total > self.result_cap:
            raise PaypalError(
                400,
                {
                    "name": "RESULTSET_TOO_LARGE",
                    "message": "Result set size is greater than the maximum limit. Change the "
                    "filter criteria and try again.",
                    "debug_id": debug_id,
                    "total_items": total,
                    "maximum_items": self.result_cap,
                    "links": [
                        {"href": f"{DOCS}#error-RESULTSET_TOO_LARGE", "rel": "information_link"}
                    ],
                },
            )
        total_pages = math.ceil(total / search.page_size)
        offset = (search.page - 1) * search.page_size
        page = matched[offset : offset + search.page_size]
        with_balance = not search.filters
        return {
            "transaction_details": [self.detail(e, search.sections, with_balance) for e in page],
            "account_number": ACCOUNT_ID,
            "start_date": format_time(search.start.timestamp()),
            "end_date": format_time(search.end.timestamp()),
            "last_refreshed_datetime": format_time(now),
            "page": search.page,
            "total_items": total,
            "total_pages": total_pages,
            "links": _page_links(base_url, query, search.page, total_pages),
        }

    def detail(
        self, entry: LedgerEntry, sections: tuple[str, ...], with_balance: bool
    ) -> dict[str, Any]:
        renderers = {
            "transaction_info": lambda: _transaction_info(entry, with_balance),
            "payer_info": lambda: _payer_info(entry),
            "shipping_info": lambda: _shipping_info(entry),
            "cart_info": lambda: _cart_info(entry),
            "auction_info": dict,
            "incentive_info": dict,
            "store_info": dict,
        }
        return {section: renderers[section]() for section in sections}

    def balances(self, query: dict[str, str], now: int, debug_id: str) -> dict[str, Any]:
        as_of = now
        if query.get("as_of_time"):
            as_of = min(
                now, math.floor(parse_time("as_of_time", query["as_of_time"], debug_id).timestamp())
            )
        currency = (query.get("currency_code") or "").upper()
        if currency and len(currency) != 3:
            raise invalid_request("currency_code", currency, "INVALID_PARAMETER_SYNTAX", debug_id)
        totals = self.ledger.balances(as_of, now)
        rows = []
        for code, total in totals.items():
            if currency and code != currency:
                continue
            rows.append(
                {
                    "currency": code,
                    "primary": code == PRIMARY_CURRENCY,
                    "total_balance": money(total, code),
                    "available_balance": money(total, code),
                    "withheld_balance": money(0, code),
                }
            )
        return {
            "balances": rows,
            "account_id": ACCOUNT_ID,
            "as_of_time": format_time(as_of),
            "last_refresh_time": format_time(now),
        }


def _page_links(base_url: str, query: dict[str, str], page: int, total_pages: int) -> list[Any]:
    def href(number: int) -> str:
        return f"{base_url}/v1/reporting/transactions?{urlencode({**query, 'page': number})}"

    links = [{"href": href(page), "rel": "self", "method": "GET"}]
    if page < total_pages:
        links.append({"href": href(page + 1), "rel": "next", "method": "GET"})
    if total_pages:
        links.append({"href": href(total_pages), "rel": "last", "method": "GET"})
    return links


def _transaction_info(entry: LedgerEntry, with_balance: bool) -> dict[str, Any]:
    info: dict[str, Any] = {
        "paypal_account_id": payer_account_id(entry.customer.id) if entry.customer else None,
        "transaction_id": entry.id,
        "paypal_reference_id": entry.reference_id,
        "paypal_reference_id_type": entry.reference_type,
        "transaction_event_code": entry.event_code,
        "transaction_initiation_date": format_time(entry.at),
        "transaction_updated_date": format_time(entry.at),
        "transaction_amount": money(entry.gross, entry.currency),
        "fee_amount": money(entry.fee, entry.currency) if entry.fee is not None else None,
        "transaction_status": entry.status,
        "transaction_subject": entry.item_name if entry.event_code == "T0006" else None,
        "transaction_note": f"Refund {entry.note}" if entry.note else None,
        "invoice_id": entry.purchase.id if entry.purchase else None,
        "custom_field": entry.customer.id if entry.customer else None,
        "protection_eligibility": "01" if entry.event_code == "T0006" else None,
        "instrument_type": "PAYPAL" if entry.event_code == "T0006" else None,
    }
    if with_balance and entry.ending_balance is not None:
        info["ending_balance"] = money(entry.ending_balance, entry.currency)
        info["available_balance"] = money(entry.ending_balance, entry.currency)
    # PayPal leaves out what a transaction does not have rather than sending nulls.
    return {key: value for key, value in info.items() if value is not None}


def _payer_info(entry: LedgerEntry) -> dict[str, Any]:
    customer = entry.customer
    if customer is None:
        return {}
    return {
        "account_id": payer_account_id(customer.id),
        "email_address": customer.email,
        "address_status": "Y",
        "payer_status": "Y",
        "payer_name": {
            "given_name": customer.first_name,
            "surname": customer.last_name,
            "alternate_full_name": customer.name,
        },
        "country_code": customer.country,
    }


def _shipping_info(entry: LedgerEntry) -> dict[str, Any]:
    customer, purchase = entry.customer, entry.purchase
    if customer is None or purchase is None or purchase.item_kind != "good":
        return {}
    return {
        "name": customer.name,
        "method": "Standard",
        "address": {
            "line1": f"{int(customer.id[3:]) % 200 + 1} Market Street",
            "city": customer.city,
            "country_code": customer.country,
        },
    }


def _cart_info(entry: LedgerEntry) -> dict[str, Any]:
    purchase = entry.purchase
    if purchase is None or entry.event_code != "T0006":
        return {}
    currency = entry.currency
    return {
        "item_details": [
            {
                "item_code": entry.item_sku,
                "item_name": entry.item_name,
                "item_quantity": str(purchase.quantity),
                "item_unit_price": money(purchase.unit_amount, currency),
                "item_amount": money(purchase.amount, currency),
                "total_item_amount": money(purchase.amount, currency),
                "invoice_number": purchase.id,
            }
        ],
        "tax_inclusive": False,
    }
