# An assignment policy found by its name, instead of a policy id copied by
# hand, and what a request under it needs.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

data "entitlement_access_package" "regional" {
  display_name = "Regional sales data"
  catalog_name = "Sales"
}

data "entitlement_access_package_assignment_policy" "with_region" {
  access_package_id = data.entitlement_access_package.regional.id
  display_name      = "Employees request with region"
}

output "policy_id" {
  value = data.entitlement_access_package_assignment_policy.with_region.id
}

# The questions an assignment's `answers` must cover, by id.
output "required_questions" {
  value = {
    for q in data.entitlement_access_package_assignment_policy.with_region.questions :
    q.id => q.text if q.required
  }
}

output "custom_schedule_allowed" {
  value = data.entitlement_access_package_assignment_policy.with_region.custom_schedule_allowed
}
