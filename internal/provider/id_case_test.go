package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Graph compares ids without regard to case. A configuration written in
// upper case applies once and then plans nothing, and a change of case alone
// is never a replacement (which would remove and add the access).
func TestAccAccessPackageAssignment_upperCaseIDs(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	upper := func(s string) string {
		return fmt.Sprintf(`
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
}
`, strings.ToUpper(pkgSales), strings.ToUpper(polDirect), s)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{
			{
				// The plan after this apply must be empty (the harness checks it).
				Config:            p + upper(strings.ToUpper(uAlice)),
				ConfigStateChecks: []statecheck.StateCheck{expectTracksAssignment(srv, res, pkgSales, polDirect, uAlice)},
			},
			{
				// Back to lower case: in place, and nothing is sent to Graph.
				PreConfig: srv.ResetMetrics,
				Config:    p + upper(uAlice),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectCalls(srv, "POST /assignmentRequests", 0),
					expectDeliveredRequests(srv, "adminAdd", uAlice, 1),
				},
			},
		},
	})
}
