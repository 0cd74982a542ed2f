# Credentials come from ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET,
# the variables the azuread provider reads, unless set here.
provider "entitlement" {
  environment = "global"
}

# Against the local emulator (make emulator):
# provider "entitlement" {
#   graph_url    = "http://127.0.0.1:8787"
#   access_token = "emulator-token"
# }
