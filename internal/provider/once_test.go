package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Once in effect under the worst faults, through the CLI: 50 additions by
// the authoritative resource while every answer to a POST is lost and new
// requests stay invisible for 3 s. Each target gets exactly one adminAdd,
// sent once: the provider does not send again until Graph's state shows
// the first did not land. With acceptDuplicates the emulator accepts a
// second open request for a target, which Microsoft does not document as
// refused, so nothing but the provider's own care keeps it duplicate-free.
func TestAccOnce_lostAnswersAuthoritative(t *testing.T) {
	needWriteOnly(t)
	for _, dup := range []bool{false, true} {
		t.Run(fmt.Sprintf("acceptDuplicates=%v", dup), func(t *testing.T) {
			f, users := chaosUsers(50)
			srv, p := testEmulator(t, emulator.Options{Fixture: f, AcceptDuplicates: dup})
			start := time.Now()
			cfg := p + fmt.Sprintf(`
resource "entitlement_access_package_assignments" "c" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = %s
}
`, pkgSales, polDirect, hclList(users))
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				PreCheck: func() {
					srv.SetConsistencyLag(3 * time.Second)
					must(t, srv.SetFaults([]emulator.Fault{{Route: "POST /assignmentRequests", DropResponse: true}}))
				},
				Steps: []resource.TestStep{{
					Config: cfg,
					Check: func(*terraform.State) error {
						posts := srv.Metrics()["POST /assignmentRequests"].Requests
						per := map[string]int{}
						for _, q := range srv.Requests() {
							if q.RequestType == "adminAdd" {
								per[strings.ToLower(q.TargetObjectID)]++
							}
						}
						t.Logf("acceptDuplicates=%v: %d targets, %d POSTs (%.2f per target), %d targets with an adminAdd, in %s",
							dup, len(users), posts, float64(posts)/float64(len(users)), len(per), time.Since(start).Round(time.Millisecond))
						for _, u := range users {
							if per[strings.ToLower(u)] != 1 {
								return fmt.Errorf("%s has %d adminAdd requests", u, per[strings.ToLower(u)])
							}
							if n := len(liveAssignments(srv, pkgSales, u)); n != 1 {
								return fmt.Errorf("%s has %d live assignments", u, n)
							}
						}
						if posts != len(users) {
							return fmt.Errorf("%d POSTs for %d targets", posts, len(users))
						}
						// The destroy that follows runs without faults.
						must(t, srv.SetFaults(nil))
						srv.SetConsistencyLag(0)
						return nil
					},
				}},
			})
		})
	}
}
