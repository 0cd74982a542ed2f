# Before: one resource per person.

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
  type = set(string)
  default = [
    "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01", # Alice Martin
    "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02", # Bob Tanaka
  ]
}

resource "entitlement_access_package_assignment" "sales" {
  for_each             = var.sales_team
  access_package_id    = "a914b616-e04e-476b-aa37-91038f0b165b"
  assignment_policy_id = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
  target_object_id     = each.value
}
