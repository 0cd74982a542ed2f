package provider

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Where nothing can succeed, the plan fails at once and says why:
//
//   - an https graph_url pointed at a plain-http port (it took 114 s per plan,
//     and the plan passed);
//   - a Graph that refuses to let the identity read the policy (the plan
//     passed, its checks skipped, a note in the debug log only): the error
//     says the checks did not run and which role the identity needs.
//
// A Graph that cannot be reached at all is TestAccUnreachableGraphFailsFast.
func TestAccPlanFailsWhenGraphCannotBeAsked(t *testing.T) {
	srv, url := startEmulator(t, emulator.Options{})
	https := providerBlock(strings.Replace(url, "http://", "https://", 1), leastPrivilegeToken(t, srv))
	var start time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig:   func() { start = time.Now() },
			Config:      assignmentConfig(https, polDirect, uAlice, ""),
			ExpectError: errRE(`(?s)Graph cannot be reached.*plain http, not TLS`),
		}, {
			PreConfig: func() {
				if took := time.Since(start); took > 20*time.Second {
					t.Errorf("the plan against a plain-http port took %s to fail", took)
				} else {
					t.Logf("an https graph_url at a plain-http port: the plan failed after %s", took.Round(time.Millisecond))
				}
				must(t, srv.SetFaults([]emulator.Fault{{Route: "GET /assignmentPolicies/{id}", Status: 403}}))
			},
			Config:      assignmentConfig(providerBlock(url, leastPrivilegeToken(t, srv)), polDirect, uAlice, ""),
			ExpectError: errRE(`(?s)Plan-time check could not run.*Access package assignment manager.*Authorization_RequestDenied`),
		}},
	})
	if n := srv.Count("POST /assignmentRequests"); n != 0 {
		t.Fatalf("%d requests reached Graph from plans that failed", n)
	}
}

// Destroying a person whose delivery is stuck: Graph refuses the removal
// while the add is open, and the provider waits on that request — one
// adminRemove POST, not one every few seconds — until Ctrl-C, which ends
// the destroy at once with an error that names the blocking request. The
// provider runs as Terraform's plugin, so the interrupt reaches it as
// Terraform's Stop call, which is what a terminal's Ctrl-C does with a
// provider that Terraform started.
func TestAccDestroyBlockedByAStuckRequestEndsOnInterrupt(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	must(t, err)
	srv, url := startEmulator(t, emulator.Options{Fixture: fixture})
	const alice = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01"
	must(t, srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: alice, Delivery: "stuck"}}))
	r := newExampleRun(t, srv, url)
	must(t, os.WriteFile(r.dir+"/main.tf", []byte(`resource "entitlement_access_package_assignment" "alice" {
  access_package_id    = "a914b616-e04e-476b-aa37-91038f0b165b"
  assignment_policy_id = "2264bf65-76ba-417b-a27d-54d291f0cbc8"
  target_object_id     = "`+alice+`"
  timeouts             = { create = "3s" }
}
`), 0o644))
	r.tf(0, "init", "-input=false")
	// The create times out with the delivery stuck: a warning, and the
	// assignment is recorded (not tainted), so the destroy has something to
	// remove.
	if out := r.tf(0, "apply", "-input=false", "-auto-approve"); !strings.Contains(out, "delivering") || !strings.Contains(out, "not delivered yet") {
		t.Fatalf("create:\n%s", out)
	}
	add := requestsOf(srv, "adminAdd", alice)
	if len(add) != 1 {
		t.Fatalf("%d adminAdd requests", len(add))
	}
	cmd := exec.Command(cliPath(), "destroy", "-input=false", "-auto-approve", "-no-color")
	cmd.Dir, cmd.Env = r.dir, append(os.Environ(), r.env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	// Interrupt once Graph has refused the removal and the provider is
	// reading the blocking request.
	waitFor(t, 60*time.Second, "the refused adminRemove and a read of the blocking request", func() bool {
		return srv.Metrics()["POST /assignmentRequests"].ByStatus[400] >= 1 && srv.Count("GET /assignmentRequests/{id}") >= 1
	})
	reads := srv.Count("GET /assignmentRequests/{id}")
	waitFor(t, 30*time.Second, "the provider to keep following the blocking request", func() bool {
		return srv.Count("GET /assignmentRequests/{id}") >= reads+2
	})
	posts := srv.Metrics()["POST /assignmentRequests"].Requests
	sent := time.Now()
	must(t, cmd.Process.Signal(syscall.SIGINT))
	if err := cmd.Wait(); err == nil {
		t.Fatalf("the interrupted destroy exited 0:\n%s", out.String())
	}
	took := time.Since(sent)
	text := out.String()
	for _, want := range []string{add[0].ID, "adminAdd", "delivering", "interrupted"} {
		if !strings.Contains(text, want) {
			t.Errorf("the destroy's output does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Plugin did not respond") || took > 10*time.Second {
		t.Fatalf("after Ctrl-C the destroy took %s to end:\n%s", took, text)
	}
	// One removal was sent while the add was open: the wait read the
	// request, it did not re-send on a timer.
	if posts != 2 || len(requestsOf(srv, "adminRemove", alice)) != 0 {
		t.Fatalf("%d POSTs (the add and the refused remove make 2)", posts)
	}
	t.Logf("Ctrl-C ended the blocked destroy after %s; it read the blocking request %d times and sent 1 adminRemove:\n%s", took.Round(time.Millisecond), srv.Count("GET /assignmentRequests/{id}"), lastError(text))
}

// lastError is the text of the last "Error:" of a CLI's output.
func lastError(s string) string {
	i := strings.LastIndex(s, "Error: Error deleting")
	if i < 0 {
		return s
	}
	return s[i:]
}

// An access package that does not exist is reported as such, not as "Policy
// of another access package": a policy's package and a package that is not
// there are two different mistakes.
func TestAccMissingAccessPackageIsNamed(t *testing.T) {
	_, p := testEmulator(t, emulator.Options{})
	missing := p + `
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = "bbbbbbbb-0000-4000-8000-0000000000ff"
  assignment_policy_id = "` + polDirect + `"
  target_object_id     = "` + uAlice + `"
}
`
	both := strings.Replace(missing, polDirect, "dddddddd-0000-4000-8000-0000000000ff", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: missing, ExpectError: errRE(`Unknown access package.*Graph has no access package bbbbbbbb-0000-4000-8000-0000000000ff`)},
			{Config: both, ExpectError: errRE(`Unknown access package.*Graph has no access package bbbbbbbb-0000-4000-8000-0000000000ff`)},
		},
	})
}
