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
  tenant_id                   = "00000000-0000-0000-0000-000000000000"
  client_id                   = "00000000-0000-0000-0000-000000000000"
  client_certificate_path     = "/secrets/terraform-entitlement.pfx"
  client_certificate_password = var.certificate_password
}

variable "certificate_password" {
  type      = string
  sensitive = true
}
