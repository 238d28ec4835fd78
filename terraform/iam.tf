# The VM's own identity, with exactly these roles:
#   roles/bigquery.dataEditor           project: SQLMesh creates its own datasets
#                                       (sqlmesh__staging, ...) besides raw/staging/marts
#   roles/bigquery.jobUser              project: jobs are project-level
#   roles/storage.objectAdmin           the raw bucket only
#   roles/secretmanager.secretAccessor  each source secret only
#   roles/iap.tunnelResourceAccessor    this VM only (tunnels opened as the VM's identity)
resource "google_service_account" "vm" {
  account_id   = "${var.name}-vm"
  display_name = "Data platform VM (${var.name})"
  description  = "Runs Dagster and the dlt/SQLMesh pipelines on the ${var.name} VM."

  depends_on = [google_project_service.this]
}

locals {
  vm_member = "serviceAccount:${google_service_account.vm.email}"
}

resource "google_project_iam_member" "vm" {
  for_each = toset([
    "roles/bigquery.dataEditor",
    "roles/bigquery.jobUser",
  ])

  project = var.project_id
  role    = each.value
  member  = local.vm_member
}

resource "google_storage_bucket_iam_member" "vm_raw" {
  bucket = google_storage_bucket.raw.name
  role   = "roles/storage.objectAdmin"
  member = local.vm_member
}

resource "google_secret_manager_secret_iam_member" "vm" {
  for_each = google_secret_manager_secret.source

  secret_id = each.value.id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.vm_member
}

resource "google_iap_tunnel_instance_iam_member" "vm" {
  zone     = var.zone
  instance = google_compute_instance.vm.name
  role     = "roles/iap.tunnelResourceAccessor"
  member   = local.vm_member
}

# Operators: SSH through IAP to this VM, with sudo through OS Login.
resource "google_iap_tunnel_instance_iam_member" "operators" {
  for_each = toset(var.operators)

  zone     = var.zone
  instance = google_compute_instance.vm.name
  role     = "roles/iap.tunnelResourceAccessor"
  member   = each.value
}

resource "google_compute_instance_iam_member" "operators" {
  for_each = toset(var.operators)

  zone          = var.zone
  instance_name = google_compute_instance.vm.name
  role          = "roles/compute.osAdminLogin"
  member        = each.value
}

# OS Login checks that the operator may act as the VM's service account.
resource "google_service_account_iam_member" "operators" {
  for_each = toset(var.operators)

  service_account_id = google_service_account.vm.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}
