# GCC High. The token authority, the Graph host and the token scope follow.
provider "entitlement" {
  environment = "usgovernmentl4"
}
