// Command bench measures the provider against the emulator with realistic
// settings — a fixed latency on every Graph call and a delay from submission
// to delivery — and, in the same run, a floor: a direct Go client that makes
// the minimal Graph calls for the same work with the same concurrency and no
// Terraform. It prints one table with each Terraform figure as a ratio to the
// floor. `make bench` runs it from the repository root.
//
//	-n 200,1000      per-person assignment counts to run (BENCH_N; 0 for none)
//	-set-n 1000,5000 target counts for entitlement_access_package_assignments (BENCH_SET_N; 0 for none)
//	-sweep 5,10,20,40  max_concurrent_requests levels for the throttling table (BENCH_SWEEP; 0 for none), at the largest -set-n
//	-throttle 100    Graph's rate limit for that table, requests a second
//	-latency 50ms    added to every Graph call
//	-delivery 1s     from submission to delivery
//	-parallelism 10  Terraform's default, also the floor's concurrency
//	-candidates 1000,5000,20000  Terraform core alone, terraform_data.input as a set, a list and a map of N targets (BENCH_CANDIDATES; 0 for none)
//	-candidates-cap 10m  each of those phases is stopped there and reported as stopped (BENCH_CANDIDATES_CAP)
//	-workspaces 1,2,4,8  k concurrent applies, each in its own package and state, against one Graph throttled at -throttle (BENCH_WORKSPACES; 0 for none)
//	-workspaces-n 1000   targets in each of those applies (BENCH_WORKSPACES_N)
//	-workspaces-concurrency 10  max_concurrent_requests of each of them (BENCH_WORKSPACES_CONCURRENCY)
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

const (
	version = "0.1.0"
	catalog = "b0000000-0000-4000-8000-0000000000c1"
	pkg     = "b0000000-0000-4000-8000-0000000000a1"
	policy  = "b0000000-0000-4000-8000-0000000000d1"
	end1    = "2027-06-30T00:00:00Z"
	end2    = "2027-12-31T00:00:00Z"
)

func main() {
	ns := flag.String("n", envOr("BENCH_N", "200"), "assignment counts, comma-separated")
	latency := flag.Duration("latency", 50*time.Millisecond, "latency of every Graph call")
	delivery := flag.Duration("delivery", time.Second, "time from submission to delivery")
	par := flag.Int("parallelism", 10, "Terraform's -parallelism and the floor's concurrency")
	setNs := flag.String("set-n", envOr("BENCH_SET_N", "0"), "target counts for the authoritative resource, comma-separated")
	sweep := flag.String("sweep", envOr("BENCH_SWEEP", "0"), "max_concurrent_requests levels, comma-separated")
	rate := flag.Float64("throttle", 100, "Graph's rate limit in the concurrency and workspaces tables, requests a second")
	cands := flag.String("candidates", envOr("BENCH_CANDIDATES", "0"), "target counts for Terraform core by representation, comma-separated")
	capArg := flag.String("candidates-cap", envOr("BENCH_CANDIDATES_CAP", "10m"), "the longest a phase of the representation table may run")
	wss := flag.String("workspaces", envOr("BENCH_WORKSPACES", "0"), "numbers of concurrent workspaces, comma-separated")
	wsN := flag.String("workspaces-n", envOr("BENCH_WORKSPACES_N", "1000"), "targets in each workspace")
	flag.IntVar(&wsConcurrency, "workspaces-concurrency", atoiOr(os.Getenv("BENCH_WORKSPACES_CONCURRENCY"), 10), "max_concurrent_requests of every workspace's provider")
	flag.Parse()
	limit, err := candidatesLimit(*capArg)
	if err == nil {
		err = run(*ns, *setNs, *sweep, *cands, *wss, *wsN, limit, *rate, *latency, *delivery, *par)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// atoiOr is s as a number, or d when s is empty or not one.
func atoiOr(s string, d int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return d
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return strings.ReplaceAll(v, " ", ",")
	}
	return d
}

// phase is one measured operation.
type phase struct {
	name      string
	tf, floor time.Duration
	// plan is the time of the plan saved for a timed apply (the authoritative resource's table).
	plan      time.Duration
	planCalls map[string]int
	tfCalls   map[string]int
	flCalls   map[string]int
	minCalls  string
	note      string
	use       usage
}

// counts parses a comma-separated list of positive counts; "0" is none.
func counts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		if n > 0 {
			out = append(out, n)
		}
	}
	return out, nil
}

func run(ns, setNs, sweep, cands, wss, wsN string, limit time.Duration, rate float64, latency, delivery time.Duration, par int) error {
	persons, err := counts(ns)
	if err != nil {
		return err
	}
	workspaces, err := counts(wss)
	if err != nil {
		return err
	}
	perWorkspace, err := counts(wsN)
	if err != nil || len(perWorkspace) != 1 {
		return fmt.Errorf("bad BENCH_WORKSPACES_N %q: give one count", wsN)
	}
	candidateNs, err := counts(cands)
	if err != nil {
		return err
	}
	sets, err := counts(setNs)
	if err != nil {
		return err
	}
	levels, err := counts(sweep)
	if err != nil {
		return err
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("run from the repository root (make bench): %w", err)
	}
	dir, err := os.MkdirTemp("", "entitlement-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugins := filepath.Join(dir, "plugins")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	bin := filepath.Join(plugins, "registry.terraform.io", "accessgov", "entitlement", version, platform, "terraform-provider-entitlement_v"+version)
	fmt.Println("building the release binary (go build -trimpath -ldflags '-s -w')…")
	if err := sh(root, nil, io{}, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", bin, "."); err != nil {
		return err
	}
	st, err := os.Stat(bin)
	if err != nil {
		return err
	}
	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"registry.terraform.io/accessgov/entitlement\"]\n  }\n}\n", plugins)), 0o644); err != nil {
		return err
	}
	var tables []string
	for _, n := range persons {
		t, err := benchN(dir, rc, n, latency, delivery, par, st.Size())
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	for _, n := range sets {
		t, err := benchSet(dir, rc, n, latency, delivery, par)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	if len(levels) > 0 && len(sets) > 0 {
		t, err := benchConcurrency(dir, rc, sets[len(sets)-1], latency, delivery, levels, rate)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	if len(candidateNs) > 0 {
		t, err := benchCandidates(dir, rc, candidateNs, limit)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	if len(workspaces) > 0 {
		t, err := benchWorkspaces(dir, rc, workspaces, perWorkspace[0], rate, latency, delivery)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	fmt.Println()
	for _, t := range tables {
		fmt.Println(t)
	}
	return nil
}

// io says where a command's output goes: to the terminal, or (quiet) kept
// for the error message; keep, when set, receives it too.
type io struct {
	quiet bool
	keep  *strings.Builder
}

// routes renders calls by route, in route order.
func routes(m map[string]int) string {
	names := make([]string, 0, len(m))
	for r := range m {
		names = append(names, r)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, r := range names {
		parts = append(parts, fmt.Sprintf("%s ×%d", r, m[r]))
	}
	return strings.Join(parts, ", ")
}

func fixture(n int) (*emulator.Fixture, []string) {
	f := &emulator.Fixture{
		Catalogs:       []map[string]any{{"id": catalog, "displayName": "Bench"}},
		AccessPackages: []map[string]any{{"id": pkg, "displayName": "Bench", "catalog": map[string]any{"id": catalog}}},
		AssignmentPolicies: []map[string]any{{"id": policy, "displayName": "Direct", "accessPackage": map[string]any{"id": pkg},
			"requestorSettings": map[string]any{"allowCustomAssignmentSchedule": true}}},
	}
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("c0000000-0000-4000-8000-%012d", i+1)
		f.Users = append(f.Users, map[string]any{"id": users[i], "displayName": fmt.Sprintf("User %d", i+1), "userPrincipalName": fmt.Sprintf("user%d@bench.test", i+1)})
	}
	return f, users
}

func serve(srv *emulator.Server) (string, func(), error) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = hs.Close() }, nil
}

func benchN(dir, rc string, n int, latency, delivery time.Duration, par int, binSize int64) (string, error) {
	fmt.Printf("\n==> N=%d: Terraform\n", n)
	f, users := fixture(n)
	srv, err := emulator.New(emulator.Options{Fixture: f, DeliveryDelay: delivery})
	if err != nil {
		return "", err
	}
	url, stop, err := serve(srv)
	if err != nil {
		return "", err
	}
	defer stop()
	work := filepath.Join(dir, fmt.Sprintf("work-%d", n))
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(fmt.Sprintf(`terraform {
  required_providers {
    entitlement = { source = "accessgov/entitlement" }
  }
}
provider "entitlement" {}
variable "users" { type = list(string) }
variable "end" { type = string }
resource "entitlement_access_package_assignment" "a" {
  for_each             = toset(var.users)
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = each.value
  schedule = {
    start_date_time = "2026-01-01T00:00:00Z"
    expiration      = { type = "afterDateTime", end_date_time = var.end }
  }
}
`, pkg, policy)), 0o644); err != nil {
		return "", err
	}
	vars, _ := json.Marshal(map[string]any{"users": users})
	if err := os.WriteFile(filepath.Join(work, "terraform.tfvars.json"), vars, 0o644); err != nil {
		return "", err
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"ENTITLEMENT_GRAPH_URL=" + url, "ENTITLEMENT_ACCESS_TOKEN=" + srv.Token()}
	tf := func(args ...string) (time.Duration, usage, error) {
		args = append(args, "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", par))
		stop := watchProcesses()
		start := time.Now()
		err := sh(work, env, io{quiet: true}, "terraform", args...)
		return time.Since(start), stop(), err
	}
	if err := sh(work, env, io{quiet: true}, "terraform", "init", "-input=false", "-no-color"); err != nil {
		return "", err
	}
	srv.SetLatency(latency, latency)

	var phases []*phase
	measure := func(name, minCalls string, args ...string) (*phase, usage, error) {
		srv.ResetMetrics()
		fmt.Printf("    terraform %s\n", strings.Join(args, " "))
		d, u, err := tf(args...)
		if err != nil {
			return nil, u, err
		}
		p := &phase{name: name, tf: d, tfCalls: calls(srv), minCalls: minCalls, use: u}
		phases = append(phases, p)
		return p, u, nil
	}
	if _, _, err := measure("create (apply)", "2", "apply", "-auto-approve", "-var", "end="+end1); err != nil {
		return "", err
	}
	noRefresh, _, err := measure("plan -refresh=false", "0", "plan", "-refresh=false", "-var", "end="+end1)
	if err != nil {
		return "", err
	}
	refresh, refreshUse, err := measure("refresh (plan -refresh-only)", fmt.Sprintf("%.2f", math.Ceil(float64(n)/100)/float64(n)), "plan", "-refresh-only", "-var", "end="+end1)
	if err != nil {
		return "", err
	}
	refresh.note = fmt.Sprintf("%.2f× plan -refresh=false", refresh.tf.Seconds()/noRefresh.tf.Seconds())
	if _, _, err := measure("update schedule (apply)", "2", "apply", "-auto-approve", "-var", "end="+end2); err != nil {
		return "", err
	}
	if _, _, err := measure("destroy", "2", "destroy", "-auto-approve", "-var", "end="+end2); err != nil {
		return "", err
	}
	if live := countLive(srv); live != 0 {
		return "", fmt.Errorf("%d assignments still live after destroy", live)
	}

	if err := runFloor(srv, url, n, latency, par, phases, func(c *graph.Client) []func(context.Context) error {
		fl := &floor{c: c, srv: srv, users: users, par: par, delivery: delivery}
		return []func(context.Context) error{fl.create, nil, fl.refresh, fl.update, fl.destroy}
	}); err != nil {
		return "", err
	}
	return table(n, latency, delivery, par, phases, refreshUse, binSize), nil
}

// runFloor runs the floor on a reset emulator with the same latency and
// concurrency: each of the runs (in phases' order; nil where the phase has
// no floor) is timed, with its Graph calls, into its phase.
func runFloor(srv *emulator.Server, url string, n int, latency time.Duration, par int, phases []*phase, runs func(*graph.Client) []func(context.Context) error) error {
	fmt.Printf("==> N=%d: floor (direct client, %d concurrent)\n", n, par)
	if err := srv.Reset(); err != nil {
		return err
	}
	srv.SetLatency(latency, latency)
	c, err := graph.New(graph.Config{BaseURL: url + "/v1.0", StaticToken: srv.Token(), Concurrency: par})
	if err != nil {
		return err
	}
	for i, run := range runs(c) {
		if run == nil {
			continue
		}
		srv.ResetMetrics()
		start := time.Now()
		if err := run(context.Background()); err != nil {
			return fmt.Errorf("floor %s: %w", phases[i].name, err)
		}
		phases[i].floor = time.Since(start)
		phases[i].flCalls = calls(srv)
	}
	return nil
}

func countLive(srv *emulator.Server) int {
	live := 0
	for _, a := range srv.Assignments() {
		if a.State == "delivered" {
			live++
		}
	}
	return live
}

func calls(srv *emulator.Server) map[string]int {
	out := map[string]int{}
	for route, m := range srv.Metrics() {
		out[route] = m.Requests
	}
	return out
}

func total(m map[string]int) int {
	t := 0
	for _, v := range m {
		t += v
	}
	return t
}

func table(n int, latency, delivery time.Duration, par int, phases []*phase, refresh usage, binSize int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "N=%d assignments, %s per Graph call, %s to delivery, parallelism %d\n", n, latency, delivery, par)
	fmt.Fprintf(&b, "%-29s %10s %10s %7s   %-28s %s\n", "operation", "terraform", "floor", "ratio", "Graph calls per assignment", "")
	fmt.Fprintf(&b, "%-29s %10s %10s %7s   %9s %7s %7s\n", "", "", "", "", "terraform", "floor", "minimum")
	for _, p := range phases {
		fl, ratio := "—", "—"
		if p.floor > 0 {
			fl = p.floor.Round(10 * time.Millisecond).String()
			ratio = fmt.Sprintf("%.2f×", p.tf.Seconds()/p.floor.Seconds())
		}
		flc := "—"
		if p.flCalls != nil {
			flc = fmt.Sprintf("%.2f", float64(total(p.flCalls))/float64(n))
		}
		fmt.Fprintf(&b, "%-29s %10s %10s %7s   %9.2f %7s %7s   %s\n", p.name, p.tf.Round(10*time.Millisecond), fl, ratio,
			float64(total(p.tfCalls))/float64(n), flc, p.minCalls, p.note)
	}
	b.WriteString("CPU time of the Terraform command (terraform core / provider):\n")
	for _, p := range phases {
		fmt.Fprintf(&b, "  %-27s %s / %s\n", p.name, p.use.coreCPU.Round(10*time.Millisecond), p.use.providerCPU.Round(10*time.Millisecond))
	}
	b.WriteString("Terraform's Graph calls by route:\n")
	for _, p := range phases {
		fmt.Fprintf(&b, "  %-27s %s\n", p.name, routes(p.tfCalls))
	}
	fmt.Fprintf(&b, "provider peak RSS during the refresh plan: %.1f MiB; core peak RSS: %.1f MiB; release binary: %.1f MiB\n", float64(refresh.providerHWM)/(1<<20), float64(refresh.coreHWM)/(1<<20), float64(binSize)/(1<<20))
	return b.String()
}

// usage is what the processes of one Terraform command used: the peak
// resident set (VmHWM) of the provider and of Terraform core (the
// terraform or tofu process), and the CPU time of each, read from /proc
// while they run.
type usage struct {
	providerHWM, coreHWM int64
	providerCPU, coreCPU time.Duration
}

// watchProcesses samples /proc every 50 ms until the returned function is
// called. CPU times are the last seen per process (utime+stime).
func watchProcesses() func() usage {
	var mu sync.Mutex
	var u usage
	cpu := map[int]struct {
		provider bool
		t        time.Duration
	}{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			for _, p := range sampleProcesses() {
				mu.Lock()
				if p.provider {
					u.providerHWM = max(u.providerHWM, p.hwm)
				} else {
					u.coreHWM = max(u.coreHWM, p.hwm)
				}
				cpu[p.pid] = struct {
					provider bool
					t        time.Duration
				}{p.provider, p.cpu}
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() usage {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cpu {
			if c.provider {
				u.providerCPU += c.t
			} else {
				u.coreCPU += c.t
			}
		}
		return u
	}
}

type procSample struct {
	pid      int
	provider bool
	hwm      int64
	cpu      time.Duration
}

// sampleProcesses reads the Terraform core (terraform or tofu) and
// provider processes in /proc that descend from this command, so that
// another user's Terraform on the same machine is not counted.
func sampleProcesses() []procSample {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []procSample
	parent := map[int]int{}
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime(14) stime(15), counted after the ")".
		st := string(stat)
		open, closing := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || closing < open {
			continue
		}
		comm := st[open+1 : closing]
		f := strings.Fields(st[closing+2:])
		if len(f) < 13 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		ppid, _ := strconv.Atoi(f[1])
		parent[pid] = ppid
		provider := strings.HasPrefix(comm, "terraform-prov")
		if !provider && comm != "terraform" && comm != "tofu" {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		p := procSample{pid: pid, provider: provider, cpu: time.Duration(ut+stt) * time.Second / 100}
		if status, err := os.ReadFile(filepath.Join(d, "status")); err == nil {
			sc := bufio.NewScanner(strings.NewReader(string(status)))
			for sc.Scan() {
				if line := sc.Text(); strings.HasPrefix(line, "VmHWM:") {
					if kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64); err == nil {
						p.hwm = kb * 1024
					}
				}
			}
		}
		out = append(out, p)
	}
	self := os.Getpid()
	mine := out[:0]
	for _, p := range out {
		// Walk up at most a few levels: the bench starts terraform, which
		// starts the provider.
		for a, i := parent[p.pid], 0; a > 1 && i < 8; a, i = parent[a], i+1 {
			if a == self {
				mine = append(mine, p)
				break
			}
		}
	}
	return mine
}

// floor does the same work with the minimal Graph calls: one POST per
// assignment, one read when delivery is due (more only if it is late), and
// a refresh that lists the package's assignments a page at a time.
type floor struct {
	c        *graph.Client
	srv      *emulator.Server
	users    []string
	ids      []string
	par      int
	delivery time.Duration
}

func (f *floor) each(ctx context.Context, fn func(context.Context, int) error) error {
	sem := make(chan struct{}, f.par)
	errs := make(chan error, len(f.users))
	var wg sync.WaitGroup
	for i := range f.users {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// settle reads the request once delivery is due, then every 100 ms.
func (f *floor) settle(ctx context.Context, q *graph.Request) (*graph.Request, error) {
	time.Sleep(f.delivery)
	for {
		r, err := f.c.GetRequest(ctx, q.ID)
		if err != nil {
			return nil, err
		}
		if r.Terminal() {
			if r.State != graph.StateDelivered {
				return nil, fmt.Errorf("request %s ended %s", r.ID, r.State)
			}
			return r, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *floor) create(ctx context.Context) error {
	f.ids = make([]string, len(f.users))
	end, _ := time.Parse(time.RFC3339, end1)
	start, _ := time.Parse(time.RFC3339, "2026-01-01T00:00:00Z")
	return f.each(ctx, func(ctx context.Context, i int) error {
		q, err := f.c.SubmitAdd(ctx, graph.AddInput{AccessPackageID: pkg, PolicyID: policy, TargetObjectID: f.users[i],
			Schedule: &graph.Schedule{Start: &start, ExpirationType: "afterDateTime", End: &end}})
		if err != nil {
			return err
		}
		r, err := f.settle(ctx, q)
		if err != nil {
			return err
		}
		if r.Assignment == nil {
			return fmt.Errorf("request %s has no assignment", r.ID)
		}
		f.ids[i] = r.Assignment.ID
		return nil
	})
}

func (f *floor) refresh(ctx context.Context) error {
	list, err := f.c.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: pkg})
	if err != nil {
		return err
	}
	if len(list) != len(f.users) {
		return fmt.Errorf("listed %d assignments, want %d", len(list), len(f.users))
	}
	return nil
}

func (f *floor) update(ctx context.Context) error {
	end, _ := time.Parse(time.RFC3339, end2)
	start, _ := time.Parse(time.RFC3339, "2026-01-01T00:00:00Z")
	return f.each(ctx, func(ctx context.Context, i int) error {
		q, err := f.c.SubmitUpdate(ctx, f.ids[i], "", &graph.Schedule{Start: &start, ExpirationType: "afterDateTime", End: &end}, nil)
		if err != nil {
			return err
		}
		_, err = f.settle(ctx, q)
		return err
	})
}

func (f *floor) destroy(ctx context.Context) error {
	return f.each(ctx, func(ctx context.Context, i int) error {
		q, err := f.c.SubmitRemove(ctx, f.ids[i], "")
		if err != nil {
			return err
		}
		_, err = f.settle(ctx, q)
		return err
	})
}

func sh(dir string, env []string, o io, name string, args ...string) error {
	cmd := exec.CommandContext(context.Background(), name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out strings.Builder
	switch {
	case o.keep != nil:
		cmd.Stdout, cmd.Stderr = o.keep, o.keep
	case o.quiet:
		cmd.Stdout, cmd.Stderr = &out, &out
	default:
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	}
	if err := cmd.Run(); err != nil {
		if o.keep != nil {
			out.WriteString(tail(o.keep.String()))
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}

// tail is the last 4,000 bytes of s, for an error message.
func tail(s string) string {
	const n = 4000
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
