# An import block by assignment id, or by <access_package_id>/<target_object_id>: here Dmitri's
# assignment, made by hand in the portal before Terraform.

terraform {
  required_version = ">= 1.5"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

import {
  to = entitlement_access_package_assignment.dmitri_sales
  id = "a914b616-e04e-476b-aa37-91038f0b165b/5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04"
}
