# Terraform 1.14 and later: run with `terraform apply -invoke=action.entitlement_access_package_assignment_request_reprocess.retry`,
# or from an action_trigger. Earlier versions use the entitlement_access_package_assignment_request_reprocess resource.
action "entitlement_access_package_assignment_request_reprocess" "retry" {
  config {
    request_id = "7a6ab703-0780-4b37-8445-81f679b2d75c"
    timeout    = "20m"
  }
}
