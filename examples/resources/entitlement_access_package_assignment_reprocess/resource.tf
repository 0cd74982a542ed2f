# Re-apply a delivered assignment's access (for example after someone removed
# the user from one of the package's groups by hand). Change the trigger to
# run it again.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

resource "entitlement_access_package_assignment_reprocess" "alice_sales" {
  assignment_id = entitlement_access_package_assignment.alice_sales.id
  triggers = {
    reason = "group membership repaired 2026-11-23"
  }
}
