terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
  }

  # State is local by default. For a team, keep it in a bucket (see
  # deploy/README.md, "Remote state") by adding here:
  #   backend "gcs" {}
  # and running `terraform init -backend-config="bucket=<state bucket>"`.
}

provider "google" {
  project = var.project_id
  region  = var.region
  zone    = var.zone

  default_labels = var.labels
}
