# Every live assignment of a package (one Graph call per page of 100).

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

data "entitlement_access_package_assignments" "sales" {
  access_package_id = "a914b616-e04e-476b-aa37-91038f0b165b"
}

output "sales_members" {
  value = sort([for a in data.entitlement_access_package_assignments.sales.assignments : a.target.principal_name])
}
