package graph_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// After the first request of a type settles, the next ones are first read
// when they are likely settled: once each, instead of a backoff's several.
func TestWaitForSubmittedLearnsSettleTime(t *testing.T) {
	const pkg, pol = "b0000000-0000-4000-8000-0000000000a1", "b0000000-0000-4000-8000-0000000000d1"
	f := &emulator.Fixture{
		Catalogs:           []map[string]any{{"id": "b0000000-0000-4000-8000-0000000000c1", "displayName": "C"}},
		AccessPackages:     []map[string]any{{"id": pkg, "displayName": "P", "catalog": map[string]any{"id": "b0000000-0000-4000-8000-0000000000c1"}}},
		AssignmentPolicies: []map[string]any{{"id": pol, "displayName": "D", "accessPackage": map[string]any{"id": pkg}}},
	}
	for i := 1; i <= 4; i++ {
		f.Users = append(f.Users, map[string]any{"id": fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), "displayName": "U", "userPrincipalName": fmt.Sprintf("u%d@t.test", i)})
	}
	srv := emulator.MustNew(emulator.Options{Fixture: f, DeliveryDelay: 600 * time.Millisecond})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := graph.New(graph.Config{BaseURL: hs.URL + "/v1.0", StaticToken: srv.Token()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reads := make([]int, 0, 4)
	var firstAssignment string
	poll := graph.PollPolicy{Initial: 100 * time.Millisecond, Max: time.Second, Factor: 1.5}
	for i := 1; i <= 4; i++ {
		q, err := c.SubmitAdd(ctx, graph.AddInput{AccessPackageID: pkg, PolicyID: pol, TargetObjectID: fmt.Sprintf("c0000000-0000-4000-8000-%012d", i)})
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetMetrics()
		final, err := c.WaitForSubmitted(ctx, q, poll, func(r *graph.Request) bool { return r.Terminal() }, nil)
		if err != nil || final.State != graph.StateDelivered || final.Assignment == nil {
			t.Fatalf("request %d: %+v, %v", i, final, err)
		}
		if i == 1 {
			firstAssignment = final.Assignment.ID
		}
		reads = append(reads, srv.Metrics()["GET /assignmentRequests/{id}"].Requests)
	}
	if reads[0] < 3 {
		t.Errorf("the first request was read %d times: with 100 ms polls and 600 ms to delivery it should take several", reads[0])
	}
	for i, n := range reads[1:] {
		if n != 1 {
			t.Errorf("request %d was read %d times, want once (reads %v)", i+2, n, reads)
		}
	}
	// The first adminRemove has no history of its own: it goes by all types'.
	q, err := c.SubmitRemove(ctx, firstAssignment, "")
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetMetrics()
	if final, err := c.WaitForSubmitted(ctx, q, poll, func(r *graph.Request) bool { return r.Terminal() }, nil); err != nil || final.State != graph.StateDelivered {
		t.Fatalf("remove: %+v, %v", final, err)
	}
	if n := srv.Metrics()["GET /assignmentRequests/{id}"].Requests; n != 1 {
		t.Errorf("the first adminRemove was read %d times, want once", n)
	}
}

// The first wave — requests followed at once before any has settled — reads
// one request (the scout) on the backoff and the others about once each,
// after the scout's tells how long delivery takes.
func TestWaitForSubmittedFirstWave(t *testing.T) {
	const wave = 10
	srv, c, users := bulkEnv(t, wave, wave)
	if err := srv.SetBehaviours(nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	poll := graph.PollPolicy{Initial: 50 * time.Millisecond, Max: 2 * time.Second, Factor: 1.5}
	qs := make([]*graph.Request, wave)
	for i := range qs {
		q, err := c.SubmitAdd(ctx, graph.AddInput{AccessPackageID: rpPkg, PolicyID: rpPol, TargetObjectID: users[i]})
		if err != nil {
			t.Fatal(err)
		}
		qs[i] = q
	}
	srv.ResetMetrics()
	errs := make(chan error, wave)
	for _, q := range qs {
		go func() {
			final, err := c.WaitForSubmitted(ctx, q, poll, func(r *graph.Request) bool { return r.Terminal() }, nil)
			if err == nil && final.State != graph.StateDelivered {
				err = fmt.Errorf("request %s ended %s", q.ID, final.State)
			}
			errs <- err
		}()
	}
	for range wave {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// 100 ms to delivery and 50 ms polls: every request would be read twice
	// on the backoff; the scout is, and the 9 others about once each.
	if n := srv.Metrics()["GET /assignmentRequests/{id}"].Requests; n > wave+4 {
		t.Errorf("the first wave of %d read its requests %d times", wave, n)
	} else {
		t.Logf("the first wave of %d read its requests %d times", wave, n)
	}
}
