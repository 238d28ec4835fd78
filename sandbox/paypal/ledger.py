"""PayPal's view of the demo organisation: the merchant account's transaction ledger.

Every purchase paid through PayPal becomes a payment (T0006) with PayPal's fee; a refund of
one becomes a refund (T1107) that gives back the percentage part of the fee. The account's
primary currency is USD and it also holds EUR: part of the EUR payments are converted to USD
at once (a pair of T0200 currency conversion rows, one per currency, as PayPal reports them),
the rest stay in the EUR balance. Failed purchases are denied payments (status D) that do not
affect the balance. Each transaction becomes visible to the reporting API some time after it
happened (PayPal: up to three hours), `visible_at`.

Randomness beyond the organisation (conversion choice, reporting delay) comes from
`random.Random(f"{seed}-paypal-...")` per transaction, so it never disturbs `build_org`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from sandbox.org import Customer, Organisation, Purchase

PRIMARY_CURRENCY = "USD"
ACCOUNT_ID = "NWDA7K3PQ9XLM"  # the merchant's PayPal account (13 chars of [2-9A-HJ-NP-Z])
# PayPal's standard rate in the US: a percentage plus a fixed fee per currency.
FEE_PERCENT = Decimal("0.0349")
FEE_FIXED = {"USD": 49, "EUR": 39}
CONVERSION_SPREAD = 0.035  # PayPal's margin on its exchange rate
CONVERTED_SHARE = 0.6  # of EUR payments, converted to USD at once
_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCOUNT_CHARS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b(repr(parts).encode(), digest_size=32).digest()


def transaction_id(*parts: object) -> str:
    """A 17-character PayPal-looking transaction id that depends only on `parts`."""
    return "".join(_ID_CHARS[b % 36] for b in _digest("txn", *parts)[:17])


def payer_account_id(customer_id: str) -> str:
    return "".join(_ACCOUNT_CHARS[b % 32] for b in _digest("payer", customer_id)[:13])


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One row of the account's transaction history (amounts in minor units)."""

    id: str
    at: int  # initiation time, epoch seconds
    visible_at: int  # when the reporting API first lists it
    event_code: str
    status: str  # S, D, P or V
    currency: str  # upper case, as PayPal writes it
    gross: int
    fee: int | None  # negative for a charged fee, positive for a refunded one
    balance_affecting: bool
    reference_id: str | None = None
    reference_type: str | None = None  # TXN for a refund or conversion of a payment
    customer: Customer | None = None
    purchase: Purchase | None = None
    item_name: str | None = None
    item_sku: str | None = None
    ending_balance: int | None = None  # the currency's balance after this row
    note: str | None = None

    @property
    def net(self) -> int:
        return self.gross + (self.fee or 0)


class Ledger:
    """The transactions of the merchant account, in the order PayPal lists them."""

    def __init__(self, org: Organisation, reporting_delay_hours: float = 3.0) -> None:
        self.org = org
        self.seed = org.seed
        self.max_delay = max(0, round(reporting_delay_hours * 3600))
        entries: list[LedgerEntry] = []
        paypal_purchases = {p.id: p for p in org.purchases if p.processor == "paypal"}
        converted: dict[str, bool] = {}
        for purchase in paypal_purchases.values():
            entries.extend(self._payment(purchase, converted))
        for refund in org.refunds:
            refunded = paypal_purchases.get(refund.purchase_id)
            if refunded is not None:
                entries.extend(
                    self._refund(refunded, refund.id, refund.amount, refund.at, converted)
                )
        entries.sort(key=lambda e: (e.at, e.id))
        self.entries = _with_ending_balances(entries)
        self.times = [e.at for e in self.entries]

    def _random(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}-paypal-{'-'.join(map(str, parts))}")

    def _visible_at(self, at: int, key: str) -> int:
        # At least a minute late, so a test can stand just after a transaction and miss it.
        if self.max_delay <= 60:
            return at + self.max_delay
        return at + self._random("delay", key).randint(60, self.max_delay)

    def _item(self, purchase: Purchase) -> tuple[str, str]:
        item = self.org.item(purchase.item_kind, purchase.item_id)
        return item.name, item.sku

    def _payment(self, purchase: Purchase, converted: dict[str, bool]) -> list[LedgerEntry]:
        customer = self.org.customer(purchase.customer_id)
        currency = purchase.currency.upper()
        name, sku = self._item(purchase)
        payment_id = transaction_id(self.seed, "payment", purchase.id)
        visible = self._visible_at(purchase.at, payment_id)
        paid = purchase.status == "paid"
        fee = -(_percent_fee(purchase.amount) + FEE_FIXED[currency]) if paid else None
        payment = LedgerEntry(
            id=payment_id,
            at=purchase.at,
            visible_at=visible,
            event_code="T0006",
            status="S" if paid else "D",
            currency=currency,
            gross=purchase.amount,
            fee=fee,
            balance_affecting=paid,
            customer=customer,
            purchase=purchase,
            item_name=name,
            item_sku=sku,
        )
        rows = [payment]
        if paid and currency != PRIMARY_CURRENCY:
            convert = self._random("convert", purchase.id).random() < CONVERTED_SHARE
            converted[purchase.id] = convert
            if convert:
                rows.extend(self._conversion(payment, payment.net, purchase.at, visible))
        return rows

    def _refund(
        self, purchase: Purchase, refund_id: str, amount: int, at: int, converted: dict[str, bool]
    ) -> list[LedgerEntry]:
        currency = purchase.currency.upper()
        payment_id = transaction_id(self.seed, "payment", purchase.id)
        refund_txn = transaction_id(self.seed, "refund", refund_id)
        visible = self._visible_at(at, refund_txn)
        name, sku = self._item(purchase)
        refund = LedgerEntry(
            id=refund_txn,
            at=at,
            visible_at=visible,
            event_code="T1107",
            status="S",
            currency=currency,
            gross=-amount,
            # PayPal gives back the percentage part of its fee, keeps the fixed part.
            fee=_percent_fee(amount),
            balance_affecting=True,
            reference_id=payment_id,
            reference_type="TXN",
            customer=self.org.customer(purchase.customer_id),
            purchase=purchase,
            item_name=name,
            item_sku=sku,
            note=refund_id,
        )
        rows = [refund]
        if converted.get(purchase.id):
            # The EUR the refund needs is bought back from the USD balance.
            rows.extend(self._conversion(refund, refund.net, at, visible))
        return rows

    def _conversion(
        self, source: LedgerEntry, amount: int, at: int, visible: int
    ) -> list[LedgerEntry]:
        """Two T0200 rows moving `amount` (minor units of the source's currency) to USD."""
        rate = self.org.fx_usd_per_eur(at)
        rate *= 1 - CONVERSION_SPREAD if amount > 0 else 1 + CONVERSION_SPREAD
        usd = round(amount * rate)
        common = {
            "at": at,
            "visible_at": visible,
            "event_code": "T0200",
            "status": "S",
            "fee": None,
            "balance_affecting": True,
            "reference_id": source.id,
            "reference_type": "TXN",
        }
        return [
            LedgerEntry(
                id=transaction_id(self.seed, "conversion-from", source.id),
                currency=source.currency,
                gross=-amount,
                **common,  # type: ignore[arg-type]
            ),
            LedgerEntry(
                id=transaction_id(self.seed, "conversion-to", source.id),
                currency=PRIMARY_CURRENCY,
                gross=usd,
                **common,  # type: ignore[arg-type]
            ),
        ]

    def currencies(self) -> list[str]:
        seen = {e.currency for e in self.entries}
        return [PRIMARY_CURRENCY, *sorted(seen - {PRIMARY_CURRENCY})]

    def balances(self, as_of: int, now: int) -> dict[str, int]:
        """Each currency's balance from the transactions up to `as_of` visible at `now`."""
        totals = dict.fromkeys(self.currencies(), 0)
        for entry in self.entries:
            if entry.at > as_of:
                break
            if entry.balance_affecting and entry.visible_at <= now:
                totals[entry.currency] += entry.net
        return totals


def _percent_fee(amount: int) -> int:
    return int((Decimal(amount) * FEE_PERCENT).quantize(Decimal(1)))


def _with_ending_balances(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    balances: dict[str, int] = {}
    out = []
    for entry in entries:
        if entry.balance_affecting:
            balances[entry.currency] = balances.get(entry.currency, 0) + entry.net
        out.append(replace(entry, ending_balance=balances.get(entry.currency, 0)))
    return out
