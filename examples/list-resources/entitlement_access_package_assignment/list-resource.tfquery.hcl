# Terraform 1.14 and later: `terraform query` lists the live assignments of an
# access package, and `terraform query -generate-config-out=generated.tf`
# writes a resource and an import block for each; the next `terraform apply`
# adopts them, sending nothing to Graph for a delivered assignment (one whose
# delivery failed is reprocessed, as the plan says). A .tfquery.hcl file cannot
# declare the provider: keep it beside a .tf file whose required_providers
# block names accessgov/entitlement.

list "entitlement_access_package_assignment" "sales" {
  provider = entitlement
  config {
    access_package_id = "a914b616-e04e-476b-aa37-91038f0b165b"
  }
}
