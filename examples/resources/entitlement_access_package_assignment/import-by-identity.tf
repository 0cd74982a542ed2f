# An import block by resource identity: the assignment id (Terraform 1.12 and
# later, and OpenTofu 1.12).

terraform {
  required_version = ">= 1.12"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

import {
  to = entitlement_access_package_assignment.dmitri_sales
  identity = {
    id = "0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f"
  }
}
