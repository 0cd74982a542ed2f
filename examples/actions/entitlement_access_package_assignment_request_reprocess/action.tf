# Terraform 1.14 and later: run with `terraform apply -invoke=action.entitlement_access_package_assignment_request_reprocess.retry`,
# or from an action_trigger. Earlier versions use the entitlement_access_package_assignment_request_reprocess resource.
# The request is one whose delivery failed: Erik's, in Sales CRM.

terraform {
  required_version = ">= 1.14"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

action "entitlement_access_package_assignment_request_reprocess" "retry" {
  config {
    request_id = "3d1f6c2e-8b4a-4f0e-9a57-2c6e1b9d4f83"
    timeouts   = { invoke = "20m" }
  }
}
