# One user's assignment in a package (an error if there is none, or several): Dmitri's, made by
# hand before Terraform.

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

output "dmitri_sales_ends" {
  value = data.entitlement_access_package_assignment.dmitri_sales.schedule.expiration
}
