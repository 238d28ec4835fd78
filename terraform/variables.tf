variable "project_id" {
  description = "The Google Cloud project that holds everything (it must exist and have billing enabled)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 characters: lower-case letters, digits, hyphens), not a project name or number."
  }
}

variable "region" {
  description = "Region of the VM, the raw bucket and (unless data_location is set) the BigQuery datasets. us-west1, us-central1 and us-east1 are in the e2-micro free tier."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Compute Engine region such as us-central1."
  }
}

variable "zone" {
  description = "Zone of the VM; must be in region."
  type        = string
  default     = "us-central1-a"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]-[a-z]$", var.zone))
    error_message = "zone must be a Compute Engine zone such as us-central1-a."
  }
}

variable "data_location" {
  description = "Location of the raw bucket and the BigQuery datasets (null: the region). BigQuery reads the lake through external tables, so both must be in the same location."
  type        = string
  default     = null

  validation {
    condition     = var.data_location == null || can(regex("^([a-z]+-[a-z]+[0-9]|US|EU)$", var.data_location))
    error_message = "data_location must be a region (us-central1) or a multi-region (US, EU)."
  }
}

variable "name" {
  description = "Prefix of every resource name (VM, network, service account, buckets)."
  type        = string
  default     = "platform"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name))
    error_message = "name must be 3-20 characters: lower-case letters, digits, hyphens; starting with a letter."
  }
}

variable "machine_type" {
  description = "VM machine type. The services' memory limits (deploy/systemd) are sized for an e2-micro (1 GB)."
  type        = string
  default     = "e2-micro"

  validation {
    condition     = contains(["e2-micro", "e2-small", "e2-medium"], var.machine_type)
    error_message = "machine_type must be e2-micro, e2-small or e2-medium."
  }
}

variable "boot_image" {
  description = "Boot image of the VM (a Debian image family; the startup script expects apt, systemd and the gcloud CLI that Google's Debian images ship)."
  type        = string
  default     = "debian-cloud/debian-12"

  validation {
    condition     = can(regex("^debian-cloud/debian-1[2-9]", var.boot_image))
    error_message = "boot_image must be a Debian 12 or newer image from debian-cloud, e.g. debian-cloud/debian-12."
  }
}

variable "boot_disk_size_gb" {
  description = "Boot disk size in GB (standard persistent disk; 30 GB is in the free tier). Holds the checkout, the virtualenv, the swap file and Dagster's SQLite storage."
  type        = number
  default     = 30

  validation {
    condition     = var.boot_disk_size_gb >= 20 && var.boot_disk_size_gb <= 200
    error_message = "boot_disk_size_gb must be between 20 and 200."
  }
}

variable "swap_mb" {
  description = "Size of the swap file the startup script creates (0: none). A run's peak plus the daemon and code server is close to the e2-micro's 1 GB."
  type        = number
  default     = 1024

  validation {
    condition     = var.swap_mb >= 0 && var.swap_mb <= 8192 && floor(var.swap_mb) == var.swap_mb
    error_message = "swap_mb must be a whole number between 0 and 8192."
  }
}

variable "repo_url" {
  description = "HTTPS URL of the platform's git repository, cloned by the VM at first boot (public, or reachable without credentials)."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s]+$", var.repo_url))
    error_message = "repo_url must be an https:// URL."
  }
}

variable "repo_ref" {
  description = "Branch, tag or full commit SHA the VM runs. Change it and reboot the VM (or rerun the startup script) to deploy."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$", var.repo_ref)) && !can(regex("\\.\\.", var.repo_ref))
    error_message = "repo_ref must be a git branch, tag or commit SHA (letters, digits, . _ / -)."
  }
}

variable "uv_version" {
  description = "Version of uv the startup script installs (from its GitHub release, checksum verified)."
  type        = string
  default     = "0.13.9"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.uv_version))
    error_message = "uv_version must be a version such as 0.13.9."
  }
}

variable "raw_bucket_name" {
  description = "Name of the raw data (lake) bucket (null: <project_id>-<name>-raw)."
  type        = string
  default     = null

  validation {
    condition     = var.raw_bucket_name == null || can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.raw_bucket_name))
    error_message = "raw_bucket_name must be 3-63 characters: lower-case letters, digits, - and _."
  }
}

variable "raw_soft_delete_days" {
  description = "Days a deleted or replaced object of the raw bucket can still be restored (soft delete; 0 turns it off, else 7-90)."
  type        = number
  default     = 7

  validation {
    condition     = var.raw_soft_delete_days == 0 || (var.raw_soft_delete_days >= 7 && var.raw_soft_delete_days <= 90)
    error_message = "raw_soft_delete_days must be 0 or between 7 and 90."
  }
}

variable "raw_noncurrent_days" {
  description = "Days a replaced (noncurrent) version of a raw object is kept before the lifecycle rule deletes it. Reloading a date replaces its files."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_noncurrent_days >= 1 && var.raw_noncurrent_days <= 3650
    error_message = "raw_noncurrent_days must be between 1 and 3650."
  }
}

variable "raw_nearline_after_days" {
  description = "Move raw objects to Nearline storage after this many days (null: never). Only worth it when old dates are rarely re-read: Nearline bills each read."
  type        = number
  default     = null

  validation {
    condition     = var.raw_nearline_after_days == null || try(var.raw_nearline_after_days >= 30, false)
    error_message = "raw_nearline_after_days must be null or at least 30 (Nearline's minimum storage duration)."
  }
}

variable "source_secrets" {
  description = "Secret Manager secret ID => environment variable the VM's .env sets from its latest version. One line per source credential; Terraform creates only the empty secret, the operator adds values with gcloud."
  type        = map(string)
  default = {
    "stripe-api-key"             = "SOURCES__STRIPE__API_KEY"
    "paypal-client-id"           = "SOURCES__PAYPAL__CLIENT_ID"
    "paypal-client-secret"       = "SOURCES__PAYPAL__CLIENT_SECRET"
    "facebook-ads-access-token"  = "SOURCES__FACEBOOK_ADS__ACCESS_TOKEN"
    "facebook-ads-app-secret"    = "SOURCES__FACEBOOK_ADS__APP_SECRET"
    "google-ads-developer-token" = "SOURCES__GOOGLE_ADS__DEVELOPER_TOKEN"
    "google-ads-client-id"       = "SOURCES__GOOGLE_ADS__CLIENT_ID"
    "google-ads-client-secret"   = "SOURCES__GOOGLE_ADS__CLIENT_SECRET"
    "google-ads-refresh-token"   = "SOURCES__GOOGLE_ADS__REFRESH_TOKEN"
  }

  validation {
    condition     = alltrue([for id in keys(var.source_secrets) : can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,254}$", id))])
    error_message = "Each secret ID must be 1-255 characters: letters, digits, - and _, starting with a letter."
  }

  validation {
    condition     = alltrue([for env in values(var.source_secrets) : can(regex("^[A-Z][A-Z0-9_]*$", env))])
    error_message = "Each environment variable must be upper case: A-Z, 0-9 and _ (e.g. SOURCES__STRIPE__API_KEY)."
  }

  validation {
    condition     = length(distinct(values(var.source_secrets))) == length(var.source_secrets)
    error_message = "Two secrets set the same environment variable."
  }
}

variable "extra_env" {
  description = "More non-secret settings for the VM's .env (environment variable => value), e.g. { SOURCES__STRIPE__START_DATE = \"2026-01-01\" }. Secrets belong in source_secrets."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.extra_env : can(regex("^[A-Z][A-Z0-9_]*$", k)) && !can(regex("['\\n\\r]", v))])
    error_message = "extra_env keys must be upper-case environment variable names; values must not contain a single quote or a line break."
  }
}

variable "alert_emails" {
  description = "Addresses Cloud Monitoring e-mails when no nightly run has succeeded for 26 hours (the dead man's switch: nothing on a dead VM can send an alert). Empty: no such policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Each alert e-mail must be an address such as ops@example.com."
  }
}

variable "operators" {
  description = "Principals (user:alice@example.com, group:ops@example.com) allowed to SSH to the VM through IAP with sudo (roles/iap.tunnelResourceAccessor and roles/compute.osAdminLogin on this VM only). Project owners already can."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.operators : can(regex("^(user|group|serviceAccount|domain):.+", m))])
    error_message = "Each operator must be an IAM principal such as user:alice@example.com or group:ops@example.com."
  }
}

variable "dashboard_readers" {
  description = "Principals (user:bob@example.com, group:analysts@example.com, serviceAccount:...) who read the marts in Looker Studio: roles/bigquery.dataViewer on the dataset marts only (not raw or staging) and roles/bigquery.jobUser on the project. Whose credentials a data source uses decides who must be listed: docs/looker_studio.md, section Access."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.dashboard_readers : can(regex("^(user|group|serviceAccount|domain):.+", m))])
    error_message = "Each dashboard reader must be an IAM principal such as user:bob@example.com or group:analysts@example.com (not allUsers or allAuthenticatedUsers)."
  }
}

variable "subnet_cidr" {
  description = "IP range of the platform's subnet (the VM has only an internal address; it reaches the internet through Cloud NAT)."
  type        = string
  default     = "10.10.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && tonumber(split("/", var.subnet_cidr)[1]) <= 29
    error_message = "subnet_cidr must be an IPv4 CIDR block of /29 or larger, e.g. 10.10.0.0/24."
  }
}

variable "deletion_protection" {
  description = "Protect the VM and the BigQuery datasets from `terraform destroy`; the raw bucket is never force-destroyed while it holds objects."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels set on every resource that takes them."
  type        = map(string)
  default     = { app = "data-platform" }

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "Label keys and values must be lower case (letters, digits, _ and -), keys starting with a letter."
  }
}
