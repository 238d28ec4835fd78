"""`python -m sandbox.calendar`: nights planned as asked, and the README's short calendar run as
written, every mart equal to the organisation's truth on every night."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from destinations.settings import PROJECT_ROOT
from sandbox.calendar import Night, compare_marts, plan_nights
from sandbox.org import build_org
from sources.apis import sandbox_options

README = PROJECT_ROOT / "README.md"


def test_a_missed_night_is_caught_up_by_the_next_and_the_last_night_always_runs() -> None:
    nights = plan_nights(date(2026, 11, 20), 5, missed={2, 5}, killed={4}, faults={3})
    assert [n.dates for n in nights] == [
        [date(2026, 11, 20)],
        [],
        [date(2026, 11, 21), date(2026, 11, 22)],
        [date(2026, 11, 23)],
        [date(2026, 11, 24)],  # nothing after it to catch it up: it runs
    ]
    assert [n.missed for n in nights] == [False, True, False, False, False]
    assert [n.killed for n in nights] == [False, False, False, True, False]
    assert nights[2].faults
    assert nights[0].clock.isoformat() == "2026-11-21T02:00:00+00:00"


def readme_command() -> list[str]:
    """The README's short calendar, as written there."""
    lines = [
        line
        for line in README.read_text().splitlines()
        if line.startswith("uv run python -m sandbox.calendar --nights 5 ")
    ]
    assert len(lines) == 1, "the README gives the short calendar once"
    words = shlex.split(lines[0])
    assert words[:3] == ["uv", "run", "python"]
    return [sys.executable, *words[3:]]


@pytest.mark.slow
@pytest.mark.version_agnostic  # the daily job night after night: the same on every Python
def test_the_readmes_short_calendar_holds_every_mart_to_the_truth_every_night(
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "calendar"
    done = subprocess.run(
        [*readme_command(), "--workdir", str(workdir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]

    rows = [line for line in done.stdout.splitlines() if re.match(r"^\s+\d+ \| 20", line)]
    assert len(rows) == 5, output
    events = [line.split("|")[2].strip() for line in rows]
    assert events[1] == "missed"
    assert events[2].startswith("catch-up 2")
    assert "killed" in events[3]
    assert "faults" in events[4]
    late_refunds = [int(line.split("|")[6]) for line in rows]
    assert sum(late_refunds) > 0  # a refund of a charge over two weeks old arrived
    marts = ("revenue_daily", "ad_attribution_daily", "inventory_by_item", "enrollment_by_program")
    for mart in marts:
        assert re.search(
            rf"^{mart}: [\d,]+ / [\d,]+ rows equal; every row equal on 5 of 5", done.stdout, re.M
        ), output
    assert "killed by the calendar" in (workdir / "night-004.log").read_text()
    faulted = (workdir / "night-005.log").read_text()  # the bursts were met, and retried
    assert "stripe: rate limited (429), retry 1" in faulted
    assert "paypal: HTTP 503, retry" in faulted

    # the comparison can fail: held to the night before's clock, the marts are wrong
    options = sandbox_options()
    org = build_org(options["seed"], options["volume"], options["start"], options["end"])
    night_before = Night(4, date(2026, 11, 23), dates=[date(2026, 11, 23)])
    marts = ["inventory_by_item", "revenue_daily"]
    compared, wrong = compare_marts(workdir / "warehouse.duckdb", org, night_before, marts)
    inventory_equal, inventory_total = compared["inventory_by_item"]
    assert inventory_equal == 0 < inventory_total  # each row is as of the last read, not before
    revenue_equal, revenue_total = compared["revenue_daily"]
    assert 0 < revenue_equal < revenue_total  # the last day's rows go beyond that truth
    assert len(wrong) == inventory_total + revenue_total - revenue_equal
