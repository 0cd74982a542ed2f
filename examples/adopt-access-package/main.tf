# Adopt every assignment an access package already has, in one apply, with
# the Terraform CLI as it is from 1.7 on: the data source lists them, an
# import block with for_each imports each, and a resource with the same
# for_each manages them from then on. The plan after the apply is empty.
#
# Run it against the emulator: make emulator, then
#   ENTITLEMENT_GRAPH_URL=http://127.0.0.1:8787 ENTITLEMENT_ACCESS_TOKEN=emulator-token terraform apply

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

variable "access_package_id" {
  description = "The access package to adopt."
  type        = string
  default     = "a914b616-e04e-476b-aa37-91038f0b165b"
}

data "entitlement_access_package_assignments" "existing" {
  access_package_id = var.access_package_id
}

locals {
  # One key per user and policy: a user may hold the package under two policies.
  existing = {
    for a in data.entitlement_access_package_assignments.existing.assignments :
    "${a.assignment_policy_id}/${a.target_object_id}" => a
    if a.target_object_id != null
  }
}

import {
  for_each = local.existing
  to       = entitlement_access_package_assignment.member[each.key]
  id       = each.value.id
}

resource "entitlement_access_package_assignment" "member" {
  for_each = local.existing

  access_package_id    = var.access_package_id
  assignment_policy_id = each.value.assignment_policy_id
  target_object_id     = each.value.target_object_id
}

output "adopted" {
  value = length(entitlement_access_package_assignment.member)
}
