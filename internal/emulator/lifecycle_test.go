package emulator_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

func TestAdminAddLifecycle(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r, err := e.c.SubmitAdd(ctx(t), graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: alice, Justification: "terraform"})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != "submitted" || r.Status != "Accepted" || r.Type != "adminAdd" || r.Created != nil || r.Justification != "terraform" {
		t.Fatalf("201 body: %+v", r)
	}
	if r.Schedule == nil || r.Schedule.ExpirationType != "notSpecified" {
		t.Fatalf("schedule not normalised in the 201 body: %+v", r.Schedule)
	}
	got := e.settle(r.ID)
	if got.State != "delivered" || got.Created == nil || got.Completed == nil || got.Assignment == nil {
		t.Fatalf("after settling: %+v", got)
	}
	if got.Assignment.Target == nil || got.Assignment.Target.ObjectID != alice || got.Assignment.Target.PrincipalName != "alice@contoso.test" {
		t.Fatalf("request assignment target: %+v", got.Assignment.Target)
	}
	a, err := e.c.GetAssignment(ctx(t), got.Assignment.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != "delivered" || a.AccessPackageID != pkgA || a.PolicyID != polDirect || a.Schedule.Start == nil || a.Schedule.ExpirationType != "noExpiration" {
		t.Fatalf("assignment: %+v schedule %+v", a, a.Schedule)
	}
	for _, f := range []graph.AssignmentFilter{{AccessPackageID: pkgA}, {TargetObjectID: alice}, {PolicyID: polDirect, State: "Delivered"}, {AccessPackageID: strings.ToUpper(pkgA), TargetObjectID: alice}} {
		list, err := e.c.ListAssignments(ctx(t), f)
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("ListAssignments(%+v) = %v, %v", f, list, err)
		}
	}
	if list, _ := e.c.ListAssignments(ctx(t), graph.AssignmentFilter{AccessPackageID: pkgB}); len(list) != 0 {
		t.Fatalf("filter by another package found %d", len(list))
	}
	// $count through the SDK's count builders (text/plain answers).
	n, err := e.c.EntitlementManagement().Assignments().Count().Get(ctx(t), nil)
	if err != nil || n == nil || *n != 1 {
		t.Fatalf("assignments/$count = %v, %v", n, err)
	}
	n, err = e.c.EntitlementManagement().AssignmentRequests().Count().Get(ctx(t), nil)
	if err != nil || n == nil || *n != 1 {
		t.Fatalf("assignmentRequests/$count = %v, %v", n, err)
	}
	// Sub-navigations.
	tg, err := e.c.EntitlementManagement().Assignments().ByAccessPackageAssignmentId(a.ID).Target().Get(ctx(t), nil)
	if err != nil || *tg.GetObjectId() != alice {
		t.Fatalf("assignment target navigation: %v", err)
	}
	pol, err := e.c.EntitlementManagement().Assignments().ByAccessPackageAssignmentId(a.ID).AssignmentPolicy().Get(ctx(t), nil)
	if err != nil || *pol.GetId() != polDirect {
		t.Fatalf("assignment policy navigation: %v", err)
	}
	pk, err := e.c.EntitlementManagement().AssignmentRequests().ByAccessPackageAssignmentRequestId(r.ID).AccessPackage().Get(ctx(t), nil)
	if err != nil || *pk.GetId() != pkgA {
		t.Fatalf("request accessPackage navigation: %v", err)
	}
	rq, err := e.c.EntitlementManagement().AssignmentRequests().ByAccessPackageAssignmentRequestId(r.ID).Requestor().Get(ctx(t), nil)
	// The requestor of a direct assignment is the subject who was assigned.
	if err != nil || rq.GetObjectId() == nil || *rq.GetObjectId() != alice || rq.GetSubjectType() == nil || rq.GetSubjectType().String() != "user" {
		t.Fatalf("request requestor navigation: %v %v", rq, err)
	}
	ra, err := e.c.EntitlementManagement().AssignmentRequests().ByAccessPackageAssignmentRequestId(r.ID).Assignment().Get(ctx(t), nil)
	if err != nil || *ra.GetId() != a.ID {
		t.Fatalf("request assignment navigation: %v", err)
	}
}

func TestAdminUpdateAndRemove(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	add := e.submitAndSettle(addDirect(bob))
	aid := add.Assignment.ID
	end := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	up, err := e.c.SubmitUpdate(ctx(t), aid, "", &graph.Schedule{ExpirationType: "afterDateTime", End: &end}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up.Type != "adminUpdate" {
		t.Fatalf("type %q", up.Type)
	}
	if got := e.settle(up.ID); got.State != "delivered" {
		t.Fatalf("update request: %+v", got)
	}
	a, _ := e.c.GetAssignment(ctx(t), aid)
	if a.Schedule.ExpirationType != "afterDateTime" || a.Schedule.End == nil || !a.Schedule.End.Equal(end) || !a.Schedule.Start.Equal(*add.Assignment.Schedule.Start) {
		t.Fatalf("schedule after update: %+v", a.Schedule)
	}
	// A duration is turned into an end date counted from the start.
	up2, err := e.c.SubmitUpdate(ctx(t), aid, "", &graph.Schedule{ExpirationType: "afterDuration", Duration: "P30D"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.settle(up2.ID)
	a, _ = e.c.GetAssignment(ctx(t), aid)
	if want := a.Schedule.Start.AddDate(0, 0, 30); a.Schedule.End == nil || !a.Schedule.End.Equal(want) {
		t.Fatalf("afterDuration P30D: end %v, want %v", a.Schedule.End, want)
	}

	rm, err := e.c.SubmitRemove(ctx(t), aid, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.settle(rm.ID); got.State != "delivered" || got.Type != "adminRemove" {
		t.Fatalf("remove request: %+v", got)
	}
	a, err = e.c.GetAssignment(ctx(t), aid)
	if err != nil || a.State != "expired" || a.Expired == nil {
		t.Fatalf("assignment after remove: %+v %v", a, err)
	}
	_, err = e.c.SubmitRemove(ctx(t), aid, "")
	if ge := graphErr(t, err); ge.Status != 404 || ge.Code != "ResourceNotFound" {
		t.Fatalf("remove of an expired assignment: %v", err)
	}
	_, err = e.c.SubmitUpdate(ctx(t), "99999999-9999-4999-8999-999999999999", "", &graph.Schedule{ExpirationType: "noExpiration"}, nil)
	if ge := graphErr(t, err); ge.Status != 404 {
		t.Fatalf("update of an unknown assignment: %v", err)
	}
	// A removed target can be assigned again.
	if again := e.submitAndSettle(addDirect(bob)); again.State != "delivered" || again.Assignment.ID == aid {
		t.Fatalf("re-add: %+v", again)
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.submitAndSettle(addDirect(carol))
	unknown := "99999999-9999-4999-8999-999999999999"
	cases := []struct {
		name   string
		in     graph.AddInput
		status int
		code   string
		msg    string
	}{
		{"existing assignment", addDirect(carol), 400, "ExistingAssignment", "already has assignment"},
		{"unknown package", graph.AddInput{AccessPackageID: unknown, PolicyID: polDirect, TargetObjectID: alice}, 404, "ResourceNotFound", "accessPackage"},
		{"unknown policy", graph.AddInput{AccessPackageID: pkgA, PolicyID: unknown, TargetObjectID: alice}, 400, "InvalidRequest", "was not found"},
		{"policy of another package", graph.AddInput{AccessPackageID: pkgA, PolicyID: polOtherB, TargetObjectID: alice}, 400, "InvalidRequest", "does not belong"},
		{"unknown target", graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: unknown}, 400, "InvalidRequest", "does not exist"},
		{"required question", graph.AddInput{AccessPackageID: pkgB, PolicyID: polAsk, TargetObjectID: alice}, 400, "InvalidRequest", "required question"},
		{"bad choice", graph.AddInput{AccessPackageID: pkgB, PolicyID: polAsk, TargetObjectID: alice, Answers: []graph.Answer{{QuestionID: qRegion, QuestionType: "choice", Value: "MARS"}}}, 400, "InvalidRequest", "not one of the choices"},
		{"regex", graph.AddInput{AccessPackageID: pkgB, PolicyID: polAsk, TargetObjectID: alice, Answers: []graph.Answer{{QuestionID: qRegion, QuestionType: "choice", Value: "EMEA"}, {QuestionID: qCost, Value: "CC-12"}}}, 400, "InvalidRequest", "does not match"},
		{"foreign question", graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: alice, Answers: []graph.Answer{{QuestionID: qCost, Value: "CC-1234"}}}, 400, "InvalidRequest", "does not belong"},
		{"bad schedule", graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: alice, Schedule: &graph.Schedule{ExpirationType: "afterDateTime"}}, 400, "InvalidRequest", "requires endDateTime"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.c.SubmitAdd(ctx(t), tc.in)
			ge := graphErr(t, err)
			if ge.Status != tc.status || ge.Code != tc.code || !strings.Contains(ge.Message, tc.msg) || ge.RequestID == "" {
				t.Fatalf("got %d %s %q (request-id %q), want %d %s ~%q", ge.Status, ge.Code, ge.Message, ge.RequestID, tc.status, tc.code, tc.msg)
			}
		})
	}
	// Answers that satisfy the policy are accepted and echoed.
	ok, err := e.c.SubmitAdd(ctx(t), graph.AddInput{AccessPackageID: pkgB, PolicyID: polAsk, TargetObjectID: alice,
		Answers: []graph.Answer{{QuestionID: qRegion, QuestionType: "choice", Value: "EMEA", DisplayValue: "Europe"}, {QuestionID: qCost, Value: "CC-1234"}}})
	if err != nil || len(ok.Answers) != 2 || ok.Answers[0].QuestionType != "choice" || ok.Answers[0].DisplayValue != "Europe" {
		t.Fatalf("valid answers: %+v %v", ok, err)
	}
	// Raw bodies the SDK would never send.
	for _, tc := range []struct {
		body any
		code string
	}{
		{[]byte(`{"requestType": "adminAdd", `), "BadRequest"},
		{map[string]any{"requestType": "adminTeleport", "assignment": map[string]any{}}, "BadRequest"},
		{map[string]any{"requestType": "systemAdd", "assignment": map[string]any{}}, "InvalidRequest"},
		{map[string]any{"requestType": "adminAdd", "assignment": map[string]any{"targetId": alice, "accessPackageId": pkgA, "assignmentPolicyId": polDirect}, "colour": "blue"}, "BadRequest"},
	} {
		st, _, m := e.raw("POST", "/v1.0/identityGovernance/entitlementManagement/assignmentRequests", e.srv.Token(), tc.body, nil)
		if st != 400 || m["error"].(map[string]any)["code"] != tc.code {
			t.Fatalf("raw body %v: %d %v", tc.body, st, m)
		}
	}
}

func TestExistingOpenRequest(t *testing.T) {
	e := newEnv(t, emulator.Options{DeliveryDelay: time.Hour})
	r, err := e.c.SubmitAdd(ctx(t), addDirect(alice))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.SubmitAdd(ctx(t), addDirect(alice))
	if ge := graphErr(t, err); ge.Code != "ExistingOpenRequest" {
		t.Fatalf("second add while the first is open: %v", err)
	}
	// The request is delivering (an hour-long delivery): its assignment
	// exists, and a remove must wait for the open request too.
	got, err := e.c.GetRequest(ctx(t), r.ID)
	if err != nil || got.State != "delivering" || got.Assignment == nil || got.Assignment.State != "delivering" {
		t.Fatalf("delivering request: %+v %v", got, err)
	}
	_, err = e.c.SubmitRemove(ctx(t), got.Assignment.ID, "")
	if !graph.HasCode(err, "ExistingOpenRequest") {
		t.Fatalf("remove while the add is open: %v", err)
	}
	// Another target is not blocked.
	if _, err := e.c.SubmitAdd(ctx(t), addDirect(bob)); err != nil {
		t.Fatalf("add for another target: %v", err)
	}
}

func TestConcurrentAddsMakeOneRequest(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.c.SubmitAdd(ctx(t), addDirect(bob))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if graph.HasCode(err, "ExistingOpenRequest") || graph.HasCode(err, "ExistingAssignment") {
				refused++
			}
		}()
	}
	wg.Wait()
	if ok != 1 || refused != 19 {
		t.Fatalf("20 concurrent adds: %d accepted, %d refused", ok, refused)
	}
	live := 0
	for _, a := range e.srv.Assignments() {
		if a.TargetObjectID == bob && a.State != "expired" {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("%d live assignments for bob", live)
	}
}

func TestTargetByEmail(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.submitAndSettle(graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetEmail: "new.hire@fabrikam.test"})
	if r.State != "delivered" || r.Assignment.Target.Email != "new.hire@fabrikam.test" || r.Assignment.Target.ObjectID == "" {
		t.Fatalf("email target: %+v %+v", r, r.Assignment.Target)
	}
	// The invited guest is now a directory user, and a second add by email finds it.
	st, _, m := e.raw("GET", "/v1.0/users/"+r.Assignment.Target.ObjectID, e.srv.Token(), nil, nil)
	if st != 200 || m["userType"] != "Guest" {
		t.Fatalf("guest user: %d %v", st, m)
	}
	_, err := e.c.SubmitAdd(ctx(t), graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetEmail: "NEW.HIRE@fabrikam.test"})
	if !graph.HasCode(err, "ExistingAssignment") {
		t.Fatalf("second add by email: %v", err)
	}
}

func TestReprocessRequest(t *testing.T) {
	for _, outcome := range []string{"deliveryFailed", "partiallyDelivered"} {
		t.Run(outcome, func(t *testing.T) {
			e := newEnv(t, emulator.Options{})
			if err := e.srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: alice, Delivery: outcome, Times: 1}}); err != nil {
				t.Fatal(err)
			}
			r := e.submitAndSettle(addDirect(alice))
			if r.State != outcome || r.Assignment == nil || r.Assignment.State != outcome || r.Completed == nil {
				t.Fatalf("failed delivery: %+v", r)
			}
			if err := e.c.ReprocessRequest(ctx(t), r.ID); err != nil {
				t.Fatal(err)
			}
			got := e.settle(r.ID)
			if got.State != "delivered" || got.Assignment.State != "delivered" || got.Assignment.ID != r.Assignment.ID {
				t.Fatalf("after reprocess: %+v", got)
			}
			err := e.c.ReprocessRequest(ctx(t), r.ID)
			if ge := graphErr(t, err); ge.Status != 400 || !strings.Contains(ge.Message, "only requests in deliveryFailed or partiallyDelivered") {
				t.Fatalf("reprocess of a delivered request: %v", err)
			}
		})
	}
	e := newEnv(t, emulator.Options{})
	err := e.c.ReprocessRequest(ctx(t), "99999999-9999-4999-8999-999999999999")
	if ge := graphErr(t, err); ge.Status != 404 {
		t.Fatalf("unknown id: %v", err)
	}
	err = e.c.ReprocessRequest(ctx(t), "not-a-guid")
	if ge := graphErr(t, err); ge.Status != 400 {
		t.Fatalf("invalid id: %v", err)
	}
	// The 14-day window, crossed with the clock.
	must(t, e.srv.SetBehaviours([]emulator.Behaviour{{Delivery: "deliveryFailed"}}))
	r := e.submitAndSettle(addDirect(bob))
	e.srv.AdvanceClock(14*24*time.Hour - time.Minute)
	if err := e.c.ReprocessRequest(ctx(t), r.ID); err != nil {
		t.Fatalf("reprocess within 14 days: %v", err)
	}
	r = e.settle(r.ID) // fails again (the behaviour has no count)
	e.srv.AdvanceClock(15 * 24 * time.Hour)
	err = e.c.ReprocessRequest(ctx(t), r.ID)
	if ge := graphErr(t, err); ge.Status != 400 || !strings.Contains(ge.Message, "more than 14 days ago") {
		t.Fatalf("reprocess after 15 days: %v", err)
	}
}

func TestReprocessAssignment(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.submitAndSettle(addDirect(alice))
	if err := e.c.ReprocessAssignment(ctx(t), r.Assignment.ID); err != nil {
		t.Fatal(err)
	}
	if a, _ := e.srv.Assignment(r.Assignment.ID); a.Reprocessed != 1 {
		t.Fatalf("reprocessed %d times", a.Reprocessed)
	}
	must(t, e.srv.SetBehaviours([]emulator.Behaviour{{Delivery: "deliveryFailed"}}))
	f := e.submitAndSettle(addDirect(bob))
	err := e.c.ReprocessAssignment(ctx(t), f.Assignment.ID)
	if ge := graphErr(t, err); ge.Status != 400 {
		t.Fatalf("reprocess of an undelivered assignment: %v", err)
	}
	err = e.c.ReprocessAssignment(ctx(t), "99999999-9999-4999-8999-999999999999")
	if ge := graphErr(t, err); ge.Status != 404 {
		t.Fatalf("unknown assignment: %v", err)
	}
}

func TestResume(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	in := graph.AddInput{AccessPackageID: pkgA, PolicyID: polHook, TargetObjectID: alice}
	r := e.submitAndSettle(in)
	if r.State != "submitted" || r.Status != "WaitingForCallback" || len(r.Callouts) != 1 || r.Callouts[0].Status != "waitingForCallback" || r.Callouts[0].CustomExtensionID != extID {
		t.Fatalf("waiting request: %+v", r)
	}
	err := e.c.ResumeRequest(ctx(t), r.ID, graph.ResumeInput{Source: "test", Stage: "assignmentRequestApproved"})
	if ge := graphErr(t, err); ge.Status != 400 || !strings.Contains(ge.Message, "waits at stage assignmentRequestCreated") {
		t.Fatalf("resume at the wrong stage: %v", err)
	}
	err = e.c.ResumeRequest(ctx(t), r.ID, graph.ResumeInput{Source: "test", Stage: "assignmentRequestCreated", StageInstanceID: r.Callouts[0].ID, StageInstanceDetail: "verified"})
	if err != nil {
		t.Fatal(err)
	}
	got := e.settle(r.ID)
	if got.State != "delivered" || got.Callouts[0].Status != "callbackReceived" || got.Callouts[0].Detail != "verified" {
		t.Fatalf("after resume: %+v", got)
	}
	err = e.c.ResumeRequest(ctx(t), r.ID, graph.ResumeInput{Source: "test", Stage: "assignmentRequestCreated"})
	if ge := graphErr(t, err); ge.Status != 400 || !strings.Contains(ge.Message, "not waiting for a callback") {
		t.Fatalf("resume of a request that does not wait: %v", err)
	}
	// Denied by the custom extension.
	r2 := e.submitAndSettle(graph.AddInput{AccessPackageID: pkgA, PolicyID: polHook, TargetObjectID: bob})
	if err := e.c.ResumeRequest(ctx(t), r2.ID, graph.ResumeInput{Source: "sod", Stage: "assignmentRequestCreated", State: "denied"}); err != nil {
		t.Fatal(err)
	}
	if got := e.settle(r2.ID); got.State != "denied" || got.Assignment != nil {
		t.Fatalf("denied by callback: %+v", got)
	}
	// An automatic callback behaves like a Logic App answering.
	must(t, e.srv.SetBehaviours([]emulator.Behaviour{{TargetObjectID: carol, Callback: &emulator.Callback{State: "denied"}}}))
	if got := e.submitAndSettle(graph.AddInput{AccessPackageID: pkgA, PolicyID: polHook, TargetObjectID: carol}); got.State != "denied" {
		t.Fatalf("automatic denial: %+v", got)
	}
}

func TestResumeNotInNationalClouds(t *testing.T) {
	for _, cloud := range []string{emulator.CloudUSGov, emulator.CloudChina} {
		e := newEnv(t, emulator.Options{Cloud: cloud})
		r := e.submitAndSettle(graph.AddInput{AccessPackageID: pkgA, PolicyID: polHook, TargetObjectID: alice})
		err := e.c.ResumeRequest(ctx(t), r.ID, graph.ResumeInput{Source: "x", Stage: "assignmentRequestCreated"})
		if ge := graphErr(t, err); ge.Status != 400 || !strings.Contains(ge.Message, "segment 'resume'") {
			t.Fatalf("%s resume: %v", cloud, err)
		}
		_, err = e.c.SubmitAdd(ctx(t), graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: bob, Justification: "why"})
		if ge := graphErr(t, err); ge.Status != 400 || !strings.Contains(ge.Message, "justification") {
			t.Fatalf("%s justification: %v", cloud, err)
		}
		st, _, m := e.raw("GET", "/v1.0/identityGovernance/entitlementManagement/assignments?$expand=target", e.srv.Token(), nil, nil)
		if st != 200 || strings.Contains(toJSON(m), "subjectLifecycle") {
			t.Fatalf("%s subjects carry subjectLifecycle: %v", cloud, m)
		}
	}
}

func TestApprovalAndCancel(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	const aliceTok, bobTok = "alice-token", "bob-token"
	must(t, e.srv.AddToken(aliceTok, emulator.Identity{Kind: "delegated", ObjectID: alice}))
	must(t, e.srv.AddToken(bobTok, emulator.Identity{Kind: "delegated", ObjectID: bob}))
	asAlice := clientFor(t, e.hs.URL, aliceTok)
	body := map[string]any{"requestType": "UserAdd", "justification": "need it",
		"assignment": map[string]any{"accessPackageId": pkgB},
		"answers": []any{map[string]any{"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": "AMER",
			"answeredQuestion": map[string]any{"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": qRegion}}}}
	path := "/v1.0/identityGovernance/entitlementManagement/assignmentRequests"
	st, _, m := e.raw("POST", path, aliceTok, body, nil)
	if st != 201 || m["requestType"] != "userAdd" {
		t.Fatalf("userAdd: %d %v", st, m)
	}
	id := m["id"].(string)
	if r := e.settle(id); r.State != "pendingApproval" || r.Status != "PendingApproval" {
		t.Fatalf("pending: %+v", r)
	}
	if err := e.srv.Approve(id); err != nil {
		t.Fatal(err)
	}
	if r := e.settle(id); r.State != "delivered" || r.Assignment.Target.ObjectID != alice {
		t.Fatalf("approved: %+v", r)
	}
	// Bob is denied.
	st, _, m = e.raw("POST", path, bobTok, body, nil)
	if st != 201 {
		t.Fatalf("bob userAdd: %d %v", st, m)
	}
	if err := e.srv.Deny(m["id"].(string)); err != nil {
		t.Fatal(err)
	}
	if r := e.settle(m["id"].(string)); r.State != "denied" {
		t.Fatalf("denied: %+v", r)
	}
	// Users need a justification here; applications cannot make user requests.
	noJust := map[string]any{"requestType": "userAdd", "assignment": map[string]any{"accessPackageId": pkgB}, "answers": body["answers"]}
	if st, _, m = e.raw("POST", path, bobTok, noJust, nil); st != 400 || !strings.Contains(toJSON(m), "requires a justification") {
		t.Fatalf("missing justification: %d %v", st, m)
	}
	if st, _, _ = e.raw("POST", path, e.srv.Token(), body, nil); st != 403 {
		t.Fatalf("userAdd by an application: %d", st)
	}
	// Cancel: delegated only, and only while cancellable.
	_, _, m = e.raw("POST", path, bobTok, body, nil)
	pending := m["id"].(string)
	e.settle(pending)
	err := e.c.CancelRequest(ctx(t), pending)
	if ge := graphErr(t, err); ge.Status != 403 {
		t.Fatalf("cancel by an application: %v", err)
	}
	asBob := clientFor(t, e.hs.URL, bobTok)
	if err := asBob.CancelRequest(ctx(t), pending); err != nil {
		t.Fatal(err)
	}
	if r := e.settle(pending); r.State != "canceled" || r.Completed == nil {
		t.Fatalf("canceled: %+v", r)
	}
	if ge := graphErr(t, asAlice.CancelRequest(ctx(t), id)); ge.Status != 400 {
		t.Fatalf("cancel of a delivered request: %+v", ge)
	}
	// filterByCurrentUser is delegated-only.
	on := "target"
	res, err := asAlice.EntitlementManagement().AssignmentRequests().FilterByCurrentUserWithOn(&on).GetAsFilterByCurrentUserWithOnGetResponse(ctx(t), nil)
	if err != nil || len(res.GetValue()) != 1 {
		t.Fatalf("filterByCurrentUser(target) as alice: %v", err)
	}
	_, err = e.c.EntitlementManagement().AssignmentRequests().FilterByCurrentUserWithOn(&on).GetAsFilterByCurrentUserWithOnGetResponse(ctx(t), nil)
	if err == nil {
		t.Fatal("filterByCurrentUser as an application succeeded")
	}
}

func TestScheduledStartAndExpiry(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	// The Go client writes RFC 3339 without fractions.
	start := e.srv.Now().Add(48 * time.Hour).Truncate(time.Second)
	r := e.submitAndSettle(graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: alice,
		Schedule: &graph.Schedule{Start: &start, ExpirationType: "afterDuration", Duration: "P7D"}})
	if r.State != "scheduled" || r.Status != "PendingNotBefore" || r.Assignment != nil {
		t.Fatalf("future start: %+v", r)
	}
	e.srv.AdvanceClock(49 * time.Hour)
	r = e.settle(r.ID)
	if r.State != "delivered" || !r.Assignment.Schedule.Start.Equal(start) || !r.Assignment.Schedule.End.Equal(start.AddDate(0, 0, 7)) {
		t.Fatalf("started: %+v %+v", r, r.Assignment.Schedule)
	}
	e.srv.AdvanceClock(8 * 24 * time.Hour)
	a, _ := e.c.GetAssignment(ctx(t), r.Assignment.ID)
	if a.State != "expired" || a.Expired == nil || !a.Expired.Equal(start.AddDate(0, 0, 7)) {
		t.Fatalf("after the end date: %+v", a)
	}
	sys, err := e.c.ListRequests(ctx(t), graph.RequestFilter{AccessPackageID: pkgA, RequestType: "systemRemove"})
	if err != nil || len(sys) != 1 || sys[0].State != "delivered" {
		t.Fatalf("systemRemove request: %v %v", sys, err)
	}
}

func TestDeleteRequest(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.submitAndSettle(addDirect(alice))
	del := func(id string) error {
		return e.c.EntitlementManagement().AssignmentRequests().ByAccessPackageAssignmentRequestId(id).Delete(ctx(t), nil)
	}
	if ge := graphErr(t, del(r.ID)); ge.Status != 400 || !strings.Contains(ge.Message, "still has assignment") {
		t.Fatalf("delete with a live assignment: %v", ge)
	}
	d := e.submitAndSettle(graph.AddInput{AccessPackageID: pkgA, PolicyID: polHook, TargetObjectID: bob})
	if ge := graphErr(t, del(d.ID)); ge.Status != 400 {
		t.Fatalf("delete of an open request: %v", ge)
	}
	_ = e.c.ResumeRequest(ctx(t), d.ID, graph.ResumeInput{Source: "x", Stage: "assignmentRequestCreated", State: "denied"})
	if err := del(d.ID); err != nil {
		t.Fatalf("delete of a denied request: %v", err)
	}
	if _, err := e.c.GetRequest(ctx(t), d.ID); !graph.IsNotFound(err) {
		t.Fatalf("deleted request still readable: %v", err)
	}
}

func TestAssignmentsForCurrentUserAndAdditionalAccess(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.submitAndSettle(addDirect(alice))                                                                  // alice: package A
	e.submitAndSettle(graph.AddInput{AccessPackageID: pkgB, PolicyID: polOtherB, TargetObjectID: alice}) // alice: package B too
	e.submitAndSettle(addDirect(bob))                                                                    // bob: package A only
	must(t, e.srv.AddToken("alice-token", emulator.Identity{Kind: "delegated", ObjectID: alice}))
	asAlice := clientFor(t, e.hs.URL, "alice-token")

	on := "target"
	mine, err := asAlice.EntitlementManagement().Assignments().FilterByCurrentUserWithOn(&on).GetAsFilterByCurrentUserWithOnGetResponse(ctx(t), nil)
	if err != nil || len(mine.GetValue()) != 2 {
		t.Fatalf("alice's assignments: %v", err)
	}
	if _, err := e.c.EntitlementManagement().Assignments().FilterByCurrentUserWithOn(&on).GetAsFilterByCurrentUserWithOnGetResponse(ctx(t), nil); err == nil {
		t.Fatal("filterByCurrentUser as an application succeeded")
	}
	// Who holds package A and also package B: alice, not bob.
	a, b := pkgA, pkgB
	both, err := e.c.EntitlementManagement().Assignments().AdditionalAccessWithAccessPackageIdWithIncompatibleAccessPackageId(&a, &b).
		GetAsAdditionalAccessWithAccessPackageIdWithIncompatibleAccessPackageIdGetResponse(ctx(t), nil)
	if err != nil || len(both.GetValue()) != 1 {
		t.Fatalf("additionalAccess: %v", err)
	}
	got, err := e.c.GetAssignment(ctx(t), *both.GetValue()[0].GetId())
	if err != nil || got.Target.ObjectID != alice || got.AccessPackageID != pkgA {
		t.Fatalf("additionalAccess returned %+v %v", got, err)
	}
}
