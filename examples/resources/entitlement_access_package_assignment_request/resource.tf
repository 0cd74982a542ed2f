# Run under a person's delegated login (for example the Azure CLI credential):
# the request is reviewed in a pull request, then approved in Entra as usual.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

# Request a package for yourself, with a justification and answers (Graph picks the policy).
resource "entitlement_access_package_assignment_request" "data_platform" {
  access_package_id = "977c7ff4-ef8f-4910-9d31-49048ddf3120"
  justification     = "Joining the analytics team"

  answers = [
    { question_id = "8fe745e7-80b2-490d-bd22-4e708c77288c", value = "EMEA", display_value = "Europe, Middle East and Africa" },
  ]
}

# As a manager, on behalf of a direct report.
resource "entitlement_access_package_assignment_request" "for_bob" {
  access_package_id    = "977c7ff4-ef8f-4910-9d31-49048ddf3120"
  assignment_policy_id = "c5f7847f-83a8-4315-a754-d94a6f39b875"
  justification        = "Access for my direct report"

  target = {
    object_id    = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02"
    email        = "bob@contoso.com"
    display_name = "Bob Tanaka"
  }

  answers = [
    { question_id = "8fe745e7-80b2-490d-bd22-4e708c77288c", value = "AMER" },
  ]
}

# Give up your own access.
resource "entitlement_access_package_assignment_request" "leave_sales" {
  request_type      = "userRemove"
  access_package_id = "a914b616-e04e-476b-aa37-91038f0b165b"
  wait_for          = "delivered"
}
