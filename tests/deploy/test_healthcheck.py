"""deploy/healthcheck.sh with stand-ins for systemctl and `dagster-daemon liveness-check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.fakes import FakeVM, current_user, write_script

CODE, DAEMON = "dagster-code.service", "dagster.service"


def check(vm: FakeVM, *, heartbeat_ok: bool = True, **extra: str):
    venv_bin = vm.tmp / "venv-bin"
    venv_bin.mkdir(exist_ok=True)
    write_script(
        venv_bin / "dagster-daemon",
        f"""
        tolerance=$DAGSTER_DAEMON_HEARTBEAT_TOLERANCE
        echo "dagster-daemon $* tolerance=$tolerance home=$DAGSTER_HOME" >>"$STUB_LOG"
        exit {0 if heartbeat_ok else 1}
        """,
    )
    write_script(
        venv_bin / "python",
        """
        echo "python $* cwd=$PWD" >>"$STUB_LOG"
        """,
    )
    env = {
        "DAGSTER_VENV_BIN": str(venv_bin),
        "PLATFORM_DIR": str(vm.tmp),
        "DAGSTER_USER": current_user(),  # no privilege drop in the test
        "DAGSTER_HOME": str(vm.tmp / "dagster-home"),
        **extra,
    }
    return vm.run("healthcheck.sh", env)


def restarts(run) -> list[str]:
    return [c for c in run.calls if c.startswith("systemctl restart")]


def test_healthy(vm: FakeVM) -> None:
    vm.set_unit_state(CODE, "active")
    vm.set_unit_state(DAEMON, "active")

    run = check(vm)

    assert run.returncode == 0, run.output
    assert (
        run.stdout == "dagster-health: ok: dagster-code active, dagster active, heartbeat fresh\n"
    )
    assert restarts(run) == []
    assert not [c for c in run.calls if c.startswith("python")]  # nothing to alert
    liveness = [c for c in run.calls if c.startswith("dagster-daemon")]
    assert liveness == [f"dagster-daemon liveness-check tolerance=300 home={vm.tmp}/dagster-home"]


def test_stale_heartbeat_restarts_the_daemon(vm: FakeVM) -> None:
    vm.set_unit_state(CODE, "active")
    vm.set_unit_state(DAEMON, "active")

    run = check(vm, heartbeat_ok=False)

    assert run.returncode == 1
    assert restarts(run) == [f"systemctl restart {DAEMON}"]
    assert run.stdout == (
        "dagster-health: restarted dagster (heartbeat stale); "
        "now dagster-code active, dagster active\n"
    )


@pytest.mark.parametrize(
    ("code", "daemon", "expected"),
    [
        ("failed", "inactive", [CODE, DAEMON]),
        ("active", "failed", [DAEMON]),
        ("inactive", "active", [CODE]),
    ],
)
def test_what_is_down_is_restarted(vm: FakeVM, code: str, daemon: str, expected: list[str]) -> None:
    vm.set_unit_state(CODE, code)
    vm.set_unit_state(DAEMON, daemon)

    run = check(vm)

    assert run.returncode == 1
    assert restarts(run) == [f"systemctl restart {u}" for u in expected]
    assert vm.unit_state(CODE) == vm.unit_state(DAEMON) == "active"
    assert len(run.stdout.splitlines()) == 1
    assert run.stdout.startswith("dagster-health: restarted ")


def test_a_failed_restart_is_reported(vm: FakeVM) -> None:
    vm.set_unit_state(CODE, "active")
    vm.set_unit_state(DAEMON, "failed")
    (vm.state / f"fail-start-{DAEMON}").touch()

    run = check(vm)

    assert run.returncode == 2
    assert "dagster (was failed; restart FAILED)" in run.stdout
    assert len(run.stdout.splitlines()) == 1
    # the line goes out as an alert, from the checkout
    alerts = [c for c in run.calls if c.startswith("python")]
    assert alerts == [f"python -m alerts {run.stdout.strip()} cwd={vm.tmp}"]


def test_heartbeat_not_checked_right_after_a_start(vm: FakeVM) -> None:
    vm.set_unit_state(CODE, "active")
    vm.set_unit_state(DAEMON, "active")
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    (vm.state / f"active-enter-{DAEMON}").write_text(f"{int((uptime - 30) * 1_000_000)}\n")

    run = check(vm, heartbeat_ok=False)

    assert run.returncode == 0, run.output
    assert "heartbeat not checked (daemon started 3" in run.stdout
    assert restarts(run) == []
