# The VM's own identity, with exactly these IAM roles:
#   roles/bigquery.dataEditor           project: SQLMesh creates its own datasets
#                                       (sqlmesh__staging, ...) besides the ones in
#                                       local.datasets
#   roles/bigquery.jobUser              project: jobs are project-level
#   roles/monitoring.metricWriter       project: the nightly heartbeat (monitoring.tf)
#   roles/storage.objectAdmin           the raw bucket only
#   roles/secretmanager.secretAccessor  each source secret only
#   roles/iap.tunnelResourceAccessor    this VM only (tunnels opened as the VM's identity)
# and, as a dataset access entry (below), OWNER of the dataset sqlmesh__marts.
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
    "roles/monitoring.metricWriter",
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

# SQLMesh publishes each mart as a view in marts (CREATE OR REPLACE VIEW). marts is authorized
# on sqlmesh__marts (bigquery.tf), and creating or replacing a view in an authorized dataset
# takes bigquery.datasets.update on the dataset that authorizes it, which dataEditor lacks.
# Had SQLMesh created sqlmesh__marts itself, it would be its owner (BigQuery makes a dataset's
# creator OWNER); Terraform creates it, so it grants that here. An access entry, not a
# google_bigquery_dataset_iam_member: those would drop the authorization from the dataset.
resource "google_bigquery_dataset_access" "vm_sqlmesh_marts" {
  dataset_id    = google_bigquery_dataset.this["sqlmesh__marts"].dataset_id
  role          = "OWNER" # roles/bigquery.dataOwner; the API returns the legacy name
  user_by_email = google_service_account.vm.email
}

# Dashboard readers (Looker Studio, docs/looker_studio.md): read the marts' views and run the
# queries. Nothing on raw (it holds customer emails) or staging; the tables behind the views
# are read through the authorized dataset.
resource "google_bigquery_dataset_iam_member" "dashboard_readers" {
  for_each = toset(var.dashboard_readers)

  dataset_id = google_bigquery_dataset.this["marts"].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}

# Query jobs are project-level: jobUser runs jobs, it reads no data.
resource "google_project_iam_member" "dashboard_readers" {
  for_each = toset(var.dashboard_readers)

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = each.value
}
