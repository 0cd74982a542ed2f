# Exactly these people hold the Sales package under its direct-assignment
# policy: anyone else assigned under that policy is removed.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

variable "sales_team" {
  description = "Object ids of the people who hold the Sales package."
  type        = set(string)
  default = [
    "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01", # Alice Martin
    "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02", # Bob Tanaka
  ]
}

data "entitlement_access_package" "sales_crm" {
  display_name = "Sales CRM"
  catalog_name = "Sales"
}

data "entitlement_access_package_assignment_policy" "direct" {
  access_package_id = data.entitlement_access_package.sales_crm.id
  display_name      = "Direct assignment"
}

resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = data.entitlement_access_package.sales_crm.id
  assignment_policy_id = data.entitlement_access_package_assignment_policy.direct.id
  target_object_ids    = var.sales_team
  justification        = "Sales team roster, reviewed quarterly"

  schedule = {
    expiration = {
      type     = "afterDuration"
      duration = "P365D"
    }
  }
}

output "sales_assignment_ids" {
  value = entitlement_access_package_assignments.sales.assignment_ids
}
