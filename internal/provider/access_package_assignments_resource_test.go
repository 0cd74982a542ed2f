package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

const setRes = "entitlement_access_package_assignments.sales"

// setConfig declares who holds pkgSales under polDirect.
func setConfig(provider string, targets []string, extra string) string {
	return provider + fmt.Sprintf(`
resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = %s
  justification        = "declared in Git"
%s
}
`, pkgSales, polDirect, hclList(targets), extra)
}

// livePolicy lists the targets with a live assignment of pkgSales under policy.
func livePolicy(srv *emulator.Server, policy string) []string {
	var out []string
	for _, a := range srv.Assignments() {
		if strings.EqualFold(a.AccessPackageID, pkgSales) && strings.EqualFold(a.PolicyID, policy) && a.State != "expired" {
			out = append(out, strings.ToLower(a.TargetObjectID))
		}
	}
	return out
}

// expectHolders: exactly these targets hold pkgSales under policy in Graph.
func expectHolders(srv *emulator.Server, policy string, targets ...string) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("exactly %v hold the package under %s", targets, policy), func(*tfjson.State) error {
		got := livePolicy(srv, policy)
		if len(got) != len(targets) {
			return fmt.Errorf("live: %v", got)
		}
		for _, t := range targets {
			found := false
			for _, g := range got {
				found = found || strings.EqualFold(g, t)
			}
			if !found {
				return fmt.Errorf("%s holds nothing; live: %v", t, got)
			}
		}
		return nil
	}}
}

// expectRequests: Graph holds exactly n requests of a type for the target (whatever their state).
func expectRequests(srv *emulator.Server, typ, target string, n int) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("%d %s request(s) for %s", n, typ, target), func(*tfjson.State) error {
		if got := requestsOf(srv, typ, target); len(got) != n {
			return fmt.Errorf("%d: %+v", len(got), got)
		}
		return nil
	}}
}

func TestAccAccessPackageAssignments_authoritative(t *testing.T) {
	needWriteOnly(t)
	srv, p := testEmulator(t, emulator.Options{})
	// Before Terraform: Alice (to keep) and Carol (to remove) under the
	// direct policy, and Carol under another policy of the same package.
	_, err := srv.AddAssignment(pkgSales, polDirect, uAlice, nil)
	must(t, err)
	_, err = srv.AddAssignment(pkgSales, polDirect, uCarol, nil)
	must(t, err)
	_, err = srv.AddAssignment(pkgSales, polQuiz, uCarol, map[string]string{qRegion: "EMEA"})
	must(t, err)
	waitFor(t, 10*time.Second, "the assignments made before Terraform", func() bool { return len(livePolicy(srv, polDirect)) == 2 })
	end := time.Now().Add(400 * 24 * time.Hour).UTC().Truncate(time.Second)
	schedule := fmt.Sprintf(`schedule = { expiration = { type = "afterDateTime", end_date_time = %q } }`, end.Format(time.RFC3339))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if live := livePolicy(srv, polDirect); len(live) != 0 {
				return fmt.Errorf("still live under the managed policy after destroy: %v", live)
			}
			if len(liveAssignments(srv, pkgSales, uCarol)) != 1 {
				return fmt.Errorf("carol's assignment under the other policy was touched")
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				// Create: Alice kept (no second request), Bob added, Carol removed.
				Config: setConfig(p, []string{uAlice, uBob}, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob),
					expectRequests(srv, "adminAdd", uAlice, 1),
					expectDeliveredRequests(srv, "adminRemove", uCarol, 1),
					expectLiveAssignments(srv, pkgSales, uCarol, 1), // the other policy's
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uBob), knownvalue.StringRegexp(guidRE)),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("undelivered"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("id"), knownvalue.StringExact(pkgSales+"/"+polDirect)),
					expectRequest(srv, "adminAdd", uBob, justified("declared in Git")),
				},
			},
			{
				// An assignment made in the portal shows in the plan as a removal, and goes.
				PreConfig: func() {
					_, err := srv.AddAssignment(pkgSales, polDirect, uManager, nil)
					must(t, err)
					waitFor(t, 10*time.Second, "the portal's assignment", func() bool { return len(liveAssignments(srv, pkgSales, uManager)) == 1 })
				},
				Config: setConfig(p, []string{uAlice, uBob}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(setRes, plancheck.ResourceActionUpdate),
					// The plan shows the removal person by person in assignment_ids.
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids"), knownvalue.MapSizeExact(2)),
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uAlice), knownvalue.StringRegexp(guidRE)),
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uBob), knownvalue.StringRegexp(guidRE)),
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("target_object_ids"), knownvalue.Null()), // write-only
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob),
					expectDeliveredRequests(srv, "adminRemove", uManager, 1),
					expectRequests(srv, "adminAdd", uAlice, 1),
					expectRequests(srv, "adminAdd", uBob, 1),
				},
			},
			{
				// A schedule for everyone: one adminUpdate each.
				Config: setConfig(p, []string{uAlice, uBob}, schedule),
				ConfigStateChecks: []statecheck.StateCheck{
					expectDeliveredRequests(srv, "adminUpdate", uAlice, 1),
					expectDeliveredRequests(srv, "adminUpdate", uBob, 1),
					expectAssignmentEnd(srv, pkgSales, uAlice, end),
					expectAssignmentEnd(srv, pkgSales, uBob, end),
				},
			},
			{
				// Bob leaves, Carol joins; Alice is not touched.
				Config: setConfig(p, []string{uAlice, uCarol}, schedule),
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uCarol),
					expectDeliveredRequests(srv, "adminRemove", uBob, 1),
					expectRequests(srv, "adminUpdate", uAlice, 1),
					expectRequests(srv, "adminAdd", uAlice, 1),
					expectAssignmentEnd(srv, pkgSales, uAlice, end),
				},
			},
			{
				// Carol's access removed outside Terraform: the plan adds her back.
				PreConfig: func() {
					for _, a := range srv.Assignments() {
						if strings.EqualFold(a.TargetObjectID, uCarol) && a.PolicyID == polDirect && a.State == "delivered" {
							must(t, srv.ExpireAssignment(a.ID))
						}
					}
				},
				Config: setConfig(p, []string{uAlice, uCarol}, schedule),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uCarol)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uCarol),
					expectDeliveredRequests(srv, "adminAdd", uCarol, 4), // before Terraform under each policy, step 4, and now
					expectRequests(srv, "adminAdd", uAlice, 1),
				},
			},
			{
				// Import by package and policy adopts what the tenant has.
				ResourceName:  setRes,
				ImportState:   true,
				ImportStateId: pkgSales + "/" + polDirect,
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					if len(s) != 1 {
						return fmt.Errorf("%d instances imported", len(s))
					}
					a := s[0].Attributes
					if a["assignment_ids.%"] != "2" || a["assignment_ids."+uAlice] == "" || a["assignment_ids."+uCarol] == "" || a["access_package_id"] != pkgSales {
						return fmt.Errorf("imported: %v", a)
					}
					return nil
				},
			},
		},
	})
}

// Two deliveries fail on create: the apply saves what Graph holds and says
// which targets failed (as warnings: an error would taint the resource and
// the next apply would remove everyone). The next plan retries only those
// two, and nothing delivered is removed. A failure on update is an error.
func TestAccAccessPackageAssignments_partialFailure(t *testing.T) {
	needWriteOnly(t)
	srv, p := testEmulator(t, emulator.Options{})
	must(t, srv.SetBehaviours([]emulator.Behaviour{
		{TargetObjectID: uBob, Delivery: "deliveryFailed", Times: 1},
		{TargetObjectID: uCarol, Delivery: "deliveryFailed", Times: 1},
		{TargetObjectID: uManager, Delivery: "deliveryFailed", Times: 1},
	}))
	noRemoval := graphCheck{"no access was removed", func(*tfjson.State) error {
		if got := requestsOf(srv, "adminRemove", ""); len(got) != 0 {
			return fmt.Errorf("%d adminRemove requests: %+v", len(got), got)
		}
		return nil
	}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: setConfig(p, []string{uAlice, uBob, uCarol}, ""),
				// What failed is planned again.
				ExpectNonEmptyPlan: true,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("undelivered"), knownvalue.MapExact(map[string]knownvalue.Check{
						uBob: knownvalue.StringExact("deliveryFailed"), uCarol: knownvalue.StringExact("deliveryFailed")})),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uBob), knownvalue.StringRegexp(guidRE)),
					noRemoval,
				},
			},
			{
				// The same configuration: the plan retries the two failed
				// deliveries (reprocess), and nothing else.
				Config: setConfig(p, []string{uAlice, uBob, uCarol}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(setRes, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(setRes, tfjsonpath.New("undelivered")),
					// The failed deliveries are retried in place: the assignments keep their ids.
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uBob), knownvalue.StringRegexp(guidRE)),
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uAlice), knownvalue.StringRegexp(guidRE)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob, uCarol),
					expectRequests(srv, "adminAdd", uAlice, 1),
					expectRequests(srv, "adminAdd", uBob, 1),
					expectRequests(srv, "adminAdd", uCarol, 1),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("undelivered"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					noRemoval,
				},
			},
			{
				// A new target whose delivery fails in an update: the apply fails, naming it.
				Config:      setConfig(p, []string{uAlice, uBob, uCarol, uManager}, ""),
				ExpectError: errRE(`Access package assignment failed for ` + uManager + `.*deliveryFailed`),
			},
			{
				Config: setConfig(p, []string{uAlice, uBob, uCarol, uManager}, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob, uCarol, uManager),
					expectRequests(srv, "adminAdd", uManager, 1),
					noRemoval,
				},
			},
		},
	})
}

// A target Graph refuses outright (a user who does not exist) on create:
// nothing else was changed, and the create fails with Graph's error.
func TestAccAccessPackageAssignments_refusedTarget(t *testing.T) {
	needWriteOnly(t)
	_, p := testEmulator(t, emulator.Options{})
	ghost := "99999999-0000-4000-8000-000000000099"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      setConfig(p, []string{ghost}, ""),
			ExpectError: errRE(`Access package assignment failed for ` + ghost + `.*request-id`),
		}},
	})
}

func TestAccAccessPackageAssignments_planTimeValidation(t *testing.T) {
	needWriteOnly(t)
	_, p := testEmulator(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: setConfig(p, []string{uAlice, strings.ToUpper(uAlice)}, ""), PlanOnly: true, ExpectError: errRE(`Same target twice`)},
			{Config: setConfig(p, []string{"not-a-guid"}, ""), PlanOnly: true, ExpectError: errRE(`must be a GUID`)},
			{Config: setConfig(p, []string{uAlice}, `schedule = { expiration = { type = "afterDuration", duration = "P1Y" } }`), PlanOnly: true, ExpectError: errRE(`P365D`)},
		},
	})
}

// Someone not yet in the directory, by email: invited on delivery, kept
// under the email in the state (the refresh plans nothing), and removed
// when the address leaves the set.
func TestAccAccessPackageAssignments_emails(t *testing.T) {
	needWriteOnly(t)
	// The guest account the invitation makes (Entra finds it by mail on
	// delivery), known here so that a later step can name it.
	const mail, guest = "new.hire@fabrikam.test", "aaaaaaaa-9999-4000-8000-000000000001"
	f := accFixture()
	f.Users = append(f.Users, map[string]any{"id": guest, "displayName": "New Hire", "mail": mail, "userType": "Guest", "userPrincipalName": "new.hire_fabrikam.test#EXT#@contoso.test"})
	srv, p := testEmulator(t, emulator.Options{Fixture: f})
	liveMail := func() int {
		n := 0
		for _, a := range srv.Assignments() {
			if strings.EqualFold(a.TargetEmail, mail) && a.State != "expired" {
				n++
			}
		}
		return n
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: setConfig(p, []string{uAlice}, `target_emails = ["`+mail+`"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("target_emails"), knownvalue.Null()), // write-only
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("invited_object_ids").AtMapKey(mail), knownvalue.StringExact(guest)),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(mail), knownvalue.StringRegexp(guidRE)),
					graphCheck{"one live assignment for the invited address", func(*tfjson.State) error {
						if n := liveMail(); n != 1 {
							return fmt.Errorf("%d", n)
						}
						return nil
					}},
				},
			},
			{
				// The same person by email and by object id: Graph holds one
				// assignment for them, so the plan refuses it.
				Config:      setConfig(p, []string{uAlice, guest}, `target_emails = ["`+mail+`"]`),
				PlanOnly:    true,
				ExpectError: errRE(`Same person twice.*` + guest),
			},
			{
				// Once invited, the same person listed by object id: the
				// assignment is kept under the new key, with no request.
				PreConfig: func() { srv.ResetMetrics() },
				Config:    setConfig(p, []string{uAlice, guest}, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(guest), knownvalue.StringRegexp(guidRE)),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids"), knownvalue.MapSizeExact(2)),
					expectCalls(srv, "POST /assignmentRequests", 0),
					graphCheck{"the invited address keeps its access", func(*tfjson.State) error {
						if n := liveMail(); n != 1 {
							return fmt.Errorf("%d live", n)
						}
						return nil
					}},
				},
			},
			{
				Config: setConfig(p, []string{uAlice}, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids"), knownvalue.MapSizeExact(1)),
					expectHolders(srv, polDirect, uAlice),
					graphCheck{"the invited address's access removed", func(*tfjson.State) error {
						if n := liveMail(); n != 0 {
							return fmt.Errorf("%d live", n)
						}
						return nil
					}},
				},
			},
		},
	})
}

// The plan of a new resource says whose access the create takes away: it
// has no prior state to show a diff against.
func TestAccAccessPackageAssignments_planWarnsOfRemovals(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{})
	_, err := srv.AddAssignment(pkgSales, polDirect, uCarol, nil)
	must(t, err)
	_, err = srv.AddAssignment(pkgSales, polDirect, uAlice, nil)
	must(t, err)
	waitFor(t, 10*time.Second, "the assignments made before Terraform", func() bool { return len(livePolicy(srv, polDirect)) == 2 })
	r := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(setConfig("", []string{uAlice, uBob}, "")), 0o644))
	r.tf(0, "init", "-input=false")
	plan := r.tf(0, "plan", "-input=false")
	if !strings.Contains(plan, "This apply removes access") || !strings.Contains(plan, "- "+uCarol) ||
		!strings.Contains(plan, "1 listed target(s) already hold the access") {
		t.Fatalf("the plan does not say whose access goes:\n%s", plan)
	}
	if n := len(requestsOf(srv, "adminRemove", "")); n != 0 {
		t.Fatalf("the plan removed %d assignments", n)
	}
}
