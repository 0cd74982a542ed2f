# Approve, from a reviewed pull request, a request that a separation-of-duties
# custom extension holds at the assignmentRequestCreated stage.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

locals {
  # The custom extension (a Logic App) that checks a requestor's other access.
  sod_check_extension = "d3a8f1c6-2e4b-4c7d-9a05-8b1e6f3c2d90"
}

data "entitlement_access_package_assignment_request" "stuck" {
  id = "7a6ab703-0780-4b37-8445-81f679b2d75c"
}

resource "entitlement_access_package_assignment_request_resume" "sod_ok" {
  request_id = data.entitlement_access_package_assignment_request.stuck.id
  source     = "Contoso.SodCheckProcess"
  stage      = "assignmentRequestCreated"

  # The callout of the separation-of-duties extension (its id stays after the callback, so the next plan is empty).
  custom_extension_stage_instance_id     = one([for c in data.entitlement_access_package_assignment_request.stuck.custom_extension_callout_instances : c.id if c.custom_extension_id == local.sod_check_extension])
  custom_extension_stage_instance_detail = "Reviewed in PR #42: no conflicting access"
}

# Or deny it (only at the assignmentRequestCreated stage):
# resource "entitlement_access_package_assignment_request_resume" "sod_conflict" {
#   request_id     = "7a6ab703-0780-4b37-8445-81f679b2d75c"
#   source         = "Contoso.SodCheckProcess"
#   stage          = "assignmentRequestCreated"
#   callback_state = "denied"
# }
