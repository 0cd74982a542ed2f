package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// bulkEnv is an emulator with n users and a client of the given concurrency.
func bulkEnv(t *testing.T, n, concurrency int) (*emulator.Server, *graph.Client, []string) {
	t.Helper()
	f := &emulator.Fixture{
		Catalogs:           []map[string]any{{"id": "b0000000-0000-4000-8000-0000000000c1", "displayName": "C"}},
		AccessPackages:     []map[string]any{{"id": rpPkg, "displayName": "P", "catalog": map[string]any{"id": "b0000000-0000-4000-8000-0000000000c1"}}},
		AssignmentPolicies: []map[string]any{{"id": rpPol, "displayName": "D", "accessPackage": map[string]any{"id": rpPkg}}},
	}
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("c0000000-0000-4000-8000-%012d", i+1)
		f.Users = append(f.Users, map[string]any{"id": users[i], "displayName": fmt.Sprintf("U%d", i), "userPrincipalName": fmt.Sprintf("u%d@t.test", i)})
	}
	srv := emulator.MustNew(emulator.Options{Fixture: f, DeliveryDelay: 100 * time.Millisecond})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := graph.New(graph.Config{BaseURL: hs.URL + "/v1.0", StaticToken: srv.Token(), Concurrency: concurrency,
		Retry: graph.RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, users
}

func adds(users []string) []graph.Change {
	out := make([]graph.Change, len(users))
	for i, u := range users {
		out[i] = graph.Change{Kind: graph.ChangeAdd, Add: graph.AddInput{AccessPackageID: rpPkg, PolicyID: rpPol, TargetObjectID: u}}
	}
	return out
}

// ApplyChanges follows its requests from the package's request listing: a
// few pages per round, not one read per request.
func TestApplyChangesFollowsFromTheListing(t *testing.T) {
	srv, c, users := bulkEnv(t, 250, 10)
	results := c.ApplyChanges(context.Background(), rpPkg, adds(users), graph.BulkOptions{Poll: fastPoll})
	for i, r := range results {
		if r.Err != nil || r.Assignment == nil || r.Assignment.State != graph.StateDelivered {
			t.Fatalf("target %d: %+v", i, r)
		}
	}
	if n := countOf(srv, "adminAdd"); n != len(users) {
		t.Fatalf("%d adminAdd requests for %d users", n, len(users))
	}
	m := srv.Metrics()
	reads, lists := m["GET /assignmentRequests/{id}"], m["GET /assignmentRequests"]
	if reads.Requests > 1 {
		t.Errorf("%d single reads of requests; want at most the one that anchors the listing", reads.Requests)
	}
	if lists.Requests == 0 || lists.Requests > 3*3 {
		t.Errorf("listing calls: %+v; want a few rounds of 3 pages", lists)
	}
}

// A removal and an update in one go, and a delivery that fails: the
// failure is that target's alone, with the request named.
func TestApplyChangesMixed(t *testing.T) {
	srv, c, users := bulkEnv(t, 4, 4)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	first := c.ApplyChanges(context.Background(), rpPkg, adds(users[:2]), graph.BulkOptions{Poll: fastPoll})
	must(first[0].Err)
	must(first[1].Err)
	must(srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: users[3], Delivery: "deliveryFailed"}}))
	end := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	changes := []graph.Change{
		{Kind: graph.ChangeRemove, AssignmentID: first[0].Assignment.ID},
		{Kind: graph.ChangeUpdate, AssignmentID: first[1].Assignment.ID, Schedule: &graph.Schedule{ExpirationType: "afterDateTime", End: &end}},
		adds(users[2:3])[0],
		adds(users[3:4])[0],
	}
	var progress []graph.BulkProgress
	res := c.ApplyChanges(context.Background(), rpPkg, changes, graph.BulkOptions{Poll: fastPoll, Progress: func(p graph.BulkProgress) { progress = append(progress, p) }})
	for i := 0; i < 3; i++ {
		if res[i].Err != nil {
			t.Fatalf("change %d: %v", i, res[i].Err)
		}
	}
	if res[3].Err == nil || !strings.Contains(res[3].Err.Error(), "deliveryFailed") || !strings.Contains(res[3].Err.Error(), res[3].RequestID) {
		t.Fatalf("the failed delivery: %+v", res[3])
	}
	if res[3].Assignment == nil || res[3].Assignment.State != graph.StateDeliveryFailed {
		t.Fatalf("the failed delivery's assignment is not recorded: %+v", res[3].Assignment)
	}
	last := progress[len(progress)-1]
	if last.Total != 4 || last.Done != 4 || last.Failed != 1 || last.Waiting != 0 {
		t.Fatalf("final progress %+v", last)
	}
	for _, a := range srv.Assignments() {
		switch {
		case a.ID == first[0].Assignment.ID && a.State != "expired":
			t.Errorf("the removed assignment is %s", a.State)
		case a.ID == first[1].Assignment.ID && (a.End == nil || !a.End.Equal(end)):
			t.Errorf("the updated assignment ends %v, want %v", a.End, end)
		}
	}
}

// Under Graph's throttling every target is still assigned exactly once: a
// 429 is refused before Graph does anything, so the POST is sent again
// after Retry-After, and the client's bound comes down meanwhile.
func TestApplyChangesUnderThrottling(t *testing.T) {
	srv, c, users := bulkEnv(t, 60, 16)
	if err := srv.SetThrottle(&emulator.Throttle{Rate: 40, Burst: 10, RetryAfter: 1}); err != nil {
		t.Fatal(err)
	}
	// Retries under throttling last as long as the operation's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results := c.ApplyChanges(ctx, rpPkg, adds(users), graph.BulkOptions{Poll: fastPoll})
	for i, r := range results {
		if r.Err != nil {
			t.Fatalf("target %d: %v", i, r.Err)
		}
	}
	if n := countOf(srv, "adminAdd"); n != len(users) {
		t.Fatalf("%d adminAdd requests for %d users", n, len(users))
	}
	if m := srv.Metrics()["POST /assignmentRequests"]; m.Throttled == 0 {
		t.Fatalf("the throttle never engaged: %+v", m)
	}
}

// Where Graph refuses the listing's filter, the requests are followed one
// by one instead, and still settle.
func TestApplyChangesWithoutTheListing(t *testing.T) {
	srv, c, users := bulkEnv(t, 5, 5)
	if err := srv.SetFaults([]emulator.Fault{{Route: "GET /assignmentRequests", Status: 400}}); err != nil {
		t.Fatal(err)
	}
	results := c.ApplyChanges(context.Background(), rpPkg, adds(users), graph.BulkOptions{Poll: fastPoll})
	for i, r := range results {
		if r.Err != nil || r.Assignment == nil || r.Assignment.State != graph.StateDelivered {
			t.Fatalf("target %d: %+v", i, r)
		}
	}
	m := srv.Metrics()
	if lists := m["GET /assignmentRequests"].Requests; lists != 2 {
		t.Errorf("the refused listing was tried %d times, want twice (the package and its window, then the package alone)", lists)
	}
	if reads := m["GET /assignmentRequests/{id}"].Requests; reads < len(users) {
		t.Errorf("%d single reads for %d requests", reads, len(users))
	}
}

// A read that Graph refuses for good (a 403: the permission was taken away
// mid-apply) ends the follow at once, for each target, with Graph's code
// and request-id; it does not wait out the operation's timeout.
func TestApplyChangesFailsFastOnARefusedRead(t *testing.T) {
	srv, c, users := bulkEnv(t, 10, 5)
	if err := srv.SetFaults([]emulator.Fault{
		{Route: "GET /assignmentRequests/{id}", Status: 403},
		{Route: "GET /assignmentRequests", Status: 403},
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	results := c.ApplyChanges(ctx, rpPkg, adds(users), graph.BulkOptions{Poll: graph.DefaultPoll})
	took := time.Since(start)
	for i, r := range results {
		var ge *graph.Error
		if r.Err == nil || !errors.As(r.Err, &ge) || ge.Status != 403 || ge.Code != "Authorization_RequestDenied" || ge.RequestID == "" ||
			!strings.Contains(r.Err.Error(), r.RequestID) || !strings.Contains(r.Err.Error(), "request-id") {
			t.Fatalf("target %d: %+v", i, r)
		}
	}
	if took > 10*time.Second {
		t.Fatalf("the follow took %s to report the 403", took)
	}
	t.Logf("every target failed after %s, e.g.: %v", took.Round(time.Millisecond), results[0].Err)
}
