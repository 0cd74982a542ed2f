package provider

import (
	"testing"
)

func TestParseAssignmentImportID(t *testing.T) {
	const p, q, u = "a914b616-e04e-476b-aa37-91038f0b165b", "2264bf65-76ba-417b-a27d-54d291f0cbc8", "46184453-e63b-4f20-86c2-c557ed5d5df9"
	for _, tc := range []struct {
		in   string
		want assignmentImportID
		ok   bool
	}{
		{u, assignmentImportID{AssignmentID: u}, true},
		{" " + u + " ", assignmentImportID{AssignmentID: u}, true},
		{p + "/" + u, assignmentImportID{AccessPackageID: p, TargetObjectID: u}, true},
		{p + "/" + q + "/" + u, assignmentImportID{AccessPackageID: p, PolicyID: q, TargetObjectID: u}, true},
		{"", assignmentImportID{}, false},
		{"alice", assignmentImportID{}, false},
		{p + "/", assignmentImportID{}, false},
		{p + "/" + q + "/" + u + "/" + u, assignmentImportID{}, false},
		{p + "/bob", assignmentImportID{}, false},
	} {
		got, err := parseAssignmentImportID(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAssignmentImportID(%q) = %+v, %v", tc.in, got, err)
		}
	}
}
