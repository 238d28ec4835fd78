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
