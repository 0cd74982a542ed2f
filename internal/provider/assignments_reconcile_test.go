package provider

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// change is a change in a form a table can state: "add a", "remove a-1"
// (the assignment id), "retry a-1", "update a-1".
func changeString(c graph.Change) string {
	switch c.Kind {
	case graph.ChangeAdd:
		return "add " + c.Add.TargetObjectID + c.Add.TargetEmail
	case graph.ChangeRemove:
		return "remove " + c.AssignmentID
	case graph.ChangeRetry:
		return "retry " + c.AssignmentID
	case graph.ChangeUpdate:
		return "update " + c.AssignmentID
	}
	return "?"
}

func ids(ts ...string) []target {
	out := make([]target, len(ts))
	for i, s := range ts {
		out[i] = target{key: s, email: strings.Contains(s, "@")}
	}
	return out
}

func heldMap(hs ...holding) map[string]holding {
	out := map[string]holding{}
	for _, h := range hs {
		out[strings.ToLower(h.Key)] = h
	}
	return out
}

func TestReconcile(t *testing.T) {
	alice := holding{Key: "alice", AssignmentID: "a-1", State: graph.StateDelivered}
	bob := holding{Key: "bob", AssignmentID: "b-1", State: graph.StateDelivered}
	endedCarol := holding{Key: "carol", AssignmentID: "c-1", State: graph.StateExpired, EndedBy: "schedule"}
	failedDan := holding{Key: "dan", AssignmentID: "d-1", State: graph.StateDeliveryFailed, RequestID: "d-r"}
	scheduledEve := holding{Key: "eve", RequestID: "e-r", State: graph.StateScheduled}
	invitedGuest := holding{Key: "guest@example.com", Email: true, AssignmentID: "g-1", State: graph.StateDelivered, ObjectID: "guest-id"}
	for _, tc := range []struct {
		name    string
		held    map[string]holding
		targets []target
		refresh bool
		renew   map[string]bool
		noRetry map[string]bool
		changes []string // sorted
		kept    []string // keys of Kept, sorted
		refused []string
	}{
		{name: "adds the missing, keeps the held, removes the others",
			held: heldMap(alice, bob), targets: ids("alice", "zoe"),
			changes: []string{"add zoe", "remove b-1"}, kept: []string{"alice", "bob"}},
		{name: "letter case alone changes nothing",
			held: heldMap(alice), targets: ids("ALICE"), kept: []string{"ALICE"}},
		{name: "an ended target is kept as it is",
			held: heldMap(endedCarol), targets: ids("carol"), kept: []string{"carol"}},
		{name: "an ended target renewed gets a new adminAdd",
			held: heldMap(endedCarol), targets: ids("carol"), renew: map[string]bool{"carol": true},
			changes: []string{"add carol"}, kept: []string{"carol"}},
		{name: "an ended target no longer listed is dropped with no request",
			held: heldMap(endedCarol), targets: ids()},
		{name: "a failed delivery is retried in place",
			held: heldMap(failedDan), targets: ids("dan"), changes: []string{"retry d-1"}, kept: []string{"dan"}},
		{name: "one Graph can no longer reprocess is left",
			held: heldMap(failedDan), targets: ids("dan"), noRetry: map[string]bool{"dan": true}, kept: []string{"dan"}},
		{name: "refresh updates every kept target with an assignment",
			held: heldMap(alice, scheduledEve), targets: ids("alice", "eve"), refresh: true,
			changes: []string{"update a-1"}, kept: []string{"alice", "eve"}},
		{name: "a scheduled request cannot be removed",
			held: heldMap(scheduledEve), targets: ids(), kept: []string{"eve"}, refused: []string{"eve"}},
		{name: "an invited guest listed by object id keeps the assignment",
			held: heldMap(invitedGuest), targets: ids("guest-id"), kept: []string{"guest-id"}},
		{name: "empty targets remove everyone live",
			held: heldMap(alice, bob, endedCarol), targets: ids(),
			changes: []string{"remove a-1", "remove b-1"}, kept: []string{"alice", "bob"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := map[string]holding{}
			for k, h := range tc.held {
				before[k] = h
			}
			p := reconcile(reconcileInput{Held: tc.held, Targets: tc.targets, Refresh: tc.refresh, Renew: tc.renew, NoRetry: tc.noRetry,
				Add: graph.AddInput{AccessPackageID: "pkg", PolicyID: "pol"}})
			if !reflect.DeepEqual(before, tc.held) {
				t.Errorf("reconcile changed its input:\n%v\n→ %v", before, tc.held)
			}
			var got []string
			for i, c := range p.Changes {
				got = append(got, changeString(c))
				if c.Kind == graph.ChangeAdd && (c.Add.AccessPackageID != "pkg" || c.Add.PolicyID != "pol") {
					t.Errorf("an add without the package and policy: %+v", c.Add)
				}
				if !strings.EqualFold(p.Keys[i], c.Add.TargetObjectID+c.Add.TargetEmail) && c.Kind == graph.ChangeAdd {
					t.Errorf("change %d is keyed %q", i, p.Keys[i])
				}
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.changes) {
				t.Errorf("changes %v, want %v", got, tc.changes)
			}
			var kept []string
			for _, h := range p.Kept {
				kept = append(kept, h.Key)
			}
			sort.Strings(kept)
			if !reflect.DeepEqual(kept, tc.kept) {
				t.Errorf("kept %v, want %v", kept, tc.kept)
			}
			var refused []string
			for _, f := range p.Refused {
				refused = append(refused, f.target)
			}
			if !reflect.DeepEqual(refused, tc.refused) {
				t.Errorf("refused %v, want %v", refused, tc.refused)
			}
		})
	}
}

func TestSettle(t *testing.T) {
	alice := holding{Key: "alice", AssignmentID: "a-1", State: graph.StateDelivered, Start: "2026-01-01T00:00:00Z"}
	bob := holding{Key: "bob", AssignmentID: "b-1", State: graph.StateDelivered}
	failedDan := holding{Key: "dan", AssignmentID: "d-1", State: graph.StateDeliveryFailed, RequestID: "d-r"}
	refused := errors.New("refused")
	for _, tc := range []struct {
		name     string
		held     map[string]holding
		targets  []target
		refresh  bool
		results  map[string]graph.ChangeResult // by target key
		after    map[string]holding
		failures []string
		touched  bool
	}{
		{name: "an add delivered, a removal done",
			held: heldMap(alice, bob), targets: ids("alice", "zoe"),
			results: map[string]graph.ChangeResult{
				"zoe": {RequestID: "z-r", Assignment: &graph.Assignment{ID: "z-1", State: graph.StateDelivered}},
				"bob": {RequestID: "b-r"},
			},
			after:   map[string]holding{"alice": alice, "zoe": {Key: "zoe", AssignmentID: "z-1", RequestID: "z-r", State: graph.StateDelivered}},
			touched: true},
		{name: "an add refused leaves nothing, and fails",
			held: heldMap(alice), targets: ids("alice", "zoe"),
			results:  map[string]graph.ChangeResult{"zoe": {Err: refused}},
			after:    map[string]holding{"alice": alice},
			failures: []string{"zoe"}},
		{name: "an add scheduled for later is held as its request",
			held: heldMap(), targets: ids("zoe"),
			results: map[string]graph.ChangeResult{"zoe": {RequestID: "z-r", Request: &graph.Request{ID: "z-r", State: graph.StateScheduled}}},
			after:   map[string]holding{"zoe": {Key: "zoe", RequestID: "z-r", State: graph.StateScheduled}},
			touched: true},
		{name: "a removal that fails keeps the access recorded",
			held: heldMap(alice, bob), targets: ids("alice"),
			results:  map[string]graph.ChangeResult{"bob": {Err: refused}},
			after:    map[string]holding{"alice": alice, "bob": bob},
			failures: []string{"bob"}},
		{name: "an update that fails keeps the state it had",
			held: heldMap(alice), targets: ids("alice"), refresh: true,
			results:  map[string]graph.ChangeResult{"alice": {RequestID: "u-r", Err: refused}},
			after:    map[string]holding{"alice": {Key: "alice", AssignmentID: "a-1", RequestID: "u-r", State: graph.StateDelivered, Start: "2026-01-01T00:00:00Z"}},
			failures: []string{"alice"}, touched: true},
		{name: "a retried delivery that succeeds is delivered",
			held: heldMap(failedDan), targets: ids("dan"),
			results: map[string]graph.ChangeResult{"dan": {RequestID: "d-r", Request: &graph.Request{ID: "d-r", State: graph.StateDelivered}}},
			after:   map[string]holding{"dan": {Key: "dan", AssignmentID: "d-1", RequestID: "d-r", State: graph.StateDelivered}},
			touched: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := reconcile(reconcileInput{Held: tc.held, Targets: tc.targets, Refresh: tc.refresh})
			results := make([]graph.ChangeResult, len(p.Changes))
			for i, k := range p.Keys {
				res, ok := tc.results[k]
				if !ok {
					t.Fatalf("no result given for the change to %s (%s)", k, changeString(p.Changes[i]))
				}
				results[i] = res
			}
			s := settle(p, results)
			if !reflect.DeepEqual(s.After, tc.after) {
				t.Errorf("after:\n got %+v\nwant %+v", s.After, tc.after)
			}
			var failed []string
			for _, f := range s.Failures {
				failed = append(failed, f.target)
			}
			if !reflect.DeepEqual(failed, tc.failures) {
				t.Errorf("failures %v, want %v", failed, tc.failures)
			}
			if s.Touched != tc.touched {
				t.Errorf("touched %v, want %v", s.Touched, tc.touched)
			}
		})
	}
}
