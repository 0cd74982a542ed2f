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

resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = "a914b616-e04e-476b-aa37-91038f0b165b"
  assignment_policy_id = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
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
