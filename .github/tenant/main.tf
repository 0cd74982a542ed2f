# The smoke test that .github/workflows/tenant.yml applies to a real tenant.
terraform {
  required_providers {
    entitlement = { source = "accessgov/entitlement" }
  }
}

provider "entitlement" {}

variable "access_package_id" { type = string }
variable "assignment_policy_id" { type = string }
variable "target_object_id" { type = string }

resource "entitlement_access_package_assignment" "smoke" {
  access_package_id    = var.access_package_id
  assignment_policy_id = var.assignment_policy_id
  target_object_id     = var.target_object_id
  schedule = {
    expiration = { type = "afterDuration", duration = "PT4H" }
  }
}

data "entitlement_access_package_assignment" "smoke" {
  id = entitlement_access_package_assignment.smoke.id
}

output "state" {
  value = data.entitlement_access_package_assignment.smoke.state
}
