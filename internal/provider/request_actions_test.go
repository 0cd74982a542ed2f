package provider

import (
	"fmt"
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

const (
	reprocessRes = "entitlement_access_package_assignment_request_reprocess.test"
	resumeRes    = "entitlement_access_package_assignment_request_resume.test"
	reprocessURL = "POST /assignmentRequests/{id}/reprocess"
)

// failedRequest makes a request whose delivery fails (outcome for the first `times` deliveries).
func failedRequest(t *testing.T, srv *emulator.Server, target, outcome string, times int) string {
	t.Helper()
	if err := srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: target, Delivery: outcome, Times: times}}); err != nil {
		t.Fatal(err)
	}
	id := srv.MustAdd(pkgSales, polDirect, target, nil)
	if r := requestByID(srv, id); r.State != outcome {
		t.Fatalf("request %s is %s, want %s", id, r.State, outcome)
	}
	return id
}

func requestByID(srv *emulator.Server, id string) emulator.RequestView {
	for _, r := range srv.Requests() {
		if r.ID == id {
			return r
		}
	}
	return emulator.RequestView{}
}

func reprocessConfig(p, requestID, extra string) string {
	return p + fmt.Sprintf(`
resource "entitlement_access_package_assignment_request_reprocess" "test" {
  request_id = %q
%s
}
`, requestID, extra)
}

func TestAccAccessPackageAssignmentRequestReprocess_failedAndPartial(t *testing.T) {
	for _, outcome := range []string{"deliveryFailed", "partiallyDelivered"} {
		t.Run(outcome, func(t *testing.T) {
			srv, p := testEmulator(t, emulator.Options{})
			id := failedRequest(t, srv, uAlice, outcome, 1)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: reprocessConfig(p, id, ""),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(reprocessRes, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
						statecheck.ExpectKnownValue(reprocessRes, tfjsonpath.New("reprocessed"), knownvalue.Bool(true)),
						statecheck.ExpectKnownValue(reprocessRes, tfjsonpath.New("completed_date_time"), knownvalue.NotNull()),
						expectRequestState(srv, id, "delivered"),
						expectCalls(srv, reprocessURL, 1),
						expectLiveAssignments(srv, pkgSales, uAlice, 1),
					},
				}},
			})
		})
	}
}

func TestAccAccessPackageAssignmentRequestReprocess_triggers(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	// Fails at first and on the first reprocess; delivers on the second.
	id := failedRequest(t, srv, uBob, "deliveryFailed", 2)
	cfg := func(trigger string) string {
		return reprocessConfig(p, id, fmt.Sprintf("  wait_for_completion = false\n  triggers = { attempt = %q }", trigger))
	}
	calls := func(want int) []statecheck.StateCheck {
		return []statecheck.StateCheck{expectCalls(srv, reprocessURL, want)}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg("1"), ConfigStateChecks: calls(1)},
			{Config: cfg("1"), ConfigStateChecks: calls(1), ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
			{
				Config: cfg("2"), ConfigStateChecks: calls(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(reprocessRes, plancheck.ResourceActionReplace)}},
			},
		},
	})
	if r := requestByID(srv, id); r.State != "delivered" {
		t.Fatalf("after the second reprocess: %+v", r)
	}
}

func TestAccAccessPackageAssignmentRequestReprocess_guards(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	must(t, srv.SetBehaviours([]emulator.Behaviour{
		{TargetObjectID: uAlice, Delivery: "deliveryFailed"},
		{TargetObjectID: uBob, DeliveryDelay: &emulator.Duration{D: time.Hour}},
	}))
	delivered := srv.MustAdd(pkgSales, polDirect, uCarol, nil)
	old := srv.MustAdd(pkgSales, polDirect, uAlice, nil)
	delivering := srv.MustAdd(pkgSales, polDirect, uBob, nil)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// A delivered request: a warning, no call, and the outcome recorded.
				Config: reprocessConfig(p, delivered, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(reprocessRes, tfjsonpath.New("reprocessed"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(reprocessRes, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
					expectCalls(srv, reprocessURL, 0),
				},
			},
			{
				Config:      reprocessConfig(p, "99999999-9999-4999-8999-999999999999", ""),
				ExpectError: errRE(`Unknown assignment request .*no assignment request 99999999-9999-4999-8999-999999999999`),
			},
			{Config: reprocessConfig(p, "request-1", ""), ExpectError: errRE(`must be a GUID`)},
			{
				// A request in another state is refused at plan time.
				Config:      reprocessConfig(p, delivering, ""),
				ExpectError: errRE(`Cannot reprocess this request.*is delivering .*only requests that ended deliveryFailed or partiallyDelivered`),
				PlanOnly:    true,
			},
			{
				// Fifteen days later by Graph's clock: Graph refuses, and the error says what to do.
				PreConfig:   func() { srv.AdvanceClock(15 * 24 * time.Hour) },
				Config:      reprocessConfig(p, old, ""),
				ExpectError: errRE(`(?s)InvalidRequest.*more than 14 days ago.*cancel it and request the access again`),
			},
		},
	})
}

func TestAccAccessPackageAssignmentRequestDataSources(t *testing.T) {
	// Some of its listings name no access package: they need a tenant-wide
	// permission (an identity with catalog roles only is refused them).
	srv, p := testEmulatorAs(t, emulator.Options{})
	id := failedRequest(t, srv, uAlice, "deliveryFailed", 0)
	srv.MustAdd(pkgSales, polDirect, uBob, nil)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: p + fmt.Sprintf(`
data "entitlement_access_package_assignment_request" "one" {
  id = %q
}
data "entitlement_access_package_assignment_requests" "all" {
  access_package_id = %q
}
data "entitlement_access_package_assignment_requests" "adds_since_2020" {
  request_type  = "adminAdd"
  created_after = "2020-01-01T00:00:00Z"
}
data "entitlement_access_package_assignment_requests" "none" {
  state = "denied"
}
`, id, pkgSales),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_request.one", tfjsonpath.New("state"), knownvalue.StringExact("deliveryFailed")),
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_request.one", tfjsonpath.New("request_type"), knownvalue.StringExact("adminAdd")),
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_request.one", tfjsonpath.New("access_package_id"), knownvalue.StringExact(pkgSales)),
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_request.one", tfjsonpath.New("target").AtMapKey("object_id"), knownvalue.StringExact(uAlice)),
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_request.one", tfjsonpath.New("completed_date_time"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_requests.all", tfjsonpath.New("ids"), knownvalue.ListSizeExact(2)),
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_requests.adds_since_2020", tfjsonpath.New("requests"), knownvalue.ListSizeExact(2)),
				statecheck.ExpectKnownValue("data.entitlement_access_package_assignment_requests.none", tfjsonpath.New("ids"), knownvalue.ListSizeExact(0)),
			},
		}},
	})
}

func resumeConfig(p, requestID, extra string) string {
	return p + fmt.Sprintf(`
resource "entitlement_access_package_assignment_request_resume" "test" {
  request_id = %q
  source     = "Contoso.SodCheckProcess"
%s
}
`, requestID, extra)
}

// waitingRequest makes a request that waits at assignmentRequestCreated.
func waitingRequest(t *testing.T, srv *emulator.Server, target string) string {
	t.Helper()
	id := srv.MustAdd(pkgSales, polHook, target, nil)
	if r := requestByID(srv, id); r.Status != "WaitingForCallback" {
		t.Fatalf("request %+v does not wait", r)
	}
	return id
}

func TestAccAccessPackageAssignmentRequestResume(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	proceed := waitingRequest(t, srv, uAlice)
	deny := waitingRequest(t, srv, uBob)
	delivered := srv.MustAdd(pkgSales, polDirect, uCarol, nil)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: resumeConfig(p, proceed, `  stage = "assignmentRequestCreated"
  custom_extension_stage_instance_detail = "This user is all verified"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resumeRes, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
					expectRequestState(srv, proceed, "delivered"),
					expectLiveAssignments(srv, pkgSales, uAlice, 1),
				},
			},
			{
				Config: resumeConfig(p, deny, `  stage = "assignmentRequestCreated"
  callback_state = "denied"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resumeRes, tfjsonpath.New("state"), knownvalue.StringExact("denied")),
					expectRequestState(srv, deny, "denied"),
					expectLiveAssignments(srv, pkgSales, uBob, 0),
				},
			},
			{
				Config:      resumeConfig(p, delivered, `  stage = "assignmentRequestCreated"`),
				ExpectError: errRE(`is not waiting for a custom-extension callback: it is delivered .*status "Delivered"`),
			},
			{
				Config: resumeConfig(p, delivered, `  stage = "assignmentRequestGranted"
  callback_state = "denied"`),
				ExpectError: errRE(`Invalid resume.*may only be set at the assignmentRequestCreated stage`),
				PlanOnly:    true,
			},
			{
				Config:      resumeConfig(p, delivered, `  stage = "assignmentRequestSomewhere"`),
				ExpectError: errRE(`value must be one of`),
				PlanOnly:    true,
			},
			{
				// A request that does not exist is refused at plan time.
				Config:      resumeConfig(p, "00000000-0000-4000-8000-00000000dead", `  stage = "assignmentRequestCreated"`),
				ExpectError: errRE(`(?s)Unknown assignment request.*There is no assignment request`),
				PlanOnly:    true,
			},
			{
				// Back to what the state holds, for the destroy that follows.
				Config: resumeConfig(p, deny, `  stage = "assignmentRequestCreated"
  callback_state = "denied"`),
				PlanOnly: true,
			},
		},
	})
}

func TestAccAccessPackageAssignmentRequestResume_nationalCloud(t *testing.T) {
	_, p := testEmulator(t, emulator.Options{Cloud: emulator.CloudChina})
	p = strings.Replace(p, "provider \"entitlement\" {", "provider \"entitlement\" {\n  environment = \"china\"", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      resumeConfig(p, "99999999-9999-4999-8999-999999999999", `  stage = "assignmentRequestCreated"`),
			ExpectError: errRE(`Resume is not available in this cloud.*China clouds has no resume action`),
			PlanOnly:    true,
		}},
	})
}

func TestAccAccessPackageAssignmentReprocess(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	reqID := srv.MustAdd(pkgSales, polDirect, uAlice, nil)
	asg := requestByID(srv, reqID).AssignmentID
	failed := requestByID(srv, failedRequest(t, srv, uBob, "deliveryFailed", 0)).AssignmentID
	cfg := func(id, trigger string) string {
		return p + fmt.Sprintf(`
resource "entitlement_access_package_assignment_reprocess" "test" {
  assignment_id = %q
  triggers      = { t = %q }
}
`, id, trigger)
	}
	count := func(want int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if a, _ := srv.Assignment(asg); a.Reprocessed != want {
				return fmt.Errorf("reprocessed %d times, want %d", a.Reprocessed, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg(asg, "a"), Check: count(1)},
			{Config: cfg(asg, "a"), Check: count(1)},
			{Config: cfg(asg, "b"), Check: count(2)},
			{Config: cfg(failed, "b"), ExpectError: errRE(`is deliveryFailed .*Graph reprocesses only delivered assignments`)},
		},
	})
}

// The resume example: the callout instance id read from the request's data
// source. Once resumed, the callout no longer waits and the id reads as null;
// that is recorded in place, without resuming again or replacing.
func TestAccAccessPackageAssignmentRequestResume_exampleConverges(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	id := waitingRequest(t, srv, uAlice)
	cfg := p + fmt.Sprintf(`
data "entitlement_access_package_assignment_request" "stuck" {
  id = %q
}
resource "entitlement_access_package_assignment_request_resume" "test" {
  request_id = data.entitlement_access_package_assignment_request.stuck.id
  source     = "Contoso.SodCheckProcess"
  stage      = "assignmentRequestCreated"

  custom_extension_stage_instance_id     = one([for c in data.entitlement_access_package_assignment_request.stuck.custom_extension_callout_instances : c.id if c.status == "waitingForCallback"])
  custom_extension_stage_instance_detail = "Reviewed in PR #42"
}
`, id)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             cfg,
				ConfigStateChecks:  []statecheck.StateCheck{expectRequestState(srv, id, "delivered"), expectCalls(srv, "POST /assignmentRequests/{id}/resume", 1)},
				ExpectNonEmptyPlan: true, // the callout id now reads as null
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(resumeRes, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectCalls(srv, "POST /assignmentRequests/{id}/resume", 1)},
			},
		},
	})
}
