resource "google_bigquery_dataset" "this" {
  #checkov:skip=CKV_GCP_81:Customer-managed keys would add Cloud KMS keys, rotation and their IAM to a one-VM platform; Google-managed encryption at rest covers these datasets (tables of the organisation's own sales and ad data, no card numbers).
  for_each = local.datasets

  dataset_id    = each.key
  friendly_name = each.key
  description   = each.value
  location      = local.data_location

  # The marts are rebuilt from the lake; dropping a dataset by accident still hurts.
  delete_contents_on_destroy = !var.deletion_protection

  depends_on = [google_project_service.this]
}

# Authorized dataset: every view in marts, including the ones SQLMesh publishes later, may
# read the tables in sqlmesh__marts that it selects from. Readers then need roles on marts
# only (iam.tf, dashboard_readers), never on the tables behind the views.
#
# sqlmesh__marts' access list is managed with google_bigquery_dataset_access entries only
# (this one and the VM's in iam.tf): a google_bigquery_dataset_iam_* resource on it would
# rewrite the list and drop this authorization.
resource "google_bigquery_dataset_access" "marts_views" {
  dataset_id = google_bigquery_dataset.this["sqlmesh__marts"].dataset_id

  dataset {
    dataset {
      project_id = google_bigquery_dataset.this["marts"].project
      dataset_id = google_bigquery_dataset.this["marts"].dataset_id
    }
    target_types = ["VIEWS"]
  }
}
