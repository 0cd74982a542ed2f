# Reprocess every request of an access package whose delivery failed, in full
# or in part, within Graph's 14-day window. Each apply reprocesses the requests
# that are failed at that moment; once they are delivered, the next apply only
# forgets their records.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

variable "access_package_id" {
  type    = string
  default = "a914b616-e04e-476b-aa37-91038f0b165b"
}

data "entitlement_access_package_assignment_requests" "failed" {
  access_package_id = var.access_package_id
  state             = "deliveryFailed"
}

data "entitlement_access_package_assignment_requests" "partially_delivered" {
  access_package_id = var.access_package_id
  state             = "partiallyDelivered"
}

resource "entitlement_access_package_assignment_request_reprocess" "retry" {
  for_each = toset(concat(
    data.entitlement_access_package_assignment_requests.failed.ids,
    data.entitlement_access_package_assignment_requests.partially_delivered.ids,
  ))

  request_id = each.value
}
