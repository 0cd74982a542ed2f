# Terraform 1.14 and later, global cloud only.

terraform {
  required_version = ">= 1.14"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

action "entitlement_access_package_assignment_request_resume" "sod_ok" {
  config {
    request_id                             = "7a6ab703-0780-4b37-8445-81f679b2d75c"
    source                                 = "Contoso.SodCheckProcess"
    stage                                  = "assignmentRequestCreated"
    custom_extension_stage_instance_detail = "Reviewed in PR #42"
  }
}
