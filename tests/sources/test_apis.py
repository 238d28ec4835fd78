"""The sandbox's emulators for a whole run: started together, used by every load, then stopped."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from sources.apis import api_endpoint, sandbox_apis
from sources.registry import source_spec


def listening(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_sandbox/clock", timeout=5) as response:
            return "now" in json.loads(response.read())
    except OSError:
        return False


def test_a_runs_emulators_start_together_serve_every_load_and_stop_with_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "true")
    monkeypatch.setenv("WAREHOUSE__KIND", "duckdb")
    stripe, sheets = source_spec("stripe"), source_spec("google_sheets")
    with sandbox_apis(["stripe", "google_sheets"]) as ready:
        ready()
        with api_endpoint(stripe) as first, api_endpoint(stripe) as again:
            assert first == again  # the run's emulator, not one started per load
            assert listening(first["base_url"])
            pid = os.getpid()
            # a forked step sees the run's emulators as the run does
            child = os.fork()
            if child == 0:
                with api_endpoint(sheets) as endpoint:
                    os._exit(0 if listening(endpoint["base_url"]) else 1)
            assert os.getpid() == pid
            assert os.waitpid(child, 0)[1] == 0
    assert not listening(first["base_url"])  # stopped with the run
    # outside a run a load starts its own emulator for its own block, as before
    with api_endpoint(stripe) as own:
        assert own["base_url"] != first["base_url"]
        assert listening(own["base_url"])
    assert not listening(own["base_url"])


def test_without_the_sandbox_a_run_starts_no_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__USE_SANDBOX", "false")
    with sandbox_apis(["stripe"]) as ready:
        ready()
        with api_endpoint(source_spec("stripe")) as endpoint:
            assert endpoint == {}  # the source reads its own settings: the real API
