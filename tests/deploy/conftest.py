"""Fixtures of the deploy checks: a fake VM for the startup and health check scripts."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.fakes import FakeVM, fake_vm

LINUX_TOOLS = ("bash", "git", "curl", "flock", "sha256sum", "stat", "mktemp", "tar", "timeout")


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[FakeVM]:
    """A temporary root with stand-ins for the metadata server, gcloud, systemctl and git."""
    if not sys.platform.startswith("linux"):
        pytest.skip("deploy/*.sh target the Debian VM: GNU coreutils and util-linux needed")
    missing = [tool for tool in LINUX_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the VM's tools are missing here: {', '.join(missing)}")
    yield from fake_vm(tmp_path)
