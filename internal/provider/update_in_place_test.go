package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Every attribute that updates in place, beside schedule, answers and
// justification (access_package_assignment_resource_test.go) and the request
// resource's wait_for and timeouts (its own test): a change is an update in
// place that calls nothing in Graph and keeps what Graph computed.

// inPlaceSteps applies configs in turn; every step after the first must plan
// an in-place update of addr and make no call to route.
func inPlaceSteps(srv *emulator.Server, addr, route string, kept []statecheck.StateCheck, configs ...string) []resource.TestStep {
	steps := []resource.TestStep{{Config: configs[0], ConfigStateChecks: kept}}
	for _, cfg := range configs[1:] {
		steps = append(steps, resource.TestStep{
			PreConfig: srv.ResetMetrics,
			Config:    cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: append([]statecheck.StateCheck{expectCalls(srv, route, 0)}, kept...),
		})
	}
	return steps
}

func TestAccAccessPackageAssignment_timeoutsInPlace(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: inPlaceSteps(srv, res, "POST /assignmentRequests",
			[]statecheck.StateCheck{expectTracksAssignment(srv, res, pkgSales, polDirect, uAlice)},
			assignmentConfig(p, polDirect, uAlice, ""),
			assignmentConfig(p, polDirect, uAlice, `  timeouts = { create = "10m", update = "10m", delete = "10m" }`),
		),
	})
}

func TestAccAccessPackageAssignmentRequestReprocess_inPlace(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	id := failedRequest(t, srv, uBob, "deliveryFailed", 1)
	kept := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(reprocessRes, tfjsonpath.New("state"), knownvalue.StringExact("delivered")),
		statecheck.ExpectKnownValue(reprocessRes, tfjsonpath.New("reprocessed"), knownvalue.Bool(true)),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: inPlaceSteps(srv, reprocessRes, reprocessURL, kept,
			reprocessConfig(p, id, ""),
			reprocessConfig(p, id, "  wait_for_completion = false"),
			reprocessConfig(p, id, "  wait_for_completion = false\n  timeouts = { create = \"5m\" }"),
		),
	})
}

func TestAccAccessPackageAssignmentRequestResume_inPlace(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	id := waitingRequest(t, srv, uAlice)
	stage := "  stage = \"assignmentRequestCreated\"\n"
	kept := []statecheck.StateCheck{statecheck.ExpectKnownValue(resumeRes, tfjsonpath.New("id"), knownvalue.StringExact(id))}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: inPlaceSteps(srv, resumeRes, "POST /assignmentRequests/{id}/resume", kept,
			resumeConfig(p, id, stage),
			resumeConfig(p, id, stage+"  wait_for_completion = false"),
			resumeConfig(p, id, stage+"  wait_for_completion = false\n  timeouts = { create = \"5m\" }"),
		),
	})
}
