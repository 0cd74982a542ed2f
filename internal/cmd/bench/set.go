package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The authoritative resource, entitlement_access_package_assignments: one
// resource for N targets, against a floor that does the same work with a
// direct client — the same SDK stack, the minimal calls, the same
// concurrency: create lists the package and posts one adminAdd per target;
// update and destroy post one request per target; every one then follows
// the requests from a listing of the package's recent requests once
// delivery is due; refresh lists the package.

const setConfig = `terraform {
  required_providers {
    entitlement = { source = "accessgov/entitlement" }
  }
}
variable "users" { type = list(string) }
variable "end" { type = string }
variable "concurrency" { type = number }
provider "entitlement" {
  max_concurrent_requests = var.concurrency
}
resource "entitlement_access_package_assignments" "all" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = var.users
  schedule = {
    start_date_time = "2026-01-01T00:00:00Z"
    expiration      = { type = "afterDateTime", end_date_time = var.end }
  }
}
`

// setRun is a working directory for the resource against one emulator.
// The roster is users; the fixture has one more user, extra, for the plan
// that adds a target (its variables are in plusOne).
type setRun struct {
	dir, work string
	env       []string
	srv       *emulator.Server
	url       string
	users     []string
	extra     string
}

// plusOne is the variable file of the roster with one more user.
const plusOne = "plus-one.tfvars.json"

func newSetRun(dir, rc string, n int, delivery time.Duration, name string) (*setRun, func(), error) {
	f, all := fixture(n + 1)
	users, extra := all[:n], all[n]
	srv, err := emulator.New(emulator.Options{Fixture: f, DeliveryDelay: delivery})
	if err != nil {
		return nil, nil, err
	}
	url, stop, err := serve(srv)
	if err != nil {
		return nil, nil, err
	}
	work := filepath.Join(dir, name)
	if err := os.MkdirAll(work, 0o755); err != nil {
		stop()
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(fmt.Sprintf(setConfig, pkg, policy)), 0o644); err != nil {
		stop()
		return nil, nil, err
	}
	vars, _ := json.Marshal(map[string]any{"users": users})
	if err := os.WriteFile(filepath.Join(work, "terraform.tfvars.json"), vars, 0o644); err != nil {
		stop()
		return nil, nil, err
	}
	vars, _ = json.Marshal(map[string]any{"users": all})
	if err := os.WriteFile(filepath.Join(work, plusOne), vars, 0o644); err != nil {
		stop()
		return nil, nil, err
	}
	r := &setRun{dir: dir, work: work, srv: srv, url: url, users: users, extra: extra,
		env: []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
			"ENTITLEMENT_GRAPH_URL=" + url, "ENTITLEMENT_ACCESS_TOKEN=" + srv.Token()}}
	if err := sh(work, r.env, io{quiet: true}, "terraform", "init", "-input=false", "-no-color"); err != nil {
		stop()
		return nil, nil, err
	}
	return r, stop, nil
}

func (r *setRun) tf(conc int, args ...string) (time.Duration, usage, error) {
	return r.tfKeep(conc, nil, args...)
}

// tfKeep runs a terraform command, its output into keep when that is set.
func (r *setRun) tfKeep(conc int, keep *strings.Builder, args ...string) (time.Duration, usage, error) {
	// Options go before a saved plan's file name; a saved plan carries its variables.
	opts := []string{"-input=false", "-no-color"}
	if len(args) < 2 || args[1] != "tfplan" {
		opts = append(opts, fmt.Sprintf("-var=concurrency=%d", conc))
	}
	args = append(append([]string{args[0]}, opts...), args[1:]...)
	stop := watchProcesses()
	start := time.Now()
	err := sh(r.work, r.env, io{quiet: true, keep: keep}, "terraform", args...)
	return time.Since(start), stop(), err
}

func benchSet(dir, rc string, n int, latency, delivery time.Duration, par int) (string, error) {
	fmt.Printf("\n==> N=%d: entitlement_access_package_assignments\n", n)
	r, stop, err := newSetRun(dir, rc, n, delivery, fmt.Sprintf("set-%d", n))
	if err != nil {
		return "", err
	}
	defer stop()
	srv := r.srv
	srv.SetLatency(latency, latency)
	var phases []*phase
	measure := func(name, minCalls string, args ...string) (*phase, error) {
		srv.ResetMetrics()
		fmt.Printf("    terraform %s\n", strings.Join(args, " "))
		d, u, err := r.tf(par, args...)
		if err != nil {
			return nil, err
		}
		p := &phase{name: name, tf: d, tfCalls: calls(srv), minCalls: minCalls, use: u}
		phases = append(phases, p)
		return p, nil
	}
	// A change is planned to a file, then applied from it, as a GitOps
	// pipeline does: the apply is timed against the floor, and the plan
	// (with its refresh) is reported beside it.
	planned := func(name, minCalls string, args ...string) error {
		srv.ResetMetrics()
		fmt.Printf("    terraform plan -out %s\n", strings.Join(args, " "))
		d, _, err := r.tf(par, append([]string{"plan", "-out=tfplan"}, args...)...)
		if err != nil {
			return err
		}
		planCalls := calls(srv)
		p, err := measure(name, minCalls, "apply", "tfplan")
		if err != nil {
			return err
		}
		p.plan, p.planCalls = d, planCalls
		return nil
	}
	pages := math.Ceil(float64(n)/100) / float64(n)
	if err := planned("create (apply)", fmt.Sprintf("%.2f", 1+2*pages), "-var", "end="+end1); err != nil {
		return "", err
	}
	if live := countLive(srv); live != n {
		return "", fmt.Errorf("%d assignments live after create, want %d", live, n)
	}
	// The plan a reviewer reads when one person joins: the CLI's human
	// rendering of the change (with the refresh before it), which must
	// name the person.
	srv.ResetMetrics()
	fmt.Printf("    terraform plan -var-file=%s (rendered)\n", plusOne)
	var rendered strings.Builder
	d, u, err := r.tfKeep(par, &rendered, "plan", "-var-file="+plusOne, "-var", "end="+end1)
	if err != nil {
		return "", err
	}
	if !strings.Contains(rendered.String(), r.extra) {
		return "", fmt.Errorf("the rendered plan adding one target does not name %s:\n%s", r.extra, tail(rendered.String()))
	}
	phases = append(phases, &phase{name: "plan adding one target (rendered)", tf: d, tfCalls: calls(srv), minCalls: fmt.Sprintf("%.2f", pages), use: u,
		note: fmt.Sprintf("%d bytes of output", rendered.Len())})
	noRefresh, err := measure("plan -refresh=false", "0", "plan", "-refresh=false", "-var", "end="+end1)
	if err != nil {
		return "", err
	}
	refresh, err := measure("refresh (plan -refresh-only)", fmt.Sprintf("%.2f", pages), "plan", "-refresh-only", "-var", "end="+end1)
	if err != nil {
		return "", err
	}
	refresh.note = fmt.Sprintf("%.2f× plan -refresh=false", refresh.tf.Seconds()/noRefresh.tf.Seconds())
	if err := planned("update schedule (apply)", fmt.Sprintf("%.2f", 1+2*pages), "-var", "end="+end2); err != nil {
		return "", err
	}
	if err := planned("destroy (apply)", fmt.Sprintf("%.2f", 1+pages), "-destroy", "-var", "end="+end2); err != nil {
		return "", err
	}
	if live := countLive(srv); live != 0 {
		return "", fmt.Errorf("%d assignments still live after destroy", live)
	}

	if err := runFloor(srv, r.url, n, latency, par, phases, func(c *graph.Client) []func(context.Context) error {
		fl := &setFloor{floor: floor{c: c, srv: srv, users: r.users, par: par, delivery: delivery}}
		return []func(context.Context) error{fl.create, nil, nil, fl.refresh, fl.update, fl.destroy}
	}); err != nil {
		return "", err
	}
	return setTable(n, latency, delivery, par, phases), nil
}

func setTable(n int, latency, delivery time.Duration, par int, phases []*phase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "entitlement_access_package_assignments, N=%d targets, %s per Graph call, %s to delivery, max_concurrent_requests %d\n", n, latency, delivery, par)
	fmt.Fprintf(&b, "%-34s %10s %10s %7s   %-26s %-9s   %-9s   %s\n", "operation", "terraform", "floor", "ratio", "Graph calls per target", "provider", "core", "its saved plan")
	fmt.Fprintf(&b, "%-34s %10s %10s %7s   %9s %7s %7s   %-9s   %-9s   %s\n", "", "", "", "", "terraform", "floor", "minimum", "peak RSS", "peak RSS", "(with refresh)")
	for _, p := range phases {
		fl, ratio, flc, plan := "—", "—", "—", ""
		if p.floor > 0 {
			fl = p.floor.Round(10 * time.Millisecond).String()
			ratio = fmt.Sprintf("%.3f×", p.tf.Seconds()/p.floor.Seconds())
		}
		if p.flCalls != nil {
			flc = fmt.Sprintf("%.3f", float64(total(p.flCalls))/float64(n))
		}
		if p.plan > 0 {
			plan = fmt.Sprintf("%s, %d calls; plan+apply %.3f× the floor", p.plan.Round(10*time.Millisecond), total(p.planCalls), (p.plan+p.tf).Seconds()/p.floor.Seconds())
		}
		fmt.Fprintf(&b, "%-34s %10s %10s %7s   %9.3f %7s %7s   %5.1f MiB   %5.1f MiB   %s%s\n", p.name, p.tf.Round(10*time.Millisecond), fl, ratio,
			float64(total(p.tfCalls))/float64(n), flc, p.minCalls, float64(p.use.providerHWM)/(1<<20), float64(p.use.coreHWM)/(1<<20), plan, p.note)
	}
	b.WriteString("CPU time of the Terraform command (terraform core / provider):\n")
	for _, p := range phases {
		fmt.Fprintf(&b, "  %-33s %s / %s\n", p.name, p.use.coreCPU.Round(10*time.Millisecond), p.use.providerCPU.Round(10*time.Millisecond))
	}
	b.WriteString("Graph calls by route (terraform | floor):\n")
	for _, p := range phases {
		fmt.Fprintf(&b, "  %-33s %s | %s\n", p.name, routes(p.tfCalls), routes(p.flCalls))
	}
	return b.String()
}

// setFloor is the floor of the authoritative resource.
type setFloor struct {
	floor
	ids []string
}

// followAll waits until every request settled, as a direct client would:
// sleep until delivery is due after the last POST, read the first request
// once for Graph's clock, then list the package's requests since then
// until all have settled.
func (f *setFloor) followAll(ctx context.Context, reqs []*graph.Request, lastPost time.Time) ([]*graph.Request, error) {
	time.Sleep(time.Until(lastPost.Add(f.delivery)))
	first, err := f.c.GetRequest(ctx, reqs[0].ID)
	if err != nil {
		return nil, err
	}
	since := first.Created.Add(-time.Minute)
	open := map[string]int{}
	for i, q := range reqs {
		open[q.ID] = i
	}
	out := make([]*graph.Request, len(reqs))
	for len(open) > 0 {
		list, err := f.c.ListRequests(ctx, graph.RequestFilter{AccessPackageID: pkg, CreatedAfter: &since})
		if err != nil {
			return nil, err
		}
		for _, q := range list {
			if i, ok := open[q.ID]; ok && q.Terminal() {
				if q.State != graph.StateDelivered {
					return nil, fmt.Errorf("request %s ended %s", q.ID, q.State)
				}
				out[i] = q
				delete(open, q.ID)
			}
		}
		if len(open) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return out, nil
}

// postAll posts one request per target, par at a time.
func (f *setFloor) postAll(ctx context.Context, post func(context.Context, int) (*graph.Request, error)) ([]*graph.Request, time.Time, error) {
	reqs := make([]*graph.Request, len(f.users))
	var mu sync.Mutex
	var last time.Time
	err := f.each(ctx, func(ctx context.Context, i int) error {
		q, err := post(ctx, i)
		if err != nil {
			return err
		}
		reqs[i] = q
		mu.Lock()
		last = time.Now()
		mu.Unlock()
		return nil
	})
	return reqs, last, err
}

func (f *setFloor) create(ctx context.Context) error {
	if _, err := f.c.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: pkg, PolicyID: policy}); err != nil {
		return err
	}
	end, _ := time.Parse(time.RFC3339, end1)
	start, _ := time.Parse(time.RFC3339, "2026-01-01T00:00:00Z")
	reqs, last, err := f.postAll(ctx, func(ctx context.Context, i int) (*graph.Request, error) {
		return f.c.SubmitAdd(ctx, graph.AddInput{AccessPackageID: pkg, PolicyID: policy, TargetObjectID: f.users[i],
			Schedule: &graph.Schedule{Start: &start, ExpirationType: "afterDateTime", End: &end}})
	})
	if err != nil {
		return err
	}
	done, err := f.followAll(ctx, reqs, last)
	if err != nil {
		return err
	}
	f.ids = make([]string, len(done))
	for i, q := range done {
		if q.Assignment == nil {
			return fmt.Errorf("request %s has no assignment", q.ID)
		}
		f.ids[i] = q.Assignment.ID
	}
	return nil
}

func (f *setFloor) refresh(ctx context.Context) error {
	list, err := f.c.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: pkg, PolicyID: policy})
	if err == nil && len(list) != len(f.users) {
		err = fmt.Errorf("listed %d assignments, want %d", len(list), len(f.users))
	}
	return err
}

func (f *setFloor) update(ctx context.Context) error {
	end, _ := time.Parse(time.RFC3339, end2)
	start, _ := time.Parse(time.RFC3339, "2026-01-01T00:00:00Z")
	reqs, last, err := f.postAll(ctx, func(ctx context.Context, i int) (*graph.Request, error) {
		return f.c.SubmitUpdate(ctx, f.ids[i], "", &graph.Schedule{Start: &start, ExpirationType: "afterDateTime", End: &end}, nil)
	})
	if err == nil {
		_, err = f.followAll(ctx, reqs, last)
	}
	return err
}

func (f *setFloor) destroy(ctx context.Context) error {
	reqs, last, err := f.postAll(ctx, func(ctx context.Context, i int) (*graph.Request, error) {
		return f.c.SubmitRemove(ctx, f.ids[i], "")
	})
	if err == nil {
		_, err = f.followAll(ctx, reqs, last)
	}
	return err
}

// benchConcurrency applies a create of N targets through Terraform at each
// concurrency, with and without Graph's throttling (a token bucket of rate
// requests a second), to show what a higher max_concurrent_requests buys.
func benchConcurrency(dir, rc string, n int, latency, delivery time.Duration, levels []int, rate float64) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "create (apply) of N=%d targets by max_concurrent_requests, %s per Graph call, %s to delivery\n", n, latency, delivery)
	fmt.Fprintf(&b, "%-12s %-28s %-40s\n", "", "no throttling", fmt.Sprintf("throttled at %.0f requests/s (Retry-After 1 s)", rate))
	fmt.Fprintf(&b, "%-12s %10s %8s     %10s %8s %8s %8s\n", "concurrency", "time", "speedup", "time", "speedup", "429s", "calls")
	var base, baseT time.Duration
	for _, c := range levels {
		var row [2]struct {
			d            time.Duration
			throttled, n int
		}
		for k, throttled := range []bool{false, true} {
			fmt.Printf("\n==> N=%d, concurrency %d, throttled %v\n", n, c, throttled)
			r, stop, err := newSetRun(dir, rc, n, delivery, fmt.Sprintf("conc-%d-%d-%v", n, c, throttled))
			if err != nil {
				return "", err
			}
			r.srv.SetLatency(latency, latency)
			if throttled {
				if err := r.srv.SetThrottle(&emulator.Throttle{Rate: rate, Burst: int(rate), RetryAfter: 1}); err != nil {
					stop()
					return "", err
				}
			}
			d, _, err := r.tf(c, "apply", "-auto-approve", "-var", "end="+end1)
			if err == nil && countLive(r.srv) != n {
				err = fmt.Errorf("%d live after create, want %d", countLive(r.srv), n)
			}
			m := r.srv.Metrics()
			stop()
			if err != nil {
				return "", err
			}
			row[k].d = d
			for _, rm := range m {
				row[k].throttled += rm.Throttled
				row[k].n += rm.Requests
			}
		}
		if base == 0 {
			base, baseT = row[0].d, row[1].d
		}
		fmt.Fprintf(&b, "%-12d %10s %7.2f×     %10s %7.2f× %8d %8d\n", c, row[0].d.Round(10*time.Millisecond), base.Seconds()/row[0].d.Seconds(),
			row[1].d.Round(10*time.Millisecond), baseT.Seconds()/row[1].d.Seconds(), row[1].throttled, row[1].n)
	}
	return b.String(), nil
}
