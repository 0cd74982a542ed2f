# The demo that `make demo` applies against the local emulator and its shipped
# fixture (examples/emulator/fixture.json). The provider reads graph_url and
# access_token from ENTITLEMENT_GRAPH_URL and ENTITLEMENT_ACCESS_TOKEN, which
# `make demo` sets.

terraform {
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

provider "entitlement" {}

locals {
  sales_crm        = "a914b616-e04e-476b-aa37-91038f0b165b"
  direct_policy    = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
  regional_data    = "977c7ff4-ef8f-4910-9d31-49048ddf3120"
  regional_policy  = "c5f7847f-83a8-4315-a754-d94a6f39b875"
  region_question  = "8fe745e7-80b2-490d-bd22-4e708c77288c"
  costcentre_quest = "7aaa18c9-8e4f-440f-bd5a-3a7ce312cbe6"

  alice  = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01"
  bob    = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02"
  chloe  = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e03"
  dmitri = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04"
}

# Access for 90 days. The start written here is in the past, so Graph moves it to
# the time it processes the request: the 90 days count from the apply, and
# access_start_date_time and access_end_date_time say what Graph holds.
resource "entitlement_access_package_assignment" "alice_sales" {
  access_package_id    = local.sales_crm
  assignment_policy_id = local.direct_policy
  target_object_id     = local.alice
  justification        = "Quarterly sales push"

  schedule = {
    start_date_time = "2026-11-01T00:00:00Z"
    expiration = {
      type     = "afterDuration"
      duration = "P90D"
    }
  }
}

# Access that does not expire.
resource "entitlement_access_package_assignment" "bob_sales" {
  access_package_id    = local.sales_crm
  assignment_policy_id = local.direct_policy
  target_object_id     = local.bob

  schedule = {
    expiration = { type = "noExpiration" }
  }
}

# A package whose policy asks questions.
resource "entitlement_access_package_assignment" "chloe_regional" {
  access_package_id    = local.regional_data
  assignment_policy_id = local.regional_policy
  target_object_id     = local.chloe
  justification        = "Joins the EMEA team"

  answers = [
    { question_id = local.region_question, value = "EMEA", display_value = "Europe, Middle East and Africa" },
    { question_id = local.costcentre_quest, value = "CC-4711" },
  ]
}

# Someone who is not in the directory yet: Entra invites them on delivery.
resource "entitlement_access_package_assignment" "new_hire" {
  access_package_id    = local.sales_crm
  assignment_policy_id = local.direct_policy
  target_email         = "new.hire@fabrikam.com"

  schedule = {
    expiration = {
      type          = "afterDateTime"
      end_date_time = "2027-06-30T00:00:00Z"
    }
  }
}

# An assignment that was made by hand before Terraform, adopted with an import block.
import {
  to = entitlement_access_package_assignment.dmitri_sales
  id = "${local.sales_crm}/${local.dmitri}"
}

resource "entitlement_access_package_assignment" "dmitri_sales" {
  access_package_id    = local.sales_crm
  assignment_policy_id = local.direct_policy
  target_object_id     = local.dmitri
}

output "assignments" {
  value = {
    for name, a in {
      alice_sales    = entitlement_access_package_assignment.alice_sales
      bob_sales      = entitlement_access_package_assignment.bob_sales
      chloe_regional = entitlement_access_package_assignment.chloe_regional
      new_hire       = entitlement_access_package_assignment.new_hire
      dmitri_sales   = entitlement_access_package_assignment.dmitri_sales
    } : name => "${a.state}: ${coalesce(a.target.principal_name, a.target.email)}, ${a.access_end_date_time != null ? "until ${a.access_end_date_time}" : "with no end"}"
  }
}
