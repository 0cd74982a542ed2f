terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

data "entitlement_access_package_assignment_request" "example" {
  id = "7a6ab703-0780-4b37-8445-81f679b2d75c"
}

output "request_state" {
  value = "${data.entitlement_access_package_assignment_request.example.state} (${data.entitlement_access_package_assignment_request.example.status})"
}
