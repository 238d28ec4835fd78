"""terraform/: formatting, the security-relevant shape of the resources, checkov.

`terraform validate` needs the google provider, which cannot be fetched offline: the
configuration is checked by parsing it (python-hcl2) and by checkov's static checks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.terraform_config import (
    TERRAFORM,
    block,
    config,
    locals_,
    outputs,
    resources,
    resources_of,
    roles_granted,
    variable_default,
    variables,
)

IAP_RANGE = "35.235.240.0/20"
VM_MEMBER = "${local.vm_member}"
VM_ROLES = {
    "roles/bigquery.dataEditor",
    "roles/bigquery.jobUser",
    "roles/monitoring.metricWriter",
    "roles/storage.objectAdmin",
    "roles/secretmanager.secretAccessor",
    "roles/iap.tunnelResourceAccessor",
}
# The settings and credentials the platform reads in production (README, "Settings").
PRODUCTION_SETTINGS = {
    "SOURCES__USE_SANDBOX",
    "LAKE__BUCKET_URL",
    "WAREHOUSE__KIND",
    "WAREHOUSE__BIGQUERY_PROJECT",
    "WAREHOUSE__BIGQUERY_LOCATION",
    "WAREHOUSE__RAW_DATASET",
}
SOURCE_CREDENTIALS = {
    "SOURCES__STRIPE__API_KEY",
    "SOURCES__PAYPAL__CLIENT_ID",
    "SOURCES__PAYPAL__CLIENT_SECRET",
    "SOURCES__FACEBOOK_ADS__ACCESS_TOKEN",
    "SOURCES__FACEBOOK_ADS__APP_SECRET",
    "SOURCES__GOOGLE_ADS__DEVELOPER_TOKEN",
    "SOURCES__GOOGLE_ADS__CLIENT_ID",
    "SOURCES__GOOGLE_ADS__CLIENT_SECRET",
    "SOURCES__GOOGLE_ADS__REFRESH_TOKEN",
}
IAM_MEMBER_TYPES = re.compile(r"^google_.*_iam_(member|binding|policy)$")
READERS_FOR_EACH = "${toset(var.dashboard_readers)}"
# `google_bigquery_dataset.this["marts"].dataset_id` (either hcl2 flavour's quotes)
DATASET_REF = re.compile(
    r"^\$\{google_bigquery_dataset\.this\[[\"'](?P<name>[a-z_]+)[\"']\]\.(?P<attr>[a-z_]+)\}$"
)
CHECKOV = "checkov==3.3.30"


def the(rtype: str):
    found = resources_of(rtype)
    assert len(found) == 1, f"expected one {rtype}, found {[r.address for r in found]}"
    return found[0]


def dataset_named(ref: str, attr: str = "dataset_id") -> str:
    """The dataset (key of local.datasets) an expression such as
    `${google_bigquery_dataset.this["marts"].dataset_id}` refers to."""
    match = DATASET_REF.match(ref)
    assert match, f"not a reference to google_bigquery_dataset.this[...]: {ref}"
    assert match["attr"] == attr, ref
    return match["name"]


def test_terraform_fmt() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("the terraform binary is not installed here (fmt -check needs it)")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}"


def test_the_vm_service_account_has_exactly_the_six_roles_at_their_scopes() -> None:
    iam = [r for r in resources() if IAM_MEMBER_TYPES.match(r.type)]
    # Only additive members: a *_binding or *_policy would take roles from others.
    assert all(r.type.endswith("_iam_member") for r in iam), [r.address for r in iam]
    granted = {}
    for r in iam:
        if r["member"] == VM_MEMBER:
            for role in roles_granted(r):
                assert role not in granted, f"{role} granted twice"
                granted[role] = r
    assert set(granted) == VM_ROLES
    assert locals_()["vm_member"] == "serviceAccount:${google_service_account.vm.email}"

    project_level = {role for role, r in granted.items() if r.type == "google_project_iam_member"}
    assert project_level == {
        "roles/bigquery.dataEditor",
        "roles/bigquery.jobUser",
        "roles/monitoring.metricWriter",  # the heartbeat only: writes points, reads nothing
    }

    object_admin = granted["roles/storage.objectAdmin"]
    assert object_admin.type == "google_storage_bucket_iam_member"
    assert object_admin["bucket"] == "${google_storage_bucket.raw.name}"

    accessor = granted["roles/secretmanager.secretAccessor"]
    assert accessor.type == "google_secret_manager_secret_iam_member"
    assert accessor["for_each"] == "${google_secret_manager_secret.source}"

    tunnel = granted["roles/iap.tunnelResourceAccessor"]
    assert tunnel.type == "google_iap_tunnel_instance_iam_member"
    assert tunnel["instance"] == "${google_compute_instance.vm.name}"

    # Nobody else gets anything on the project, but the dashboard readers' jobUser
    # (test_dashboard_readers_get_the_marts_and_jobs_only).
    for r in resources_of("google_project_iam_member"):
        if r["member"] == VM_MEMBER:
            continue
        assert r["for_each"] == READERS_FOR_EACH, r.address
        assert roles_granted(r) == {"roles/bigquery.jobUser"}, r.address


def test_ssh_only_from_iap() -> None:
    firewalls = resources_of("google_compute_firewall")
    assert firewalls, "no firewall rule"
    for rule in firewalls:
        assert rule.get("direction", "INGRESS") == "INGRESS"
        assert rule["source_ranges"] == [IAP_RANGE], rule.address
        allows = rule["allow"]
        assert [(a["protocol"], a.get("ports")) for a in allows] == [("tcp", ["22"])]
        assert rule["target_tags"] == ["${var.name}-vm"]
    assert the("google_compute_instance")["tags"] == ["${var.name}-vm"]
    all_text = "".join(path.read_text() for path in TERRAFORM.glob("*.tf"))
    assert "0.0.0.0/0" not in all_text


def test_the_vm_is_an_e2_micro_without_external_ip_or_project_ssh_keys() -> None:
    vm = the("google_compute_instance")
    assert vm["machine_type"] == "${var.machine_type}"
    assert variable_default("machine_type") == "e2-micro"
    interfaces = vm["network_interface"]
    assert len(interfaces) == 1
    assert "access_config" not in interfaces[0], "an access_config block gives an external IP"
    assert "ipv6_access_config" not in interfaces[0]
    assert not vm.get("can_ip_forward", False)

    metadata = vm["metadata"]
    assert metadata["enable-oslogin"].upper() == "TRUE"
    assert metadata["block-project-ssh-keys"] == "true"
    assert metadata["serial-port-enable"] == "false"
    assert "ssh-keys" not in metadata
    assert metadata["startup-script"] == '${file("${path.module}/../deploy/startup.sh")}'

    account = block(vm.body, "service_account")
    assert account is not None
    assert account["email"] == "${google_service_account.vm.email}"
    shielded = block(vm.body, "shielded_instance_config")
    assert shielded is not None
    assert all(shielded[k] is True for k in ("enable_secure_boot", "enable_vtpm"))
    assert variable_default("boot_image").startswith("debian-cloud/debian-")


def test_the_startup_script_gets_every_metadata_attribute_it_reads() -> None:
    script = (TERRAFORM.parent / "deploy/startup.sh").read_text()
    read = set(re.findall(r"metadata instance/attributes/(platform-[a-z-]+)", script))
    optional = {"platform-uv-download-url"}
    given = {k for k in the("google_compute_instance")["metadata"] if k.startswith("platform-")}
    assert read - optional <= given
    assert given <= read


def test_the_vm_env_has_the_production_settings() -> None:
    platform_env = locals_()["platform_env"]
    for setting in PRODUCTION_SETTINGS:
        assert setting in platform_env, setting
    q = "[\"']"  # the hcl2 flavours quote map literals differently
    assert re.search(rf"SOURCES__USE_SANDBOX{q}?\s*[=:]\s*{q}false{q}", platform_env)
    assert re.search(rf"WAREHOUSE__KIND{q}?\s*[=:]\s*{q}bigquery{q}", platform_env)
    assert re.search(
        rf"LAKE__BUCKET_URL{q}?\s*[=:]\s*{q}gs://\$\{{google_storage_bucket\.raw\.name\}}{q}",
        platform_env,
    )


def test_a_missing_nightly_heartbeat_for_26_hours_emails_the_operators() -> None:
    (policy,) = resources_of("google_monitoring_alert_policy")
    assert policy["count"] == "${length(var.alert_emails) > 0 ? 1 : 0}"
    (condition,) = policy["conditions"]
    query = condition["condition_prometheus_query_language"][0]["query"]
    metric = locals_()["heartbeat_metric"]
    assert metric == "custom.googleapis.com/data_platform/nightly_run_succeeded"
    assert query.startswith("absent_over_time(")
    assert query.endswith("[26h])")
    assert "${local.heartbeat_metric}" in query
    assert "google_monitoring_notification_channel.alert_email" in str(
        policy["notification_channels"]
    )
    (channel,) = resources_of("google_monitoring_notification_channel")
    assert channel["type"] == "email"
    assert "ALERTS__HEARTBEAT_PROJECT" in locals_()["platform_env"]
    from alerts.heartbeat import METRIC

    assert metric == METRIC  # the metric the run writes is the one the policy watches


def test_raw_bucket_is_private_versioned_and_has_lifecycle_rules() -> None:
    bucket = next(r for r in resources_of("google_storage_bucket") if r.name == "raw")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket.get("force_destroy", False) is False
    versioning = block(bucket.body, "versioning")
    assert versioning is not None
    assert versioning["enabled"] is True
    soft_delete = block(bucket.body, "soft_delete_policy")
    assert soft_delete is not None
    assert "var.raw_soft_delete_days" in soft_delete["retention_duration_seconds"]
    assert variable_default("raw_soft_delete_days") >= 7

    rules = bucket["lifecycle_rule"]
    actions = [block(rule, "action")["type"] for rule in rules]
    conditions = [block(rule, "condition") for rule in rules]
    assert "AbortIncompleteMultipartUpload" in actions
    noncurrent = [c for a, c in zip(actions, conditions, strict=True) if a == "Delete"]
    assert any("days_since_noncurrent_time" in c for c in noncurrent)
    assert all(c.get("with_state") == "ARCHIVED" for c in noncurrent), (
        "a Delete rule must only touch replaced versions, never live lake files"
    )
    # Every bucket is private.
    for b in resources_of("google_storage_bucket"):
        assert b["uniform_bucket_level_access"] is True, b.address
        assert b["public_access_prevention"] == "enforced", b.address


def test_bigquery_datasets() -> None:
    dataset = the("google_bigquery_dataset")
    assert dataset["for_each"] == "${local.datasets}"
    # sqlmesh__marts (SQLMesh's tables behind the marts' views) is created by Terraform, not
    # on SQLMesh's first run, so that marts can be authorized on it: one resource for all four
    # keeps it in the same location as marts, which an authorized dataset requires.
    assert set(locals_()["datasets"]) == {"raw", "staging", "marts", "sqlmesh__marts"}
    assert dataset["location"] == "${local.data_location}"
    assert (
        next(r for r in resources_of("google_storage_bucket") if r.name == "raw")["location"]
        == "${local.data_location}"
    ), "external tables need the bucket in the datasets' location"


def test_sqlmesh_marts_authorizes_the_views_in_marts() -> None:
    """Readers query the views in marts; the tables those select from are in sqlmesh__marts,
    which lets every view in marts (later ones too) read them: nobody needs roles there."""
    assert "sqlmesh__marts" in locals_()["datasets"]  # created in local.data_location
    assert "access" not in the("google_bigquery_dataset").body, (
        "access blocks are authoritative and would fight the google_bigquery_dataset_access entries"
    )
    accesses = resources_of("google_bigquery_dataset_access")
    authorizations = [r for r in accesses if "dataset" in r.body]
    assert len(authorizations) == 1, [r.address for r in authorizations]
    authorization = authorizations[0]
    assert dataset_named(authorization["dataset_id"]) == "sqlmesh__marts"
    assert "role" not in authorization.body
    entry = block(authorization.body, "dataset")
    assert entry is not None
    assert entry["target_types"] == ["VIEWS"]
    authorized = block(entry, "dataset")
    assert authorized is not None
    assert dataset_named(authorized["dataset_id"]) == "marts"
    assert dataset_named(authorized["project_id"], attr="project") == "marts"

    # Dataset IAM resources rewrite a dataset's access list and drop its authorizations, and
    # fight google_bigquery_dataset_access on the same dataset: none on sqlmesh__marts, and
    # no access entries on marts, where the readers' IAM members are.
    for r in resources():
        if r.type.startswith("google_bigquery_dataset_iam_"):
            assert dataset_named(r["dataset_id"]) != "sqlmesh__marts", r.address
    for r in accesses:
        assert dataset_named(r["dataset_id"]) == "sqlmesh__marts", r.address


def test_the_vm_owns_sqlmesh_marts_so_sqlmesh_can_publish_the_views() -> None:
    """Creating or replacing a view in an authorized dataset takes bigquery.datasets.update on
    the dataset that authorizes it; dataEditor lacks it, OWNER of that one dataset has it
    (what SQLMesh would have been, had it created the dataset)."""
    grants = [r for r in resources_of("google_bigquery_dataset_access") if "role" in r.body]
    assert len(grants) == 1, [r.address for r in grants]
    grant = grants[0]
    assert dataset_named(grant["dataset_id"]) == "sqlmesh__marts"
    assert grant["role"] == "OWNER"
    assert grant["user_by_email"] == "${google_service_account.vm.email}"
    assert f"${{{grant.address}}}" in the("google_compute_instance")["depends_on"], (
        "the VM's first run must find the grant in place"
    )


def test_dashboard_readers_get_the_marts_and_jobs_only() -> None:
    """dataViewer on marts (not raw: customer emails; not staging; not sqlmesh__marts, read
    through the authorized dataset) and jobUser on the project, one resource per role."""
    granted: dict[str, list] = {}
    for r in resources():
        if "var.dashboard_readers" in json.dumps(r.body):
            assert IAM_MEMBER_TYPES.match(r.type), r.address
            assert r["for_each"] == READERS_FOR_EACH, r.address
            assert r["member"] == "${each.value}", r.address
            for role in roles_granted(r):
                granted.setdefault(role, []).append(r)
    assert set(granted) == {"roles/bigquery.dataViewer", "roles/bigquery.jobUser"}
    assert all(len(found) == 1 for found in granted.values()), granted

    [viewer] = granted["roles/bigquery.dataViewer"]
    assert viewer.type == "google_bigquery_dataset_iam_member"
    assert dataset_named(viewer["dataset_id"]) == "marts"
    [jobs] = granted["roles/bigquery.jobUser"]
    assert jobs.type == "google_project_iam_member"
    assert jobs["project"] == "${var.project_id}"

    # No one gets anything on the other datasets or their tables through Terraform.
    for r in resources():
        if r.type.startswith("google_bigquery_dataset_iam_"):
            assert dataset_named(r["dataset_id"]) == "marts", r.address
        assert not r.type.startswith("google_bigquery_table_iam_"), r.address
    assert variable_default("dashboard_readers") == []


def test_dashboard_readers_must_be_iam_principals(tmp_path: Path) -> None:
    """The variable's validation, run by terraform on variables.tf alone (no provider needed)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("the terraform binary is not installed here (plan evaluates the validation)")
    shutil.copy(TERRAFORM / "variables.tf", tmp_path / "variables.tf")

    def plan(readers: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                terraform,
                "plan",
                "-input=false",
                "-no-color",
                "-lock=false",
                "-var=project_id=my-data-platform",
                "-var=repo_url=https://example.com/platform.git",
                f"-var=dashboard_readers={json.dumps(readers)}",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"},
        )

    accepted = plan(
        [
            "user:bob@example.com",
            "group:analysts@example.com",
            "serviceAccount:looker@my-data-platform.iam.gserviceaccount.com",
            "domain:example.com",
        ]
    )
    assert accepted.returncode == 0, accepted.stderr
    for wrong in ("bob@example.com", "allUsers", "allAuthenticatedUsers", "user:"):
        rejected = plan(["user:bob@example.com", wrong])
        assert rejected.returncode != 0, wrong
        assert "Each dashboard reader must be an IAM principal" in rejected.stderr, wrong


def test_secrets_are_containers_only_one_per_source_credential() -> None:
    secret = the("google_secret_manager_secret")
    assert secret["for_each"] == "${var.source_secrets}"
    defaults = variable_default("source_secrets")
    assert set(defaults.values()) == SOURCE_CREDENTIALS
    assert len(set(defaults.values())) == len(defaults)
    assert not resources_of("google_secret_manager_secret_version")
    for r in resources():
        assert "secret_data" not in r.body, r.address
    for text in (path.read_text() for path in TERRAFORM.glob("*.tf*")):
        assert "secret_data" not in text
        assert "google_secret_manager_secret_version" not in text


def test_variables_have_descriptions_and_validation() -> None:
    for name, body in variables().items():
        assert body.get("description", "").strip(), f"variable {name}: no description"
        if body.get("type") not in ("${bool}", "bool"):
            assert body.get("validation"), f"variable {name}: no validation"
    for name, body in outputs().items():
        assert body.get("description", "").strip(), f"output {name}: no description"
    assert {"ssh_command", "service_account_email", "raw_bucket", "add_secret_commands"} <= set(
        outputs()
    )


def test_tfvars_example_sets_only_declared_variables() -> None:
    example = (TERRAFORM / "terraform.tfvars.example").read_text()
    assigned = set(re.findall(r"^#?\s*([a-z_]+)\s*=", example, re.MULTILINE))
    assert assigned <= set(variables()), assigned - set(variables())
    required = {n for n, body in variables().items() if "default" not in body}
    assert required <= set(re.findall(r"^([a-z_]+)\s*=", example, re.MULTILINE))


def test_provider_is_pinned() -> None:
    providers = config().terraform["required_providers"]
    google = providers["google"] if isinstance(providers, dict) else providers[0]["google"]
    google = google[0] if isinstance(google, list) else google
    assert google["source"] == "hashicorp/google"
    assert google["version"]


def checkov_command() -> list[str]:
    """checkov in an environment of its own (uv tool run), else from this environment.

    checkov pins bc-python-hcl2, which installs a module named `hcl2` like python-hcl2
    does: in one environment the two overwrite each other's files and either checkov or
    the HCL parsing here may break, depending on which was unpacked last.
    """
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is not None:
        return [uv, "tool", "run", "--quiet", "--from", CHECKOV, "checkov"]
    local = Path(sys.executable).with_name("checkov")
    if local.exists():
        return [str(local)]
    pytest.skip(f"neither uv (to run {CHECKOV}) nor checkov is installed here")


@pytest.mark.version_agnostic  # checkov runs in a tool environment of its own
def test_checkov_passes_and_every_skip_has_a_reason() -> None:
    result = subprocess.run(
        [
            *checkov_command(),
            "--directory",
            str(TERRAFORM),
            "--framework",
            "terraform",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT": "false"},
    )
    assert result.stdout.strip(), result.stderr
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r["results"]["failed_checks"]]
    skipped = [c for r in reports for c in r["results"]["skipped_checks"]]
    passed = [c for r in reports for c in r["results"]["passed_checks"]]
    assert not failed, "\n".join(
        f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in failed
    )
    assert passed, "checkov checked nothing"
    for c in skipped:
        reason = c.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) > 40, f"{c['check_id']} on {c['resource']} is skipped without a reason"
