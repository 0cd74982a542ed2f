# After: one authoritative resource for the package and policy. Applied
# once, this file forgets the per-person resources without removing any
# access, and imports what the package holds. It replaces per-person.tf in
# the same directory (and state); on its own, it adopts the package's
# assignments under the policy and adds whom the roster lists.

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
    # Assigned by hand before Terraform, so no per-person resource had him.
    # Left out, the first plan would show his access removed.
    "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04", # Dmitri Volkov
  ]
}

# Forget the per-person resources: Terraform stops managing them, and
# Entra is not changed (Terraform 1.7 and later, OpenTofu 1.7 and later).
removed {
  from = entitlement_access_package_assignment.sales
  lifecycle {
    destroy = false
  }
}

# Adopt the package's assignments under the policy.
import {
  to = entitlement_access_package_assignments.sales
  id = "a914b616-e04e-476b-aa37-91038f0b165b/2264bf65-76ba-417b-a27d-54d291f0cbc8"
}

resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = "a914b616-e04e-476b-aa37-91038f0b165b"
  assignment_policy_id = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
  target_object_ids    = var.sales_team
}
