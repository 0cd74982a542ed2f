package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The example package and policy (examples/emulator/fixture.json).
const (
	exPkg    = "a914b616-e04e-476b-aa37-91038f0b165b"
	exDirect = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
	exAlice  = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01"
	exBob    = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02"
	exDmitri = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04"
)

// exampleEmulator serves the examples' fixture, in which Dmitri (exDmitri)
// was assigned the package by hand before Terraform; handAssigned false
// leaves him out.
func exampleEmulator(t *testing.T, handAssigned bool) (*emulator.Server, string) {
	t.Helper()
	fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	if !handAssigned {
		fixture.AssignmentRequests = nil
	}
	return startEmulator(t, emulator.Options{Fixture: fixture})
}

// liveUnder lists the targets with a live assignment of exPkg under exDirect.
func liveUnder(srv *emulator.Server) map[string]bool {
	out := map[string]bool{}
	for _, a := range srv.Assignments() {
		if a.AccessPackageID == exPkg && a.PolicyID == exDirect && a.State != "expired" {
			out[a.TargetObjectID] = true
		}
	}
	return out
}

// The guide's migration, through the CLI: per-person resources, then the
// authoritative file (removed blocks and an import) — no request reaches
// Graph, no access is removed, and the plan after it is empty.
func TestAccExample_migrateToAuthoritative(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := exampleEmulator(t, true)
	r := newExampleRun(t, srv, url, "examples/manage-who-holds-a-package/before/per-person.tf")
	r.tf(0, "init", "-input=false")
	r.tf(0, "apply", "-input=false", "-auto-approve")
	if live := liveUnder(srv); !live[exAlice] || !live[exBob] || !live[exDmitri] || len(live) != 3 {
		t.Fatalf("after the per-person apply: %v", live)
	}
	must(t, os.Remove(filepath.Join(r.dir, "examples_manage-who-holds-a-package_before_per-person.tf")))
	src, err := os.ReadFile("../../examples/manage-who-holds-a-package/after/authoritative.tf")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(r.dir, "authoritative.tf"), src, 0o644))
	srv.ResetMetrics()
	plan := r.tf(0, "plan", "-input=false")
	if !strings.Contains(plan, "1 to import, 0 to add, 0 to change, 0 to destroy") || !forgotten(plan, exAlice) || !forgotten(plan, exBob) {
		t.Fatalf("the migration plan:\n%s", plan)
	}
	r.tf(0, "apply", "-input=false", "-auto-approve")
	if n := srv.Count("POST /assignmentRequests"); n != 0 {
		t.Fatalf("the migration sent %d requests to Graph", n)
	}
	if live := liveUnder(srv); !live[exAlice] || !live[exBob] || !live[exDmitri] || len(live) != 3 {
		t.Fatalf("after the migration: %v", live)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
	// Later Bob leaves the team. A per-person resource gave his access (its
	// marker is on the request), but the import claimed every holder for
	// the authoritative resource, so his removal is its own and goes ahead.
	r.tf(0, "apply", "-input=false", "-auto-approve", `-var=sales_team=["`+exAlice+`","`+exDmitri+`"]`)
	if live := liveUnder(srv); !live[exAlice] || live[exBob] || !live[exDmitri] || len(live) != 2 {
		t.Fatalf("after Bob left: %v", live)
	}
}

// forgotten says whether a plan forgets the per-person resource of a target
// without destroying it, in Terraform's words or OpenTofu's.
func forgotten(plan, target string) bool {
	re := regexp.MustCompile(`entitlement_access_package_assignment\.sales\["` + target + `"\] will (no longer be managed|be removed from the OpenTofu state but will not be destroyed)`)
	return re.MatchString(plan)
}

// An apply of the authoritative resource is stopped while it waits for a
// delivery — by SIGINT (the provider saves what it has) and by SIGKILL
// (nothing is saved) — and the next apply converges with exactly one
// request per person: the create lists what the package holds and keeps it.
func TestAccAccessPackageAssignments_interruptedApply(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			srv, url := exampleEmulator(t, false)
			must(t, srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: exBob, DeliveryDelay: &emulator.Duration{D: time.Hour}}}))
			r := newExampleRun(t, srv, url)
			cfg := `resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = "` + exPkg + `"
  assignment_policy_id = "` + exDirect + `"
  target_object_ids    = ["` + exAlice + `", "` + exBob + `"]
}
`
			must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(cfg), 0o644))
			r.tf(0, "init", "-input=false")
			cmd := exec.Command(cliPath(), "apply", "-input=false", "-auto-approve", "-no-color")
			cmd.Dir, cmd.Env = r.dir, append(os.Environ(), r.env...)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			must(t, cmd.Start())
			// Interrupt once Graph has both requests and Alice's is delivered:
			// the provider is waiting for Bob's, listing the package's requests.
			waitFor(t, 60*time.Second, "both requests and Alice's delivery", func() bool {
				return len(requestsOf(srv, "adminAdd", exBob)) == 1 && liveUnder(srv)[exAlice] &&
					len(requestsOf(srv, "adminAdd", exAlice)) == 1 && requestsOf(srv, "adminAdd", exAlice)[0].State == "delivered" &&
					srv.Count("GET /assignmentRequests") > 0
			})
			must(t, cmd.Process.Signal(sig))
			if err := cmd.Wait(); err == nil {
				t.Fatalf("the interrupted apply exited 0:\n%s", out.String())
			}
			must(t, srv.SetBehaviours(nil))
			srv.AdvanceClock(2 * time.Hour)
			second := r.tf(0, "apply", "-input=false", "-auto-approve")
			for _, u := range []string{exAlice, exBob} {
				if err := exactly(srv, "adminAdd", u, 1); err != nil {
					t.Fatalf("%v\nfirst apply:\n%s\nsecond apply:\n%s", err, out.String(), second)
				}
			}
			if n := len(requestsOf(srv, "adminRemove", "")); n != 0 {
				t.Fatalf("%d adminRemove requests", n)
			}
			if live := liveUnder(srv); len(live) != 2 {
				t.Fatalf("live after the second apply: %v", live)
			}
			r.tf(0, "plan", "-input=false", "-detailed-exitcode")
			t.Logf("after %s, second apply: %s", sig, lastLine(second))
		})
	}
}

// The resource's documented example applies against the examples' fixture:
// Dmitri, assigned by hand before Terraform, is removed; the output maps
// each person to an assignment id; the plan after it is empty.
func TestAccExample_accessPackageAssignments(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := exampleEmulator(t, true)
	r := newExampleRun(t, srv, url, "examples/resources/entitlement_access_package_assignments/resource.tf")
	r.tf(0, "init", "-input=false")
	r.tf(0, "apply", "-input=false", "-auto-approve")
	if live := liveUnder(srv); !live[exAlice] || !live[exBob] || live[exDmitri] || len(live) != 2 {
		t.Fatalf("after the example: %v", live)
	}
	out := r.tf(0, "output", "-json", "sales_assignment_ids")
	if !strings.Contains(out, exAlice) || !strings.Contains(out, exBob) {
		t.Fatalf("output: %s", out)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}
