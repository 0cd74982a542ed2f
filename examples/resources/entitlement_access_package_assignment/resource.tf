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

resource "entitlement_access_package_assignment" "alice_sales" {
  access_package_id    = "a914b616-e04e-476b-aa37-91038f0b165b"
  assignment_policy_id = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
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
resource "entitlement_access_package_assignment" "new_hire" {
  access_package_id    = "977c7ff4-ef8f-4910-9d31-49048ddf3120"
  assignment_policy_id = "c5f7847f-83a8-4315-a754-d94a6f39b875"
  target_email         = "new.hire@fabrikam.com"

  answers = [
    { question_id = "8fe745e7-80b2-490d-bd22-4e708c77288c", value = "EMEA", display_value = "Europe, Middle East and Africa" },
    { question_id = "7aaa18c9-8e4f-440f-bd5a-3a7ce312cbe6", value = "CC-4711" },
  ]

  timeouts = {
    create = "45m"
  }
}
