# One secret per source credential. Terraform creates the containers only:
# values are added by the operator (`gcloud secrets versions add`), so they
# never appear in Terraform's configuration, plan or state.
resource "google_secret_manager_secret" "source" {
  for_each = var.source_secrets

  secret_id = each.key
  labels    = { env_var = lower(each.value) }

  replication {
    auto {}
  }

  depends_on = [google_project_service.this]
}
