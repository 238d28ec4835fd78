# The lake: Parquet files written by dlt, read by BigQuery external tables.
resource "google_storage_bucket" "raw" {
  #checkov:skip=CKV_GCP_62:Usage logs need a second bucket (which would need its own log bucket); who read or wrote objects is recorded by Cloud Audit Logs (enable Data Access logs for Cloud Storage in the project if required), and only the VM's service account has object access.
  name                        = local.raw_bucket_name
  location                    = local.data_location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # Reloading a date replaces its files: the replaced versions stay
  # restorable for raw_noncurrent_days, deleted objects for the soft delete window.
  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = var.raw_soft_delete_days * 86400
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.raw_noncurrent_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  # Keep at most three old versions of an object, however often a date is reloaded.
  lifecycle_rule {
    condition {
      num_newer_versions = 3
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.raw_nearline_after_days == null ? [] : [var.raw_nearline_after_days]
    content {
      condition {
        age                   = lifecycle_rule.value
        matches_storage_class = ["STANDARD"]
        with_state            = "LIVE"
      }
      action {
        type          = "SetStorageClass"
        storage_class = "NEARLINE"
      }
    }
  }

  depends_on = [google_project_service.this]
}
