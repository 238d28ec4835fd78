"""Stripe and PayPal loaded once for the marts' tests, each of which builds on its own copy."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sources.cli import main as load_cli
from sources.paypal import SPEC as PAYPAL
from sources.stripe import SPEC as STRIPE
from tests.conftest import PlatformPaths, platform_settings

TODAY = datetime.now(UTC).date()


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
    tables for `first` .. `last` (the first day backfilled each source's history)."""

    paths: PlatformPaths
    first: date
    last: date


@pytest.fixture(scope="session")
def payments_warehouse(tmp_path_factory: pytest.TempPathFactory) -> PaymentsLoaded:
    """`python -m sources --sources stripe,paypal` for the last three days, from the sandbox.

    The loads take most of a marts test's time and every marts test needs the same ones, so
    they run once; the lake they wrote is only read after that (its raw views name it)."""
    first, last = TODAY - timedelta(days=3), TODAY - timedelta(days=1)
    paths, settings = platform_settings(tmp_path_factory.mktemp("payments"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in {**settings, "SOURCES__USE_SANDBOX": "true"}.items():
            monkeypatch.setenv(name, value)
        period = ["--start", str(first), "--end", str(last), "--quiet"]
        assert load_cli([STRIPE, PAYPAL], period) == 0
    return PaymentsLoaded(paths, first, last)


@pytest.fixture
def payments_loaded(
    platform_env: PlatformPaths, payments_warehouse: PaymentsLoaded
) -> PaymentsLoaded:
    """This test's platform (`platform_env`) with a copy of the shared payments warehouse: what
    the test loads more lands in its own lake, what SQLMesh builds in its own warehouse."""
    shared = payments_warehouse.paths.warehouse
    for suffix in ("", ".wal"):
        source = Path(f"{shared}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{platform_env.warehouse}{suffix}")
    return PaymentsLoaded(platform_env, payments_warehouse.first, payments_warehouse.last)
