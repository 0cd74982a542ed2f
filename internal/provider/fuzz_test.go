package provider

import (
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

func FuzzParseAssignmentImportID(f *testing.F) {
	for _, s := range []string{"46184453-e63b-4f20-86c2-c557ed5d5df9", "a914b616-e04e-476b-aa37-91038f0b165b/46184453-e63b-4f20-86c2-c557ed5d5df9", "//", "a/b/c/d", " ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseAssignmentImportID(s)
		if err == nil && id.AssignmentID == "" && (id.AccessPackageID == "" || id.TargetObjectID == "") {
			t.Fatalf("accepted %q as %+v", s, id)
		}
	})
}

// FuzzExpirationEquivalent feeds arbitrary schedule strings to the
// comparison that keeps the user's spelling of a schedule: no panics.
func FuzzExpirationEquivalent(f *testing.F) {
	f.Add("afterDuration", "", "P90D", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
	f.Add("afterDateTime", "2027-01-01T00:00:00+01:00", "", "", "2027-01-01T00:00:00Z")
	f.Add("afterDuration", "", "PT", "x", "y")
	f.Fuzz(func(t *testing.T, typ, end, dur, gStart, gEnd string) {
		var g graph.Schedule
		g.ExpirationType = "afterDateTime"
		if st, err := time.Parse(time.RFC3339, gStart); err == nil {
			g.Start = &st
		}
		if en, err := time.Parse(time.RFC3339, gEnd); err == nil {
			g.End = &en
		}
		expirationEquivalent(exp(typ, end, dur), &g)
	})
}
