"""The Stripe emulator through the real stripe SDK: paging, filters, auth and shapes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import stripe

from sandbox.stripe.query import ApiError, parse_form
from sandbox.stripe.server import StripeEmulator, mask_key

from .conftest import ORG_END, ORG_START

LIST_RESOURCES = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "charges": "charge",
    "refunds": "refund",
    "invoices": "invoice",
    "subscriptions": "subscription",
    "balance_transactions": "balance_transaction",
    "payouts": "payout",
    "events": "event",
}


def _raw(url: str, key: str | None = "sk_test_sandbox") -> tuple[int, dict[str, str], Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def _ids(page: Any) -> list[str]:
    return [o.id for o in page.data]


def test_parse_form_decodes_nested_keys_and_arrays() -> None:
    assert parse_form("limit=3&created[gte]=10&created[lt]=20&types[0]=a&types[1]=b") == {
        "limit": "3",
        "created": {"gte": "10", "lt": "20"},
        "types": ["a", "b"],
    }
    assert parse_form("expand[]=data.customer&expand[]=x") == {"expand": ["data.customer", "x"]}
    assert parse_form("metadata[k]=v%20w&empty=") == {"metadata": {"k": "v w"}, "empty": ""}


def test_mask_key_keeps_only_kind_and_last_four() -> None:
    assert mask_key("sk_test_abcdefghijkl1234") == "sk_test_****1234"
    assert "secret" not in mask_key("secret")


@pytest.mark.parametrize("segment", sorted(LIST_RESOURCES))
def test_served_objects_have_the_fixture_keys(
    client: stripe.StripeClient, fixture_shapes: dict[str, Any], segment: str, stripe_url: str
) -> None:
    status, headers, body = _raw(f"{stripe_url}/v1/{segment}?limit=100")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Request-Id"].startswith("req_")
    assert body["object"] == "list"
    assert body["url"] == f"/v1/{segment}"
    assert body["data"]
    expected = set(fixture_shapes[LIST_RESOURCES[segment]])
    for obj in body["data"]:
        assert set(obj) == expected
        assert obj["object"] == LIST_RESOURCES[segment]
    one = getattr(client.v1, segment).retrieve(body["data"][0]["id"])
    assert one.id == body["data"][0]["id"]


def test_auto_paging_returns_every_charge_once_newest_first(
    client: stripe.StripeClient, stripe_emulator: StripeEmulator
) -> None:
    page = client.v1.charges.list(params={"limit": 100})
    charges = list(page.auto_paging_iter())
    ids = [c.id for c in charges]
    assert len(ids) == len(set(ids)) == len(stripe_emulator.api.data.objects["charge"])
    keys = [(c.created, c.id) for c in charges]
    assert keys == sorted(keys, reverse=True)
    requests = stripe_emulator.requests.entries()
    assert len(requests) == -(-len(ids) // 100)
    assert all(r["query"]["limit"] == "100" for r in requests)


def test_starting_after_and_ending_before(client: stripe.StripeClient) -> None:
    top = _ids(client.v1.charges.list(params={"limit": 30}))
    after = client.v1.charges.list(params={"limit": 5, "starting_after": top[9]})
    assert _ids(after) == top[10:15]
    assert after.has_more
    before = client.v1.charges.list(params={"limit": 5, "ending_before": top[20]})
    assert _ids(before) == top[15:20]  # the five just newer than the cursor, newest first
    assert before.has_more
    newest = client.v1.charges.list(params={"limit": 5, "ending_before": top[2]})
    assert _ids(newest) == top[0:2]
    assert not newest.has_more
    assert _ids(after.next_page()) == top[15:20]
    backwards = list(
        client.v1.charges.list(params={"limit": 4, "ending_before": top[12]}).auto_paging_iter()
    )
    assert [c.id for c in backwards] == list(reversed(top[:12]))


def test_created_filters(client: stripe.StripeClient) -> None:
    page = _ids(client.v1.charges.list(params={"limit": 100}))
    pivot = client.v1.charges.retrieve(page[50]).created
    day = 86_400

    def created(flt: dict[str, int]) -> list[int]:
        # Bounded to two days either side of the pivot to keep the test quick.
        bounds = {"gte": pivot - 2 * day, "lte": pivot + 2 * day}
        params: Any = {"limit": 100, "created": {**bounds, **flt}}
        listed = client.v1.charges.list(params=params)
        return [c.created for c in listed.auto_paging_iter()]

    gte, gt, lte, lt = (created({op: pivot}) for op in ("gte", "gt", "lte", "lt"))
    assert min(gte) == pivot
    assert min(gt) > pivot
    assert max(lte) == pivot
    assert max(lt) < pivot
    assert len(gte) + len(lt) == len(gt) + len(lte) == len(created({}))
    exact = client.v1.charges.list(params={"created": pivot, "limit": 100})
    assert {c.created for c in exact.data} == {pivot}


def test_limit_out_of_range_is_an_invalid_request(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as too_big:
        client.v1.charges.list(params={"limit": 101})
    assert too_big.value.param == "limit"
    assert too_big.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.charges.list(params={"limit": 0})
    assert len(client.v1.charges.list().data) == 10  # Stripe's default


def test_unknown_cursor_and_id_are_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as cursor:
        client.v1.charges.list(params={"starting_after": "ch_doesnotexist"})
    assert cursor.value.code == "resource_missing"
    assert "No such charge: 'ch_doesnotexist'" in str(cursor.value)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nope")
    assert missing.value.http_status == 404


def test_wrong_or_missing_key_is_an_authentication_error(stripe_url: str) -> None:
    key = "sk_test_thisIsNotTheRightKeyAbcd"
    wrong = stripe.StripeClient(key, base_addresses={"api": stripe_url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as exc:
        wrong.v1.charges.list()
    assert key not in str(exc.value)
    assert "sk_test_****Abcd" in str(exc.value)
    status, _, body = _raw(f"{stripe_url}/v1/charges", key=None)
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"


def test_event_type_filters(client: stripe.StripeClient, stripe_emulator: StripeEmulator) -> None:
    now = stripe_emulator.clock.now
    refunded = client.v1.events.list(params={"type": "charge.refunded", "limit": 100})
    assert refunded.data
    assert {e.type for e in refunded.data} == {"charge.refunded"}
    assert "previous_attributes" in refunded.data[0].data
    wanted = ["payout.paid", "invoice.voided"]
    both = list(client.v1.events.list(params={"types": wanted, "limit": 100}).auto_paging_iter())
    assert {e.type for e in both} == set(wanted)
    charges = list(
        client.v1.events.list(
            params={"type": "charge.*", "limit": 100, "created": {"gte": now - 20 * 86_400}}
        ).auto_paging_iter()
    )
    # the wildcard reaches every level below `charge.`, disputes' events too
    assert {e.type for e in charges if not e.type.startswith("charge.dispute.")} == {
        "charge.succeeded",
        "charge.failed",
        "charge.refunded",
        "charge.updated",
    }
    assert any(e.type.startswith("charge.dispute.") for e in charges)
    subs = client.v1.events.list(params={"type": "customer.subscription.*", "limit": 100})
    assert {e.type.rsplit(".", 1)[0] for e in subs.data} == {"customer.subscription"}


def test_events_are_kept_for_thirty_days_by_default() -> None:
    emulator = StripeEmulator(seed=7, volume=0.2, start=ORG_START, end=ORG_END)
    now = emulator.clock.now
    month_ago = {"lt": str(now - 30 * 86_400)}
    old = emulator.api.get("/v1/events", {"limit": "100", "created": month_ago}, now)
    assert old["data"] == []
    recent = emulator.api.get("/v1/events", {"limit": "100"}, now)
    assert recent["data"]
    oldest_id = min(emulator.api.data.events, key=lambda e: e.created).id
    with pytest.raises(ApiError):
        emulator.api.get(f"/v1/events/{oldest_id}", {}, now)


def test_subscriptions_hide_canceled_unless_asked(client: stripe.StripeClient) -> None:
    default = list(client.v1.subscriptions.list(params={"limit": 100}).auto_paging_iter())
    every = list(
        client.v1.subscriptions.list(params={"limit": 100, "status": "all"}).auto_paging_iter()
    )
    canceled = list(
        client.v1.subscriptions.list(params={"limit": 100, "status": "canceled"}).auto_paging_iter()
    )
    assert canceled
    assert all(s.status != "canceled" for s in default)
    assert {s.status for s in canceled} == {"canceled"}
    assert len(default) + len(canceled) == len(every)
    one = client.v1.subscriptions.retrieve(canceled[0].id)
    assert one.status == "canceled"
    assert one.ended_at is not None


def test_invoice_status_and_customer_filters(client: stripe.StripeClient) -> None:
    void = list(client.v1.invoices.list(params={"status": "void", "limit": 100}).auto_paging_iter())
    assert void
    assert {i.status for i in void} == {"void"}
    customer = void[0].customer
    assert isinstance(customer, str)
    mine = client.v1.invoices.list(params={"customer": customer, "limit": 100})
    assert {i.customer for i in mine.data} == {customer}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.list(params={"status": "bogus"})


def test_deleted_customers_are_gone_from_lists(
    client: stripe.StripeClient, stripe_emulator: StripeEmulator
) -> None:
    deleted = [o for o in stripe_emulator.api.data.objects["customer"] if o.deleted_at]
    assert deleted
    listed = {c.id for c in client.v1.customers.list(params={"limit": 100}).auto_paging_iter()}
    assert deleted[0].id not in listed
    gone = client.v1.customers.retrieve(deleted[0].id)
    assert gone.to_dict()["deleted"] is True


def test_unknown_parameters_are_rejected(client: stripe.StripeClient) -> None:
    params: Any = {"colour": "blue"}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.charges.list(params=params)
    assert exc.value.param == "colour"
