package provider

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// No access change that nobody asked for: what a create that does not
// finish leaves behind. Terraform taints a create that returns an error, or
// whose state differs from its plan, and replaces it on the next apply —
// for this resource, removing everyone and adding everyone. These tests
// drive the CLI through the failures users meet and count, in Graph, the
// removals of people who should keep their access (there must be none).

// keepersRemoved counts the adminRemove requests for any of these targets.
func keepersRemoved(srv *emulator.Server, keep []string) int {
	n := 0
	for _, u := range keep {
		n += len(requestsOf(srv, "adminRemove", u))
	}
	return n
}

func expectNoRemovalOf(srv *emulator.Server, keep []string) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("no adminRemove for the %d people who keep their access", len(keep)), func(*tfjson.State) error {
		if n := keepersRemoved(srv, keep); n != 0 {
			return fmt.Errorf("%d adminRemove requests", n)
		}
		return nil
	}}
}

// 20 users and one who does not exist, three of the 20 holding the access
// before Terraform (kept) and one holder to remove: the create saves what
// Graph holds with warnings and a state Terraform accepts (no taint), the
// missing user as notAssigned; the next plan updates in place and retries
// only them; nobody who holds the access is ever removed.
func TestAccAccessPackageAssignments_partialCreate(t *testing.T) {
	needWriteOnly(t)
	f, users := chaosUsers(20)
	srv, p := testEmulator(t, emulator.Options{Fixture: f})
	for _, u := range append(users[:3:3], uCarol) {
		_, err := srv.AddAssignment(pkgSales, polDirect, u, nil)
		must(t, err)
	}
	waitFor(t, 10*time.Second, "the assignments made before Terraform", func() bool { return len(livePolicy(srv, polDirect)) == 4 })
	ghost := "99999999-0000-4000-8000-000000000099"
	withGhost := append(append([]string{}, users...), ghost)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             setConfig(p, withGhost, ""),
				ExpectNonEmptyPlan: true, // the missing user is retried
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("undelivered"), knownvalue.MapExact(map[string]knownvalue.Check{ghost: knownvalue.StringExact("notAssigned")})),
					// The missing user stays a target, with no assignment: the state is the plan's.
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids"), knownvalue.MapSizeExact(21)),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(ghost), knownvalue.StringExact("")),
					expectHolders(srv, polDirect, users...),
					expectNoRemovalOf(srv, users),
					expectDeliveredRequests(srv, "adminRemove", uCarol, 1),
				},
			},
			{
				// Not tainted: an update in place, which retries the missing
				// user and fails on it (Graph still refuses), removing no one.
				Config: setConfig(p, withGhost, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(setRes, plancheck.ResourceActionUpdate),
				}},
				ExpectError: errRE(`Access package assignment failed for ` + ghost),
			},
			{
				// The failed update kept the resource in the state, holding
				// the 20 (a state that recorded the write-only targets made
				// the CLI forget it, and this plan a create): without the
				// missing user, nothing is left to do.
				Config: setConfig(p, users, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(setRes, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, users...),
					expectNoRemovalOf(srv, users),
					graphCheck{"one adminAdd per person, none for those kept", func(*tfjson.State) error {
						for _, u := range users {
							if err := exactly(srv, "adminAdd", u, 1); err != nil {
								return err
							}
						}
						return nil
					}},
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("undelivered"), knownvalue.MapExact(map[string]knownvalue.Check{})),
				},
			},
		},
	})
}

// Graph answers 403 for one target's request: the others get their access,
// the create is not tainted, and once Graph lets the request through the
// next apply gives it, removing no one.
func TestAccAccessPackageAssignments_forbiddenTarget(t *testing.T) {
	needWriteOnly(t)
	srv, p := testEmulator(t, emulator.Options{})
	forbidBob := func() {
		must(t, srv.SetFaults([]emulator.Fault{{Method: "POST", Route: "POST /assignmentRequests", Body: uBob, Status: 403}}))
	}
	forbidBob()
	keep := []string{uAlice, uCarol}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             setConfig(p, []string{uAlice, uBob, uCarol}, ""),
				ExpectNonEmptyPlan: true,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("undelivered"), knownvalue.MapExact(map[string]knownvalue.Check{uBob: knownvalue.StringExact("notAssigned")})),
					expectHolders(srv, polDirect, keep...),
				},
			},
			{
				PreConfig: func() { must(t, srv.SetFaults(nil)) },
				Config:    setConfig(p, []string{uAlice, uBob, uCarol}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(setRes, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uAlice), knownvalue.StringRegexp(guidRE)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob, uCarol),
					expectNoRemovalOf(srv, []string{uAlice, uBob, uCarol}),
					expectRequests(srv, "adminAdd", uAlice, 1),
				},
			},
		},
	})
}

// The create's timeout runs out while a delivery is still under way: the
// state is the plan's (no taint), the slow delivery is recorded as Graph
// holds it, and once it is delivered the next plan is empty.
func TestAccAccessPackageAssignments_createTimeout(t *testing.T) {
	needWriteOnly(t)
	srv, p := testEmulator(t, emulator.Options{})
	must(t, srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: uBob, DeliveryDelay: &emulator.Duration{D: time.Hour}}}))
	timeouts := `timeouts = { create = "12s" }`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: setConfig(p, []string{uAlice, uBob}, timeouts),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("undelivered"), knownvalue.MapExact(map[string]knownvalue.Check{uBob: knownvalue.StringExact("delivering")})),
					expectRequests(srv, "adminAdd", uBob, 1),
				},
			},
			{
				PreConfig: func() {
					must(t, srv.SetBehaviours(nil))
					srv.AdvanceClock(2 * time.Hour)
					waitFor(t, 10*time.Second, "Bob's delivery", func() bool {
						live := liveAssignments(srv, pkgSales, uBob)
						return len(live) == 1 && live[0].State == "delivered"
					})
				},
				Config: setConfig(p, []string{uAlice, uBob}, timeouts),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob),
					expectRequests(srv, "adminAdd", uBob, 1),
					expectNoRemovalOf(srv, []string{uAlice, uBob}),
				},
			},
		},
	})
}

// interruptAt is a point of a create at which the apply is stopped.
type interruptAt struct {
	name string
	// arm sets the emulator up so that the create dwells at the point.
	arm func(srv *emulator.Server) error
	// reached says the create is there.
	reached func(srv *emulator.Server) bool
}

// A create that keeps three holders, adds three people and removes two is
// stopped — by SIGINT (the provider returns what it has) and by SIGKILL
// (nothing is saved) — while it lists the package, while it sends its
// requests, and while it follows them. In every case the state is not
// tainted, and the next apply converges: the three holders keep their
// access without a request, each new person gets exactly one adminAdd, the
// two others exactly one adminRemove, and the plan after is empty.
func TestAccAccessPackageAssignments_interruptedCreate(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	points := []interruptAt{
		{"listing", func(srv *emulator.Server) error {
			return srv.SetFaults([]emulator.Fault{{Method: "GET", Route: "GET /assignments", Latency: emulator.Duration{D: 4 * time.Second}}})
		}, func(srv *emulator.Server) bool { return srv.Count("GET /assignments") > 0 }},
		{"sending", func(srv *emulator.Server) error {
			return srv.SetFaults([]emulator.Fault{{Method: "POST", Route: "POST /assignmentRequests", Latency: emulator.Duration{D: 1500 * time.Millisecond}}})
		}, func(srv *emulator.Server) bool { return srv.Count("POST /assignmentRequests") >= 2 }},
		{"following", func(srv *emulator.Server) error {
			var bs []emulator.Behaviour
			for _, u := range []string{exBob, exDmitri} {
				bs = append(bs, emulator.Behaviour{TargetObjectID: u, DeliveryDelay: &emulator.Duration{D: time.Hour}})
			}
			return srv.SetBehaviours(bs)
		}, func(srv *emulator.Server) bool {
			return srv.Count("POST /assignmentRequests") == 5 && srv.Count("GET /assignmentRequests") > 0
		}},
	}
	for _, at := range points {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
			t.Run(at.name+"/"+sig.String(), func(t *testing.T) { interruptedCreate(t, at, sig) })
		}
	}
}

func interruptedCreate(t *testing.T, at interruptAt, sig syscall.Signal) {
	f, users := chaosUsers(5)
	keep := []string{users[0], users[1], users[2]}
	gone := []string{users[3], users[4]}
	add := []string{exAlice, exBob, exDmitri}
	fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	must(t, err)
	fixture.AssignmentRequests = nil
	fixture.Users = append(fixture.Users, f.Users[len(f.Users)-5:]...)
	srv, url := startEmulator(t, emulator.Options{Fixture: fixture})
	for _, u := range append(append([]string{}, keep...), gone...) {
		_, err := srv.AddAssignment(exPkg, exDirect, u, nil)
		must(t, err)
	}
	waitFor(t, 10*time.Second, "the holders before Terraform", func() bool { return len(liveUnder(srv)) == 5 })
	srv.ResetMetrics()
	must(t, at.arm(srv))

	r := newExampleRun(t, srv, url)
	cfg := fmt.Sprintf(`resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = %s
}
`, exPkg, exDirect, hclList(append(append([]string{}, keep...), add...)))
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(cfg), 0o644))
	r.tf(0, "init", "-input=false")
	cmd := exec.Command(cliPath(), "apply", "-input=false", "-auto-approve", "-no-color")
	cmd.Dir, cmd.Env = r.dir, append(os.Environ(), r.env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	waitFor(t, 90*time.Second, "the create to reach "+at.name, func() bool { return at.reached(srv) })
	must(t, cmd.Process.Signal(sig))
	_ = cmd.Wait() // its exit code depends on the signal and the point; what it left in Graph and in the state is what is checked

	must(t, srv.SetFaults(nil))
	must(t, srv.SetBehaviours(nil))
	srv.AdvanceClock(2 * time.Hour)
	plan, code := r.tfCode("plan", "-input=false", "-detailed-exitcode")
	if code == 1 || strings.Contains(plan, "tainted") || strings.Contains(plan, "must be replaced") || strings.Contains(plan, "to destroy") && !strings.Contains(plan, "0 to destroy") {
		t.Fatalf("after %s at %s the plan replaces the resource:\n%s\nthe interrupted apply:\n%s", sig, at.name, plan, out.String())
	}
	second := r.tf(0, "apply", "-input=false", "-auto-approve")
	if n := keepersRemoved(srv, append(append([]string{}, keep...), add...)); n != 0 {
		t.Fatalf("%d adminRemove requests for people who keep their access\nfirst apply:\n%s\nsecond apply:\n%s", n, out.String(), second)
	}
	for _, u := range keep {
		if n := len(requestsOf(srv, "adminAdd", u)); n != 1 { // the one made before Terraform
			t.Fatalf("%d adminAdd requests for %s, who held the access before", n, u)
		}
	}
	for _, u := range add {
		if err := exactly(srv, "adminAdd", u, 1); err != nil {
			t.Fatalf("%v\nfirst apply:\n%s\nsecond apply:\n%s", err, out.String(), second)
		}
	}
	for _, u := range gone {
		if err := exactly(srv, "adminRemove", u, 1); err != nil {
			t.Fatalf("%v\nfirst apply:\n%s\nsecond apply:\n%s", err, out.String(), second)
		}
	}
	if live := liveUnder(srv); len(live) != 6 {
		t.Fatalf("live after the second apply: %v", live)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
	t.Logf("after %s while %s: %s", sig, at.name, lastLine(second))
}

// Values Terraform would not see again as written are refused, or warned
// of, at plan time: a fraction of a second (dates reach Graph in whole
// seconds), a duration so short the access ends as it is delivered, one so
// long its end cannot be written.
func TestAccAccessPackageAssignments_scheduleValues(t *testing.T) {
	needWriteOnly(t)
	_, p := testEmulator(t, emulator.Options{})
	exp := func(body string) string { return `schedule = { expiration = { ` + body + ` } }` }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: setConfig(p, []string{uAlice}, exp(`type = "afterDateTime", end_date_time = "2040-01-01T00:00:00.5Z"`)), PlanOnly: true, ExpectError: errRE(`fraction of a second.*2040-01-01T00:00:00Z`)},
			{Config: setConfig(p, []string{uAlice}, `schedule = { start_date_time = "2040-01-01T00:00:00.250Z" }`), PlanOnly: true, ExpectError: errRE(`fraction of a second`)},
			{Config: setConfig(p, []string{uAlice}, exp(`type = "afterDuration", duration = "PT0.5S"`)), PlanOnly: true, ExpectError: errRE(`Duration too short`)},
			{Config: setConfig(p, []string{uAlice}, exp(`type = "afterDuration", duration = "PT999999999H"`)), PlanOnly: true, ExpectError: errRE(`Schedule beyond the calendar`)},
			{Config: setConfig(p, []string{uAlice}, exp(`type = "afterDuration", duration = "P3000000D"`)), PlanOnly: true, ExpectError: errRE(`bad number|beyond the calendar`)},
			{Config: assignmentConfig(p, polDirect, uAlice, exp(`type = "afterDuration", duration = "PT30S"`)), PlanOnly: true, ExpectError: errRE(`Duration too short`)},
		},
	})
}

// A short duration is accepted with a warning, through the CLI.
func TestAccAccessPackageAssignments_shortDurationWarns(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{})
	r := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(setConfig("", []string{uAlice}, `schedule = { expiration = { type = "afterDuration", duration = "PT30M" } }`)), 0o644))
	r.tf(0, "init", "-input=false")
	plan := r.tf(0, "plan", "-input=false")
	if !strings.Contains(plan, "Short duration") {
		t.Fatalf("no warning for 30 minutes of access:\n%s", plan)
	}
}

// While the targets are known only at apply, the plan says that the apply
// may remove access, and who holds it now — for a new resource (read from
// Graph) and for a change (from the state).
func TestAccAccessPackageAssignments_unknownTargetsWarn(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{})
	_, err := srv.AddAssignment(pkgSales, polDirect, uCarol, nil)
	must(t, err)
	waitFor(t, 10*time.Second, "Carol's assignment", func() bool { return len(livePolicy(srv, polDirect)) == 1 })
	r := newExampleRun(t, srv, url)
	write := func(team ...string) {
		cfg := fmt.Sprintf(`resource "terraform_data" "team" {
  input = %s
}

resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = toset(terraform_data.team.output)
}
`, hclList(team), pkgSales, polDirect)
		must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(cfg), 0o644))
	}
	write(uAlice, uBob)
	r.tf(0, "init", "-input=false")
	plan := r.tf(0, "plan", "-input=false")
	if !strings.Contains(plan, "This apply may remove access") || !strings.Contains(plan, "- "+uCarol) {
		t.Fatalf("the plan of a new resource with unknown targets does not say whose access may go:\n%s", plan)
	}
	r.tf(0, "apply", "-input=false", "-auto-approve")
	write(uAlice)
	plan = r.tf(0, "plan", "-input=false")
	if !strings.Contains(plan, "This apply may remove access") || !strings.Contains(plan, "- "+uBob) || !strings.Contains(plan, "- "+uAlice) {
		t.Fatalf("the plan of a change with unknown targets does not say who holds the access:\n%s", plan)
	}
}

// One manager per package and policy. Two authoritative resources for the
// same package and policy, and one beside a per-person resource for the
// same policy — in one configuration — are stopped at the plan that would
// remove the other's people, and no one loses access.
func TestAccAccessPackageAssignments_twoManagersOneConfig(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	for name, other := range map[string]string{
		"two authoritative": `resource "entitlement_access_package_assignments" "other" {
  access_package_id    = "` + pkgSales + `"
  assignment_policy_id = "` + polDirect + `"
  target_object_ids    = ["` + uBob + `"]
}
`,
		"authoritative and per-person": `resource "entitlement_access_package_assignment" "bob" {
  access_package_id    = "` + pkgSales + `"
  assignment_policy_id = "` + polDirect + `"
  target_object_id     = "` + uBob + `"
}
`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, url := startEmulator(t, emulator.Options{})
			r := newExampleRun(t, srv, url)
			cfg := setConfig("", []string{uAlice}, "") + other
			must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(cfg), 0o644))
			r.tf(0, "init", "-input=false")
			// The two creates run side by side: one may see the other's
			// assignment and stop (exit 1) before changing anything.
			first := r.tfAny("apply", "-input=false", "-auto-approve")
			given := livePolicy(srv, polDirect)
			plan := oneLine(r.tf(1, "plan", "-input=false"))
			if !strings.Contains(plan, "Another resource manages this access") || !strings.Contains(plan, "- "+uBob) && !strings.Contains(plan, "- "+uAlice) {
				t.Fatalf("the plan does not stop the fight:\n%s\nfirst apply:\n%s", plan, first)
			}
			r.tf(1, "apply", "-input=false", "-auto-approve")
			if n := len(requestsOf(srv, "adminRemove", "")); n != 0 {
				t.Fatalf("%d adminRemove requests", n)
			}
			if live := livePolicy(srv, polDirect); len(live) != len(given) {
				t.Fatalf("after the first apply %v held the access, now %v", given, live)
			}
		})
	}
}

// A second state: a per-person resource in one working directory manages
// Bob; an authoritative resource for the same package and policy in
// another would remove him. Its create stops before it changes anything.
func TestAccAccessPackageAssignments_twoManagersTwoStates(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{})
	one := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(one.dir, "main.tf"), []byte(assignmentConfig("", polDirect, uBob, "")), 0o644))
	one.tf(0, "init", "-input=false")
	one.tf(0, "apply", "-input=false", "-auto-approve")
	two := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(two.dir, "main.tf"), []byte(setConfig("", []string{uAlice}, "")), 0o644))
	two.tf(0, "init", "-input=false")
	plan := oneLine(two.tf(1, "plan", "-input=false"))
	if !strings.Contains(plan, "Another resource manages this access") || !strings.Contains(plan, uBob+": given by an entitlement_access_package_assignment resource") {
		t.Fatalf("the plan does not name the other manager:\n%s", plan)
	}
	apply := two.tf(1, "apply", "-input=false", "-auto-approve")
	if n := len(requestsOf(srv, "adminRemove", "")); n != 0 || len(requestsOf(srv, "adminAdd", uAlice)) != 0 {
		t.Fatalf("the stopped create changed Graph:\n%s", apply)
	}
	one.tf(0, "plan", "-input=false", "-detailed-exitcode")
}

// tfCode runs the CLI and returns its output and exit code, whatever it is.
func (r *exampleRun) tfCode(args ...string) (string, int) {
	r.t.Helper()
	cmd := exec.Command(cliPath(), append(args, "-no-color")...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), r.env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		r.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return string(out), 0
}

// tfAny runs the CLI and returns its output, whatever its exit code.
func (r *exampleRun) tfAny(args ...string) string {
	r.t.Helper()
	out, _ := r.tfCode(args...)
	return out
}

// oneLine joins the CLI's wrapped lines, so that a phrase can be looked for
// wherever the CLI broke it.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// How a pipeline goes red without a taint: a postcondition on what the
// state says of the delivery fails the apply after the state is written,
// and Terraform does not taint a resource for a failed postcondition. The
// next plan retries in place; nothing is replaced.
func TestAccAccessPackageAssignments_postconditionFailsWithoutTaint(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{})
	must(t, srv.SetBehaviours([]emulator.Behaviour{
		{TargetObjectID: uAlice, Delivery: "deliveryFailed", Times: 1},
		{TargetObjectID: uBob, Delivery: "deliveryFailed", Times: 1}}))
	r := newExampleRun(t, srv, url)
	cfg := fmt.Sprintf(`resource "entitlement_access_package_assignment" "alice" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
  answers              = [{ question_id = %q, value = "EMEA" }]
  lifecycle {
    postcondition {
      condition     = self.state == "delivered"
      error_message = "Alice's access is ${self.state}."
    }
  }
}

resource "entitlement_access_package_assignments" "team" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = [%q, %q]
  lifecycle {
    postcondition {
      condition     = length(self.undelivered) == 0
      error_message = "Not delivered: ${jsonencode(self.undelivered)}."
    }
  }
}
`, pkgSales, polQuiz, uAlice, qRegion, pkgSales, polDirect, uBob, uCarol)
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(cfg), 0o644))
	r.tf(0, "init", "-input=false")
	apply := oneLine(r.tf(1, "apply", "-input=false", "-auto-approve"))
	if !strings.Contains(apply, "Resource postcondition failed") || !strings.Contains(apply, "Alice's access is deliveryFailed") || !strings.Contains(apply, `Not delivered: {"`+uBob+`":"deliveryFailed"}`) {
		t.Fatalf("the apply did not fail on the postconditions:\n%s", apply)
	}
	plan := r.tf(2, "plan", "-input=false", "-detailed-exitcode")
	if strings.Contains(plan, "must be replaced") || strings.Contains(plan, "tainted") || !strings.Contains(plan, "0 to add, 2 to change, 0 to destroy") {
		t.Fatalf("after the failed postconditions the plan is not an update in place:\n%s", plan)
	}
	r.tf(0, "apply", "-input=false", "-auto-approve")
	if n := len(requestsOf(srv, "adminRemove", "")); n != 0 {
		t.Fatalf("%d adminRemove requests", n)
	}
	for _, u := range []string{uAlice, uBob, uCarol} {
		if err := exactly(srv, "adminAdd", u, 1); err != nil {
			t.Fatal(err)
		}
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}

// The per-person side of one manager per package and policy: an
// authoritative resource in another state imports the package (claiming
// its holders) and removes Bob, whom a per-person resource manages; the
// per-person resource's next plan stops with an error instead of giving
// the access back, which the authoritative one would take away again.
func TestAccAccessPackageAssignment_removedByAnotherManager(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{})
	one := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(one.dir, "main.tf"), []byte(assignmentConfig("", polDirect, uBob, "")), 0o644))
	one.tf(0, "init", "-input=false")
	one.tf(0, "apply", "-input=false", "-auto-approve")
	two := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(two.dir, "main.tf"), []byte(setConfig("", []string{uAlice}, "")+`
import {
  to = `+setRes+`
  id = "`+pkgSales+"/"+polDirect+`"
}
`), 0o644))
	two.tf(0, "init", "-input=false")
	two.tf(0, "apply", "-input=false", "-auto-approve")
	if err := exactly(srv, "adminRemove", uBob, 1); err != nil {
		t.Fatal(err)
	}
	plan := oneLine(one.tf(1, "plan", "-input=false"))
	if !strings.Contains(plan, "Another resource manages this access") || !strings.Contains(plan, "another Terraform resource removed it") {
		t.Fatalf("the per-person plan does not stop:\n%s", plan)
	}
	if n := len(requestsOf(srv, "adminAdd", uBob)); n != 1 {
		t.Fatalf("%d adminAdd requests for Bob", n)
	}
}
