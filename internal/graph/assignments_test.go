package graph_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The recovery paths of the assignment writes, against the emulator: a POST
// that Graph applied but whose answer was lost is never sent twice in effect.

const (
	rpPkg    = "b0000000-0000-4000-8000-0000000000a1"
	rpPol    = "b0000000-0000-4000-8000-0000000000d1"
	rpAlice  = "c0000000-0000-4000-8000-000000000001"
	dropPOST = "POST /assignmentRequests"
)

var fastPoll = graph.PollPolicy{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Factor: 2}

func recoveryEnv(t *testing.T) (*emulator.Server, *graph.Client) {
	t.Helper()
	f := &emulator.Fixture{
		Catalogs:           []map[string]any{{"id": "b0000000-0000-4000-8000-0000000000c1", "displayName": "C"}},
		AccessPackages:     []map[string]any{{"id": rpPkg, "displayName": "P", "catalog": map[string]any{"id": "b0000000-0000-4000-8000-0000000000c1"}}},
		AssignmentPolicies: []map[string]any{{"id": rpPol, "displayName": "D", "accessPackage": map[string]any{"id": rpPkg}}},
		Users:              []map[string]any{{"id": rpAlice, "displayName": "Alice", "userPrincipalName": "alice@t.test"}},
	}
	srv := emulator.MustNew(emulator.Options{Fixture: f, DeliveryDelay: 50 * time.Millisecond})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := graph.New(graph.Config{BaseURL: hs.URL + "/v1.0", StaticToken: srv.Token(),
		Retry: graph.RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func dropNextPOST(t *testing.T, srv *emulator.Server) {
	t.Helper()
	if err := srv.SetFaults([]emulator.Fault{{Route: dropPOST, DropResponse: true, Count: 1}}); err != nil {
		t.Fatal(err)
	}
}

func countOf(srv *emulator.Server, typ string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.RequestType == typ {
			n++
		}
	}
	return n
}

// assignmentOf is the assignment a request made.
func assignmentOf(srv *emulator.Server, requestID string) string {
	for _, r := range srv.Requests() {
		if r.ID == requestID {
			return r.AssignmentID
		}
	}
	return ""
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAddAssignmentAfterALostAnswer(t *testing.T) {
	srv, c := recoveryEnv(t)
	dropNextPOST(t, srv)
	out, err := c.AddAssignment(testCtx(t), graph.AddInput{AccessPackageID: rpPkg, PolicyID: rpPol, TargetObjectID: rpAlice}, fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if n := countOf(srv, "adminAdd"); n != 1 {
		t.Fatalf("%d adminAdd requests after a lost answer, want 1", n)
	}
	if out.Adopted {
		t.Error("the provider's own lost POST was reported as adopting an existing assignment")
	}
	if out.RequestID == "" || (out.Found == nil && out.Request == nil) {
		t.Fatalf("nothing to follow: %+v", out)
	}
	final, err := c.Follow(testCtx(t), out.RequestID, out.Request, out.Found, graph.FollowOptions{Poll: fastPoll, ScheduledIsDone: true})
	if err != nil || final.State != graph.StateDelivered {
		t.Fatalf("followed to %+v, %v", final, err)
	}
}

// An add without a target sends nothing and adopts nothing: looking for
// "its" assignment would match anyone's in the package.
func TestAddAssignmentWithoutATarget(t *testing.T) {
	srv, c := recoveryEnv(t)
	delivered(t, srv)
	srv.ResetMetrics()
	out, err := c.AddAssignment(testCtx(t), graph.AddInput{AccessPackageID: rpPkg, PolicyID: rpPol}, fastPoll)
	if err == nil || out.Found != nil || out.RequestID != "" {
		t.Fatalf("an add without a target: %+v, %v", out, err)
	}
	if n := srv.Count("POST /assignmentRequests"); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

// delivered adds an assignment out of band and waits until it is delivered.
func delivered(t *testing.T, srv *emulator.Server) string {
	t.Helper()
	asg := assignmentOf(srv, srv.MustAdd(rpPkg, rpPol, rpAlice, nil))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if a, ok := srv.Assignment(asg); ok && a.State == graph.StateDelivered {
			return asg
		}
		if time.Now().After(deadline) {
			t.Fatal("the assignment was not delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUpdateAssignmentAfterALostAnswer(t *testing.T) {
	srv, c := recoveryEnv(t)
	asg := delivered(t, srv)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)
	sch := &graph.Schedule{Start: &start, ExpirationType: "afterDateTime", End: &end}
	dropNextPOST(t, srv)
	q, err := c.UpdateAssignment(testCtx(t), asg, "", sch, nil, fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if n := countOf(srv, "adminUpdate"); n != 1 {
		t.Fatalf("%d adminUpdate requests after a lost answer, want 1", n)
	}
	if q != nil {
		if _, err := c.Follow(testCtx(t), q.ID, q, nil, graph.FollowOptions{Poll: fastPoll}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := c.GetAssignment(testCtx(t), asg)
	if err != nil || !graph.ScheduleApplied(a.Schedule, sch) {
		t.Fatalf("assignment %+v, %v", a, err)
	}
}

func TestRemoveAssignmentAfterALostAnswer(t *testing.T) {
	srv, c := recoveryEnv(t)
	asg := delivered(t, srv)
	dropNextPOST(t, srv)
	q, err := c.RemoveAssignment(testCtx(t), asg, "", fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if q != nil {
		if _, err := c.Follow(testCtx(t), q.ID, q, nil, graph.FollowOptions{Poll: fastPoll}); err != nil {
			t.Fatal(err)
		}
	}
	if n := countOf(srv, "adminRemove"); n != 1 {
		t.Fatalf("%d adminRemove requests after a lost answer, want 1", n)
	}
	if a, ok := srv.Assignment(asg); !ok || a.State != graph.StateExpired {
		t.Fatalf("assignment after the remove: %+v", a)
	}
}

// A remove while the add is still delivering is refused by Graph; the client
// sends it again once the add has finished, within its context.
func TestRemoveAssignmentWaitsForAnOpenRequest(t *testing.T) {
	srv, c := recoveryEnv(t)
	if err := srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: rpAlice, DeliveryDelay: &emulator.Duration{D: 400 * time.Millisecond}}}); err != nil {
		t.Fatal(err)
	}
	q, err := c.SubmitAdd(testCtx(t), graph.AddInput{AccessPackageID: rpPkg, PolicyID: rpPol, TargetObjectID: rpAlice})
	if err != nil {
		t.Fatal(err)
	}
	var asg string
	deadline := time.Now().Add(10 * time.Second)
	for asg == "" && time.Now().Before(deadline) {
		if r, err := c.GetRequest(testCtx(t), q.ID); err == nil && r.Assignment != nil {
			asg = r.Assignment.ID
		}
	}
	rm, err := c.RemoveAssignment(testCtx(t), asg, "", fastPoll)
	if err != nil || rm == nil {
		t.Fatalf("remove: %+v, %v", rm, err)
	}
	if n := countOf(srv, "adminRemove"); n != 1 {
		t.Fatalf("%d adminRemove requests, want 1", n)
	}
	if refused := srv.Metrics()[dropPOST].ByStatus[400]; refused == 0 {
		t.Fatal("the remove was never refused while the add was open: the test did not exercise the wait")
	}
}

// A removal that Graph refuses while another request for the person is
// stuck delivering waits on that request's state — one adminRemove POST,
// not one on every tick — and fails at the bound with an error that names
// the blocking request, its state and what to do.
func TestRemoveAssignmentBlockedByAStuckRequest(t *testing.T) {
	defer graph.SetBlockedWait(2 * time.Second)()
	srv, c := recoveryEnv(t)
	if err := srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: rpAlice, Delivery: "stuck"}}); err != nil {
		t.Fatal(err)
	}
	add := srv.MustAdd(rpPkg, rpPol, rpAlice, nil)
	asg := assignmentOf(srv, add)
	start := time.Now()
	_, err := c.RemoveAssignment(testCtx(t), asg, "", fastPoll)
	took := time.Since(start)
	var be *graph.BlockedError
	if !errors.As(err, &be) || be.Blocking.ID != add || be.Blocking.State != graph.StateDelivering {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{add, "adminAdd", "delivering", "apply again once it has completed or failed", "ExistingOpenRequest"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if took > 10*time.Second {
		t.Errorf("failed after %s, want about the 2 s bound", took)
	}
	if n := srv.Metrics()[dropPOST].Requests; n != 1 {
		t.Errorf("%d adminRemove POSTs while blocked, want 1", n)
	}
	t.Logf("blocked removal failed after %s with: %v", took.Round(time.Millisecond), err)
	// Interrupted while waiting: it ends at once and says so.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	_, err = c.RemoveAssignment(ctx, asg, "", fastPoll)
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "interrupted") || time.Since(start) > 2*time.Second {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
}

// A request has no policy of its own: one whose assignment Graph has not
// made yet (scheduled for a later start) cannot say which policy it is
// under. An add under another policy of the package, refused because that
// request is open, does not take it for its own (the authoritative resource
// recorded another policy's request as its target's access); the add's own
// request, whose answer was lost, is still found by what it carries.
func TestAddAssignmentClaimsNoOtherPolicysOpenRequest(t *testing.T) {
	const polB, bob = "b0000000-0000-4000-8000-0000000000d2", "c0000000-0000-4000-8000-000000000002"
	f := &emulator.Fixture{
		Catalogs:       []map[string]any{{"id": "b0000000-0000-4000-8000-0000000000c1", "displayName": "C"}},
		AccessPackages: []map[string]any{{"id": rpPkg, "displayName": "P", "catalog": map[string]any{"id": "b0000000-0000-4000-8000-0000000000c1"}}},
		AssignmentPolicies: []map[string]any{
			{"id": rpPol, "displayName": "A", "accessPackage": map[string]any{"id": rpPkg}},
			{"id": polB, "displayName": "B", "accessPackage": map[string]any{"id": rpPkg}},
		},
		Users: []map[string]any{
			{"id": rpAlice, "displayName": "Alice", "userPrincipalName": "alice@t.test"},
			{"id": bob, "displayName": "Bob", "userPrincipalName": "bob@t.test"},
		},
	}
	srv := emulator.MustNew(emulator.Options{Fixture: f, DeliveryDelay: 50 * time.Millisecond})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := graph.New(graph.Config{BaseURL: hs.URL + "/v1.0", StaticToken: srv.Token(),
		Retry: graph.RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	later := srv.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	scheduled := &graph.Schedule{Start: &later, ExpirationType: "notSpecified"}

	first, err := c.AddAssignment(testCtx(t), graph.AddInput{AccessPackageID: rpPkg, PolicyID: rpPol, TargetObjectID: rpAlice,
		Justification: "by hand", Schedule: scheduled}, fastPoll)
	if err != nil || first.RequestID == "" {
		t.Fatalf("the scheduled add under policy A: %+v, %v", first, err)
	}
	_, err = c.AddAssignment(testCtx(t), graph.AddInput{AccessPackageID: rpPkg, PolicyID: polB, TargetObjectID: rpAlice,
		Justification: "(managed by Terraform: entitlement_access_package_assignments 0a1b2c3d4e5f)"}, fastPoll)
	if err == nil || !strings.Contains(err.Error(), first.RequestID) {
		t.Fatalf("the add under policy B took policy A's open request %s: err = %v", first.RequestID, err)
	}
	if n := countOf(srv, "adminAdd"); n != 1 {
		t.Fatalf("%d adminAdd requests in Graph, want policy A's alone", n)
	}

	// The add's own scheduled request, its answer lost: found, not sent twice.
	dropNextPOST(t, srv)
	in := graph.AddInput{AccessPackageID: rpPkg, PolicyID: polB, TargetObjectID: bob,
		Justification: "(managed by Terraform: entitlement_access_package_assignments 0a1b2c3d4e5f)", Schedule: scheduled}
	own, err := c.AddAssignment(testCtx(t), in, fastPoll)
	if err != nil || own.RequestID == "" || own.Adopted {
		t.Fatalf("the add's own scheduled request after a lost answer: %+v, %v", own, err)
	}
	if n := len(requestsFor(srv, bob)); n != 1 {
		t.Fatalf("%d adminAdd requests for Bob, want 1", n)
	}
}

func requestsFor(srv *emulator.Server, target string) []emulator.RequestView {
	var out []emulator.RequestView
	for _, r := range srv.Requests() {
		if r.RequestType == "adminAdd" && strings.EqualFold(r.TargetObjectID, target) {
			out = append(out, r)
		}
	}
	return out
}
