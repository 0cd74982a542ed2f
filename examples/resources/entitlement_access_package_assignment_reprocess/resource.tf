# Re-apply a delivered assignment's access (for example after someone removed
# Dmitri from one of the package's groups by hand). Change the trigger to run
# it again. For an assignment this configuration manages, use its resource's
# id: entitlement_access_package_assignment.<name>.id.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

data "entitlement_access_package_assignment" "dmitri_sales" {
  access_package_id = "a914b616-e04e-476b-aa37-91038f0b165b"
  target_object_id  = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04"
}

resource "entitlement_access_package_assignment_reprocess" "dmitri_sales" {
  assignment_id = data.entitlement_access_package_assignment.dmitri_sales.id
  triggers = {
    reason = "group membership repaired 2026-11-23"
  }
}
