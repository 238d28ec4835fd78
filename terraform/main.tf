locals {
  data_location   = coalesce(var.data_location, var.region)
  raw_bucket_name = coalesce(var.raw_bucket_name, "${var.project_id}-${var.name}-raw")

  # The warehouse's datasets; raw holds the external tables over the lake. SQLMesh
  # creates its other datasets itself (sqlmesh__staging, ...); sqlmesh__marts is created
  # here, in the same location as marts, so that marts can be authorized on it
  # (bigquery.tf). SQLMesh's CREATE SCHEMA IF NOT EXISTS leaves an existing dataset alone.
  datasets = {
    raw            = "Raw tables: BigQuery external tables and views over the Parquet lake, one per source table."
    staging        = "Staging models (SQLMesh): cleaned, typed, deduplicated source tables."
    marts          = "Marts (SQLMesh): views that answer business questions, one per mart; read by the dashboards."
    sqlmesh__marts = "SQLMesh writes its versioned mart tables here (marts__<name>__<fingerprint>); the views in marts select from them. Read through marts, not directly."
  }

  # Non-secret settings of the VM's .env (README, "Settings"); secrets are
  # added by the startup script from Secret Manager.
  platform_env = merge(
    {
      SOURCES__USE_SANDBOX         = "false"
      LAKE__BUCKET_URL             = "gs://${google_storage_bucket.raw.name}"
      WAREHOUSE__KIND              = "bigquery"
      WAREHOUSE__BIGQUERY_PROJECT  = var.project_id
      WAREHOUSE__BIGQUERY_LOCATION = local.data_location
      WAREHOUSE__RAW_DATASET       = google_bigquery_dataset.this["raw"].dataset_id
      RUNTIME__DLTHUB_TELEMETRY    = "false"
      # Writable state on the VM: the checkout itself is read-only to the services.
      DLT_DATA_DIR                  = "/var/dagster/dlt"
      WAREHOUSE__SQLMESH_STATE_PATH = "/var/dagster/sqlmesh/state.duckdb"
      WAREHOUSE__SQLMESH_CACHE_DIR  = "/var/dagster/sqlmesh/cache"
      ALERTS__OUTBOX                = "/var/dagster/alerts/outbox.jsonl"
      ALERTS__HEARTBEAT_PROJECT     = var.project_id
    },
    var.extra_env,
  )
}

# The APIs the platform uses; left enabled on destroy (other things may use them).
resource "google_project_service" "this" {
  for_each = toset([
    "compute.googleapis.com",
    "iam.googleapis.com",
    "iap.googleapis.com",
    "oslogin.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "sheets.googleapis.com",
    "analyticsdata.googleapis.com",
    "monitoring.googleapis.com",
  ])

  service            = each.value
  disable_on_destroy = false
}
