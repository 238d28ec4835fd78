# The dead man's switch. Nothing on a dead VM can send an alert, so each successful
# nightly run writes one point of a custom metric (alerts/heartbeat.py, as the VM's
# service account with roles/monitoring.metricWriter), and Cloud Monitoring e-mails
# var.alert_emails when no point has arrived for 26 hours: a night missed by more
# than its two-hour schedule slack. A metric-absence condition stops at 23.5 hours,
# so the condition is PromQL's absent_over_time, which also fires when the metric
# was never written (a VM that never ran a night).
locals {
  heartbeat_metric = "custom.googleapis.com/data_platform/nightly_run_succeeded"
}

resource "google_monitoring_notification_channel" "alert_email" {
  for_each = toset(var.alert_emails)

  display_name = "Data platform alerts: ${each.value}"
  type         = "email"
  labels       = { email_address = each.value }

  depends_on = [google_project_service.this]
}

resource "google_monitoring_alert_policy" "nightly_run_missing" {
  count = length(var.alert_emails) > 0 ? 1 : 0

  display_name = "${var.name}: no successful nightly run for 26 hours"
  combiner     = "OR"

  conditions {
    display_name = "no ${local.heartbeat_metric} point for 26 hours"
    condition_prometheus_query_language {
      query               = "absent_over_time({\"__name__\"=\"${local.heartbeat_metric}\"}[26h])"
      duration            = "0s"
      evaluation_interval = "300s"
    }
  }

  notification_channels = [for channel in google_monitoring_notification_channel.alert_email : channel.id]

  documentation {
    mime_type = "text/markdown"
    content   = "No nightly run of the ${var.name} data platform has succeeded for 26 hours, or the VM is down. SSH through IAP and see `systemctl status dagster dagster-code`, `journalctl -u dagster-health`, and `python -m dagster_defs.run_logs` (deploy/README.md)."
  }

  depends_on = [google_project_service.this]
}
