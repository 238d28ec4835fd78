"""Stripe's form-encoded query parameters and its cursor pagination over a sorted index."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

MAX_LIMIT = 100
DEFAULT_LIMIT = 10


class ApiError(Exception):
    """An error Stripe would answer with; rendered as its `{"error": {...}}` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        return {"error": error}


def parse_form(query: str) -> dict[str, Any]:
    """Decode `a=1&b[c]=2&d[0]=x&d[1]=y` (Stripe's encoding) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(query, keep_blank_values=True):
        head, _, rest = raw_key.partition("[")
        path = [head] + ([p.rstrip("]") for p in rest.split("[")] if rest else [])
        node: dict[str, Any] = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":
                # `a[]=x`: the older array form; give each value the next index.
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise ApiError(400, f"Invalid value for {raw_key}", param=path[0])
                node = child
    return _lists(root)


def _lists(node: Any) -> Any:
    # Dicts keyed 0..n-1 came from array parameters.
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        keys = sorted(converted, key=int)
        if [int(k) for k in keys] == list(range(len(keys))):
            return [converted[k] for k in keys]
    return converted


def _int(value: Any, param: str) -> int:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise ApiError(400, f"Invalid integer: {value}", param=param)


def _timestamp(value: Any, param: str) -> int:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise ApiError(400, "Invalid timestamp: must be an integer Unix timestamp.", param=param)


class Listed(Protocol):
    id: str
    created: int


@dataclass(frozen=True)
class ListParams:
    limit: int
    starting_after: str | None
    ending_before: str | None
    created_min: int | None  # inclusive
    created_max: int | None  # inclusive
    filters: dict[str, Any]


def list_params(query: dict[str, Any], allowed_filters: Sequence[str]) -> ListParams:
    """Validate the common list parameters the way Stripe does."""
    filters: dict[str, Any] = {}
    for key, value in query.items():
        if key in ("limit", "starting_after", "ending_before", "created", "expand"):
            continue
        if key not in allowed_filters:
            raise ApiError(400, f"Received unknown parameter: {key}", param=key)
        filters[key] = value
    limit = DEFAULT_LIMIT
    if "limit" in query:
        limit = _int(query["limit"], "limit")
        if limit < 1:
            raise ApiError(400, "This value must be greater than or equal to 1.", param="limit")
        if limit > MAX_LIMIT:
            raise ApiError(400, "This value must be less than or equal to 100.", param="limit")
    starting_after = query.get("starting_after") or None
    ending_before = query.get("ending_before") or None
    if starting_after and ending_before:
        raise ApiError(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    lo: int | None = None
    hi: int | None = None
    created = query.get("created")
    if isinstance(created, dict):
        for op, raw in created.items():
            value = _timestamp(raw, f"created[{op}]")
            if op == "gt":
                lo = max(lo, value + 1) if lo is not None else value + 1
            elif op == "gte":
                lo = max(lo, value) if lo is not None else value
            elif op == "lt":
                hi = min(hi, value - 1) if hi is not None else value - 1
            elif op == "lte":
                hi = min(hi, value) if hi is not None else value
            else:
                raise ApiError(400, f"Received unknown parameter: created[{op}]", param="created")
    elif created is not None:
        lo = hi = _timestamp(created, "created")
    return ListParams(limit, starting_after, ending_before, lo, hi, filters)


class SortedIndex:
    """Items newest first (created desc, id desc), with positions for cursors.

    Built once; a page is found by bisecting on `created` and on the cursor's position,
    so serving a page never sorts or scans more than the page (unless a filter skips).
    """

    def __init__(self, items: Sequence[Listed]) -> None:
        self.items = sorted(items, key=lambda o: (o.created, o.id), reverse=True)
        self._neg_created = [-o.created for o in self.items]  # ascending, for bisect
        self.position = {o.id: i for i, o in enumerate(self.items)}

    def window(self, newest: int | None, oldest: int | None) -> tuple[int, int]:
        """Index range of items with oldest <= created <= newest."""
        lo = 0 if newest is None else bisect.bisect_left(self._neg_created, -newest)
        hi = len(self.items) if oldest is None else bisect.bisect_right(self._neg_created, -oldest)
        return lo, hi

    def page(
        self,
        params: ListParams,
        now: int,
        keep: Callable[[Any], bool],
        resource_name: str,
        oldest_visible: int | None = None,
    ) -> tuple[list[Any], bool]:
        """The items of one page and `has_more`, as Stripe's list endpoints return them."""
        newest = now if params.created_max is None else min(now, params.created_max)
        oldest = params.created_min
        if oldest_visible is not None:
            oldest = oldest_visible if oldest is None else max(oldest, oldest_visible)
        lo, hi = self.window(newest, oldest)
        limit = params.limit
        if params.ending_before:
            cursor = self._cursor(params.ending_before, resource_name, "ending_before")
            # The `limit` items immediately newer than the cursor, still newest first.
            found: list[Any] = []
            i = min(cursor, hi) - 1
            while i >= lo and len(found) <= limit:
                if keep(self.items[i]):
                    found.append(self.items[i])
                i -= 1
            has_more = len(found) > limit
            return list(reversed(found[:limit])), has_more
        if params.starting_after:
            lo = max(lo, self._cursor(params.starting_after, resource_name, "starting_after") + 1)
        found = []
        i = lo
        while i < hi and len(found) <= limit:
            if keep(self.items[i]):
                found.append(self.items[i])
            i += 1
        return found[:limit], len(found) > limit

    def _cursor(self, id_: str, resource_name: str, param: str) -> int:
        position = self.position.get(id_)
        if position is None:
            raise ApiError(
                400, f"No such {resource_name}: '{id_}'", param=param, code="resource_missing"
            )
        return position
