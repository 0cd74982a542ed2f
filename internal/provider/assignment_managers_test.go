package provider

import (
	"testing"
	"time"
)

func TestManagerMarker(t *testing.T) {
	auth := manager{Kind: kindAuthoritative, ID: "0a1b2c3d4e5f"}
	per := manager{Kind: kindPerPerson}
	cases := []struct {
		justification string
		want          manager
		ok            bool
	}{
		{withMarker("Quarterly sales push", auth), auth, true},
		{withMarker("", auth), auth, true},
		{withMarker("Needs (temporary) access", per), per, true},
		{withMarker("", per), per, true},
		{"Quarterly sales push", manager{}, false},
		{"", manager{}, false},
		// A marker that is not at the end was written by a person, not by the provider.
		{"(managed by Terraform: entitlement_access_package_assignment) and then some", manager{}, false},
		// Another kind of resource is not a manager of assignments.
		{"(managed by Terraform: entitlement_access_package_assignment_request)", manager{}, false},
	}
	for _, c := range cases {
		got, ok := managerOf(c.justification)
		if ok != c.ok || got != c.want {
			t.Errorf("managerOf(%q) = %+v, %v; want %+v, %v", c.justification, got, ok, c.want, c.ok)
		}
	}
	if got := withMarker("Sales", auth); got != "Sales (managed by Terraform: entitlement_access_package_assignments 0a1b2c3d4e5f)" {
		t.Errorf("withMarker: %q", got)
	}
	if a, b := newManagerID(), newManagerID(); a == b || len(a) != 12 {
		t.Errorf("manager ids %q and %q", a, b)
	}
}

func TestRoster(t *testing.T) {
	r := decodeRoster(nil)
	if r.has("x") || r.ClaimAll || r.Manager != "" {
		t.Fatalf("empty roster: %+v", r)
	}
	r = roster{Manager: "abc"}.with([]string{"AAAA", "aaaa", "bob@contoso.test"})
	back := decodeRoster(r.encode())
	if back.Manager != "abc" || len(back.Targets) != 2 || !back.has("aaaa") || !back.has("AAAA") || !back.has("Bob@Contoso.test") || back.has("carol") {
		t.Fatalf("round trip: %+v", back)
	}
	if bad := decodeRoster([]byte("{not json")); bad.has("aaaa") || bad.Manager != "" {
		t.Fatalf("a roster that cannot be read is empty: %+v", bad)
	}
}

func TestDurationLength(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"P90D", 90 * 24 * time.Hour, true},
		{"PT0.5S", 500 * time.Millisecond, true},
		{"P1DT12H", 36 * time.Hour, true},
		{"P100000D", 100000 * 24 * time.Hour, true},
		{"PT999999999H", 0, false}, // longer than a time.Duration holds
		{"P100000DT2562047H", 0, false},
		{"P1Y", 0, false},
	}
	for _, c := range cases {
		got, ok := durationLength(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("durationLength(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
