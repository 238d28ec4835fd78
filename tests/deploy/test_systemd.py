"""deploy/systemd: `systemd-analyze verify` in a temporary root, and what the units promise."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SERVICES = ("dagster-code.service", "dagster.service")
VENV_BIN = "/opt/platform/.venv/bin"
# The VM has 1 GB; the kernel, sshd, the guest agent and a health check need the rest.
VM_MB = 1024
SYSTEM_RESERVE_MB = 128
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictNamespaces": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "SystemCallArchitectures": "native",
}


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> every value (Environment= repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, val = line.partition("=")
        assert current is not None, f"{path.name}: {line} outside a section"
        current.setdefault(key, []).append(val)
    return sections


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    return parse(DEPLOY / "systemd" / name)


def one(section: dict[str, list[str]], key: str) -> str:
    values = section.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def megabytes(size: str) -> int:
    number, suffix = re.fullmatch(r"(\d+)([KMG])", size).groups()
    return int(number) * {"K": 1 / 1024, "M": 1, "G": 1024}[suffix]


def test_the_units_are_the_ones_startup_installs() -> None:
    script = (DEPLOY / "startup.sh").read_text()
    listed = re.search(r"^UNITS=\((.*)\)$", script, re.MULTILINE).group(1).split()
    assert sorted(listed) == [p.name for p in UNITS]


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    root = tmp_path
    (root / "etc/systemd/system").mkdir(parents=True)
    lib = root / "usr/lib/systemd/system"
    lib.mkdir(parents=True)
    # Stand-ins for the standard targets and for every ExecStart binary.
    for target in ("sysinit", "basic", "network-online", "multi-user", "timers", "shutdown"):
        (lib / f"{target}.target").write_text(f"[Unit]\nDescription={target}\n")
    for name in ("dagster", "dagster-daemon", "python"):
        stand_in = root / VENV_BIN.lstrip("/") / name
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    (root / "bin").mkdir()
    shutil.copy("/bin/bash", root / "bin/bash")
    (root / "opt/platform/deploy").mkdir(parents=True, exist_ok=True)
    shutil.copy(DEPLOY / "healthcheck.sh", root / "opt/platform/deploy/healthcheck.sh")
    for path in UNITS:
        shutil.copy(path, root / "etc/systemd/system" / path.name)

    result = subprocess.run(
        [analyze, "verify", f"--root={root}", *(f"/etc/systemd/system/{p.name}" for p in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # Unknown keys or bad values are only warnings: any output is a failure.
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).strip() == ""


def test_code_server_and_daemon() -> None:
    code, daemon = unit("dagster-code.service"), unit("dagster.service")
    assert one(code["Service"], "ExecStart") == (
        f"{VENV_BIN}/dagster api grpc --module-name dagster_defs.definitions"
        " --host 127.0.0.1 --port 4266 --location-name dagster_defs"
    )
    # runs the stopped server left behind are ended before it serves again (best effort: "-")
    assert one(code["Service"], "ExecStartPre") == (
        f"-{VENV_BIN}/python -m dagster_defs.orphaned_runs"
    )
    assert one(daemon["Service"], "ExecStart") == (
        f"{VENV_BIN}/dagster-daemon run --workspace /var/dagster/home/workspace.yaml"
    )
    assert "dagster-code.service" in one(daemon["Unit"], "Requires").split()
    assert "dagster-code.service" in one(daemon["Unit"], "After").split()
    for name in SERVICES:
        service = unit(name)["Service"]
        assert one(service, "User") == "dagster"
        assert one(service, "Group") == "dagster"
        assert one(service, "Restart") == "on-failure"
        assert one(service, "WorkingDirectory") == "/opt/platform"
        assert one(service, "EnvironmentFile") == "/opt/platform/.env"
        assert "DAGSTER_HOME=/var/dagster/home" in service["Environment"]
        assert unit(name)["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize("name", [*SERVICES, "dagster-health.service"])
def test_hardening(name: str) -> None:
    service = unit(name)["Service"]
    for key, expected in HARDENING.items():
        assert one(service, key) == expected, key
    assert one(service, "ReadWritePaths") == "/var/dagster"
    assert one(service, "SystemCallFilter") == "@system-service"
    families = one(service, "RestrictAddressFamilies").split()
    assert set(families) <= {"AF_UNIX", "AF_INET", "AF_INET6"}
    if name in SERVICES:
        assert one(service, "CapabilityBoundingSet") == ""


def test_memory_limits_fit_an_e2_micro() -> None:
    total_max = 0
    for name in SERVICES:
        service = unit(name)["Service"]
        high, hard = megabytes(one(service, "MemoryHigh")), megabytes(one(service, "MemoryMax"))
        assert high < hard
        total_max += hard
    # Floors: code server idle + a one-source run; daemon idle. A full run overshoots the code
    # server's limits into swap (see the unit's comment and benchmarks/dagster_memory.py).
    code = unit("dagster-code.service")["Service"]
    assert megabytes(one(code, "MemoryHigh")) >= 185 + 230
    assert megabytes(one(unit("dagster.service")["Service"], "MemoryHigh")) >= 120
    assert total_max <= VM_MB - SYSTEM_RESERVE_MB
    # An OOM kill of a run must not take the code server down with it.
    assert one(code, "OOMPolicy") == "continue"


def test_health_check_every_five_minutes() -> None:
    timer = unit("dagster-health.timer")
    assert one(timer["Timer"], "OnUnitActiveSec") == "5min"
    assert one(timer["Timer"], "OnBootSec") == "5min"
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    service = unit("dagster-health.service")["Service"]
    assert one(service, "Type") == "oneshot"
    assert one(service, "ExecStart") == "/bin/bash /opt/platform/deploy/healthcheck.sh"
    # its alert goes out with the settings the services have (alerts.* in .env)
    assert one(service, "EnvironmentFile") == "/opt/platform/.env"
    assert "[Install]" not in (DEPLOY / "systemd/dagster-health.service").read_text()
