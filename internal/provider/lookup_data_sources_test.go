package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

const (
	catOther     = "cccccccc-0000-4000-8000-000000000002"
	pkgSalesToo  = "bbbbbbbb-0000-4000-8000-00000000000b" // "Sales" in the other catalog
	polTwinA     = "dddddddd-0000-4000-8000-000000000021"
	polTwinB     = "dddddddd-0000-4000-8000-000000000022"
	polCaseTwin  = "dddddddd-0000-4000-8000-000000000023" // "direct" beside "Direct"
	lookupConfig = `
data "entitlement_access_package" "sales" {
  display_name = "Sales"
  catalog_name = "Test"
}
data "entitlement_access_package" "sales_other" {
  display_name = "sales"
  catalog_id   = %[1]q
}
data "entitlement_access_package_assignment_policy" "quiz" {
  access_package_id = data.entitlement_access_package.sales.id
  display_name      = "Direct with questions"
}
data "entitlement_access_package_assignment_policy" "self" {
  access_package_id = %[2]q
  display_name      = "Employees ask"
}
data "entitlement_access_package_assignment_policy" "direct" {
  access_package_id = data.entitlement_access_package.sales.id
  display_name      = "Direct"
}
resource "entitlement_access_package_assignment" "alice" {
  access_package_id    = data.entitlement_access_package.sales.id
  assignment_policy_id = data.entitlement_access_package_assignment_policy.direct.id
  target_object_id     = %[3]q
}
`
)

// lookupFixture is the acceptance fixture with a second catalog holding
// another "Sales" package, two policies of one name, and one that differs
// from "Direct" only in case.
func lookupFixture() *emulator.Fixture {
	f := accFixture()
	f.Catalogs = append(f.Catalogs, map[string]any{"id": catOther, "displayName": "Other"})
	f.AccessPackages = append(f.AccessPackages, map[string]any{"id": pkgSalesToo, "displayName": "Sales", "catalog": map[string]any{"id": catOther}})
	f.AssignmentPolicies = append(f.AssignmentPolicies,
		map[string]any{"id": polTwinA, "displayName": "Twin", "accessPackage": map[string]any{"id": pkgData}},
		map[string]any{"id": polTwinB, "displayName": "Twin", "accessPackage": map[string]any{"id": pkgData}},
		map[string]any{"id": polCaseTwin, "displayName": "direct", "accessPackage": map[string]any{"id": pkgSales}})
	return f
}

// The lookups, as the least-privileged identity (Access package assignment
// manager on the catalogs): a package by name in a catalog given by name or
// id, a policy by name with what a request needs, and an assignment made
// from them; then the errors, each naming the candidates.
func TestAccLookupDataSources(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{Fixture: lookupFixture()})
	ds := func(typ, name string) string { return "data.entitlement_access_package" + typ + "." + name }
	str := func(addr string, path tfjsonpath.Path, v string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(addr, path, knownvalue.StringExact(v))
	}
	flag := func(addr, attr string, v bool) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.Bool(v))
	}
	quiz, self := ds("_assignment_policy", "quiz"), ds("_assignment_policy", "self")
	bad := func(cfg, re string) resource.TestStep {
		return resource.TestStep{Config: p + cfg, PlanOnly: true, ExpectError: errRE(re)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{
			{
				Config: p + fmt.Sprintf(lookupConfig, catOther, pkgData, uAlice),
				ConfigStateChecks: []statecheck.StateCheck{
					str(ds("", "sales"), tfjsonpath.New("id"), pkgSales),
					str(ds("", "sales"), tfjsonpath.New("catalog_id"), catTest),
					statecheck.ExpectKnownValue(ds("", "sales"), tfjsonpath.New("assignment_policies"), knownvalue.ListSizeExact(4)),
					str(ds("", "sales_other"), tfjsonpath.New("id"), pkgSalesToo),
					str(ds("", "sales_other"), tfjsonpath.New("catalog_name"), "Other"),
					str(quiz, tfjsonpath.New("id"), polQuiz),
					str(quiz, tfjsonpath.New("expiration").AtMapKey("type"), "afterDuration"),
					str(quiz, tfjsonpath.New("expiration").AtMapKey("duration"), "P365D"),
					statecheck.ExpectKnownValue(quiz, tfjsonpath.New("questions"), knownvalue.ListSizeExact(2)),
					str(quiz, tfjsonpath.New("questions").AtSliceIndex(0).AtMapKey("id"), qRegion),
					str(quiz, tfjsonpath.New("questions").AtSliceIndex(0).AtMapKey("type"), "choice"),
					statecheck.ExpectKnownValue(quiz, tfjsonpath.New("questions").AtSliceIndex(0).AtMapKey("choices"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("EMEA"), knownvalue.StringExact("AMER")})),
					str(quiz, tfjsonpath.New("questions").AtSliceIndex(1).AtMapKey("regex_pattern"), "CC-[0-9]{4}"),
					str(self, tfjsonpath.New("id"), polSelf),
					str(self, tfjsonpath.New("allowed_target_scope"), "allMemberUsers"),
					flag(self, "self_request_allowed", true), flag(self, "approval_required", true),
					flag(self, "justification_required", true), flag(self, "custom_schedule_allowed", false),
					// "Direct" matched exactly, beside "direct".
					str(ds("_assignment_policy", "direct"), tfjsonpath.New("id"), polDirect),
					str("entitlement_access_package_assignment.alice", tfjsonpath.New("assignment_policy_id"), polDirect),
				},
			},
			bad(fmt.Sprintf(`
data "entitlement_access_package_assignment_policy" "x" {
  access_package_id = %q
  display_name      = "Nope"
}`, pkgSales), `(?s)No such assignment policy.*has no assignment policy named "Nope".*"Direct" \(`+polDirect+`\)`),
			bad(fmt.Sprintf(`
data "entitlement_access_package_assignment_policy" "x" {
  access_package_id = %q
  display_name      = "twin"
}`, pkgData), `(?s)Several assignment policies have this name.*2 assignment policies named "twin".*`+polTwinA+`.*`+polTwinB),
			bad(fmt.Sprintf(`
data "entitlement_access_package" "x" {
  display_name = "Data"
  catalog_id   = %q
}`, catOther), `(?s)No such access package.*"Data" \(`+pkgData+`\) in catalog "Test"`),
			bad(`
data "entitlement_access_package" "x" {
  display_name = "Sales"
  catalog_name = "Nowhere"
}`, `(?s)No such catalog.*"Nowhere"`),
			bad(`
data "entitlement_access_package" "x" {
  display_name = "Sales"
}`, `(?s)catalog_id.*catalog_name`),
			// Back to the first configuration: nothing to change.
			{Config: p + fmt.Sprintf(lookupConfig, catOther, pkgData, uAlice), PlanOnly: true},
		},
	})
}

// The lookups' examples run alone against the emulator's shipped fixture:
// apply, then an empty plan; the outputs carry the ids the fixture holds.
func TestAccExample_lookups(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	must(t, err)
	for file, want := range map[string][]string{
		"examples/data-sources/entitlement_access_package/data-source.tf": {
			`crm_package_id = "a914b616-e04e-476b-aa37-91038f0b165b"`, `"Direct assignment" = "2264bf65-76ba-417b-a27d-54d291f0cbc8"`},
		"examples/data-sources/entitlement_access_package_assignment_policy/data-source.tf": {
			`policy_id = "c5f7847f-83a8-4315-a754-d94a6f39b875"`, `custom_schedule_allowed = true`},
	} {
		t.Run(filepath.Base(filepath.Dir(file)), func(t *testing.T) {
			srv, url := startEmulator(t, emulator.Options{Fixture: fixture})
			r := newExampleRun(t, srv, url, file)
			r.tf(0, "init")
			r.tf(0, "apply", "-auto-approve")
			out := r.tf(0, "output")
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("the outputs lack %s:\n%s", w, out)
				}
			}
			r.tf(0, "plan", "-detailed-exitcode")
		})
	}
}
