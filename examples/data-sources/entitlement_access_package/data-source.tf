# An access package found by its name in a catalog, with its policies.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

data "entitlement_access_package" "crm" {
  display_name = "Sales CRM"
  catalog_name = "Sales" # or catalog_id = "…"
}

output "crm_package_id" {
  value = data.entitlement_access_package.crm.id
}

output "crm_policies" {
  value = { for p in data.entitlement_access_package.crm.assignment_policies : p.display_name => p.id }
}
