# Terraform 1.14 and later: run with `terraform apply -invoke=action.entitlement_access_package_assignment_request_reprocess.retry`,
# or from an action_trigger. Earlier versions use the entitlement_access_package_assignment_request_reprocess resource.

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
    request_id = "7a6ab703-0780-4b37-8445-81f679b2d75c"
    timeouts   = { invoke = "20m" }
  }
}
