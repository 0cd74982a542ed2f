# On a self-hosted runner (VM, scale set, container) with a managed identity.
# client_id selects a user-assigned identity; omit it for the system-assigned one.

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
  use_msi   = true
  client_id = "00000000-0000-0000-0000-000000000000"
}
