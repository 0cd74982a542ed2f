package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

const em = "/v1.0/identityGovernance/entitlementManagement"

func TestErrorEnvelopeAndHeaders(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, tc := range []struct {
		method, path, token string
		status              int
		code                string
	}{
		{"GET", em + "/assignments", "", 401, "InvalidAuthenticationToken"},
		{"GET", em + "/assignments", "wrong", 401, "InvalidAuthenticationToken"},
		{"GET", em + "/assignments/99999999-9999-4999-8999-999999999999", e.srv.Token(), 404, "ResourceNotFound"},
		{"GET", em + "/assignments/nope", e.srv.Token(), 400, "BadRequest"},
		{"GET", em + "/assignments?$search=x", e.srv.Token(), 400, "BadRequest"},
		{"GET", em + "/assignments?$orderby=id", e.srv.Token(), 400, "BadRequest"},
		{"GET", em + "/assignments?$filter=colour eq 'blue'", e.srv.Token(), 400, "InvalidFilter"},
		{"GET", em + "/assignments?$filter=state eq 'delivered' or state eq 'expired'", e.srv.Token(), 400, "InvalidFilter"},
		{"GET", em + "/assignments?$expand=requestor", e.srv.Token(), 400, "BadRequest"},
		{"POST", em + "/assignments", e.srv.Token(), 405, "MethodNotAllowed"},
		{"PATCH", em + "/assignments/99999999-9999-4999-8999-999999999999", e.srv.Token(), 405, "MethodNotAllowed"},
		{"DELETE", em + "/assignments/99999999-9999-4999-8999-999999999999", e.srv.Token(), 405, "MethodNotAllowed"},
		{"PATCH", em + "/assignmentRequests/99999999-9999-4999-8999-999999999999", e.srv.Token(), 405, "MethodNotAllowed"},
		{"GET", em + "/nothingHere", e.srv.Token(), 400, "BadRequest"},
	} {
		st, h, m := e.raw(tc.method, tc.path, tc.token, nil, map[string]string{"client-request-id": "c-123"})
		errObj, _ := m["error"].(map[string]any)
		inner, _ := errObj["innerError"].(map[string]any)
		msg, _ := errObj["message"].(string)
		if st != tc.status || errObj["code"] != tc.code || msg == "" || inner["request-id"] == nil || inner["client-request-id"] != "c-123" ||
			h.Get("request-id") == "" || h.Get("client-request-id") != "c-123" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %v %v", tc.method, tc.path, st, h, m)
		}
		if d, ok := errObj["details"].([]any); !ok || d == nil {
			t.Errorf("%s %s: details is not an array", tc.method, tc.path)
		}
	}
}

func TestGzipBodiesAndCaseInsensitivity(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	body := map[string]any{"requestType": "AdminAdd", "assignment": map[string]any{"targetId": alice, "assignmentPolicyId": strings.ToUpper(polDirect), "accessPackageId": pkgA},
		"schedule": map[string]any{"expiration": map[string]any{"type": "NoExpiration"}}}
	st, h, m := e.raw("POST", em+"/assignmentRequests", e.srv.Token(), gz(body), map[string]string{"Content-Encoding": "gzip"})
	if st != 201 || m["requestType"] != "adminAdd" || m["state"] != "submitted" || m["createdDateTime"] != nil ||
		!strings.HasSuffix(m["@odata.context"].(string), "/v1.0/$metadata#identityGovernance/entitlementManagement/assignmentRequests/$entity") || h.Get("Location") == "" {
		t.Fatalf("gzip adminAdd: %d %v", st, m)
	}
	if sch := m["schedule"].(map[string]any)["expiration"].(map[string]any); sch["type"] != "noExpiration" {
		t.Fatalf("enum output not camelCase: %v", sch)
	}
	st, _, m = e.raw("POST", em+"/assignmentRequests", e.srv.Token(), []byte("not gzip"), map[string]string{"Content-Encoding": "gzip"})
	if st != 400 {
		t.Fatalf("broken gzip: %d %v", st, m)
	}
	st, _, _ = e.raw("POST", em+"/assignmentRequests", e.srv.Token(), []byte("{}"), map[string]string{"Content-Encoding": "br"})
	if st != 415 {
		t.Fatalf("unknown encoding: %d", st)
	}
	// Paths, enum literals and property paths match case-insensitively.
	st, _, m = e.raw("GET", "/V1.0/IdentityGovernance/EntitlementManagement/Assignments?$expand=Target&$filter=TARGET/OBJECTID eq '"+alice+"' and State eq 'DELIVERED' and accessPackage/Id eq '"+strings.ToUpper(pkgA)+"'", e.srv.Token(), nil, nil)
	v, _ := m["value"].([]any)
	if st != 200 || len(v) != 1 || v[0].(map[string]any)["target"] == nil {
		t.Fatalf("case-insensitive filter: %d %v", st, m)
	}
	// %24filter and $filter are the same parameter.
	st, _, m = e.raw("GET", em+"/assignments?%24filter=state%20eq%20'expired'", e.srv.Token(), nil, nil)
	if st != 200 || len(m["value"].([]any)) != 0 {
		t.Fatalf("%%24filter: %d %v", st, m)
	}
}

func TestSelectExpandAndPaging(t *testing.T) {
	e := newEnv(t, emulator.Options{PageSize: 3})
	users := []string{alice, bob, carol, approver}
	for _, u := range users {
		e.submitAndSettle(addDirect(u))
	}
	st, _, m := e.raw("GET", em+"/assignmentRequests?$select=state&$expand=assignment($expand=target($select=objectId);$select=state),accessPackage", e.srv.Token(), nil, nil)
	v := m["value"].([]any)
	first := v[0].(map[string]any)
	asg := first["assignment"].(map[string]any)
	tgt := asg["target"].(map[string]any)
	if st != 200 || first["requestType"] != nil || first["state"] == nil || first["id"] == nil || asg["schedule"] != nil || asg["state"] == nil || tgt["objectId"] == nil || tgt["email"] != nil || first["accessPackage"] == nil {
		t.Fatalf("$select/$expand: %d %s", st, toJSON(first))
	}
	next, _ := m["@odata.nextLink"].(string)
	if len(v) != 3 || !strings.HasPrefix(next, e.hs.URL+"/v1.0/") || !strings.Contains(next, "$skiptoken=") {
		t.Fatalf("first page of 3: %d items, nextLink %q", len(v), next)
	}
	req, _ := http.NewRequest("GET", next, nil)
	req.Header.Set("Authorization", "Bearer "+e.srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p2 map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&p2)
	resp.Body.Close()
	if len(p2["value"].([]any)) != 1 || p2["@odata.nextLink"] != nil || p2["value"].([]any)[0].(map[string]any)["accessPackage"] == nil {
		t.Fatalf("second page keeps the query and ends: %v", p2)
	}
	// $top sets the page size; the SDK client follows nextLinks to the end.
	st, _, m = e.raw("GET", em+"/assignments?$top=1&$count=true", e.srv.Token(), nil, nil)
	if st != 200 || len(m["value"].([]any)) != 1 || m["@odata.count"] != float64(4) || m["@odata.nextLink"] == nil {
		t.Fatalf("$top=1&$count=true: %v", m)
	}
	all, err := e.c.ListAssignments(ctx(t), graph.AssignmentFilter{AccessPackageID: pkgA})
	if err != nil || len(all) != 4 {
		t.Fatalf("ListAssignments over pages of 3: %d, %v", len(all), err)
	}
	if n := e.srv.Count("GET /assignments"); n != 1+2 {
		t.Fatalf("GET /assignments calls: %d, want 3 (one raw, two pages)", n)
	}
	// Seeding collections list, get and expand like the others.
	st, _, m = e.raw("GET", em+"/assignmentPolicies/"+polAsk+"?$expand=questions", e.srv.Token(), nil, nil)
	if st != 200 || len(m["questions"].([]any)) != 2 || m["allowedTargetScope"] != "allMemberUsers" {
		t.Fatalf("policy with questions: %d %v", st, m)
	}
	st, _, m = e.raw("GET", em+"/accessPackages?$filter=displayName eq 'Package B'&$expand=assignmentPolicies", e.srv.Token(), nil, nil)
	if st != 200 || len(m["value"].([]any)) != 1 || len(m["value"].([]any)[0].(map[string]any)["assignmentPolicies"].([]any)) != 2 {
		t.Fatalf("packages: %d %v", st, m)
	}
}

func TestSeedingThroughGraphCalls(t *testing.T) {
	e := newEnv(t, emulator.Options{Fixture: &emulator.Fixture{}})
	tok := e.srv.Token()
	st, _, u := e.raw("POST", "/v1.0/users", tok, map[string]any{"displayName": "Dana", "userPrincipalName": "dana@x.test", "mail": "dana@x.test"}, nil)
	if st != 201 || u["id"] == nil {
		t.Fatalf("user: %d %v", st, u)
	}
	if st, _, _ = e.raw("POST", "/v1.0/users", tok, map[string]any{"displayName": "Dup", "userPrincipalName": "DANA@x.test"}, nil); st != 400 {
		t.Fatalf("duplicate UPN: %d", st)
	}
	st, _, c := e.raw("POST", em+"/catalogs", tok, map[string]any{"displayName": "Cat", "state": "Published"}, nil)
	if st != 201 || c["state"] != "published" || c["catalogType"] != "userManaged" {
		t.Fatalf("catalog: %d %v", st, c)
	}
	st, _, p := e.raw("POST", em+"/accessPackages", tok, map[string]any{"displayName": "Pkg", "catalog": map[string]any{"id": c["id"]}}, nil)
	if st != 201 {
		t.Fatalf("package: %d %v", st, p)
	}
	st, _, pol := e.raw("POST", em+"/assignmentPolicies", tok, map[string]any{"displayName": "Pol", "accessPackage": map[string]any{"id": p["id"]},
		"expiration": map[string]any{"type": "afterDuration", "duration": "P90D"},
		"questions":  []any{map[string]any{"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "text": "Why?", "isRequired": true}}}, nil)
	if st != 201 || pol["id"] == nil {
		t.Fatalf("policy: %d %v", st, pol)
	}
	if st, _, _ = e.raw("POST", em+"/assignmentPolicies", tok, map[string]any{"accessPackage": map[string]any{"id": "99999999-9999-4999-8999-999999999999"}}, nil); st != 404 {
		t.Fatalf("policy of an unknown package: %d", st)
	}
	// The required question of the new policy is enforced; the policy's P90D
	// expiration applies when the request has none.
	in := graph.AddInput{AccessPackageID: p["id"].(string), PolicyID: pol["id"].(string), TargetObjectID: u["id"].(string)}
	if _, err := e.c.SubmitAdd(ctx(t), in); !graph.HasCode(err, "InvalidRequest") {
		t.Fatalf("unanswered question: %v", err)
	}
	st, _, full := e.raw("GET", em+"/assignmentPolicies/"+pol["id"].(string)+"?$expand=questions", tok, nil, nil)
	qid := full["questions"].([]any)[0].(map[string]any)["id"].(string)
	in.Answers = []graph.Answer{{QuestionID: qid, Value: "because"}}
	r := e.submitAndSettle(in)
	if st != 200 || r.State != "delivered" || !r.Assignment.Schedule.End.Equal(r.Assignment.Schedule.Start.AddDate(0, 0, 90)) {
		t.Fatalf("policy default expiration: %+v", r.Assignment.Schedule)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.submitAndSettle(addDirect(alice))

	// 429 with Retry-After on a read: the client waits and retries.
	must(t, e.srv.SetFaults([]emulator.Fault{{Route: "GET /assignments/{id}", Status: 429, RetryAfter: 1, Count: 1}}))
	e.srv.ResetMetrics()
	t0 := time.Now()
	if _, err := e.c.GetAssignment(ctx(t), r.Assignment.ID); err != nil {
		t.Fatal(err)
	}
	m := e.srv.Metrics()["GET /assignments/{id}"]
	if m.Requests != 2 || m.Throttled != 1 || time.Since(t0) < time.Second {
		t.Fatalf("throttled read: %+v after %v", m, time.Since(t0))
	}

	// 503 on a POST: ambiguous, so the client does not re-send it.
	must(t, e.srv.SetFaults([]emulator.Fault{{Route: "POST /assignmentRequests", Status: 503, Count: 1}}))
	e.srv.ResetMetrics()
	_, err := e.c.SubmitAdd(ctx(t), addDirect(bob))
	if ge := graphErr(t, err); ge.Status != 503 || !graph.IsAmbiguous(err) || e.srv.Count("POST /assignmentRequests") != 1 {
		t.Fatalf("503 on POST: %v, %d calls", err, e.srv.Count("POST /assignmentRequests"))
	}
	// 429 on a POST: Graph did nothing, so the client re-sends.
	must(t, e.srv.SetFaults([]emulator.Fault{{Route: "POST /assignmentRequests", Status: 429, Count: 1}}))
	e.srv.ResetMetrics()
	if _, err := e.c.SubmitAdd(ctx(t), addDirect(bob)); err != nil || e.srv.Count("POST /assignmentRequests") != 2 {
		t.Fatalf("429 on POST: %v, %d calls", err, e.srv.Count("POST /assignmentRequests"))
	}

	// A response dropped after commit: the caller sees no answer, Graph has the request.
	must(t, e.srv.SetFaults([]emulator.Fault{{Route: "POST /assignmentRequests", DropResponse: true, Count: 1}}))
	before := len(e.srv.Requests())
	_, err = e.c.SubmitAdd(ctx(t), addDirect(carol))
	if ge := graphErr(t, err); ge.Status != 0 || !graph.IsAmbiguous(err) {
		t.Fatalf("dropped response: %v", err)
	}
	if after := e.srv.Requests(); len(after) != before+1 || after[len(after)-1].TargetObjectID != carol {
		t.Fatalf("dropped response did not commit: %d -> %d", before, len(after))
	}
	if m := e.srv.Metrics()["POST /assignmentRequests"]; m.Dropped != 1 {
		t.Fatalf("dropped not counted: %+v", m)
	}

	// Latency, probability and a path pattern.
	must(t, e.srv.SetFaults([]emulator.Fault{{Path: "/assignments$", Latency: emulator.Duration{D: 200 * time.Millisecond}}}))
	t0 = time.Now()
	if _, err := e.c.ListAssignments(ctx(t), graph.AssignmentFilter{}); err != nil || time.Since(t0) < 200*time.Millisecond {
		t.Fatalf("latency: %v after %v", err, time.Since(t0))
	}
	must(t, e.srv.SetFaults([]emulator.Fault{{Route: "GET /assignments", Status: 504, Probability: 0.5}}))
	fired := 0
	for i := 0; i < 40; i++ {
		st, _, _ := e.raw("GET", em+"/assignments", e.srv.Token(), nil, nil)
		if st == 504 {
			fired++
		}
	}
	if fired < 8 || fired > 32 {
		t.Fatalf("probability 0.5 fired %d times in 40", fired)
	}
	must(t, e.srv.SetFaults(nil))

	// Eventual consistency: a new request is invisible for a while.
	e.srv.SetConsistencyLag(2 * time.Second)
	nr, err := e.c.SubmitAdd(ctx(t), addDirect(approver))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetRequest(ctx(t), nr.ID); !graph.IsNotFound(err) {
		t.Fatalf("request visible at once despite the lag: %v", err)
	}
	if got := e.settle(nr.ID); got.State != "delivered" {
		t.Fatalf("after the lag: %+v", got)
	}
}

func TestControlsOverHTTP(t *testing.T) {
	e := newEnv(t, emulator.Options{DeliveryDelay: time.Hour})
	post := func(path string, body any) int {
		req, _ := http.NewRequest("POST", e.hs.URL+"/_emulator/"+path, strings.NewReader(toJSON(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	r, err := e.c.SubmitAdd(ctx(t), addDirect(alice))
	must(t, err)
	if st := post("settings", map[string]any{"deliveryDelay": "0s"}); st != 204 {
		t.Fatalf("settings: %d", st)
	}
	if st := post("clock", map[string]any{"advance": "PT2H"}); st != 200 {
		t.Fatalf("clock: %d", st)
	}
	if got := e.settle(r.ID); got.State != "delivered" {
		t.Fatalf("after advancing the clock past the old delay: %+v", got)
	}
	if st := post("faults", []map[string]any{{"route": "GET /assignments", "status": 429, "retryAfter": 7, "count": 1}}); st != 200 {
		t.Fatalf("faults: %d", st)
	}
	st, h, _ := e.raw("GET", em+"/assignments", e.srv.Token(), nil, nil)
	if st != 429 || h.Get("Retry-After") != "7" {
		t.Fatalf("injected 429: %d %v", st, h)
	}
	if st := post("faults", []map[string]any{{"status": 200}}); st != 400 {
		t.Fatalf("a non-error fault status was accepted: %d", st)
	}
	if st := post("behaviours", []map[string]any{{"targetObjectId": bob, "delivery": "deliveryFailed", "times": 1}}); st != 204 {
		t.Fatalf("behaviours: %d", st)
	}
	if got := e.submitAndSettle(addDirect(bob)); got.State != "deliveryFailed" {
		t.Fatalf("behaviour over HTTP: %+v", got)
	}
	if st := post("tokens", map[string]any{"token": "t2", "kind": "delegated", "objectId": carol, "roles": []string{"Global Reader"}}); st != 204 {
		t.Fatalf("tokens: %d", st)
	}
	if st, _, _ := e.raw("GET", em+"/assignments", "t2", nil, nil); st != 200 {
		t.Fatalf("new token refused: %d", st)
	}
	resp, err := http.Get(e.hs.URL + "/_emulator/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics map[string]emulator.RouteMetrics
	must(t, json.NewDecoder(resp.Body).Decode(&metrics))
	resp.Body.Close()
	if metrics["GET /assignments"].Throttled != 1 || metrics["POST /assignmentRequests"].Requests != 2 {
		t.Fatalf("metrics: %v", metrics)
	}
	if st := post("reset", nil); st != 204 {
		t.Fatalf("reset: %d", st)
	}
	if len(e.srv.Requests()) != 0 || len(e.srv.Metrics()) != 0 {
		t.Fatal("reset left state behind")
	}
	if st := post("nothing", nil); st != 404 {
		t.Fatalf("unknown control: %d", st)
	}
}

// BenchmarkScale measures get and filtered list against stores of growing
// size; the figures should stay flat (run: make bench-emulator).
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		srv := emulator.MustNew(emulator.Options{Fixture: scaleFixture(n)})
		views := srv.Assignments()
		if len(views) != n {
			b.Fatalf("seeded %d of %d", len(views), n)
		}
		target := views[n/2]
		hs := newBenchServer(b, srv)
		b.Run(fmt.Sprintf("get/n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, hs, srv.Token(), em+"/assignments/"+target.ID+"?$expand=target")
			}
		})
		b.Run(fmt.Sprintf("list-by-target/n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, hs, srv.Token(), em+"/assignments?$expand=target&$filter=target/objectId eq '"+target.TargetObjectID+"' and accessPackage/id eq '"+pkgA+"'")
			}
		})
		b.Run(fmt.Sprintf("list-page/n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, hs, srv.Token(), em+"/assignments?$top=100&$expand=target")
			}
		})
	}
}

// The controls that name an object in their path, and the mux's answers to
// a wrong method and an oversized body.
func TestControlsWithPathValues(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	do := func(method, path, body string) int {
		req, err := http.NewRequest(method, e.hs.URL+"/_emulator/"+path, strings.NewReader(body))
		must(t, err)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	asg := e.submitAndSettle(addDirect(alice)).Assignment.ID
	if st := do("POST", "assignments/"+asg+"/expire", ""); st != 204 {
		t.Fatalf("expire: %d", st)
	}
	if a, ok := e.srv.Assignment(asg); !ok || a.State != "expired" {
		t.Fatalf("after expire: %+v", a)
	}
	if st := do("POST", "assignments/00000000-0000-4000-8000-000000000000/expire", ""); st != 404 {
		t.Fatalf("expire of an unknown assignment: %d", st)
	}
	if st := do("POST", "requests/00000000-0000-4000-8000-000000000000/approve", ""); st != 400 {
		t.Fatalf("approve of an unknown request: %d", st)
	}
	if st := do("GET", "behaviours", ""); st != 405 {
		t.Fatalf("GET behaviours: %d, want 405", st)
	}
	if st := do("POST", "faults", "["+strings.Repeat(" ", 2<<20)+"]"); st != 413 {
		t.Fatalf("a 2 MiB control body: %d, want 413", st)
	}
}

// Over the throttle's rate Graph answers 429 with Retry-After and does
// nothing; the control sets and clears the limit.
func TestThrottle(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	const path = "/v1.0/identityGovernance/entitlementManagement/assignments"
	if st, _, _ := e.raw("POST", "/_emulator/throttle", "", map[string]any{"rate": 0.001, "burst": 2, "retryAfter": 7}, nil); st != 204 && st != 200 {
		t.Fatalf("setting the throttle: %d", st)
	}
	for i := 0; i < 2; i++ {
		if st, _, body := e.raw("GET", path, e.srv.Token(), nil, nil); st != 200 {
			t.Fatalf("request %d within the burst: %d %v", i, st, body)
		}
	}
	st, hdr, body := e.raw("GET", path, e.srv.Token(), nil, nil)
	if st != 429 || hdr.Get("Retry-After") != "7" || !strings.Contains(fmt.Sprint(body), "TooManyRequests") {
		t.Fatalf("over the limit: %d, Retry-After %q, %v", st, hdr.Get("Retry-After"), body)
	}
	if st, _, _ := e.raw("POST", "/_emulator/throttle", "", map[string]any{"rate": 0}, nil); st != 400 {
		t.Fatalf("a zero rate was accepted: %d", st)
	}
	if st, _, _ := e.raw("DELETE", "/_emulator/throttle", "", nil, nil); st != 204 && st != 200 {
		t.Fatalf("clearing the throttle: %d", st)
	}
	if st, _, _ := e.raw("GET", path, e.srv.Token(), nil, nil); st != 200 {
		t.Fatalf("after clearing: %d", st)
	}
}
