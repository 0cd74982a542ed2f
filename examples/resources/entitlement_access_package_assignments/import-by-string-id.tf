# An import block by <access_package_id>/<assignment_policy_id>: adopts every live assignment of the
# package under that policy.

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
  to = entitlement_access_package_assignments.sales
  id = "a914b616-e04e-476b-aa37-91038f0b165b/2264bf65-76ba-417b-a27d-54d291f0cbc8"
}
