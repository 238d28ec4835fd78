"""deploy/startup.sh end to end in a temporary root, twice, with stand-ins for the VM's tools."""

from __future__ import annotations

import os
import re
import stat

import pytest

from tests.deploy.fakes import SECRETS, SETTINGS, UV_VERSION, FakeVM, git

UNITS = (
    "dagster-code.service",
    "dagster.service",
    "dagster-health.service",
    "dagster-health.timer",
)


def read_env(vm: FakeVM) -> dict[str, str]:
    env = {}
    for line in (vm.root / "opt/platform/.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert value.startswith("'"), name
            assert value.endswith("'"), name
            env[name] = value[1:-1]
    return env


def assert_no_secret_in(run_output: str, *values: str) -> None:
    for value in values or tuple(v for _, v in SECRETS.values()):
        assert value not in run_output


def test_first_boot_sets_up_everything(vm: FakeVM) -> None:
    run = vm.run()

    assert run.returncode == 0, run.output
    # Every step is named in the log, in order.
    steps = re.findall(r"^platform-startup: \[(\d+)\] (.+)$", run.stdout, re.MULTILINE)
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
    assert any("write .env" in name for _, name in steps)

    app = vm.root / "opt/platform"
    assert git(app, "rev-parse", "HEAD") == git(vm.remote, "rev-parse", "HEAD")
    assert (vm.root / "usr/local/bin/uv").exists()
    assert (app / ".venv/bin/dagster").exists()

    # .env: settings and every secret, 0600, owned by the dagster user.
    dotenv = app / ".env"
    st = dotenv.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())  # `id dagster` in the fake
    assert read_env(vm) == SETTINGS | {env: value for env, value in SECRETS.values()}
    assert not list(app.glob(".env.*")), "temporary .env left behind"

    home = vm.root / "var/dagster/home"
    for name in ("dagster.yaml", "workspace.yaml"):
        assert (home / name).read_bytes() == (vm.remote / "deploy" / name).read_bytes()
    for unit in UNITS:
        installed = vm.root / "etc/systemd/system" / unit
        assert installed.read_bytes() == (vm.remote / "deploy/systemd" / unit).read_bytes()
        assert stat.S_IMODE(installed.stat().st_mode) == 0o644
    assert stat.S_IMODE((vm.root / "var/dagster").stat().st_mode) == 0o750
    assert "/swapfile none swap sw 0 0" in (vm.root / "etc/fstab").read_text()

    mutating = run.mutating_calls()
    assert any(c.startswith("useradd --system") for c in mutating)
    assert "uv sync --locked --no-dev --quiet --compile-bytecode" in mutating
    assert "systemctl daemon-reload" in mutating
    for unit in ("dagster-code.service", "dagster.service", "dagster-health.timer"):
        assert f"systemctl enable --quiet {unit}" in mutating
    assert "systemctl restart dagster-code.service dagster.service" in mutating
    assert vm.unit_state("dagster.service") == "active"
    assert vm.unit_state("dagster-health.timer") == "active"
    assert_no_secret_in(run.output)
    assert_no_secret_in("\n".join(run.calls))
    assert ".env holds 3 secrets (values not shown)" in run.stdout


def test_second_run_changes_nothing(vm: FakeVM) -> None:
    assert vm.run().returncode == 0
    before = vm.snapshot()
    head = git(vm.root / "opt/platform", "rev-parse", "HEAD")

    run = vm.run()

    assert run.returncode == 0, run.output
    assert run.mutating_calls() == []
    assert vm.snapshot() == before  # same files, modes, owners, contents and mtimes
    assert git(vm.root / "opt/platform", "rev-parse", "HEAD") == head
    assert "nothing changed" in run.stdout
    assert_no_secret_in(run.output)


def test_rotated_secret_and_new_commit_are_picked_up(vm: FakeVM) -> None:
    assert vm.run().returncode == 0
    rotated = "sk_live_ROTATED_stripe_0b7e"
    vm.set_secret("stripe-api-key", rotated)
    (vm.remote / "deploy/dagster.yaml").write_text(
        (vm.remote / "deploy/dagster.yaml").read_text() + "\n# changed\n"
    )
    new_commit = vm.commit("second")

    run = vm.run()

    assert run.returncode == 0, run.output
    assert read_env(vm)["SOURCES__STRIPE__API_KEY"] == rotated
    assert stat.S_IMODE((vm.root / "opt/platform/.env").stat().st_mode) == 0o600
    assert git(vm.root / "opt/platform", "rev-parse", "HEAD") == new_commit
    assert (vm.root / "var/dagster/home/dagster.yaml").read_text().endswith("# changed\n")
    mutating = run.mutating_calls()
    assert "systemctl restart dagster-code.service dagster.service" in mutating
    # The lock file and the units did not change: no reinstall, no daemon-reload.
    assert not any(
        c.startswith(("uv sync", "systemctl daemon-reload", "useradd")) for c in mutating
    )
    assert_no_secret_in(run.output, rotated)
    assert_no_secret_in("\n".join(run.calls), rotated)


def test_a_tag_ref_and_a_new_uv_version(vm: FakeVM) -> None:
    assert vm.run().returncode == 0
    vm.commit("second")
    vm.metadata.attributes["platform-repo-ref"] = "v1"
    vm.metadata.attributes["platform-uv-version"] = "0.14.0"
    vm.metadata.serve_uv("0.14.0")

    run = vm.run()

    assert run.returncode == 0, run.output
    assert git(vm.root / "opt/platform", "rev-parse", "HEAD") == git(vm.remote, "rev-parse", "v1")
    assert "uv 0.14.0" in run.stdout
    # A new uv reinstalls the environment (the stamp includes uv's version).
    assert "uv sync --locked --no-dev --quiet --compile-bytecode" in run.mutating_calls()


def test_services_that_stopped_are_started_without_a_restart(vm: FakeVM) -> None:
    assert vm.run().returncode == 0
    vm.set_unit_state("dagster.service", "failed")

    run = vm.run()

    assert run.returncode == 0, run.output
    assert run.mutating_calls() == ["systemctl start dagster.service"]


@pytest.mark.parametrize(
    ("break_it", "step", "message"),
    [
        pytest.param(
            lambda vm: (vm.secrets / "paypal-client-secret").unlink(),
            "write .env (settings and Secret Manager secrets)",
            "cannot read the latest version of secret paypal-client-secret "
            "(for SOURCES__PAYPAL__CLIENT_SECRET): ERROR: (gcloud.secrets.versions.access) "
            "NOT_FOUND",
            id="secret-without-version",
        ),
        pytest.param(
            lambda vm: vm.set_secret("stripe-api-key", "sk_live_TOPSECRET_it's"),
            "write .env (settings and Secret Manager secrets)",
            "secret stripe-api-key (for SOURCES__STRIPE__API_KEY) contains a line break or a "
            "single quote",
            id="secret-with-quote",
        ),
        pytest.param(
            lambda vm: vm.metadata.attributes.update({"platform-repo-ref": "no-such-branch"}),
            "check out no-such-branch of the repository",
            "cannot fetch no-such-branch from",
            id="unknown-ref",
        ),
        pytest.param(
            lambda vm: (
                vm.metadata.attributes.update({"platform-uv-version": "0.14.1"}),
                vm.metadata.serve_uv("0.14.1", corrupt=True),
            ),
            "install uv 0.14.1",
            "uv 0.14.1 download does not match its checksum",
            id="uv-checksum",
        ),
        pytest.param(
            lambda vm: vm.metadata.attributes.pop("platform-repo-url"),
            "read the settings from instance metadata",
            "instance metadata instance/attributes/platform-repo-url is missing",
            id="missing-metadata",
        ),
    ],
)
def test_a_failing_step_names_itself_and_leaves_the_running_setup_alone(
    vm: FakeVM, break_it, step: str, message: str
) -> None:
    assert vm.run().returncode == 0
    env_before = (vm.root / "opt/platform/.env").read_bytes()
    break_it(vm)

    run = vm.run()

    assert run.returncode != 0
    assert message in run.stderr
    assert re.search(rf'FAILED at step \d+ "{re.escape(step)}"', run.stderr), run.stderr
    # .env is replaced atomically or not at all; nothing was restarted.
    assert (vm.root / "opt/platform/.env").read_bytes() == env_before
    assert not list((vm.root / "opt/platform").glob(".env.*"))
    assert not any(c.startswith("systemctl restart") for c in run.calls)
    assert "sk_live_TOPSECRET_it's" not in run.output
    assert_no_secret_in(run.output)


def test_first_boot_without_a_secret_version_stops_before_the_services(vm: FakeVM) -> None:
    (vm.secrets / "google-ads-refresh-token").unlink()

    run = vm.run()

    assert run.returncode != 0
    assert "gcloud secrets versions add google-ads-refresh-token" in run.stderr
    assert not (vm.root / "opt/platform/.env").exists()
    assert not (vm.root / "etc/systemd/system/dagster.service").exists()
    assert_no_secret_in(run.output)


def test_uv_is_pinned_to_the_terraform_default() -> None:
    from tests.deploy.terraform_config import variable_default

    assert variable_default("uv_version") == UV_VERSION
