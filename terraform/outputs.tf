output "vm_name" {
  description = "Name of the VM."
  value       = google_compute_instance.vm.name
}

output "zone" {
  description = "Zone of the VM."
  value       = google_compute_instance.vm.zone
}

output "vm_internal_ip" {
  description = "The VM's only address (internal)."
  value       = google_compute_instance.vm.network_interface[0].network_ip
}

output "service_account_email" {
  description = "The VM's service account: share Google Sheets and the GA4 property with it."
  value       = google_service_account.vm.email
}

output "raw_bucket" {
  description = "The lake (LAKE__BUCKET_URL on the VM)."
  value       = "gs://${google_storage_bucket.raw.name}"
}

output "bigquery_datasets" {
  description = "BigQuery datasets of the warehouse."
  value       = { for k, d in google_bigquery_dataset.this : k => d.id }
}

output "secret_ids" {
  description = "Secret Manager secrets to fill, each with the environment variable it sets."
  value       = var.source_secrets
}

output "add_secret_commands" {
  description = "Run each (pasting the value on stdin, then Ctrl-D) to store the credentials; then restart the VM or rerun its startup script."
  value = [
    for id, env in var.source_secrets :
    "gcloud secrets versions add ${google_secret_manager_secret.source[id].secret_id} --project=${var.project_id} --data-file=-   # ${env}"
  ]
}

output "ssh_command" {
  description = "SSH to the VM through IAP."
  value       = "gcloud compute ssh ${google_compute_instance.vm.name} --project=${var.project_id} --zone=${google_compute_instance.vm.zone} --tunnel-through-iap"
}

output "startup_log_command" {
  description = "Show the startup script's output (serial port), without SSH."
  value       = "gcloud compute instances get-serial-port-output ${google_compute_instance.vm.name} --project=${var.project_id} --zone=${google_compute_instance.vm.zone} | grep platform-startup"
}

output "rerun_startup_command" {
  description = "Rerun the startup script (deploy a new repo_ref, pick up rotated secrets) without rebooting."
  value       = "gcloud compute ssh ${google_compute_instance.vm.name} --project=${var.project_id} --zone=${google_compute_instance.vm.zone} --tunnel-through-iap --command='sudo google_metadata_script_runner startup'"
}
