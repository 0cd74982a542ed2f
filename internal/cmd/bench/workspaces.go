package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Many workspaces, one tenant: k Terraform configurations, each with its
// own working directory, state and access package, apply at once against
// one Graph that throttles the application (a token bucket of rate
// requests a second). Graph throttles per application and tenant, so the
// k provider processes share one budget without knowing of each other: the
// table says how much of it they use together, whether one of them starves,
// and that no target is added twice.

const workspaceConfig = `terraform {
  required_providers {
    entitlement = { source = "accessgov/entitlement" }
  }
}
variable "users" { type = list(string) }
provider "entitlement" {}
resource "entitlement_access_package_assignments" "all" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = var.users
  schedule = {
    start_date_time = "2026-01-01T00:00:00Z"
    expiration      = { type = "afterDateTime", end_date_time = %q }
  }
}
`

// fixtureK is a tenant of k access packages in one catalog, each with a
// direct-assignment policy, and k×n users: workspace i assigns users
// [i×n, (i+1)×n) in package i.
func fixtureK(k, n int) (f *emulator.Fixture, pkgs, policies []string, users []string) {
	f, users = fixture(k * n)
	f.AccessPackages, f.AssignmentPolicies = nil, nil
	for i := range k {
		p, q := fmt.Sprintf("b0000000-0000-4000-8000-0000000a%04x", i+1), fmt.Sprintf("b0000000-0000-4000-8000-0000000d%04x", i+1)
		pkgs, policies = append(pkgs, p), append(policies, q)
		f.AccessPackages = append(f.AccessPackages, map[string]any{"id": p, "displayName": fmt.Sprintf("Bench %d", i+1), "catalog": map[string]any{"id": catalog}})
		f.AssignmentPolicies = append(f.AssignmentPolicies, map[string]any{"id": q, "displayName": "Direct", "accessPackage": map[string]any{"id": p},
			"requestorSettings": map[string]any{"allowCustomAssignmentSchedule": true}})
	}
	return f, pkgs, policies, users
}

// answered is when Graph answered a request, and how; post says it was a
// POST of an assignment request.
type answered struct {
	at     time.Time
	status int
	post   bool
}

// recorder keeps the time and status of every answer.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	log  []answered
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	rec.next.ServeHTTP(sw, r)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	// The token endpoint and the emulator's controls are not Graph calls.
	if p := strings.ToLower(r.URL.Path); strings.HasPrefix(p, "/v1.0/") || strings.HasPrefix(p, "/beta/") {
		rec.mu.Lock()
		rec.log = append(rec.log, answered{time.Now(), sw.status, r.Method == http.MethodPost && strings.HasSuffix(p, "/assignmentrequests")})
		rec.mu.Unlock()
	}
}

func (rec *recorder) answers() []answered {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]answered(nil), rec.log...)
}

// wsRow is one k of the table.
type wsRow struct {
	k                 int
	batch, slow, fast time.Duration
	window            time.Duration
	windowOK          int
	spans             []string
	// share is the most adds one workspace made over the fewest, while
	// every workspace was adding (from the last first add to the first
	// last add): how evenly the throttle was shared.
	share              float64
	requests, ok, thr  int
	dups, live         int
	perSecond          []int
	throttledPerSecond []int
}

// wsConcurrency is max_concurrent_requests in every workspace.
var wsConcurrency = 10

func benchWorkspaces(dir, rc string, ks []int, n int, rate float64, latency, delivery time.Duration) (string, error) {
	var rows []wsRow
	for _, k := range ks {
		row, err := benchWorkspacesK(dir, rc, k, n, rate, latency, delivery, 0)
		// A signal from outside the bench (another user's test that
		// interrupts Terraform processes on a shared machine) spoils the
		// batch, not the provider: it is run again, at most twice.
		for try := 1; try <= 2 && err != nil && strings.Contains(err.Error(), "Interrupt received."); try++ {
			fmt.Printf("    a terraform apply was interrupted from outside the bench: running the batch again\n")
			row, err = benchWorkspacesK(dir, rc, k, n, rate, latency, delivery, try)
		}
		if err != nil {
			return "", fmt.Errorf("%d workspaces: %w", k, err)
		}
		rows = append(rows, row)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "many workspaces, one tenant: k concurrent terraform apply, each N=%d targets in its own access package and state,\n", n)
	fmt.Fprintf(&b, "one Graph throttled at %.0f requests/s (burst %d, Retry-After 1 s), %s per Graph call, %s to delivery, max_concurrent_requests %d\n", rate, int(rate), latency, delivery, wsConcurrency)
	fmt.Fprintf(&b, "%3s %10s %10s %8s %10s   %8s %6s %6s   %14s %14s   %5s %8s\n", "k", "batch", "slowest/", "share", "POST", "Graph", "2xx", "429s", "2xx/s, batch", "2xx/s, POST", "dupl.", "live")
	fmt.Fprintf(&b, "%3s %10s %10s %8s %10s   %8s %6s %6s   %14s %14s   %5s %8s\n", "", "wall", "fastest", "max/min", "window", "requests", "", "", "(of t.)", "window (of t.)", "adds", "")
	for _, r := range rows {
		fmt.Fprintf(&b, "%3d %10s %9.2f× %7.2f× %10s   %8d %6d %6d   %5.1f (%5.1f%%) %5.1f (%5.1f%%)   %5d %8d\n", r.k, r.batch.Round(10*time.Millisecond),
			r.slow.Seconds()/r.fast.Seconds(), r.share, r.window.Round(10*time.Millisecond), r.requests, r.ok, r.thr,
			float64(r.ok)/r.batch.Seconds(), 100*float64(r.ok)/(rate*r.batch.Seconds()+rate),
			float64(r.windowOK)/r.window.Seconds(), 100*float64(r.windowOK)/(rate*r.window.Seconds()+rate), r.dups, r.live)
	}
	b.WriteString("POST window: from the first POST of an assignment request to the last, of any workspace (where demand is above the throttle);\n")
	b.WriteString("of t.: the 2xx over what the throttle allows in that time, rate × time + its burst (the bucket starts full)\n")
	b.WriteString("share max/min: adds of the workspace that made most over the one that made fewest, while every workspace was adding\n")
	b.WriteString("each workspace: its wall time, and when its adminAdd requests were made, from the batch's start:\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "  k=%d: %s\n", r.k, strings.Join(r.spans, "; "))
	}
	b.WriteString("answered 2xx (and 429) in each second of the batch, from its start:\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "  k=%d:", r.k)
		for i, c := range r.perSecond {
			if r.throttledPerSecond[i] > 0 {
				fmt.Fprintf(&b, " %d(%d)", c, r.throttledPerSecond[i])
			} else {
				fmt.Fprintf(&b, " %d", c)
			}
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}

func benchWorkspacesK(dir, rc string, k, n int, rate float64, latency, delivery time.Duration, try int) (wsRow, error) {
	fmt.Printf("\n==> %d workspaces of N=%d targets, throttled at %.0f requests/s\n", k, n, rate)
	row := wsRow{k: k}
	f, pkgs, policies, users := fixtureK(k, n)
	// A duplicate adminAdd is accepted and kept, so that it is counted
	// rather than refused.
	srv, err := emulator.New(emulator.Options{Fixture: f, DeliveryDelay: delivery, AcceptDuplicates: true})
	if err != nil {
		return row, err
	}
	rec := &recorder{next: srv}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return row, err
	}
	hs := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer func() { _ = hs.Close() }()
	url := "http://" + ln.Addr().String()
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"ENTITLEMENT_GRAPH_URL=" + url, "ENTITLEMENT_ACCESS_TOKEN=" + srv.Token(), fmt.Sprintf("ENTITLEMENT_MAX_CONCURRENT_REQUESTS=%d", wsConcurrency)}
	works := make([]string, k)
	for i := range k {
		works[i] = filepath.Join(dir, fmt.Sprintf("ws-%d-%d-%d-%d", k, n, try, i))
		if err := os.MkdirAll(works[i], 0o755); err != nil {
			return row, err
		}
		if err := os.WriteFile(filepath.Join(works[i], "main.tf"), []byte(fmt.Sprintf(workspaceConfig, pkgs[i], policies[i], end1)), 0o644); err != nil {
			return row, err
		}
		vars, _ := json.Marshal(map[string]any{"users": users[i*n : (i+1)*n]})
		if err := os.WriteFile(filepath.Join(works[i], "terraform.tfvars.json"), vars, 0o644); err != nil {
			return row, err
		}
		if err := sh(works[i], env, io{quiet: true}, "terraform", "init", "-input=false", "-no-color"); err != nil {
			return row, err
		}
	}
	srv.SetLatency(latency, latency)
	if err := srv.SetThrottle(&emulator.Throttle{Rate: rate, Burst: int(rate), RetryAfter: 1}); err != nil {
		return row, err
	}
	srv.ResetMetrics()
	start := time.Now()
	took := make([]time.Duration, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := time.Now()
			errs[i] = sh(works[i], env, io{quiet: true}, "terraform", "apply", "-auto-approve", "-input=false", "-no-color")
			took[i] = time.Since(s)
			fmt.Printf("    workspace %d: %s\n", i, took[i].Round(10*time.Millisecond))
		}(i)
	}
	wg.Wait()
	row.batch = time.Since(start)
	for _, err := range errs {
		if err != nil {
			return row, err
		}
	}
	sorted := append([]time.Duration(nil), took...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	row.fast, row.slow = sorted[0], sorted[k-1]
	for _, m := range srv.Metrics() {
		row.requests += m.Requests
		row.thr += m.Throttled
	}
	ans := rec.answers()
	var first, last time.Time
	for _, a := range ans {
		if a.status >= 200 && a.status < 300 {
			row.ok++
		}
		if a.post && (first.IsZero() || a.at.Before(first)) {
			first = a.at
		}
		if a.post && a.at.After(last) {
			last = a.at
		}
		sec := int(a.at.Sub(start) / time.Second)
		for len(row.perSecond) <= sec {
			row.perSecond = append(row.perSecond, 0)
			row.throttledPerSecond = append(row.throttledPerSecond, 0)
		}
		switch {
		case a.status >= 200 && a.status < 300:
			row.perSecond[sec]++
		case a.status == http.StatusTooManyRequests:
			row.throttledPerSecond[sec]++
		}
	}
	row.window = last.Sub(first)
	for _, a := range ans {
		if a.status >= 200 && a.status < 300 && !a.at.Before(first) && !a.at.After(last) {
			row.windowOK++
		}
	}
	// Every adminAdd beyond one per package and target is a duplicate.
	adds := map[string]int{}
	firstAdd, lastAdd := map[string]time.Time{}, map[string]time.Time{}
	reqs := srv.Requests()
	for _, q := range reqs {
		if q.RequestType == "adminAdd" {
			adds[q.AccessPackageID+"/"+q.TargetObjectID]++
			if t, ok := firstAdd[q.AccessPackageID]; !ok || q.Created.Before(t) {
				firstAdd[q.AccessPackageID] = q.Created
			}
			if q.Created.After(lastAdd[q.AccessPackageID]) {
				lastAdd[q.AccessPackageID] = q.Created
			}
		}
	}
	var allFrom, allTo time.Time
	for i, p := range pkgs {
		row.spans = append(row.spans, fmt.Sprintf("%s, adds %.0f–%.0f s", took[i].Round(100*time.Millisecond),
			firstAdd[p].Sub(start).Seconds(), lastAdd[p].Sub(start).Seconds()))
		if firstAdd[p].After(allFrom) {
			allFrom = firstAdd[p]
		}
		if allTo.IsZero() || lastAdd[p].Before(allTo) {
			allTo = lastAdd[p]
		}
	}
	row.share = 1
	if k > 1 && allTo.After(allFrom) {
		during := map[string]int{}
		for _, q := range reqs {
			if q.RequestType == "adminAdd" && !q.Created.Before(allFrom) && !q.Created.After(allTo) {
				during[q.AccessPackageID]++
			}
		}
		most, fewest := 0, k*n
		for _, p := range pkgs {
			most, fewest = max(most, during[p]), min(fewest, during[p])
		}
		row.share = float64(most) / float64(max(fewest, 1))
	}
	for _, c := range adds {
		row.dups += c - 1
	}
	row.live = countLive(srv)
	fmt.Printf("    batch %s, slowest/fastest %.2f×, share max/min %.2f×, %d requests, %d 2xx, %d 429s, %d duplicate adds, %d live\n", row.batch.Round(10*time.Millisecond),
		row.slow.Seconds()/row.fast.Seconds(), row.share, row.requests, row.ok, row.thr, row.dups, row.live)
	if row.dups > 0 {
		return row, fmt.Errorf("%d duplicate adminAdd requests", row.dups)
	}
	if row.live != k*n || len(adds) != k*n {
		return row, fmt.Errorf("%d assignments live (%d targets added), want %d", row.live, len(adds), k*n)
	}
	return row, nil
}
