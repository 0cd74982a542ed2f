package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// A delivery that Graph ended in failure after Terraform recorded the
// assignment (an apply interrupted while it waited, or an import) shows in
// the next plan as an in-place update that reprocesses the request within
// Graph's 14-day window. After it, the plan changes nothing and says how to
// ask again: replacing it would remove whatever part was delivered.
func TestAccAccessPackageAssignment_failedDeliveryShowsInThePlan(t *testing.T) {
	for name, tc := range map[string]struct {
		outcome string
		after   time.Duration
		action  plancheck.ResourceActionType
		calls   int
		state   string
	}{
		"deliveryFailed reprocessed":     {"deliveryFailed", 0, plancheck.ResourceActionUpdate, 1, "delivered"},
		"partiallyDelivered reprocessed": {"partiallyDelivered", 0, plancheck.ResourceActionUpdate, 1, "delivered"},
		// The update is the configuration's justification, which the import does not know.
		"after 14 days left as it is": {"deliveryFailed", 15 * 24 * time.Hour, plancheck.ResourceActionUpdate, 0, "deliveryFailed"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, p := testEmulator(t, emulator.Options{})
			// The request fails tc.after ago, by the emulator's clock and ours.
			srv.SetClock(time.Now().Add(-tc.after))
			id := failedRequest(t, srv, uAlice, tc.outcome, 1)
			asg := requestByID(srv, id).AssignmentID
			srv.SetClock(time.Now())
			cfg := assignmentConfig(p, polDirect, uAlice, "")
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkDestroyed(srv, uAlice),
				Steps: []resource.TestStep{
					{
						// Recorded with Graph's failed state, as an interrupted apply records it.
						Config: cfg, ResourceName: res, ImportState: true, ImportStateId: asg, ImportStatePersist: true,
					},
					{
						Config: cfg,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(res, tc.action),
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(res, tfjsonpath.New("state"), knownvalue.StringExact(tc.state)),
							expectCalls(srv, reprocessURL, tc.calls),
							expectRequests(srv, "adminRemove", uAlice, 0),
						},
					},
				},
			})
		})
	}
}
