package provider

import (
	"context"
	"fmt"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// State checks that ask the emulator what Graph holds after a step, each
// named for what it asserts, so that a failure says which promise broke.

// graphCheck is a state check backed by a question to the emulator.
type graphCheck struct {
	what  string
	check func(*tfjson.State) error
}

func (c graphCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if err := c.check(req.State); err != nil {
		resp.Error = fmt.Errorf("%s: %w", c.what, err)
	}
}

// expectDeliveredRequests: Graph holds exactly n requests of a type for a
// target, and all of them were delivered (no duplicate, none lost).
func expectDeliveredRequests(srv *emulator.Server, typ, target string, n int) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("Graph holds %d delivered %s request(s) for %s", n, typ, target), func(*tfjson.State) error {
		return exactly(srv, typ, target, n)
	}}
}

// expectRequest: Graph holds exactly one request of a type for a target, and
// it is as want says.
func expectRequest(srv *emulator.Server, typ, target string, want func(emulator.RequestView) error) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("the %s request for %s", typ, target), func(*tfjson.State) error {
		reqs := requestsOf(srv, typ, target)
		if len(reqs) != 1 {
			return fmt.Errorf("%d requests, want 1: %+v", len(reqs), reqs)
		}
		return want(reqs[0])
	}}
}

// expectLiveAssignments: the target has n live assignments of the package.
func expectLiveAssignments(srv *emulator.Server, pkg, target string, n int) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("%s has %d live assignment(s) of package %s", target, n, pkg), func(*tfjson.State) error {
		if live := liveAssignments(srv, pkg, target); len(live) != n {
			return fmt.Errorf("%d live: %+v", len(live), live)
		}
		return nil
	}}
}

// expectTracksAssignment: the resource's id is the target's one
// live assignment of the package in Graph, delivered under the policy.
func expectTracksAssignment(srv *emulator.Server, addr, pkg, policy, target string) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("%s tracks the live assignment of %s", addr, target), func(s *tfjson.State) error {
		id, err := stateID(s, addr)
		if err != nil {
			return err
		}
		live := liveAssignments(srv, pkg, target)
		if len(live) != 1 || live[0].ID != id {
			return fmt.Errorf("state has %s; Graph's live assignments: %+v", id, live)
		}
		if live[0].State != "delivered" || live[0].PolicyID != policy {
			return fmt.Errorf("assignment %s is %s under policy %s", id, live[0].State, live[0].PolicyID)
		}
		return nil
	}}
}

// expectAssignmentEnd: the target's live assignment ends at end.
func expectAssignmentEnd(srv *emulator.Server, pkg, target string, end time.Time) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("the assignment of %s ends at %s", target, end.Format(time.RFC3339)), func(*tfjson.State) error {
		live := liveAssignments(srv, pkg, target)
		if len(live) != 1 || live[0].End == nil || !live[0].End.Equal(end) {
			return fmt.Errorf("Graph holds %+v", live)
		}
		return nil
	}}
}

// expectCalls: the route received n calls since the metrics were last reset.
func expectCalls(srv *emulator.Server, route string, n int) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("%d call(s) to %s", n, route), func(*tfjson.State) error {
		if got := srv.Count(route); got != n {
			return fmt.Errorf("%d calls", got)
		}
		return nil
	}}
}

// stateID is a managed resource's id in a state.
func stateID(s *tfjson.State, addr string) (string, error) {
	if s == nil || s.Values == nil || s.Values.RootModule == nil {
		return "", fmt.Errorf("no state")
	}
	for _, r := range s.Values.RootModule.Resources {
		if r.Address == addr {
			if id, ok := r.AttributeValues["id"].(string); ok {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("no %s in the state", addr)
}

// justified: the request carries this justification, followed by the
// marker that names the resource kind that sent it.
func justified(want string) func(emulator.RequestView) error {
	return func(r emulator.RequestView) error {
		got, ok := managerOf(r.Justification)
		if !ok || r.Justification != withMarker(want, got) {
			return fmt.Errorf("justification %q, want %q and a marker", r.Justification, want)
		}
		return nil
	}
}

// answered: the request carries these answer values, in order.
func answered(values ...string) func(emulator.RequestView) error {
	return func(r emulator.RequestView) error {
		if len(r.Answers) != len(values) {
			return fmt.Errorf("%d answers, want %d: %+v", len(r.Answers), len(values), r.Answers)
		}
		for i, v := range values {
			if r.Answers[i]["value"] != v {
				return fmt.Errorf("answer %d is %v, want %q", i, r.Answers[i]["value"], v)
			}
		}
		return nil
	}
}

// expectRequestState: the request with this id is in this state in Graph.
func expectRequestState(srv *emulator.Server, id, state string) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("request %s is %s", id, state), func(*tfjson.State) error {
		if r := requestByID(srv, id); r.State != state {
			return fmt.Errorf("Graph holds %+v", r)
		}
		return nil
	}}
}

// expectAssignmentLasts: the target's live assignment ends d after it starts.
func expectAssignmentLasts(srv *emulator.Server, pkg, target string, d time.Duration) statecheck.StateCheck {
	return graphCheck{fmt.Sprintf("the assignment of %s lasts %s", target, d), func(*tfjson.State) error {
		live := liveAssignments(srv, pkg, target)
		if len(live) != 1 || live[0].Start == nil || live[0].End == nil || live[0].End.Sub(*live[0].Start) != d {
			return fmt.Errorf("Graph holds %+v", live)
		}
		return nil
	}}
}
