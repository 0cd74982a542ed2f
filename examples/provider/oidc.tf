# Workload identity federation. In GitHub Actions, the job's
# ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN are used; in Azure Pipelines, set
# ado_pipeline_service_connection_id and map SYSTEM_ACCESSTOKEN into the step.

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
  tenant_id = "00000000-0000-0000-0000-000000000000"
  client_id = "00000000-0000-0000-0000-000000000000"
  use_oidc  = true
}
