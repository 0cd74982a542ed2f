# Requests of a package that failed delivery since the start of the month.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

data "entitlement_access_package_assignment_requests" "failed" {
  access_package_id = "a914b616-e04e-476b-aa37-91038f0b165b"
  state             = "deliveryFailed"
  created_after     = "2026-11-01T00:00:00Z"
}

output "failed_targets" {
  value = [for r in data.entitlement_access_package_assignment_requests.failed.requests : try(r.target.principal_name, r.id)]
}
