package provider

import (
	"fmt"
	"strings"
)

// assignmentImportID is what `terraform import` accepts for an assignment:
// its id, or <access_package_id>/<target_object_id>, or
// <access_package_id>/<assignment_policy_id>/<target_object_id>.
type assignmentImportID struct {
	AssignmentID, AccessPackageID, PolicyID, TargetObjectID string
}

const assignmentImportForms = "an assignment id, <access_package_id>/<target_object_id>, or <access_package_id>/<assignment_policy_id>/<target_object_id>"

func parseAssignmentImportID(s string) (assignmentImportID, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	for i, p := range parts {
		if !guidRE.MatchString(p) {
			return assignmentImportID{}, fmt.Errorf("import id %q: part %d (%q) is not a GUID; use %s", s, i+1, p, assignmentImportForms)
		}
	}
	switch len(parts) {
	case 1:
		return assignmentImportID{AssignmentID: parts[0]}, nil
	case 2:
		return assignmentImportID{AccessPackageID: parts[0], TargetObjectID: parts[1]}, nil
	case 3:
		return assignmentImportID{AccessPackageID: parts[0], PolicyID: parts[1], TargetObjectID: parts[2]}, nil
	}
	return assignmentImportID{}, fmt.Errorf("import id %q has %d parts; use %s", s, len(parts), assignmentImportForms)
}
