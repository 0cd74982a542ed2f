package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

func TestAccAccessPackageAssignmentsDataSource(t *testing.T) {
	// Some of its listings name no access package: they need a tenant-wide
	// permission (an identity with catalog roles only is refused them).
	srv, p := testEmulatorAs(t, emulator.Options{})
	alice := requestByID(srv, srv.MustAdd(pkgSales, polDirect, uAlice, nil)).AssignmentID
	srv.MustAdd(pkgSales, polQuiz, uAlice, map[string]string{qRegion: "EMEA"})
	srv.MustAdd(pkgSales, polDirect, uBob, nil)
	must(t, srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: uCarol, Delivery: "deliveryFailed"}}))
	srv.MustAdd(pkgSales, polDirect, uCarol, nil)
	must(t, srv.ExpireAssignment(requestByID(srv, srv.MustAdd(pkgSales, polHookless(t, srv), uBob, nil)).AssignmentID))
	ds := func(name string) string { return "data.entitlement_access_package_assignments." + name }
	count := func(name string, n int) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(ds(name), tfjsonpath.New("ids"), knownvalue.ListSizeExact(n))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: p + fmt.Sprintf(`
data "entitlement_access_package_assignments" "live" {
  access_package_id = %[1]q
}
data "entitlement_access_package_assignments" "policy" {
  access_package_id    = %[1]q
  assignment_policy_id = %[2]q
}
data "entitlement_access_package_assignments" "alice" {
  target_object_id = %[3]q
}
data "entitlement_access_package_assignments" "failed" {
  state = "deliveryFailed"
}
data "entitlement_access_package_assignments" "expired" {
  access_package_id = %[1]q
  state             = "expired"
}
`, pkgSales, polDirect, uAlice),
			ConfigStateChecks: []statecheck.StateCheck{
				count("live", 4), count("policy", 3), count("alice", 2), count("failed", 1), count("expired", 1),
				statecheck.ExpectKnownValue(ds("alice"), tfjsonpath.New("assignments").AtSliceIndex(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"id": knownvalue.StringExact(alice), "assignment_policy_id": knownvalue.StringExact(polDirect), "target_object_id": knownvalue.StringExact(uAlice),
					"state": knownvalue.StringExact("delivered"),
				})),
				statecheck.ExpectKnownValue(ds("alice"), tfjsonpath.New("assignments").AtSliceIndex(0).AtMapKey("target").AtMapKey("principal_name"), knownvalue.StringExact("alice@contoso.test")),
				statecheck.ExpectKnownValue(ds("alice"), tfjsonpath.New("assignments").AtSliceIndex(0).AtMapKey("schedule").AtMapKey("expiration").AtMapKey("type"), knownvalue.StringExact("noExpiration")),
			},
		}},
	})
}

// polHookless is a second direct policy, made through Graph's own create call.
func polHookless(t *testing.T, srv *emulator.Server) string {
	t.Helper()
	id := "dddddddd-0000-4000-8000-0000000000ff"
	if err := srv.CreatePolicy(map[string]any{"id": id, "displayName": "Second direct", "accessPackage": map[string]any{"id": pkgSales}}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAccAccessPackageAssignmentDataSource(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	bob := requestByID(srv, srv.MustAdd(pkgSales, polDirect, uBob, nil)).AssignmentID
	srv.MustAdd(pkgSales, polDirect, uAlice, nil)
	srv.MustAdd(pkgSales, polQuiz, uAlice, map[string]string{qRegion: "AMER"})
	one := "data.entitlement_access_package_assignment.one"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: p + fmt.Sprintf(`
data "entitlement_access_package_assignment" "one" {
  access_package_id = %q
  target_object_id  = %q
}
data "entitlement_access_package_assignment" "by_id" {
  id = %q
}
`, pkgSales, uBob, bob),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(one, tfjsonpath.New("id"), knownvalue.StringExact(bob)),
					statecheck.ExpectKnownValue(one, tfjsonpath.New("assignment_policy_id"), knownvalue.StringExact(polDirect)),
					statecheck.ExpectKnownValue("data.entitlement_access_package_assignment.by_id", tfjsonpath.New("target_object_id"), knownvalue.StringExact(uBob)),
				},
			},
			{
				Config: p + fmt.Sprintf(`
data "entitlement_access_package_assignment" "one" {
  access_package_id = %q
  target_object_id  = %q
}`, pkgSales, uCarol),
				ExpectError: errRE(`No assignment found.*has no live assignment in access package`),
			},
			{
				Config: p + fmt.Sprintf(`
data "entitlement_access_package_assignment" "one" {
  access_package_id = %q
  target_object_id  = %q
}`, pkgSales, uAlice),
				ExpectError: errRE(`Several assignments match.*2 live assignments.*Set assignment_policy_id`),
			},
			{
				Config: p + fmt.Sprintf(`
data "entitlement_access_package_assignment" "one" {
  access_package_id = %q
}`, pkgSales),
				ExpectError: errRE(`Invalid Attribute Combination.*target_object_id`),
			},
			{
				Config: p + fmt.Sprintf(`
data "entitlement_access_package_assignment" "one" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
}`, pkgSales, polQuiz, uAlice),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(one, tfjsonpath.New("assignment_policy_id"), knownvalue.StringExact(polQuiz)),
				},
			},
		},
	})
}
