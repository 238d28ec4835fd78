"""Test controls every emulator shares: the clock, injected faults and the request log.

They are driven over HTTP (`/_sandbox/...`, no auth) so a test in another process can
steer an emulator: move its clock, make the next requests fail or slow down, and see
which requests an extractor made.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.org import Organisation

DAY = 86_400
MAX_LOGGED_REQUESTS = 100_000


@dataclass
class Fault:
    """What to do to the next `remaining` API requests whose path starts with `path`; with a
    `rate`, to each matching request with that probability instead (for `remaining` requests if
    a count is given, else for as long as the emulator runs), drawn from `seed` when one is
    given (the same requests in the same order are struck again), else at random."""

    path: str | None = None
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    malformed: bool = False
    # API drift: every object of a list page carries this field, which the vendor "added"
    new_field: str | None = None
    remaining: int | None = 1
    rate: float | None = None
    seed: int | None = None
    draws: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Fault:
        known = {
            "path",
            "status",
            "retry_after",
            "delay",
            "malformed",
            "new_field",
            "count",
            "rate",
            "seed",
        }
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        rate = float(spec["rate"]) if spec.get("rate") is not None else None
        if rate is not None and not 0 < rate <= 1:
            raise ValueError(f"rate must be in (0, 1], got {rate}")
        count = spec.get("count", None if rate is not None else 1)
        fault = cls(
            path=spec.get("path"),
            status=int(spec["status"]) if spec.get("status") is not None else None,
            retry_after=spec.get("retry_after"),
            delay=float(spec.get("delay") or 0.0),
            malformed=bool(spec.get("malformed", False)),
            new_field=str(spec["new_field"]) if spec.get("new_field") else None,
            remaining=None if count is None else int(count),
            rate=rate,
            seed=None if spec.get("seed") is None else int(spec["seed"]),
        )
        fault.draws = random.Random(fault.seed)
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("count must be at least 1")
        if fault.status is None and not fault.delay and not fault.malformed and not fault.new_field:
            raise ValueError("a fault needs a status, a delay, malformed or new_field")
        return fault

    def matches(self, path: str, is_list: bool) -> bool:
        if self.path and not path.startswith(self.path):
            return False
        # A malformed record or a new field only means something on a list page.
        changes_records = self.malformed or bool(self.new_field)
        return is_list or not (changes_records and self.status is None and not self.delay)


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = Fault.from_spec(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str, is_list: bool) -> Fault | None:
        """The first armed fault for this request, counted as used."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(path, is_list):
                    continue
                if fault.rate is not None and fault.draws.random() >= fault.rate:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def strike(self, path: str, is_list: bool) -> Fault | None:
        """`take`, after sleeping the fault's delay: what is left to do is the emulator's."""
        fault = self.take(path, is_list)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        return fault

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {f.name: getattr(fault, f.name) for f in fields(fault) if f.name != "draws"}
                for fault in self._faults
            ]


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def append(self, method: str, path: str, query: dict[str, Any], status: int) -> None:
        with self._lock:
            if len(self._entries) < MAX_LOGGED_REQUESTS:
                self._entries.append(
                    {"method": method, "path": path, "query": query, "status": status}
                )

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Clock:
    """The emulator's `now`: what has happened by then is all an API call can see.

    Unset, it is the wall clock, ticking; set (`--now`, `POST /_sandbox/clock`, or assigning
    `now`), it stands still where it was put, so every request of a run sees one instant.
    """

    def __init__(self, now: int | None, start: int, end: int) -> None:
        self._fixed = now
        self.start = start
        self.end = end

    @classmethod
    def of(cls, org: Organisation, now: int | None) -> Clock:
        """The clock of an emulator serving `org`: at `now`, or the wall clock when None."""
        return cls(now, org.start_epoch, org.end_epoch - 1)

    @property
    def now(self) -> int:
        return self._fixed if self._fixed is not None else int(time.time())

    @now.setter
    def now(self, value: int) -> None:
        self._fixed = int(value)

    def update(self, body: dict[str, Any]) -> None:
        if body.get("wall_clock"):
            self._fixed = None
        if "now" in body:
            self.now = int(body["now"])
        if "advance_days" in body:
            self.now += round(float(body["advance_days"]) * DAY)
        if "advance_seconds" in body:
            self.now += int(body["advance_seconds"])

    def describe(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "start": self.start,
            "end": self.end,
            "wall_clock": self._fixed is None,
        }


def handle_control(
    method: str,
    path: str,
    body: dict[str, Any],
    faults: FaultBook,
    log: RequestLog,
    clock: Clock,
) -> tuple[int, Any]:
    """Answer a `/_sandbox/...` request: (HTTP status, JSON payload)."""
    try:
        if path == "/_sandbox/faults":
            if method == "POST":
                listed = body.get("faults")
                specs: list[Any] = listed if isinstance(listed, list) else [body]
                for spec in specs:
                    faults.add(spec)
                return 200, {"faults": faults.describe()}
            if method == "DELETE":
                faults.clear()
                return 200, {"faults": []}
            if method == "GET":
                return 200, {"faults": faults.describe()}
        elif path == "/_sandbox/clock":
            if method == "POST":
                clock.update(body)
            if method in ("GET", "POST"):
                return 200, clock.describe()
        elif path == "/_sandbox/requests":
            if method == "GET":
                return 200, log.entries()
            if method == "DELETE":
                log.clear()
                return 200, []
        elif path == "/_sandbox/health" and method == "GET":
            return 200, {"ok": True, **clock.describe()}
        else:
            return 404, {"error": f"no control endpoint {method} {path}"}
    except (ValueError, TypeError, KeyError) as exc:
        return 400, {"error": str(exc)}
    return 405, {"error": f"{method} not allowed on {path}"}
