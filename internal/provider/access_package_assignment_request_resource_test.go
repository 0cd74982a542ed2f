package provider

import (
	"fmt"
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

const userReq = "entitlement_access_package_assignment_request.test"

// asUser returns an emulator and a provider block signed in as a user.
func asUser(t *testing.T, who string) (*emulator.Server, string) {
	t.Helper()
	srv, url := startEmulator(t, emulator.Options{})
	tok := "token-of-" + who
	if err := srv.AddToken(tok, emulator.Identity{Kind: "delegated", ObjectID: who}); err != nil {
		t.Fatal(err)
	}
	return srv, providerBlock(url, tok)
}

func userRequestConfig(p, body string) string {
	return p + "resource \"entitlement_access_package_assignment_request\" \"test\" {\n" + body + "\n}\n"
}

// The request of the v1.0 create page's user examples: answers and a justification, the policy chosen by Graph.
const selfRequest = `  access_package_id = "` + pkgData + `"
  justification     = "Need access to the data platform"
  answers = [{ question_id = "` + qTeam + `", value = "analytics", display_value = "Analytics" }]`

func onlyRequest(srv *emulator.Server, typ string) (emulator.RequestView, error) {
	var found []emulator.RequestView
	for _, r := range srv.Requests() {
		if r.RequestType == typ {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return emulator.RequestView{}, fmt.Errorf("%d %s requests", len(found), typ)
	}
	return found[0], nil
}

func TestAccAccessPackageAssignmentRequest_approved(t *testing.T) {
	srv, p := asUser(t, uAlice)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// A delivered request is only forgotten on destroy: the access stays.
		CheckDestroy: func(*terraform.State) error {
			if len(liveAssignments(srv, pkgData, uAlice)) != 1 {
				return fmt.Errorf("destroying a delivered request removed the access")
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: userRequestConfig(p, selfRequest),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userReq, tfjsonpath.New("state"), knownvalue.StringExact("pendingApproval")),
					statecheck.ExpectKnownValue(userReq, tfjsonpath.New("assignment_id"), knownvalue.Null()),
				},
				Check: func(*terraform.State) error {
					r, err := onlyRequest(srv, "userAdd")
					if err != nil || r.State != "pendingApproval" || r.PolicyID != polSelf || r.TargetObjectID != uAlice ||
						r.Justification != "Need access to the data platform" || len(r.Answers) != 1 || r.Answers[0]["value"] != "analytics" {
						return fmt.Errorf("request in Graph: %+v: %w", r, err)
					}
					return nil
				},
			},
			{
				// An approver approves in Entra; the next refresh sees the access delivered.
				PreConfig: func() {
					r, err := onlyRequest(srv, "userAdd")
					must(t, err)
					must(t, srv.Approve(r.ID))
				},
				Config: userRequestConfig(p, selfRequest),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userReq, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
					statecheck.ExpectKnownValue(userReq, tfjsonpath.New("assignment_id"), knownvalue.StringRegexp(guidRE)),
				},
			},
		},
	})
}

func TestAccAccessPackageAssignmentRequest_deniedAndCanceled(t *testing.T) {
	srv, p := asUser(t, uAlice)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: userRequestConfig(p, selfRequest)},
			{
				PreConfig: func() {
					r, err := onlyRequest(srv, "userAdd")
					must(t, err)
					must(t, srv.Deny(r.ID))
				},
				Config: userRequestConfig(p, selfRequest),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userReq, tfjsonpath.New("state"), knownvalue.StringExact("denied")),
				},
			},
		},
	})

	// Destroying a request still pending approval cancels it.
	srv2, p2 := asUser(t, uCarol)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			r, err := onlyRequest(srv2, "userAdd")
			if err != nil || r.State != "canceled" {
				return fmt.Errorf("after destroy: %+v: %w", r, err)
			}
			return nil
		},
		Steps: []resource.TestStep{{Config: userRequestConfig(p2, selfRequest)}},
	})
}

func TestAccAccessPackageAssignmentRequest_onBehalf(t *testing.T) {
	// A manager asks for a direct report (the v1.0 create page documents it); the requestor comes from the token.
	srv, p := asUser(t, uManager)
	body := fmt.Sprintf(`%s
  assignment_policy_id = %q
  target = {
    object_id    = %q
    email        = "bob@contoso.test"
    display_name = "Bob"
  }`, selfRequest, polSelf, uBob)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: userRequestConfig(p, body),
			ConfigStateChecks: []statecheck.StateCheck{
				// A manager's request for a direct report: Bob is the target.
				expectRequest(srv, "userAdd", uBob, func(r emulator.RequestView) error {
					if r.State != "pendingApproval" {
						return fmt.Errorf("state %s, want pendingApproval", r.State)
					}
					return nil
				}),
			},
		}},
	})
	// Someone who is not Bob's manager is refused, with what that means.
	_, pa := asUser(t, uAlice)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      userRequestConfig(pa, body),
			ExpectError: errRE(`Graph refused the request \(403\).*a manager can request only for their own direct reports.*Authorization_RequestDenied`),
		}},
	})
}

func TestAccAccessPackageAssignmentRequest_asApplication(t *testing.T) {
	_, p := testEmulator(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      userRequestConfig(p, selfRequest),
			ExpectError: errRE(`must use a delegated token \(for example the Azure CLI login\), not an application's credentials`),
		}},
	})
}

func TestAccAccessPackageAssignmentRequest_planTimePolicyChecks(t *testing.T) {
	_, p := asUser(t, uAlice)
	withPolicy := func(body string) string {
		return userRequestConfig(p, fmt.Sprintf("  access_package_id = %q\n  assignment_policy_id = %q\n%s", pkgData, polSelf, body))
	}
	answers := `  answers = [{ question_id = "` + qTeam + `", value = "finance" }]`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: withPolicy(answers), PlanOnly: true, ExpectError: errRE(`Justification required.*requires requestors to give a justification`)},
			{Config: withPolicy(`  justification = "x"`), PlanOnly: true, ExpectError: errRE(`Required question not answered.*` + qTeam)},
			{Config: withPolicy(answers + "\n  justification = \"x\"\n  schedule = { expiration = { type = \"afterDuration\", duration = \"P30D\" } }"), PlanOnly: true,
				ExpectError: errRE(`Custom schedule not allowed`)},
		},
	})
}

func TestAccAccessPackageAssignmentRequest_deliveredAndRemoved(t *testing.T) {
	srv, p := asUser(t, uCarol)
	add := fmt.Sprintf("  access_package_id = %q\n  assignment_policy_id = %q\n  wait_for = \"delivered\"", pkgData, polSelfAuto)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: userRequestConfig(p, add),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userReq, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
				},
			},
			{
				// The user removes their own access: a userRemove request replaces the userAdd one.
				Config: p + fmt.Sprintf(`
resource "entitlement_access_package_assignment_request" "remove" {
  request_type      = "userRemove"
  access_package_id = %q
  wait_for          = "delivered"
}`, pkgData),
				Check: func(*terraform.State) error {
					r, err := onlyRequest(srv, "userRemove")
					if err != nil || r.State != "delivered" || len(liveAssignments(srv, pkgData, uCarol)) != 0 {
						return fmt.Errorf("userRemove %+v: %w (%d live)", r, err, len(liveAssignments(srv, pkgData, uCarol)))
					}
					return nil
				},
			},
		},
	})
}

func TestAccAccessPackageAssignmentRequest_userUpdate(t *testing.T) {
	srv, p := asUser(t, uCarol)
	asg := requestByID(srv, srv.MustAdd(pkgData, polSelfAuto, uCarol, nil)).AssignmentID
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// Carol moves the end of her own access; the provider finds her assignment.
			Config: userRequestConfig(p, fmt.Sprintf(`  request_type         = "userUpdate"
  access_package_id    = %q
  assignment_policy_id = %q
  wait_for             = "delivered"
  schedule = { expiration = { type = "afterDateTime", end_date_time = "2031-03-31T00:00:00Z" } }`, pkgData, polSelfAuto)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(userReq, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
				statecheck.ExpectKnownValue(userReq, tfjsonpath.New("assignment_id"), knownvalue.StringExact(asg)),
			},
			Check: func(*terraform.State) error {
				r, err := onlyRequest(srv, "userUpdate")
				a, _ := srv.Assignment(asg)
				if err != nil || r.AssignmentID != asg || a.End == nil || a.End.Format(time.RFC3339) != "2031-03-31T00:00:00Z" {
					return fmt.Errorf("userUpdate %+v (%w), assignment %+v", r, err, a)
				}
				return nil
			},
		}},
	})
}

// wait_for and timeouts change how the provider follows the request, not the
// request: a change is an in-place update that sends nothing and keeps what
// Graph computed. (It used to fail with "Provider returned invalid result
// object after apply … unknown value for assignment_id".)
func TestAccAccessPackageAssignmentRequest_updateInPlace(t *testing.T) {
	srv, p := asUser(t, uAlice)
	steps := []string{
		selfRequest,
		selfRequest + "\n  wait_for = \"delivered\"",
		selfRequest + "\n  wait_for = \"delivered\"\n  timeouts = { create = \"10m\", delete = \"5m\" }",
	}
	var ts []resource.TestStep
	for i, body := range steps {
		step := resource.TestStep{
			Config: userRequestConfig(p, body),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(userReq, tfjsonpath.New("state"), knownvalue.StringExact("pendingApproval")),
				statecheck.ExpectKnownValue(userReq, tfjsonpath.New("id"), knownvalue.StringRegexp(guidRE)),
				expectCalls(srv, "POST /assignmentRequests", 0),
			},
		}
		if i > 0 {
			step.PreConfig = srv.ResetMetrics
			step.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(userReq, plancheck.ResourceActionUpdate),
			}}
		} else {
			step.ConfigStateChecks = step.ConfigStateChecks[:2]
		}
		ts = append(ts, step)
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: ts})
}

// The delete timeout bounds the destroy: with Graph slower than it, the
// destroy fails in time instead of waiting for the default 30 minutes.
func TestAccAccessPackageAssignmentRequest_deleteTimeout(t *testing.T) {
	srv, p := asUser(t, uAlice)
	body := selfRequest + "\n  timeouts = { delete = \"1s\" }"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: userRequestConfig(p, body)},
			{
				PreConfig: func() {
					must(t, srv.SetFaults([]emulator.Fault{{Route: "GET /assignmentRequests/{id}", Latency: emulator.Duration{D: 5 * time.Second}}}))
				},
				Config:      p,
				ExpectError: errRE(`(?s)Error deleting access package assignment request.*deadline exceeded`),
			},
			{
				// Graph answers in time again: the destroy cancels the request.
				PreConfig: func() { must(t, srv.SetFaults(nil)) },
				Config:    p,
				ConfigStateChecks: []statecheck.StateCheck{
					expectRequest(srv, "userAdd", uAlice, func(r emulator.RequestView) error {
						if r.State != "canceled" {
							return fmt.Errorf("state %s, want canceled", r.State)
						}
						return nil
					}),
				},
			},
		},
	})
}
