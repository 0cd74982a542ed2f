package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

const (
	grpAuditors   = "99999999-0000-4000-8000-000000000001"
	polDataDirect = "dddddddd-0000-4000-8000-000000000031" // direct assignment on pkgData
)

// sodFixture: Sales lists Data and the group Auditors (Carol) as
// incompatible.
func sodFixture() *emulator.Fixture {
	f := accFixture()
	f.Groups = []map[string]any{{"id": grpAuditors, "displayName": "Auditors", "members": []any{uCarol}}}
	f.AccessPackages[0]["incompatibleAccessPackages"] = []any{map[string]any{"id": pkgData}}
	f.AccessPackages[0]["incompatibleGroups"] = []any{map[string]any{"id": grpAuditors}}
	f.AssignmentPolicies = append(f.AssignmentPolicies, map[string]any{"id": polDataDirect, "displayName": "Direct", "accessPackage": map[string]any{"id": pkgData}})
	return f
}

// sodRoutes are the routes the check reads.
var sodRoutes = []string{"GET /accessPackages/{id}/incompatibleAccessPackages", "GET /accessPackages/{id}/incompatibleGroups", "GET /groups/{id}/members"}

// sodRun is a working directory with a configuration, run through the CLI
// against an emulator as an application with Access package assignment
// manager on the catalog and, when groups is set, GroupMember.Read.All.
func sodRun(t *testing.T, srv *emulator.Server, url, config string, groups bool) *exampleRun {
	t.Helper()
	r := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(config), 0o644))
	perms := []string{}
	if groups {
		perms = []string{"GroupMember.Read.All"}
	}
	roles := map[string][]string{}
	for _, c := range srv.CatalogIDs() {
		roles[c] = []string{emulator.RoleAssignmentManager}
	}
	tok := fmt.Sprintf("sod-%v", groups)
	must(t, srv.AddToken(tok, emulator.Identity{Kind: "application", ObjectID: "7e57ab1e-0000-4000-8000-0000000000f4", CatalogRoles: roles, Permissions: perms}))
	t.Setenv("ENTITLEMENT_ACCESS_TOKEN", tok)
	r.tf(0, "init")
	return r
}

// diagnostics runs terraform with -json and returns its diagnostics as
// "Warning: summary: detail" / "Error: summary: detail" lines (the human
// output wraps lines and folds similar warnings together).
func (r *exampleRun) diagnostics(wantExit int, args ...string) string {
	r.t.Helper()
	var out []string
	for _, line := range strings.Split(r.tf(wantExit, append(args, "-json")...), "\n") {
		var m struct {
			Diagnostic *struct{ Severity, Summary, Detail string } `json:"diagnostic"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Diagnostic != nil {
			sev := map[string]string{"warning": "Warning", "error": "Error"}[m.Diagnostic.Severity]
			out = append(out, sev+": "+m.Diagnostic.Summary+": "+m.Diagnostic.Detail)
		}
	}
	return strings.Join(out, "\n")
}

func perPerson(pkg, pol string, targets ...string) string {
	var b strings.Builder
	for i, u := range targets {
		fmt.Fprintf(&b, "resource \"entitlement_access_package_assignment\" \"p%d\" {\n  access_package_id    = %q\n  assignment_policy_id = %q\n  target_object_id     = %q\n}\n", i, pkg, pol, u)
	}
	return b.String()
}

// calls sums the requests of the emulator's metrics, and those of the routes
// given.
func calls(srv *emulator.Server, routes ...string) (all, some int) {
	for name, m := range srv.Metrics() {
		all += m.Requests
		for _, r := range routes {
			if name == r || (r == "GET /assignments pkgData" && name == "GET /assignments") {
				some += m.Requests
			}
		}
	}
	return all, some
}

// Separation of duties at plan time, through the CLI: the plan names Bob
// (who holds the incompatible package Data) and Carol (a member of the
// incompatible group Auditors) and not Alice, reading what it needs once for
// the three resources; the apply is refused by Graph for the two and
// assigns Alice; "refuse" makes the plan fail; "off" reads nothing; an
// identity that cannot read group members is told what it needs; the
// authoritative resource checks the targets it adds.
func TestAccSeparationOfDuties(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{Fixture: sodFixture()})
	srv.MustAdd(pkgData, polDataDirect, uBob, nil)
	cfg := perPerson(pkgSales, polDirect, uAlice, uBob, uCarol)
	r := sodRun(t, srv, url, cfg, true)

	srv.ResetMetrics()
	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "off")
	r.tf(0, "plan")
	offAll, offSoD := calls(srv, sodRoutes...)
	if offSoD != 0 {
		t.Fatalf("separation_of_duties = off read %d times what the check reads", offSoD)
	}

	srv.ResetMetrics()
	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "")
	out := r.diagnostics(0, "plan")
	warnAll, warnSoD := calls(srv, sodRoutes...)
	for _, want := range []string{"Warning: Separation of duties: " + uBob + " holds access incompatible with access package " + pkgSales,
		"Warning: Separation of duties: " + uCarol + " holds access incompatible with access package " + pkgSales,
		uBob + ` holds access package "Data" (` + pkgData + `)`, uCarol + ` is a member of group "Auditors" (` + grpAuditors + `)`} {
		if !strings.Contains(out, want) {
			t.Fatalf("the plan does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, uAlice+" holds") || strings.Contains(out, uAlice+" is a member") || strings.Count(out, "Warning: Separation of duties") != 2 {
		t.Fatalf("the plan warns once per resource in conflict, and not for Alice:\n%s", out)
	}
	// Once per command: the package's two relationships, the members of its
	// one group, and (in the total) one listing of Data's assignments.
	if warnSoD != 3 {
		t.Fatalf("the check read its routes %d times for three resources, want 3", warnSoD)
	}
	t.Logf("Graph calls of a plan of 3 assignments: %d with the check (warn), %d without (off): the check adds %d", warnAll, offAll, warnAll-offAll)
	if warnAll-offAll != 4 {
		t.Fatalf("the check added %d calls, want 4 (incompatibleAccessPackages, incompatibleGroups, the group's members, Data's assignments)", warnAll-offAll)
	}
	// As a person reads it: the CLI folds warnings of one summary into
	// "(and one more similar warning elsewhere)", so each names its target.
	if human := oneLine(r.tf(0, "plan")); !strings.Contains(human, uBob+" holds access incompatible") ||
		!strings.Contains(human, uCarol+" holds access incompatible") || strings.Contains(human, "similar warning") {
		t.Fatalf("the plan's human output hides a conflict:\n%s", human)
	}

	// Graph has the last word at apply: Bob and Carol are refused, Alice assigned.
	out = r.diagnostics(1, "apply", "-auto-approve")
	for _, want := range []string{"IncompatibleAccessPackageAssignment", "IncompatibleGroupMembership"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the apply does not carry Graph's %s:\n%s", want, out)
		}
	}
	if len(liveAssignments(srv, pkgSales, uAlice)) != 1 || len(liveAssignments(srv, pkgSales, uBob)) != 0 || len(liveAssignments(srv, pkgSales, uCarol)) != 0 {
		t.Fatalf("after the apply: %+v", srv.Assignments())
	}

	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "refuse")
	out = r.diagnostics(1, "plan")
	if !regexp.MustCompile(`Error: Separation of duties: \S+ holds access incompatible with access package`).MatchString(out) || !strings.Contains(out, uBob) || !strings.Contains(out, uCarol) {
		t.Fatalf("refuse: %s", out)
	}
	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "sometimes")
	if out := r.tf(1, "plan"); !strings.Contains(out, "Invalid separation_of_duties") {
		t.Fatalf("an invalid setting: %s", out)
	}
	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "")
	r.tf(0, "destroy", "-auto-approve")

	// Without GroupMember.Read.All: the package check still runs, the group
	// check says what it needs.
	r2 := sodRun(t, srv, url, perPerson(pkgSales, polDirect, uBob), false)
	out = r2.diagnostics(0, "plan")
	if !strings.Contains(out, "Separation of duties not checked") || !strings.Contains(out, "GroupMember.Read.All") || !strings.Contains(out, uBob+` holds access package "Data"`) {
		t.Fatalf("without the group permission: %s", out)
	}

	// A package that lists nothing incompatible: the check adds its two reads.
	r4 := sodRun(t, srv, url, perPerson(pkgData, polDataDirect, uAlice, uCarol), true)
	srv.ResetMetrics()
	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "off")
	r4.tf(0, "plan")
	offAll, _ = calls(srv)
	srv.ResetMetrics()
	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "warn")
	if out := r4.diagnostics(0, "plan"); strings.Contains(out, "Separation of duties") {
		t.Fatalf("a package with nothing incompatible: %s", out)
	}
	warnAll, warnSoD = calls(srv, sodRoutes...)
	t.Logf("Graph calls of a plan of 2 assignments to a package with nothing incompatible: %d with the check, %d without", warnAll, offAll)
	if warnAll-offAll != 2 || warnSoD != 2 {
		t.Fatalf("the check added %d calls (%d on its routes), want 2", warnAll-offAll, warnSoD)
	}

	// The authoritative resource: the targets it adds.
	r3 := sodRun(t, srv, url, fmt.Sprintf(`
resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = [%q, %q, %q]
}
`, pkgSales, polDirect, uAlice, uBob, uCarol), true)
	t.Setenv("ENTITLEMENT_SEPARATION_OF_DUTIES", "refuse")
	out = r3.diagnostics(1, "plan")
	if !regexp.MustCompile(`Error: Separation of duties: \S+ (holds|and \d+ more hold) access incompatible`).MatchString(out) || !strings.Contains(out, uBob+" holds") || !strings.Contains(out, uCarol+" is a member") {
		t.Fatalf("the authoritative resource: %s", out)
	}
}
