# GCC High. The token authority, the Graph host and the token scope follow.

terraform {
  required_version = ">= 1.8"
  required_providers {
    entitlement = {
      source  = "accessgov/entitlement"
      version = ">= 0.1.0"
    }
  }
}

provider "entitlement" {
  environment = "usgovernmentl4"
}
