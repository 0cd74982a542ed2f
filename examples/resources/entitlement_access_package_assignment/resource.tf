# A user in the directory, for 90 days from a start date.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

# The package and its policies, looked up by name rather than copied ids.
data "entitlement_access_package" "sales_crm" {
  display_name = "Sales CRM"
  catalog_name = "Sales"
}

data "entitlement_access_package_assignment_policy" "direct" {
  access_package_id = data.entitlement_access_package.sales_crm.id
  display_name      = "Direct assignment"
}

resource "entitlement_access_package_assignment" "alice_sales" {
  access_package_id    = data.entitlement_access_package.sales_crm.id
  assignment_policy_id = data.entitlement_access_package_assignment_policy.direct.id
  target_object_id     = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01"
  justification        = "Quarterly sales push"

  schedule = {
    start_date_time = "2026-12-01T00:00:00Z"
    expiration = {
      type     = "afterDuration"
      duration = "P90D"
    }
  }
}

# Someone not yet in the directory, with answers to the policy's questions.
data "entitlement_access_package" "regional" {
  display_name = "Regional sales data"
  catalog_name = "Sales"
}

data "entitlement_access_package_assignment_policy" "with_region" {
  access_package_id = data.entitlement_access_package.regional.id
  display_name      = "Employees request with region"
}

resource "entitlement_access_package_assignment" "new_hire" {
  access_package_id    = data.entitlement_access_package.regional.id
  assignment_policy_id = data.entitlement_access_package_assignment_policy.with_region.id
  target_email         = "new.hire@fabrikam.com"

  # The question ids are the policy's: data.entitlement_access_package_assignment_policy.with_region.questions.
  answers = [
    { question_id = "8fe745e7-80b2-490d-bd22-4e708c77288c", value = "EMEA", display_value = "Europe, Middle East and Africa" },
    { question_id = "7aaa18c9-8e4f-440f-bd5a-3a7ce312cbe6", value = "CC-4711" },
  ]

  timeouts = {
    create = "45m"
  }
}
