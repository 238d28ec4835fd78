"""Stripe and PayPal loaded once for the marts' tests, each of which builds on its own copy."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sources.cli import main as load_cli
from sources.paypal import SPEC as PAYPAL
from sources.stripe import SPEC as STRIPE
from tests.conftest import PlatformPaths, platform_settings
from tests.sqlmesh.sandbox_org import NOW


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups to name the nodes
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that use `payments_loaded` run in one of xdist's processes (`--dist loadgroup`),
    so the loads below run once."""
    for item in items:
        if "payments_loaded" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("payments_loaded"))


@dataclass(frozen=True)
class PaymentsLoaded:
    """A platform of the test's own whose warehouse already holds Stripe's and PayPal's raw
    tables for `first` .. `last` (the first day backfilled each source's history), loaded with
    the sandbox's clock at `now`, the nightly run of `last` (`last`'s own run: its windows reach
    `now`); `SANDBOX__NOW` stays at `now` for the test."""

    paths: PlatformPaths
    first: date
    last: date
    now: datetime


@pytest.fixture(scope="session")
def payments_warehouse(tmp_path_factory: pytest.TempPathFactory) -> PaymentsLoaded:
    """`python -m sources --sources stripe,paypal` for the three days up to the one whose
    nightly run is `NOW`, from the sandbox with its clock at `NOW`.

    The loads take most of a marts test's time and every marts test needs the same ones, so
    they run once; the lake they wrote is only read after that (its raw views name it)."""
    last = NOW.date() - timedelta(days=1)
    first = last - timedelta(days=2)
    paths, settings = platform_settings(tmp_path_factory.mktemp("payments"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in {**settings, **sandbox_settings(NOW)}.items():
            monkeypatch.setenv(name, value)
        period = ["--start", str(first), "--end", str(last), "--quiet"]
        assert load_cli([STRIPE, PAYPAL], period) == 0
    return PaymentsLoaded(paths, first, last, NOW)


@pytest.fixture
def payments_loaded(
    platform_env: PlatformPaths,
    payments_warehouse: PaymentsLoaded,
    monkeypatch: pytest.MonkeyPatch,
) -> PaymentsLoaded:
    """This test's platform (`platform_env`) with a copy of the shared payments warehouse: what
    the test loads more lands in its own lake, what SQLMesh builds in its own warehouse."""
    shared = payments_warehouse.paths.warehouse
    for suffix in ("", ".wal"):
        source = Path(f"{shared}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{platform_env.warehouse}{suffix}")
    for name, value in sandbox_settings(payments_warehouse.now).items():
        monkeypatch.setenv(name, value)
    return PaymentsLoaded(
        platform_env, payments_warehouse.first, payments_warehouse.last, payments_warehouse.now
    )


def sandbox_settings(now: datetime) -> dict[str, str]:
    """The sandbox's sources, with every emulator's clock and the runs' clock at `now`."""
    return {"SOURCES__USE_SANDBOX": "true", "SANDBOX__NOW": now.isoformat()}
