package provider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// Reads of many assignments of one package switch from one GET each to one
// listing once the listing costs no more than the reads made so far; a
// write to the package, or the end of the TTL, drops the listing; a package
// much larger than the reads made stays on direct reads, and its listing is
// tried again only when the reads have doubled.
func TestAssignmentReadsRentOrBuy(t *testing.T) {
	f := accFixture()
	users := make([]string, 250)
	for i := range users {
		users[i] = fmt.Sprintf("f0000000-0000-4000-8000-%012d", i+1)
		f.Users = append(f.Users, map[string]any{"id": users[i], "displayName": fmt.Sprintf("U%d", i), "userPrincipalName": fmt.Sprintf("u%d@contoso.test", i)})
	}
	srv := emulator.MustNew(observed(emulator.Options{Fixture: f}))
	hs := httptest.NewServer(srv)
	defer hs.Close()
	// MustAdd answers the request id; the assignment's is on the request.
	assignmentOf := func(requestID string) string {
		for _, r := range srv.Requests() {
			if r.ID == requestID {
				return r.AssignmentID
			}
		}
		t.Fatalf("no request %s", requestID)
		return ""
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = assignmentOf(srv.MustAdd(pkgSales, polDirect, u, nil))
	}
	c, err := graph.New(graph.Config{BaseURL: hs.URL + "/v1.0", StaticToken: srv.Token()})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	b := newAssignmentReads(c)
	b.now = func() time.Time { return clock }
	ctx := context.Background()
	calls := func() map[string]int {
		out := map[string]int{}
		for k, m := range srv.Metrics() {
			out[k] = m.Requests
		}
		srv.ResetMetrics()
		return out
	}
	read := func(i int) {
		t.Helper()
		a, err := b.get(ctx, pkgSales, ids[i])
		if err != nil || a.ID != ids[i] || a.Target == nil || a.Target.ObjectID != users[i] {
			t.Fatalf("read %d: %+v, %v", i, a, err)
		}
	}
	srv.ResetMetrics()
	read(0)
	read(1)
	if got := calls(); got["GET /assignments/{id}"] != 2 || len(got) != 1 {
		t.Fatalf("first two reads: %v, want two direct GETs", got)
	}
	// Third read: 250 assignments are 3 pages, no more than 3 reads: list.
	for i := 2; i < len(ids); i++ {
		read(i)
	}
	if got := calls(); got["GET /assignments"] != 3 || got["GET /assignments/{id}"] != 0 || len(got) != 1 {
		t.Fatalf("248 reads: %v, want 3 pages", got)
	}
	// An assignment the listing does not have (made since) is read directly.
	fresh := assignmentOf(srv.MustAdd(pkgSales, polDirect, uCarol, nil))
	if a, err := b.get(ctx, pkgSales, fresh); err != nil || a.ID != fresh {
		t.Fatalf("new assignment: %+v, %v", a, err)
	}
	if got := calls(); got["GET /assignments/{id}"] != 1 || len(got) != 1 {
		t.Fatalf("a new assignment: %v, want one direct GET", got)
	}
	// A write drops the listing: the next read counts and lists again.
	b.wrote(pkgSales)
	read(5)
	if got := calls(); got["GET /assignments"] != 3 || len(got) != 1 {
		t.Fatalf("after a write: %v, want a new listing", got)
	}
	// So does time.
	clock = clock.Add(snapshotTTL)
	read(6)
	if got := calls(); got["GET /assignments"] != 3 {
		t.Fatalf("after the TTL: %v, want a new listing", got)
	}
	// A package far larger than its reads stays on direct reads: with pages
	// of 10 it is 26 pages. The third read lists 3 pages and stops; the
	// sixth, 6 pages; each then reads directly.
	srv.SetPageSize(10)
	small := newAssignmentReads(c)
	small.now = func() time.Time { return clock }
	for i := 0; i < 10; i++ {
		if _, err := small.get(ctx, pkgSales, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	if got := calls(); got["GET /assignments/{id}"] != 10 || got["GET /assignments"] != 3+6 {
		t.Fatalf("a large package: %v, want 10 direct reads and listings of 3 and 6 pages", got)
	}
}
