package provider

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// A create that ends before Graph has an assignment — a start in the
// future (scheduled), an approval to wait for — with a schedule that names
// its start and leaves the expiration to the policy: the expiration is
// still unknown when the create saves its state. Saved unknown, Terraform
// refuses the result ("invalid result object after apply … unknown value
// for schedule.expiration") and taints the resource, so the next apply
// replaces it. It is saved null instead, and the next refresh reads it.
func TestAccUndeliveredCreateWithAnOpenExpiration(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	must(t, err)
	srv, url := startEmulator(t, emulator.Options{Fixture: fixture})
	const bob = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02"
	start := srv.Now().Add(48 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	r := newExampleRun(t, srv, url)
	must(t, os.WriteFile(r.dir+"/main.tf", []byte(`resource "entitlement_access_package_assignment" "later" {
  access_package_id    = "a914b616-e04e-476b-aa37-91038f0b165b"
  assignment_policy_id = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
  target_object_id     = "`+bob+`"
  schedule             = { start_date_time = "`+start+`" }
}
`), 0o644))
	r.tf(0, "init", "-input=false")
	out := r.tf(0, "apply", "-input=false", "-auto-approve")
	if strings.Contains(out, "invalid result object") || strings.Contains(out, "Error:") {
		t.Fatalf("the create of a scheduled assignment:\n%s", out)
	}
	if show := r.tf(0, "state", "show", "entitlement_access_package_assignment.later"); strings.Contains(show, "tainted") || !strings.Contains(oneLine(show), `state = "scheduled"`) {
		t.Fatalf("the saved state:\n%s", show)
	}
	// Nothing to do while Graph holds the request.
	if plan := r.tf(0, "plan", "-input=false", "-detailed-exitcode"); !strings.Contains(plan, "No changes") {
		t.Fatalf("the plan while the access is scheduled:\n%s", plan)
	}
	// The start passes: Graph delivers, the refresh reads the assignment
	// and the expiration the policy gave it, and the plan stays empty.
	srv.AdvanceClock(49 * time.Hour)
	waitFor(t, 30*time.Second, "the scheduled assignment to be delivered", func() bool {
		for _, q := range requestsOf(srv, "adminAdd", bob) {
			if q.State == "delivered" {
				return true
			}
		}
		return false
	})
	if plan := r.tf(0, "plan", "-input=false", "-detailed-exitcode"); !strings.Contains(plan, "No changes") {
		t.Fatalf("the plan once the access is delivered:\n%s", plan)
	}
	if n := len(requestsOf(srv, "adminAdd", bob)); n != 1 || len(requestsOf(srv, "adminRemove", bob)) != 0 {
		t.Fatalf("%d adminAdd requests and a removal for Bob: want the one add", n)
	}
}
