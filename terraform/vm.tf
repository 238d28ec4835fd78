resource "google_compute_instance" "vm" {
  #checkov:skip=CKV_GCP_38:A customer-supplied key for the boot disk would have to be supplied on every start; Google-managed encryption is enough for a disk that holds code, a virtualenv and Dagster's run history (the credentials live in Secret Manager).
  name                      = "${var.name}-vm"
  machine_type              = var.machine_type
  zone                      = var.zone
  description               = "Data platform: Dagster daemon and code server (deploy/startup.sh)."
  tags                      = ["${var.name}-vm"]
  allow_stopping_for_update = true
  deletion_protection       = var.deletion_protection

  boot_disk {
    auto_delete = true
    initialize_params {
      image = var.boot_image # an image family: new Debian images apply to new VMs only
      size  = var.boot_disk_size_gb
      type  = "pd-standard"
    }
  }

  # Internal address only: no access_config block, so no external IP.
  network_interface {
    subnetwork = google_compute_subnetwork.this.id
  }

  service_account {
    email  = google_service_account.vm.email
    scopes = ["cloud-platform"] # access is limited by the IAM roles in iam.tf
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "true"
    serial-port-enable     = "false"

    # deploy/startup.sh runs at every boot and reads the platform-* attributes.
    startup-script      = file("${path.module}/../deploy/startup.sh")
    platform-repo-url   = var.repo_url
    platform-repo-ref   = var.repo_ref
    platform-uv-version = var.uv_version
    platform-swap-mb    = tostring(var.swap_mb)
    platform-env        = join("\n", [for k, v in local.platform_env : "${k}=${v}"])
    platform-secrets    = join("\n", [for id, env in var.source_secrets : "${env}=${google_secret_manager_secret.source[id].secret_id}"])
  }

  lifecycle {
    # A newer image in the family must not replace the VM (and its Dagster history).
    ignore_changes = [boot_disk[0].initialize_params[0].image]
  }

  # The roles must exist before the first boot pulls the secrets.
  depends_on = [
    google_project_iam_member.vm,
    google_storage_bucket_iam_member.vm_raw,
    google_secret_manager_secret_iam_member.vm,
    google_bigquery_dataset_access.vm_sqlmesh_marts,
    google_compute_router_nat.this,
  ]
}
