import {
  to = entitlement_access_package_assignments.sales
  id = "a914b616-e04e-476b-aa37-91038f0b165b/2264bf65-76ba-417b-a27d-54d291f0cbc8"
}
