# In a pipeline, leave the block empty and let the ARM_* variables that the
# azuread provider reads configure it (see Authentication below).
provider "entitlement" {}
