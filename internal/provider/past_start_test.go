package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Graph replaces a start in the past with the time it processed the request.
// A configured past start applies, refreshes and updates with an empty next
// plan, and the state keeps the start as written.
func TestAccAccessPackageAssignment_pastStart(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	const past = "2024-05-23T10:00:00Z"
	sched := func(end string) string {
		return fmt.Sprintf("  schedule = {\n    start_date_time = %q\n    expiration = { type = \"afterDateTime\", end_date_time = %q }\n  }", past, end)
	}
	moved := func(typ string) statecheck.StateCheck {
		return expectRequest(srv, typ, uCarol, func(r emulator.RequestView) error {
			if r.Start == nil || !r.Start.After(time.Date(2024, 5, 23, 10, 0, 0, 0, time.UTC)) {
				return fmt.Errorf("Graph kept the past start: %v", r.Start)
			}
			return nil
		})
	}
	keeps := statecheck.ExpectKnownValue(res, tfjsonpath.New("schedule").AtMapKey("start_date_time"), knownvalue.StringExact(past))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uCarol),
		Steps: []resource.TestStep{
			{
				Config:            assignmentConfig(p, polDirect, uCarol, sched("2031-01-31T00:00:00Z")),
				ConfigStateChecks: []statecheck.StateCheck{keeps, moved("adminAdd")},
			},
			{
				// A refresh alone plans nothing.
				Config:   assignmentConfig(p, polDirect, uCarol, sched("2031-01-31T00:00:00Z")),
				PlanOnly: true,
			},
			{
				// An update re-sends the past start; Graph moves it again.
				Config: assignmentConfig(p, polDirect, uCarol, sched("2032-01-31T00:00:00Z")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{keeps, moved("adminUpdate"),
					expectAssignmentEnd(srv, pkgSales, uCarol, time.Date(2032, 1, 31, 0, 0, 0, 0, time.UTC))},
			},
		},
	})
}
