package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

const res = "entitlement_access_package_assignment.test"

// errRE matches a diagnostic whatever Terraform's line wrapping: spaces in
// the pattern match any run of white space.
func errRE(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

func assignmentConfig(provider, policy, target, extra string) string {
	return provider + fmt.Sprintf(`
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
  justification        = "acceptance test"
%s
}
`, pkgSales, policy, target, extra)
}

// checkDestroyed asks the emulator, not the state: nothing live remains and
// each assignment was ended by an adminRemove request.
func checkDestroyed(srv *emulator.Server, target string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if live := liveAssignments(srv, pkgSales, target); len(live) != 0 {
			return fmt.Errorf("%d live assignments remain in Graph for %s: %+v", len(live), target, live)
		}
		if len(requestsOf(srv, "adminRemove", target)) == 0 {
			return fmt.Errorf("no adminRemove request was sent for %s", target)
		}
		return nil
	}
}

func TestAccAccessPackageAssignment_basic(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{{
			Config: assignmentConfig(p, polDirect, uAlice, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(res, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
				statecheck.ExpectKnownValue(res, tfjsonpath.New("status"), knownvalue.StringExact("Delivered")),
				statecheck.ExpectKnownValue(res, tfjsonpath.New("target").AtMapKey("principal_name"), knownvalue.StringExact("alice@contoso.test")),
				statecheck.ExpectKnownValue(res, tfjsonpath.New("schedule").AtMapKey("expiration").AtMapKey("type"), knownvalue.StringExact("noExpiration")),
				statecheck.ExpectKnownValue(res, tfjsonpath.New("request_id"), knownvalue.StringRegexp(guidRE)),
				expectTracksAssignment(srv, res, pkgSales, polDirect, uAlice),
				expectDeliveredRequests(srv, "adminAdd", uAlice, 1),
				expectRequest(srv, "adminAdd", uAlice, justified("acceptance test")),
			},
		}},
	})
}

func TestAccAccessPackageAssignment_nationalCloud(t *testing.T) {
	// The US Government and China clouds' v1.0 requests have no justification:
	// Graph (and the emulator's profiles) refuse a request that sends one.
	for cloud, env := range map[string]string{emulator.CloudUSGov: "usgovernmentl4", emulator.CloudChina: "china"} {
		t.Run(env, func(t *testing.T) {
			srv, p := testEmulator(t, emulator.Options{Cloud: cloud})
			p = strings.Replace(p, "provider \"entitlement\" {", "provider \"entitlement\" {\n  environment = \""+env+"\"", 1)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkDestroyed(srv, uAlice),
				Steps: []resource.TestStep{
					{
						Config: assignmentConfig(p, polDirect, uAlice, ""),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(res, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("justification"), knownvalue.StringExact("acceptance test")),
							// The cloud has no justification property: none was sent.
							expectRequest(srv, "adminAdd", uAlice, func(r emulator.RequestView) error {
								if r.Justification != "" {
									return fmt.Errorf("justification %q sent", r.Justification)
								}
								return nil
							}),
						},
					},
					{
						// An update and a read of the requests, in that cloud's shapes.
						Config: assignmentConfig(p, polDirect, uAlice, `  schedule = { expiration = { type = "afterDuration", duration = "P30D" } }`) + `
data "entitlement_access_package_assignment_requests" "all" {
  access_package_id = "` + pkgSales + `"
  depends_on        = [entitlement_access_package_assignment.test]
}
`,
						ConfigStateChecks: []statecheck.StateCheck{expectDeliveredRequests(srv, "adminUpdate", uAlice, 1)},
					},
				},
			})
		})
	}
}

func TestAccAccessPackageAssignment_updateSchedule(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	sched := func(exp string) string {
		return fmt.Sprintf("  schedule = {\n    start_date_time = \"2026-01-01T00:00:00Z\"\n    expiration = %s\n  }", exp)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uBob),
		Steps: []resource.TestStep{
			{
				Config: assignmentConfig(p, polDirect, uBob, sched(`{ type = "afterDateTime", end_date_time = "2030-06-30T00:00:00Z" }`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("schedule").AtMapKey("expiration").AtMapKey("end_date_time"), knownvalue.StringExact("2030-06-30T00:00:00Z")),
				},
			},
			{
				// A new end date is an adminUpdate, in place.
				Config: assignmentConfig(p, polDirect, uBob, sched(`{ type = "afterDateTime", end_date_time = "2031-01-31T00:00:00Z" }`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectDeliveredRequests(srv, "adminUpdate", uBob, 1),
					expectAssignmentEnd(srv, pkgSales, uBob, time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)),
				},
			},
			{
				// A duration (ten years, so that it has not run out): Graph records it as
				// an end date; the plan after apply stays empty.
				Config: assignmentConfig(p, polDirect, uBob, sched(`{ type = "afterDuration", duration = "P3650D" }`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("schedule").AtMapKey("expiration").AtMapKey("duration"), knownvalue.StringExact("P3650D")),
					expectDeliveredRequests(srv, "adminUpdate", uBob, 2),
					// The configured start is past: Graph moved it to when it processed
					// the update, and the duration counts from there.
					expectAssignmentLasts(srv, pkgSales, uBob, 3650*24*time.Hour),
				},
			},
			{
				// A justification change alone is recorded without a Graph call.
				Config:    strings.Replace(assignmentConfig(p, polDirect, uBob, sched(`{ type = "afterDuration", duration = "P3650D" }`)), "acceptance test", "new reason", 1),
				PreConfig: srv.ResetMetrics,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					// A justification change alone sends nothing.
					expectCalls(srv, "POST /assignmentRequests", 0),
				},
			},
		},
	})
}

func TestAccAccessPackageAssignment_updateAnswers(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	answers := func(region, cost string) string {
		return fmt.Sprintf(`  answers = [
    { question_id = %q, value = %q, display_value = "Region" },
    { question_id = %q, value = %q },
  ]`, qRegion, region, qCost, cost)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uCarol),
		Steps: []resource.TestStep{
			{Config: assignmentConfig(p, polQuiz, uCarol, answers("EMEA", "CC-1234"))},
			{
				Config: assignmentConfig(p, polQuiz, uCarol, answers("AMER", "CC-9999")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectRequest(srv, "adminUpdate", uCarol, answered("AMER", "CC-9999")),
				},
			},
			{
				// An answer that does not match the question's pattern is refused at plan time.
				Config:      assignmentConfig(p, polQuiz, uCarol, answers("AMER", "cost centre nine")),
				PlanOnly:    true,
				ExpectError: errRE(`(?s)Answer does not match the question's pattern.*CC-\[0-9\]\{4\}`),
			},
			{
				// What only Graph can refuse reaches the user with its status, code and request-id.
				PreConfig: func() {
					must(t, srv.SetFaults([]emulator.Fault{{Route: "POST /assignmentRequests", Status: 400, Count: 1}}))
				},
				Config:      assignmentConfig(p, polQuiz, uCarol, answers("EMEA", "CC-1111")),
				ExpectError: errRE(`(?s)Error updating access package assignment.*Graph answered 400 UnknownError.*request-id`),
			},
			{
				// A choice that the policy does not offer is refused before any request.
				Config:      assignmentConfig(p, polQuiz, uCarol, answers("MARS", "CC-9999")),
				ExpectError: errRE(`(?s)Not one of the choices.*EMEA, AMER`),
			},
		},
	})
}

func TestAccAccessPackageAssignment_requiredQuestion(t *testing.T) {
	_, p := testEmulator(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// Refused at plan time: nothing is sent.
			Config:      assignmentConfig(p, polQuiz, uAlice, ""),
			PlanOnly:    true,
			ExpectError: errRE(`(?s)Required question not answered.*requires an answer to question`),
		}},
	})
}

func TestAccAccessPackageAssignment_replaceTarget(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := checkDestroyed(srv, uAlice)(s); err != nil {
				return err
			}
			return checkDestroyed(srv, uBob)(s)
		},
		Steps: []resource.TestStep{
			{Config: assignmentConfig(p, polDirect, uAlice, "")},
			{
				Config: assignmentConfig(p, polDirect, uBob, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectLiveAssignments(srv, pkgSales, uAlice, 0),
					expectTracksAssignment(srv, res, pkgSales, polDirect, uBob),
				},
			},
		},
	})
}

func TestAccAccessPackageAssignment_import(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	ignore := []string{"request_id", "justification", "timeouts"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{
			{Config: assignmentConfig(p, polDirect, uAlice, "")},
			{ResourceName: res, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: ignore},
			{ResourceName: res, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: ignore, ImportStateId: pkgSales + "/" + uAlice},
			{ResourceName: res, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: ignore, ImportStateId: pkgSales + "/" + polDirect + "/" + uAlice},
			{ResourceName: res, ImportState: true, ImportStateId: pkgSales + "/" + uBob, ExpectError: errRE(`No assignment to import`)},
			{ResourceName: res, ImportState: true, ImportStateId: "alice", ExpectError: errRE(`is not a GUID`)},
			{
				// A second live assignment of the same user under another policy makes the two-part id ambiguous.
				PreConfig: func() {
					srv.MustAdd(pkgSales, polQuiz, uAlice, map[string]string{qRegion: "EMEA"})
				},
				ResourceName: res, ImportState: true, ImportStateId: pkgSales + "/" + uAlice, ExpectError: errRE(`(?s)Several assignments match.*2 live assignments`),
			},
			{
				// Leave nothing behind: remove the extra assignment through the resource's own destroy path.
				PreConfig: func() {
					for _, a := range liveAssignments(srv, pkgSales, uAlice) {
						if a.PolicyID == polQuiz {
							must(t, srv.ExpireAssignment(a.ID))
						}
					}
				},
				Config: assignmentConfig(p, polDirect, uAlice, ""),
			},
		},
	})
}

func TestAccAccessPackageAssignment_disappears(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{
			{
				Config: assignmentConfig(p, polDirect, uAlice, ""),
				Check: func(s *terraform.State) error {
					// Removed out of band, as in the portal.
					return srv.ExpireAssignment(s.RootModule().Resources[res].Primary.ID)
				},
				ExpectNonEmptyPlan: true,
			},
			{
				// Removed outside Terraform is drift: the plan replaces the
				// ended assignment (no request for the destroy: it has ended),
				// and the apply gives the access back.
				Config: assignmentConfig(p, polDirect, uAlice, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectDeliveredRequests(srv, "adminAdd", uAlice, 2),
					expectRequests(srv, "adminRemove", uAlice, 1), // the portal's
					expectTracksAssignment(srv, res, pkgSales, polDirect, uAlice),
				},
			},
		},
	})
}

func TestAccAccessPackageAssignment_targetEmail(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	cfg := p + fmt.Sprintf(`
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_email         = "new.hire@fabrikam.test"
}
`, pkgSales, polDirect)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			for _, a := range srv.Assignments() {
				if a.TargetEmail == "new.hire@fabrikam.test" && a.State != "expired" {
					return fmt.Errorf("live assignment remains: %+v", a)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(res, tfjsonpath.New("target").AtMapKey("email"), knownvalue.StringExact("new.hire@fabrikam.test")),
				statecheck.ExpectKnownValue(res, tfjsonpath.New("target").AtMapKey("object_id"), knownvalue.StringRegexp(guidRE)),
				statecheck.ExpectKnownValue(res, tfjsonpath.New("target_object_id"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccAccessPackageAssignment_denied(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	if err := srv.SetBehaviours([]emulator.Behaviour{{PolicyID: polHook, Callback: &emulator.Callback{State: "denied"}}}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      assignmentConfig(p, polHook, uAlice, ""),
			ExpectError: errRE(`(?s)Graph denied assignment request .*Denied.*Automatic callback`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if len(liveAssignments(srv, pkgSales, uAlice)) != 0 || len(requestsOf(srv, "adminAdd", uAlice)) != 1 {
				return fmt.Errorf("a denied request left %d live assignments", len(liveAssignments(srv, pkgSales, uAlice)))
			}
			return nil
		},
	})
}

func TestAccAccessPackageAssignment_deliveryFailed(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	if err := srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: uBob, Delivery: "partiallyDelivered", Times: 1}}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// The failed assignment was kept in state: the test's destroy removes it.
		CheckDestroy: checkDestroyed(srv, uBob),
		Steps: []resource.TestStep{
			{
				// Saved with its state and warnings, not failed: a failed
				// create would be tainted and replaced — the partly delivered
				// access removed, then requested again.
				Config:             assignmentConfig(p, polDirect, uBob, ""),
				ExpectNonEmptyPlan: true, // the retry
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("state"), knownvalue.StringExact("partiallyDelivered")),
				},
			},
			{
				// Not tainted: the next apply reprocesses in place, and this delivery succeeds.
				Config: assignmentConfig(p, polDirect, uBob, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
					expectRequests(srv, "adminAdd", uBob, 1),
					expectRequests(srv, "adminRemove", uBob, 0),
					expectCalls(srv, reprocessURL, 1),
				},
			},
		},
	})
}

func TestAccAccessPackageAssignment_timeout(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	if err := srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: uCarol, DeliveryDelay: &emulator.Duration{D: time.Hour}}}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uCarol),
		Steps: []resource.TestStep{
			{
				// Saved, with a warning, as it stood (delivering): not tainted.
				Config: assignmentConfig(p, polDirect, uCarol, `  timeouts = { create = "2s" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("state"), knownvalue.StringRegexp(regexp.MustCompile(`^(submitted|delivering)$`))),
				},
			},
			{
				// An hour later Graph has delivered; the refresh records it and
				// the plan is empty: nothing is replaced.
				PreConfig: func() {
					if len(liveAssignments(srv, pkgSales, uCarol)) != 1 {
						t.Errorf("the timed-out create left %d assignments", len(liveAssignments(srv, pkgSales, uCarol)))
					}
					must(t, srv.SetBehaviours(nil))
					srv.AdvanceClock(2 * time.Hour)
				},
				Config: assignmentConfig(p, polDirect, uCarol, `  timeouts = { create = "2s" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: func(*terraform.State) error {
					if n := len(liveAssignments(srv, pkgSales, uCarol)); n != 1 || len(requestsOf(srv, "adminAdd", uCarol)) != 1 {
						return fmt.Errorf("%d live assignments, %d requests", n, len(requestsOf(srv, "adminAdd", uCarol)))
					}
					return nil
				},
			},
		},
	})
}

func TestAccAccessPackageAssignment_lostResponse(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	if err := srv.SetFaults([]emulator.Fault{{Route: "POST /assignmentRequests", DropResponse: true, Count: 1}}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{{
			Config: assignmentConfig(p, polDirect, uAlice, ""),
			Check: func(s *terraform.State) error {
				adds := requestsOf(srv, "adminAdd", uAlice)
				if m := srv.Metrics()["POST /assignmentRequests"]; m.Dropped != 1 {
					return fmt.Errorf("the fault did not fire: %+v", m)
				}
				if len(adds) != 1 || len(liveAssignments(srv, pkgSales, uAlice)) != 1 {
					return fmt.Errorf("a lost response gave %d adminAdd requests", len(adds))
				}
				st := s.RootModule().Resources[res].Primary
				if st.ID != adds[0].AssignmentID || st.Attributes["request_id"] != adds[0].ID {
					return fmt.Errorf("state %s/%s does not track request %+v", st.ID, st.Attributes["request_id"], adds[0])
				}
				return nil
			},
		}},
	})
}

func TestAccAccessPackageAssignment_validation(t *testing.T) {
	_, p := testEmulator(t, emulator.Options{})
	raw := func(body string) string {
		return p + "resource \"entitlement_access_package_assignment\" \"test\" {\n" + body + "\n}\n"
	}
	ids := fmt.Sprintf("access_package_id = %q\nassignment_policy_id = %q\n", pkgSales, polDirect)
	cases := []struct{ config, err string }{
		{raw(`access_package_id = "sales"` + "\n" + fmt.Sprintf("assignment_policy_id = %q\ntarget_object_id = %q", polDirect, uAlice)), `must be a GUID`},
		{raw(ids), `(?s)Whom to assign.*Set exactly one of target_object_id, for a user in the directory`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\ntarget_email = \"a@b.test\"", uAlice)), `(?s)Whom to assign.*Set exactly one of`},
		{raw(ids + `target_email = "not-an-email"`), `must be an email address`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\nschedule = { expiration = { type = \"afterDateTime\" } }", uAlice)), `needs end_date_time`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\nschedule = { expiration = { type = \"afterDuration\", duration = \"P1D\", end_date_time = \"2030-01-01T00:00:00Z\" } }", uAlice)), `needs duration \(such as P90D\), and no end_date_time`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\nschedule = { expiration = { type = \"afterDuration\", duration = \"90 days\" } }", uAlice)), `is not an ISO 8601 duration`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\nschedule = { start_date_time = \"tomorrow\" }", uAlice)), `is not an RFC 3339 timestamp`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\nschedule = { start_date_time = \"2030-01-02T00:00:00Z\", expiration = { type = \"afterDateTime\", end_date_time = \"2030-01-01T00:00:00Z\" } }", uAlice)), `is not after start_date_time`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\nschedule = { expiration = { type = \"whenever\" } }", uAlice)), `value must be one of`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\nanswers = [{ question_id = \"q1\", value = \"x\" }]", uAlice)), `must be a GUID`},
		{raw(ids + fmt.Sprintf("target_object_id = %q\ntimeouts = { create = \"-5m\" }", uAlice)), `(?s)Invalid timeout.*is not positive`},
	}
	steps := make([]resource.TestStep, 0, len(cases)+2)
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: c.config, ExpectError: errRE(c.err), PlanOnly: true})
	}
	steps = append(steps,
		resource.TestStep{Config: `
provider "entitlement" {
  graph_url    = "https://graph.example.com"
  access_token = "x"
}
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = "` + pkgSales + `"
  assignment_policy_id = "` + polDirect + `"
  target_object_id     = "` + uAlice + `"
}`, ExpectError: errRE(`(?s)Invalid graph_url.*not a loopback address`), PlanOnly: true},
		resource.TestStep{Config: `
provider "entitlement" {
  environment = "mars"
}
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = "` + pkgSales + `"
  assignment_policy_id = "` + polDirect + `"
  target_object_id     = "` + uAlice + `"
}`, ExpectError: errRE(`value must be one of`), PlanOnly: true},
	)
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}
