package provider

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// exactly checks the emulator holds n requests of a type for a target, all delivered.
func exactly(srv *emulator.Server, typ, target string, n int) error {
	reqs := requestsOf(srv, typ, target)
	if len(reqs) != n {
		return fmt.Errorf("%d %s requests for %s, want %d: %+v", len(reqs), typ, target, n, reqs)
	}
	for _, r := range reqs {
		if r.State != "delivered" {
			return fmt.Errorf("%s request %s is %s", typ, r.ID, r.State)
		}
	}
	return nil
}

// adopting is the provider block of an emulator with adopt_existing_assignments on.
func adopting(p string) string {
	return strings.Replace(p, "provider \"entitlement\" {", "provider \"entitlement\" {\n  adopt_existing_assignments = true", 1)
}

// By default, create never takes over what it did not make: an existing
// assignment is an error that says how to import it, and the import works.
func TestAccResilience_existingAssignmentNeedsAnImport(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	existing := requestByID(srv, srv.MustAdd(pkgSales, polDirect, uAlice, nil)).AssignmentID
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{
			{
				Config:      assignmentConfig(p, polDirect, uAlice, ""),
				ExpectError: errRE(`(?s)Access package assignment already exists.*` + existing + `.*import \{.*id = "` + existing + `".*terraform import entitlement_access_package_assignment.<name> ` + existing + `.*adopt_existing_assignments`),
			},
			{
				// Nothing was requested twice, and the hint's import works.
				PreConfig:          func() { must(t, exactly(srv, "adminAdd", uAlice, 1)) },
				Config:             assignmentConfig(p, polDirect, uAlice, "") + "\nimport {\n  to = entitlement_access_package_assignment.test\n  id = \"" + existing + "\"\n}\n",
				ConfigStateChecks:  []statecheck.StateCheck{expectTracksAssignment(srv, res, pkgSales, polDirect, uAlice), expectDeliveredRequests(srv, "adminAdd", uAlice, 1)},
				ExpectNonEmptyPlan: false,
			},
		},
	})
}

func TestAccResilience_adoptsWhatAnEarlierApplyRequested(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	p = adopting(p)
	// The POST of an apply that died before saving its state landed in Graph.
	srv.MustAdd(pkgSales, polDirect, uAlice, nil)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{{
			Config: assignmentConfig(p, polDirect, uAlice, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				expectDeliveredRequests(srv, "adminAdd", uAlice, 1),
				expectTracksAssignment(srv, res, pkgSales, polDirect, uAlice),
			},
		}},
	})
}

// Graph documents no error code for "this already exists". Whatever code it
// answers with, create decides by looking at Graph's state: the emulator
// here answers with codes the provider has never seen, for an assignment an
// interrupted apply left delivered and for a request it left still open.
func TestAccResilience_adoptsWhateverTheDuplicateCode(t *testing.T) {
	codes := map[string]string{"ExistingOpenRequest": "RequestAlreadyPending42", "ExistingAssignment": "DuplicateAssignment42"}
	srv, p := testEmulator(t, emulator.Options{ErrorCodes: codes})
	p = adopting(p)
	srv.MustAdd(pkgSales, polDirect, uAlice, nil) // delivered
	must(t, srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: uBob, DeliveryDelay: &emulator.Duration{D: 2 * time.Second}}}))
	openID := srv.MustAdd(pkgSales, polDirect, uBob, nil) // still delivering
	if r := requestByID(srv, openID); r.State == "delivered" {
		t.Fatalf("setup: the request was delivered at once: %+v", r)
	}
	cfg := assignmentConfig(p, polDirect, uAlice, "") + strings.Replace(strings.Replace(assignmentConfig("", polDirect, uBob, ""), `"test"`, `"bob"`, 1), "entitlement_access_package_assignment.test", "entitlement_access_package_assignment.bob", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := checkDestroyed(srv, uAlice)(s); err != nil {
				return err
			}
			return checkDestroyed(srv, uBob)(s)
		},
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				expectDeliveredRequests(srv, "adminAdd", uAlice, 1),
				expectDeliveredRequests(srv, "adminAdd", uBob, 1),
				expectTracksAssignment(srv, res, pkgSales, polDirect, uAlice),
				expectTracksAssignment(srv, "entitlement_access_package_assignment.bob", pkgSales, polDirect, uBob),
				statecheck.ExpectKnownValue("entitlement_access_package_assignment.bob", tfjsonpath.New("request_id"), knownvalue.StringExact(openID)),
			},
		}},
	})
}

func TestAccResilience_lostUpdateAndRemoveResponses(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	sched := func(end string) string {
		return fmt.Sprintf("  schedule = { expiration = { type = \"afterDateTime\", end_date_time = %q } }", end)
	}
	drop := func() {
		if err := srv.SetFaults([]emulator.Fault{{Route: "POST /assignmentRequests", DropResponse: true, Count: 1}}); err != nil {
			t.Error(err)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if m := srv.Metrics()["POST /assignmentRequests"]; m.Dropped != 2 {
				return fmt.Errorf("%d dropped responses, want 2", m.Dropped)
			}
			if err := exactly(srv, "adminRemove", uBob, 1); err != nil {
				return err
			}
			return checkDestroyed(srv, uBob)(s)
		},
		Steps: []resource.TestStep{
			{Config: assignmentConfig(p, polDirect, uBob, sched("2030-01-01T00:00:00Z"))},
			{
				PreConfig: drop,
				Config:    assignmentConfig(p, polDirect, uBob, sched("2031-01-01T00:00:00Z")),
				Check: func(*terraform.State) error {
					if err := exactly(srv, "adminUpdate", uBob, 1); err != nil {
						return err
					}
					drop() // for the destroy that follows
					return nil
				},
			},
		},
	})
}

func TestAccResilience_replicationLagAfterCreate(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	srv.SetConsistencyLag(3 * time.Second)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uCarol),
		// The plan right after the apply must find the new assignment, not re-create it.
		Steps: []resource.TestStep{{
			Config:            assignmentConfig(p, polDirect, uCarol, ""),
			ConfigStateChecks: []statecheck.StateCheck{expectDeliveredRequests(srv, "adminAdd", uCarol, 1)},
		}},
	})
}

// An apply is stopped while it waits for Graph — by SIGINT (Terraform
// cancels, the provider saves what it has) and by SIGKILL (nothing is saved)
// — and the next apply converges with exactly one request.
func TestAccResilience_interruptedApply(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
			if err != nil {
				t.Fatal(err)
			}
			srv, url := startEmulator(t, emulator.Options{Fixture: fixture})
			const alice = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01"
			must(t, srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: alice, DeliveryDelay: &emulator.Duration{D: time.Hour}}}))
			r := newExampleRun(t, srv, url)
			cfg := `resource "entitlement_access_package_assignment" "alice" {
  access_package_id    = "a914b616-e04e-476b-aa37-91038f0b165b"
  assignment_policy_id = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
  target_object_id     = "` + alice + `"
}
`
			if err := os.WriteFile(r.dir+"/main.tf", []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			r.tf(0, "init", "-input=false")
			cmd := exec.Command(cliPath(), "apply", "-input=false", "-auto-approve", "-no-color")
			cmd.Dir, cmd.Env = r.dir, append(os.Environ(), r.env...)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt once Graph has accepted the request and the provider
			// is waiting for its delivery: it has read the request back.
			reads := srv.Count("GET /assignmentRequests/{id}")
			waitFor(t, 60*time.Second, "the provider to follow its adminAdd request", func() bool {
				return len(requestsOf(srv, "adminAdd", alice)) == 1 && srv.Count("GET /assignmentRequests/{id}") > reads
			})
			must(t, cmd.Process.Signal(sig))
			if err := cmd.Wait(); err == nil {
				t.Fatalf("the interrupted apply exited 0:\n%s", out.String())
			}
			if n := len(requestsOf(srv, "adminAdd", alice)); n != 1 {
				t.Fatalf("%d adminAdd requests after the interrupted apply:\n%s", n, out.String())
			}
			// Graph finishes on its own meanwhile.
			must(t, srv.SetBehaviours(nil))
			srv.AdvanceClock(2 * time.Hour)
			if sig == syscall.SIGKILL {
				// Nothing was saved: by default the next apply refuses to take
				// over what it finds, and says how to import it.
				out := r.tf(1, "apply", "-input=false", "-auto-approve")
				if !strings.Contains(out, "already exists") || !strings.Contains(out, "terraform import") {
					t.Fatalf("the apply after a kill did not give an import hint:\n%s", out)
				}
				t.Setenv("ENTITLEMENT_ADOPT_EXISTING_ASSIGNMENTS", "true")
			}
			second := r.tf(0, "apply", "-input=false", "-auto-approve")
			if err := exactly(srv, "adminAdd", alice, 1); err != nil {
				t.Fatalf("%v\nfirst apply:\n%s\nsecond apply:\n%s", err, out.String(), second)
			}
			if len(liveAssignments(srv, "a914b616-e04e-476b-aa37-91038f0b165b", alice)) != 1 {
				t.Fatal("no live assignment")
			}
			r.tf(0, "plan", "-input=false", "-detailed-exitcode")
			t.Logf("after %s, second apply: %s", sig, lastLine(second))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "Apply complete") || strings.Contains(lines[i], "No changes") {
			return strings.TrimSpace(lines[i])
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// Two resources for the same person: the second create finds the first's
// request and fails with an import hint, so that no assignment has two
// owners (removing one resource would take away the access the other
// declares). Exactly one request reaches Graph.
func TestAccResilience_secondResourceForTheSamePerson(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	two := p + fmt.Sprintf(`
resource "entitlement_access_package_assignment" "first" {
  access_package_id    = %[1]q
  assignment_policy_id = %[2]q
  target_object_id     = %[3]q
}
resource "entitlement_access_package_assignment" "second" {
  access_package_id    = %[1]q
  assignment_policy_id = %[2]q
  target_object_id     = %[3]q
  depends_on           = [entitlement_access_package_assignment.first]
}
`, pkgSales, polDirect, uAlice)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{{
			Config:      two,
			ExpectError: errRE(`(?s)Access package assignment already exists.*import \{`),
		}, {
			// The first one stands alone; Graph holds one assignment, made once.
			Config:            strings.SplitN(two, `resource "entitlement_access_package_assignment" "second"`, 2)[0],
			ConfigStateChecks: []statecheck.StateCheck{expectDeliveredRequests(srv, "adminAdd", uAlice, 1)},
		}},
	})
}
