package provider

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The lifecycle table, row by row, through the CLI: every way an assignment
// ends or fails, for both resources at once — Alice held by a per-person
// resource (under polQuiz), Bob and Carol by an authoritative one (under
// polDirect) — as a nightly pipeline meets it: after the event, a plan
// (its exit code and its warnings), then an apply (the requests it sends).

// lifecycleRow is one row of the table.
type lifecycleRow struct {
	name string
	// schedule, when set, is both resources' schedule.
	schedule string
	// setup runs before the first apply (a behaviour, say).
	setup func(l *lifecycle)
	// event is what happens to Alice's and Bob's access.
	event func(l *lifecycle)
	// planExit is the plan's -detailed-exitcode; want, what it must say.
	planExit int
	want     []string
	// posts is how many requests the apply after it sends (-1: no apply).
	posts int
	// renew is how many requests the renewal that ends the row sends (0:
	// no renewal): it gives everyone whose access ended a new assignment.
	renew int
}

type lifecycle struct {
	t   *testing.T
	srv *emulator.Server
	url string
	r   *exampleRun
}

func (l *lifecycle) write(schedule, renew string) {
	l.t.Helper()
	sch := ""
	if schedule != "" {
		sch = "  schedule = " + schedule + "\n"
	}
	cfg := fmt.Sprintf(`variable "renew" {
  type    = string
  default = %q
}

resource "entitlement_access_package_assignment" "alice" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
  answers              = [{ question_id = %q, value = "EMEA" }]
  renew                = var.renew == "" ? null : var.renew
%s}

resource "entitlement_access_package_assignments" "team" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = [%q, %q]
  renew                = var.renew == "" ? null : var.renew
%s}
`, renew, pkgSales, polQuiz, uAlice, qRegion, sch, pkgSales, polDirect, uBob, uCarol, sch)
	must(l.t, os.WriteFile(filepath.Join(l.r.dir, "main.tf"), []byte(cfg), 0o644))
}

// live is the target's live assignment under the policy.
func (l *lifecycle) live(policy, target string) emulator.AssignmentView {
	l.t.Helper()
	for _, a := range l.srv.Assignments() {
		if strings.EqualFold(a.PolicyID, policy) && strings.EqualFold(a.TargetObjectID, target) && a.State != "expired" {
			return a
		}
	}
	l.t.Fatalf("%s has no live assignment under %s", target, policy)
	return emulator.AssignmentView{}
}

// both applies an event to Alice's assignment and Bob's.
func (l *lifecycle) both(f func(id string) error) {
	l.t.Helper()
	must(l.t, f(l.live(polQuiz, uAlice).ID))
	must(l.t, f(l.live(polDirect, uBob).ID))
}

// reprocess asks Graph to reprocess a request, as the portal or the
// reprocess action would.
func (l *lifecycle) reprocess(requestID string) error {
	req, err := http.NewRequest("POST", l.url+"/v1.0/identityGovernance/entitlementManagement/assignmentRequests/"+requestID+"/reprocess", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 202 {
		return fmt.Errorf("reprocess %s: %s", requestID, resp.Status)
	}
	return nil
}

func TestAccLifecycle(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	failOnce := func(l *lifecycle) {
		must(l.t, l.srv.SetBehaviours([]emulator.Behaviour{
			{TargetObjectID: uAlice, Delivery: "partiallyDelivered", Times: 1},
			{TargetObjectID: uBob, Delivery: "deliveryFailed", Times: 1}}))
	}
	for _, row := range []lifecycleRow{
		{
			name:     "expired by its schedule",
			schedule: `{ expiration = { type = "afterDuration", duration = "P2D" } }`,
			event:    func(l *lifecycle) { l.srv.AdvanceClock(3 * 24 * time.Hour) },
			planExit: 0, want: []string{"Warning: Access ended", "its schedule ended on", "Warning: Access ended for listed targets", uBob + ": ended by schedule on"},
			posts: 0, renew: 3, // Alice, Bob and Carol
		},
		{
			name:     "an end date that has passed",
			schedule: `{ expiration = { type = "afterDateTime", end_date_time = "` + time.Now().Add(2*time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339) + `" } }`,
			event:    func(l *lifecycle) { l.srv.AdvanceClock(3 * time.Hour) },
			planExit: 0, want: []string{"Warning: Access ended", "its schedule ended on"},
			posts: 0,
		},
		{
			name: "removed by an access review",
			event: func(l *lifecycle) {
				l.both(func(id string) error { return l.srv.RemoveAssignment(id, emulator.RemovedByAccessReview) })
			},
			planExit: 0, want: []string{"Warning: Access ended", "Entra removed it on", uBob + ": ended by entra on"},
			posts: 0, renew: 2, // Alice and Bob; Carol's access lasts
		},
		{
			name:     "the user deleted",
			event:    func(l *lifecycle) { must(l.t, l.srv.DeleteUser(uAlice)); must(l.t, l.srv.DeleteUser(uBob)) },
			planExit: 0, want: []string{"Warning: Access ended", "Entra removed it on", uBob + ": ended by entra on"},
			posts: 0,
		},
		{
			name:     "removed in the portal",
			event:    func(l *lifecycle) { l.both(l.srv.ExpireAssignment) },
			planExit: 2, want: []string{"Access removed outside Terraform is restored", "removed outside Terraform on", "Access of listed targets removed outside Terraform is restored", uBob + " (removed by a person or tool outside Terraform)"},
			posts: 2,
		},
		{
			name: "given up by the person",
			event: func(l *lifecycle) {
				l.both(func(id string) error { return l.srv.RemoveAssignment(id, emulator.RemovedByUser) })
			},
			planExit: 2, want: []string{"Access removed outside Terraform is restored", "the person gave it up on", uBob + " (removed by the person themselves)"},
			posts: 2,
		},
		{
			name:  "delivery failed, then reprocessed outside Terraform",
			setup: failOnce,
			event: func(l *lifecycle) {
				for _, u := range []string{uAlice, uBob} {
					reqs := requestsOf(l.srv, "adminAdd", u)
					must(l.t, l.reprocess(reqs[len(reqs)-1].ID))
				}
				waitFor(l.t, 10*time.Second, "the reprocessed deliveries", func() bool {
					return l.live(polQuiz, uAlice).State == "delivered" && l.live(polDirect, uBob).State == "delivered"
				})
			},
			planExit: 0, posts: -1,
		},
		{
			// The deliveries fail 15 days ago, by the emulator's clock; the
			// provider reads Graph's completedDateTime against its own.
			name: "delivery failed, past Graph's 14 days",
			setup: func(l *lifecycle) {
				l.srv.SetClock(time.Now().Add(-15 * 24 * time.Hour))
				failOnce(l)
			},
			event:    func(l *lifecycle) { l.srv.SetClock(time.Now()) },
			planExit: 0, want: []string{"Failed delivery can no longer be retried", "Failed deliveries can no longer be retried", uBob + " (deliveryFailed)"},
			posts: 0,
		},
		{
			name: "the policy deleted",
			event: func(l *lifecycle) {
				carol := l.live(polDirect, uCarol).ID
				l.both(l.srv.ExpireAssignment)
				must(l.t, l.srv.ExpireAssignment(carol))
				must(l.t, l.srv.DeletePolicy(polQuiz))
				must(l.t, l.srv.DeletePolicy(polDirect))
			},
			planExit: 1, want: []string{"Unknown assignment policy", polQuiz, polDirect},
			posts: -1,
		},
	} {
		t.Run(row.name, func(t *testing.T) { lifecycleCase(t, row) })
	}
}

func lifecycleCase(t *testing.T, row lifecycleRow) {
	srv, url := startEmulator(t, emulator.Options{})
	l := &lifecycle{t: t, srv: srv, url: url, r: newExampleRun(t, srv, url)}
	if row.setup != nil {
		row.setup(l)
	}
	l.write(row.schedule, "")
	l.r.tf(0, "init", "-input=false")
	first := l.r.tf(0, "apply", "-input=false", "-auto-approve")
	must(t, srv.SetBehaviours(nil))
	row.event(l)

	plan, code := l.r.tfCode("plan", "-input=false", "-detailed-exitcode")
	flat := oneLine(plan)
	if code != row.planExit {
		t.Fatalf("the plan exited %d, want %d:\n%s\nthe first apply:\n%s", code, row.planExit, plan, first)
	}
	for _, w := range row.want {
		if !strings.Contains(flat, w) {
			t.Fatalf("the plan does not say %q:\n%s", w, plan)
		}
	}
	if strings.Contains(flat, "must be replaced") && row.posts == 0 {
		t.Fatalf("the plan replaces a resource:\n%s", plan)
	}
	t.Logf("%s — the nightly plan:\n%s", row.name, plan)
	if row.posts < 0 {
		return
	}
	srv.ResetMetrics()
	apply := l.r.tf(0, "apply", "-input=false", "-auto-approve")
	if n := srv.Count("POST /assignmentRequests"); n != row.posts {
		t.Fatalf("the apply sent %d requests, want %d:\n%s", n, row.posts, apply)
	}
	if n := len(requestsOf(srv, "adminRemove", "")); n != 0 && row.posts == 0 {
		t.Fatalf("%d adminRemove requests", n)
	}
	l.r.tf(0, "plan", "-input=false", "-detailed-exitcode")
	if row.renew == 0 {
		return
	}
	// Renewal is explicit and visible: the plan lists it, the apply gives
	// everyone whose access ended a new assignment.
	l.write(row.schedule, "2026-Q4")
	plan = oneLine(l.r.tf(2, "plan", "-input=false", "-detailed-exitcode"))
	if !strings.Contains(plan, "Warning: Access renewed") || !strings.Contains(plan, "This apply renews the access of user "+uAlice) {
		t.Fatalf("the renewal's plan:\n%s", plan)
	}
	srv.ResetMetrics()
	l.r.tf(0, "apply", "-input=false", "-auto-approve")
	if n := srv.Count("POST /assignmentRequests"); n != row.renew {
		t.Fatalf("the renewal sent %d requests, want %d", n, row.renew)
	}
	l.live(polQuiz, uAlice)
	l.live(polDirect, uBob)
	l.r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}
