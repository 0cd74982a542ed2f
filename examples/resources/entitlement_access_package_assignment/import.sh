# By assignment id:
terraform import entitlement_access_package_assignment.dmitri_sales 0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f

# By access package and user (fails, listing them, when the user has several live assignments in the package):
terraform import entitlement_access_package_assignment.dmitri_sales a914b616-e04e-476b-aa37-91038f0b165b/5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04

# By access package, policy and user:
terraform import entitlement_access_package_assignment.dmitri_sales a914b616-e04e-476b-aa37-91038f0b165b/2264bf65-76ba-417b-a27d-54d291f0cbc8/5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04
