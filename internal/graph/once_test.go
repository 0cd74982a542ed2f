package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// Once in effect under the worst faults: every answer to a POST is lost and
// new requests stay invisible for 3 s. The client must not send a second
// adminAdd for a target until Graph's state shows that the first did not
// land, so it must stay duplicate-free even where Graph would accept a
// second open request for the same target.
func TestApplyChangesOnceUnderLostAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 10 s")
	}
	for _, concurrent := range []bool{false, true} {
		name := "GraphRefusesASecondOpenRequest"
		if concurrent {
			name = "GraphAcceptsASecondOpenRequest"
		}
		t.Run(name, func(t *testing.T) {
			srv, c, users := bulkEnv(t, 50, 10)
			srv.SetConsistencyLag(3 * time.Second)
			if concurrent {
				srv.SetAcceptDuplicates(true)
			}
			if err := srv.SetFaults([]emulator.Fault{{Route: dropPOST, DropResponse: true}}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			results := c.ApplyChanges(ctx, rpPkg, adds(users), graph.BulkOptions{Poll: fastPoll})
			for i, r := range results {
				if r.Err != nil {
					t.Errorf("target %d: %v", i, r.Err)
				}
			}
			posts := srv.Metrics()[dropPOST].Requests
			per := map[string]int{}
			for _, q := range srv.Requests() {
				if q.RequestType == "adminAdd" {
					per[strings.ToLower(q.TargetObjectID)]++
				}
			}
			most := 0
			for _, n := range per {
				most = max(most, n)
			}
			t.Logf("%d targets: %d POSTs (%.2f per target), %d adminAdd requests in Graph, at most %d for one target, in %s",
				len(users), posts, float64(posts)/float64(len(users)), countOf(srv, "adminAdd"), most, time.Since(start).Round(time.Millisecond))
			if most != 1 || len(per) != len(users) {
				t.Fatalf("duplicates or missing: %d targets with a request, at most %d for one", len(per), most)
			}
			if posts != len(users) {
				t.Fatalf("%d POSTs for %d targets: a POST was sent again before Graph showed that the first had not landed", posts, len(users))
			}
		})
	}
}

// A fractional Retry-After, as the emulator's throttle serves it, is
// honoured to the fraction: the client waits 0.3 s, not 0 and not 1.
func TestFractionalRetryAfterEndToEnd(t *testing.T) {
	srv, c := recoveryEnv(t)
	if err := srv.SetThrottle(&emulator.Throttle{Rate: 4, Burst: 1, RetryAfter: 0.3}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListAssignments(testCtx(t), graph.AssignmentFilter{AccessPackageID: rpPkg}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.ListAssignments(testCtx(t), graph.AssignmentFilter{AccessPackageID: rpPkg}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	m := srv.Metrics()["GET /assignments"]
	if m.Throttled != 1 || took < 300*time.Millisecond || took > 900*time.Millisecond {
		t.Fatalf("throttled %d times; the second listing took %s, want 0.3 s to 0.9 s", m.Throttled, took)
	}
	t.Logf("Retry-After 0.3: the call waited and succeeded after %s", took.Round(time.Millisecond))
}
