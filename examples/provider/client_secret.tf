# Prefer a certificate or OIDC: a secret is a long-lived password.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

provider "entitlement" {
  tenant_id     = "00000000-0000-0000-0000-000000000000"
  client_id     = "00000000-0000-0000-0000-000000000000"
  client_secret = var.client_secret # or ARM_CLIENT_SECRET, or client_secret_file_path
}

variable "client_secret" {
  type      = string
  sensitive = true
}
