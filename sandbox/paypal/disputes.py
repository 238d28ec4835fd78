"""PayPal's Disputes API (`/v1/customer/disputes`) over the organisation's PayPal disputes.

Shapes follow PayPal's spec (`../shared/specs/paypal-customer-disputes-v1.json`): the list gives
each dispute's summary (`dispute_info`), newest first, `page_size` at most 50, the next page
through a `next_page_token` in the `next` link; `update_time_after` / `update_time_before` pick
the disputes changed in a window. Showing one gives its details: the disputed transaction and,
once resolved, the outcome. A dispute goes WAITING_FOR_SELLER_RESPONSE when opened,
UNDER_REVIEW once the organisation answers, RESOLVED when PayPal or the bank decides.

The ledger does not move money for them yet (no T12xx chargeback or T15xx hold rows).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sandbox.org import Dispute, Organisation, org_purchase
from sandbox.paypal.api import PaypalError, format_time, invalid_request, money, parse_time
from sandbox.paypal.ledger import Ledger

DISPUTES_PATH = "/v1/customer/disputes"
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10
_REASONS = {
    "product_not_received": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
    "fraudulent": "UNAUTHORISED",
    "duplicate": "DUPLICATE_TRANSACTION",
    "subscription_canceled": "CANCELED_RECURRING_BILLING",
    "general": "OTHER",
}
_STATES = {
    "WAITING_FOR_SELLER_RESPONSE": "REQUIRED_ACTION",
    "UNDER_REVIEW": "UNDER_PAYPAL_REVIEW",
    "RESOLVED": "RESOLVED",
}


@dataclass(frozen=True, slots=True)
class _Case:
    dispute: Dispute
    id: str
    transaction_id: str  # the disputed payment's PayPal transaction (T0006)


class PaypalDisputes:
    def __init__(self, org: Organisation, ledger: Ledger) -> None:
        payments = {
            e.purchase.id: e.id
            for e in ledger.entries
            if e.event_code == "T0006" and e.purchase is not None
        }
        self.org = org
        self.cases = sorted(
            (
                _Case(d, f"PP-D-{d.id[3:]}", payments[d.purchase_id])
                for d in org.disputes
                if org_purchase(org, d.purchase_id).processor == "paypal"
            ),
            key=lambda c: (c.dispute.opened_at, c.id),
            reverse=True,
        )
        self.by_id = {c.id: c for c in self.cases}

    def list(self, query: dict[str, str], now: int, debug_id: str, base_url: str) -> dict[str, Any]:
        size = _page_size(query.get("page_size"), debug_id)
        after = _instant(query, "update_time_after", debug_id)
        before = _instant(query, "update_time_before", debug_id)
        start = _instant(query, "start_time", debug_id)
        offset = _offset(query.get("next_page_token"), debug_id)
        matching = []
        for case in self.cases:
            if case.dispute.opened_at > now:
                continue
            updated = _updated_at(case.dispute, now)
            if after is not None and updated < after:
                continue
            if before is not None and updated >= before:
                continue
            if start is not None and case.dispute.opened_at < start:
                continue
            matching.append(case)
        page = matching[offset : offset + size]
        links = [{"href": _href(base_url, query), "rel": "self", "method": "GET"}]
        if offset + size < len(matching):
            token = base64.b64encode(str(offset + size).encode()).decode()
            following = {**query, "next_page_token": token}
            links.append({"href": _href(base_url, following), "rel": "next", "method": "GET"})
        return {"items": [self._summary(c, now, base_url) for c in page], "links": links}

    def show(self, dispute_id: str, now: int, debug_id: str, base_url: str) -> dict[str, Any]:
        case = self.by_id.get(dispute_id)
        if case is None or case.dispute.opened_at > now:
            raise PaypalError(
                404,
                {
                    "name": "RESOURCE_NOT_FOUND",
                    "message": "The specified resource does not exist.",
                    "debug_id": debug_id,
                    "details": [{"issue": "INVALID_RESOURCE_ID"}],
                },
            )
        d = case.dispute
        purchase = org_purchase(self.org, d.purchase_id)
        customer = self.org.customer(purchase.customer_id)
        detail = self._summary(case, now, base_url)
        detail["disputed_transactions"] = [
            {
                "seller_transaction_id": case.transaction_id,
                "create_time": format_time(purchase.at),
                "transaction_status": "COMPLETED",
                "gross_amount": money(purchase.amount, purchase.currency.upper()),
                "buyer": {"name": customer.name},
                "seller": {"merchant_id": "NORTHWINDACAD", "name": self.org.name},
            }
        ]
        if detail["status"] == "RESOLVED":
            detail["dispute_outcome"] = {
                "outcome_code": (
                    "RESOLVED_SELLER_FAVOUR" if d.outcome == "won" else "RESOLVED_BUYER_FAVOUR"
                ),
                "amount_refunded": money(0 if d.outcome == "won" else d.amount, d.currency.upper()),
            }
        return detail

    def _summary(self, case: _Case, now: int, base_url: str) -> dict[str, Any]:
        d = case.dispute
        status = _status(d, now)
        return {
            "dispute_id": case.id,
            "create_time": format_time(d.opened_at),
            "update_time": format_time(_updated_at(d, now)),
            "reason": _REASONS[d.reason],
            "status": status,
            "dispute_state": _STATES[status],
            "dispute_amount": money(d.amount, d.currency.upper()),
            "dispute_life_cycle_stage": "CHARGEBACK" if d.kind == "chargeback" else "INQUIRY",
            "dispute_channel": "EXTERNAL" if d.kind == "chargeback" else "INTERNAL",
            "seller_response_due_date": format_time(d.opened_at + 10 * 86_400),
            "links": [
                {
                    "href": f"{base_url}{DISPUTES_PATH}/{case.id}",
                    "rel": "self",
                    "method": "GET",
                }
            ],
        }


def _status(d: Dispute, now: int) -> str:
    if d.closed_at is not None and d.closed_at <= now:
        return "RESOLVED"
    if d.evidence_at is not None and d.evidence_at <= now:
        return "UNDER_REVIEW"
    return "WAITING_FOR_SELLER_RESPONSE"


def _updated_at(d: Dispute, now: int) -> int:
    return max(t for t in (d.opened_at, d.evidence_at, d.closed_at) if t is not None and t <= now)


def _page_size(value: str | None, debug_id: str) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise invalid_request("page_size", value, "INVALID_PARAMETER_VALUE", debug_id)
    return int(value)


def _instant(query: dict[str, str], field: str, debug_id: str) -> int | None:
    value = query.get(field)
    return None if value is None else int(parse_time(field, value, debug_id).timestamp())


def _offset(token: str | None, debug_id: str) -> int:
    if not token:
        return 0
    try:
        return int(base64.b64decode(token, validate=True).decode())
    except (ValueError, UnicodeDecodeError):
        issue = "INVALID_PARAMETER_VALUE"
        raise invalid_request("next_page_token", token, issue, debug_id) from None


def _href(base_url: str, query: dict[str, str]) -> str:
    return f"{base_url}{DISPUTES_PATH}?{urlencode(query)}"
