package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The chaos suite: the acceptance scenarios of the assignment resource,
// reprocess and resume, re-run with the emulator injecting throttling
// (Retry-After 1–5 s), 503s, responses dropped after the change was
// committed, consistency lag and latency. Every run must end with Graph's
// store exactly as the configuration says: no duplicate request, no orphaned
// or missing assignment. `make chaos` runs it 5 times at size 10; `make test`
// once at size 3 (CHAOS_RUNS, CHAOS_SIZE).

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// chaosFaults is the fault mix; seed varies it per run.
func chaosFaults(t *testing.T, srv *emulator.Server) {
	t.Helper()
	must(t, srv.SetFaults([]emulator.Fault{
		{Status: 429, RetryAfter: 1, Probability: 0.12},
		{Status: 429, RetryAfter: 3, Probability: 0.08},
		{Status: 429, RetryAfter: 5, Probability: 0.06},
		{Status: 503, Probability: 0.05},
		{Method: "POST", DropResponse: true, Probability: 0.10},
		{Method: "GET", DropResponse: true, Probability: 0.03},
	}))
	srv.SetConsistencyLag(2 * time.Second)
	srv.SetLatency(5*time.Millisecond, 40*time.Millisecond)
}

type chaosRow struct {
	scenario                                string
	run                                     int
	faults, throttled, failed, dropped, all int
	elapsed                                 time.Duration
	result                                  string
}

var chaosTable struct {
	sync.Mutex
	rows []chaosRow
}

func recordChaos(srv *emulator.Server, scenario string, run int, start time.Time, t *testing.T) {
	row := chaosRow{scenario: scenario, run: run, elapsed: time.Since(start).Round(time.Second), result: "ok"}
	if t.Failed() {
		row.result = "FAILED"
	}
	for _, f := range srv.Faults() {
		row.faults += f.Fired
	}
	for route, m := range srv.Metrics() {
		if route == "unrouted" {
			continue
		}
		row.all += m.Requests
		row.throttled += m.Throttled
		row.failed += m.Failed
		row.dropped += m.Dropped
	}
	chaosTable.Lock()
	chaosTable.rows = append(chaosTable.rows, row)
	chaosTable.Unlock()
}

func TestAccChaos(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	runs, size := envInt("CHAOS_RUNS", 1), envInt("CHAOS_SIZE", 3)
	t.Cleanup(func() {
		var b strings.Builder
		fmt.Fprintf(&b, "\nchaos: %d run(s), size %d\n%-12s %4s %7s %10s %5s %8s %8s %12s %8s %s\n", runs, size,
			"scenario", "run", "faults", "throttled", "5xx", "dropped", "retries", "graph calls", "time", "result")
		chaosTable.Lock()
		for _, r := range chaosTable.rows {
			fmt.Fprintf(&b, "%-12s %4d %7d %10d %5d %8d %8d %12d %8s %s\n", r.scenario, r.run, r.faults, r.throttled, r.failed, r.dropped,
				r.throttled+r.failed+r.dropped, r.all, r.elapsed, r.result)
		}
		chaosTable.Unlock()
		t.Log(b.String())
	})
	for run := 1; run <= runs; run++ {
		t.Run(fmt.Sprintf("run%d/assignments", run), func(t *testing.T) { chaosAssignments(t, run, size) })
		t.Run(fmt.Sprintf("run%d/authoritative", run), func(t *testing.T) { chaosAuthoritative(t, run, 4*size) })
		t.Run(fmt.Sprintf("run%d/partial", run), func(t *testing.T) { chaosPartialCreate(t, run, 4*size) })
		t.Run(fmt.Sprintf("run%d/interrupted", run), func(t *testing.T) { chaosInterruptedCreate(t, run, 4*size) })
		t.Run(fmt.Sprintf("run%d/reprocess", run), func(t *testing.T) { chaosReprocess(t, run, size) })
		t.Run(fmt.Sprintf("run%d/resume", run), func(t *testing.T) { chaosResume(t, run, size) })
	}
}

// chaosUsers is a fixture with n extra users.
func chaosUsers(n int) (*emulator.Fixture, []string) {
	f := accFixture()
	var ids []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("aaaaaaaa-3333-4000-8000-%012d", i)
		ids = append(ids, id)
		f.Users = append(f.Users, map[string]any{"id": id, "displayName": fmt.Sprintf("Chaos %d", i), "userPrincipalName": fmt.Sprintf("chaos%d@contoso.test", i)})
	}
	return f, ids
}

func hclList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func chaosAssignments(t *testing.T, run, size int) {
	f, users := chaosUsers(size)
	srv, p := testEmulator(t, emulator.Options{Fixture: f, Seed: int64(run)})
	start := time.Now()
	defer func() { recordChaos(srv, "assignments", run, start, t) }()
	cfg := func(end string) string {
		return p + fmt.Sprintf(`
locals { users = %s }
resource "entitlement_access_package_assignment" "c" {
  count                = length(local.users)
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = local.users[count.index]
  schedule = { expiration = { type = "afterDateTime", end_date_time = %q } }
}
`, hclList(users), pkgSales, polDirect, end)
	}
	// exactlyAll checks each user has exactly n delivered requests of a type and one live assignment (or none).
	exactlyAll := func(typ string, n int, live bool) error {
		for _, u := range users {
			if err := exactly(srv, typ, u, n); err != nil {
				return err
			}
			want := 0
			if live {
				want = 1
			}
			if got := len(liveAssignments(srv, pkgSales, u)); got != want {
				return fmt.Errorf("%s has %d live assignments, want %d", u, got, want)
			}
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreCheck:                 func() { chaosFaults(t, srv) },
		CheckDestroy:             func(*terraform.State) error { return exactlyAll("adminRemove", 1, false) },
		Steps: []resource.TestStep{
			{Config: cfg("2030-01-01T00:00:00Z"), Check: func(*terraform.State) error { return exactlyAll("adminAdd", 1, true) }},
			{Config: cfg("2031-01-01T00:00:00Z"), Check: func(*terraform.State) error { return exactlyAll("adminUpdate", 1, true) }},
		},
	})
}

// chaosAuthoritative: the authoritative resource under the same faults —
// each target gets exactly one adminAdd, one adminUpdate on a schedule
// change and one adminRemove on destroy, and someone assigned before
// Terraform is removed exactly once.
func chaosAuthoritative(t *testing.T, run, size int) {
	f, users := chaosUsers(size)
	srv, p := testEmulator(t, emulator.Options{Fixture: f, Seed: int64(100 + run)})
	_, err := srv.AddAssignment(pkgSales, polDirect, uCarol, nil)
	must(t, err)
	waitFor(t, 10*time.Second, "Carol's assignment before Terraform", func() bool { return len(liveAssignments(srv, pkgSales, uCarol)) == 1 })
	start := time.Now()
	defer func() { recordChaos(srv, "authoritative", run, start, t) }()
	cfg := func(end string) string {
		return p + fmt.Sprintf(`
resource "entitlement_access_package_assignments" "c" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = %s
  schedule = { expiration = { type = "afterDateTime", end_date_time = %q } }
}
`, pkgSales, polDirect, hclList(users), end)
	}
	each := func(typ string, live bool) error {
		for _, u := range users {
			if err := exactly(srv, typ, u, 1); err != nil {
				return err
			}
			if got := len(liveAssignments(srv, pkgSales, u)); got != map[bool]int{true: 1, false: 0}[live] {
				return fmt.Errorf("%s has %d live assignments, want live=%v", u, got, live)
			}
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreCheck:                 func() { chaosFaults(t, srv) },
		CheckDestroy:             func(*terraform.State) error { return each("adminRemove", false) },
		Steps: []resource.TestStep{
			{Config: cfg("2030-01-01T00:00:00Z"), Check: func(*terraform.State) error {
				if err := exactly(srv, "adminRemove", uCarol, 1); err != nil {
					return err
				}
				return each("adminAdd", true)
			}},
			{Config: cfg("2031-01-01T00:00:00Z"), Check: func(*terraform.State) error { return each("adminUpdate", true) }},
		},
	})
}

// chaosPartialCreate: a create of the authoritative resource under the
// fault mix, with a target that does not exist and one whose request Graph
// refuses (403), beside two holders to keep: the create is saved (not
// tainted), nobody who holds the access is removed, and once the two are
// fixed the next apply gives exactly one adminAdd to each new target.
func chaosPartialCreate(t *testing.T, run, size int) {
	f, users := chaosUsers(size)
	srv, p := testEmulator(t, emulator.Options{Fixture: f, Seed: int64(300 + run)})
	keep := users[:2]
	for _, u := range keep {
		_, err := srv.AddAssignment(pkgSales, polDirect, u, nil)
		must(t, err)
	}
	waitFor(t, 10*time.Second, "the holders before Terraform", func() bool { return len(livePolicy(srv, polDirect)) == 2 })
	start := time.Now()
	defer func() { recordChaos(srv, "partial", run, start, t) }()
	ghost := "99999999-0000-4000-8000-000000000099"
	refused := users[len(users)-1]
	cfg := func(targets []string) string {
		return p + fmt.Sprintf(`
resource "entitlement_access_package_assignments" "c" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = %s
}
`, pkgSales, polDirect, hclList(targets))
	}
	faults := func() {
		chaosFaults(t, srv)
		rules := append([]emulator.Fault{{Method: "POST", Route: "POST /assignmentRequests", Body: refused, Status: 403}}, srv.Faults()...)
		for i := range rules {
			rules[i].Fired = 0
		}
		must(t, srv.SetFaults(rules))
	}
	noKeeperRemoved := func(*terraform.State) error {
		if n := keepersRemoved(srv, users); n != 0 {
			return fmt.Errorf("%d adminRemove requests for people who keep their access", n)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreCheck:                 faults,
		Steps: []resource.TestStep{
			{Config: cfg(append(append([]string{}, users...), ghost)), ExpectNonEmptyPlan: true, Check: noKeeperRemoved},
			{
				PreConfig: chaosFaultsOnly(t, srv),
				Config:    cfg(users),
				Check: func(s *terraform.State) error {
					if err := noKeeperRemoved(s); err != nil {
						return err
					}
					for _, u := range users {
						if err := exactly(srv, "adminAdd", u, 1); err != nil {
							return err
						}
						if len(liveAssignments(srv, pkgSales, u)) != 1 {
							return fmt.Errorf("%s holds nothing", u)
						}
					}
					return nil
				},
			},
		},
	})
}

// chaosFaultsOnly puts back the plain fault mix (no refused target).
func chaosFaultsOnly(t *testing.T, srv *emulator.Server) func() {
	return func() { chaosFaults(t, srv) }
}

// chaosInterruptedCreate: a create of the authoritative resource under the
// fault mix, stopped by SIGINT while it follows its requests; the next
// apply converges with one adminAdd per new target, one adminRemove for
// the holder to remove, and none for the holders kept.
func chaosInterruptedCreate(t *testing.T, run, size int) {
	f, users := chaosUsers(size)
	srv, url := startEmulator(t, emulator.Options{Fixture: f, Seed: int64(400 + run)})
	keep, add := users[:2], users[2:]
	for _, u := range append(append([]string{}, keep...), uCarol) {
		_, err := srv.AddAssignment(pkgSales, polDirect, u, nil)
		must(t, err)
	}
	waitFor(t, 10*time.Second, "the holders before Terraform", func() bool { return len(livePolicy(srv, polDirect)) == 3 })
	start := time.Now()
	defer func() { recordChaos(srv, "interrupted", run, start, t) }()
	chaosFaults(t, srv)
	slow := add[len(add)-1]
	must(t, srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: slow, DeliveryDelay: &emulator.Duration{D: time.Hour}}}))
	r := newExampleRun(t, srv, url)
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(setConfig("", users, "")), 0o644))
	r.tf(0, "init", "-input=false")
	cmd := exec.Command(cliPath(), "apply", "-input=false", "-auto-approve", "-no-color")
	cmd.Dir, cmd.Env = r.dir, append(os.Environ(), r.env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	waitFor(t, 120*time.Second, "the slow target's request", func() bool { return len(requestsOf(srv, "adminAdd", slow)) == 1 })
	must(t, cmd.Process.Signal(syscall.SIGINT))
	_ = cmd.Wait() // interrupted: what it left in Graph and in the state is what is checked
	must(t, srv.SetBehaviours(nil))
	srv.AdvanceClock(2 * time.Hour)
	second := r.tf(0, "apply", "-input=false", "-auto-approve")
	if n := keepersRemoved(srv, users); n != 0 {
		t.Fatalf("%d adminRemove requests for people who keep their access\nfirst apply:\n%s\nsecond apply:\n%s", n, out.String(), second)
	}
	for _, u := range add {
		if err := exactly(srv, "adminAdd", u, 1); err != nil {
			t.Fatalf("%v\nsecond apply:\n%s", err, second)
		}
	}
	if err := exactly(srv, "adminRemove", uCarol, 1); err != nil {
		t.Fatal(err)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}

// effective counts the calls of a route that Graph carried out: answered
// with the success status, or dropped after the change was committed.
// expectEffectiveCalls: exactly n calls to route took effect, answered with
// status or committed with their answer dropped: no action ran twice.
func expectEffectiveCalls(srv *emulator.Server, route string, status, n int) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("%d effective call(s) to %s", n, route), func(*tfjson.State) error {
		m := srv.Metrics()[route]
		if got := m.ByStatus[status] + m.Dropped; got != n {
			return fmt.Errorf("%d took effect", got)
		}
		return nil
	}}
}

// expectEachLive: every user has one live assignment of the sales package.
func expectEachLive(srv *emulator.Server, users []string) []statecheck.StateCheck {
	checks := make([]statecheck.StateCheck, 0, len(users))
	for _, u := range users {
		checks = append(checks, expectLiveAssignments(srv, pkgSales, u, 1))
	}
	return checks
}

// expectRequestStates: every request named is in this state.
func expectRequestStates(srv *emulator.Server, ids []string, state string) []statecheck.StateCheck {
	checks := make([]statecheck.StateCheck, 0, len(ids))
	for _, id := range ids {
		checks = append(checks, expectRequestState(srv, id, state))
	}
	return checks
}

func chaosReprocess(t *testing.T, run, size int) {
	f, users := chaosUsers(size)
	srv, p := testEmulator(t, emulator.Options{Fixture: f, Seed: int64(100 + run)})
	start := time.Now()
	defer func() { recordChaos(srv, "reprocess", run, start, t) }()
	var bs []emulator.Behaviour
	for _, u := range users {
		bs = append(bs, emulator.Behaviour{TargetObjectID: u, Delivery: "deliveryFailed", Times: 1})
	}
	must(t, srv.SetBehaviours(bs))
	var ids []string
	for _, u := range users {
		ids = append(ids, srv.MustAdd(pkgSales, polDirect, u, nil))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreCheck:                 func() { chaosFaults(t, srv) },
		Steps: []resource.TestStep{{
			Config: p + fmt.Sprintf(`
locals { ids = %s }
resource "entitlement_access_package_assignment_request_reprocess" "c" {
  count      = length(local.ids)
  request_id = local.ids[count.index]
}
`, hclList(ids)),
			ConfigStateChecks: append(expectRequestStates(srv, ids, "delivered"), expectEffectiveCalls(srv, reprocessURL, 202, len(ids))),
		}},
	})
}

func chaosResume(t *testing.T, run, size int) {
	f, users := chaosUsers(size)
	srv, p := testEmulator(t, emulator.Options{Fixture: f, Seed: int64(200 + run)})
	start := time.Now()
	defer func() { recordChaos(srv, "resume", run, start, t) }()
	var ids []string
	for _, u := range users {
		ids = append(ids, srv.MustAdd(pkgSales, polHook, u, nil))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreCheck:                 func() { chaosFaults(t, srv) },
		Steps: []resource.TestStep{{
			Config: p + fmt.Sprintf(`
locals { ids = %s }
resource "entitlement_access_package_assignment_request_resume" "c" {
  count      = length(local.ids)
  request_id = local.ids[count.index]
  source     = "chaos"
  stage      = "assignmentRequestCreated"
}
`, hclList(ids)),
			ConfigStateChecks: append(append(expectRequestStates(srv, ids, "delivered"), expectEffectiveCalls(srv, "POST /assignmentRequests/{id}/resume", 204, len(ids))),
				expectEachLive(srv, users)...),
		}},
	})
}
