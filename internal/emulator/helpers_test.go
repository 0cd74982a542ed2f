package emulator_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// Fixed ids of the test fixture.
const (
	alice     = "11111111-1111-4111-8111-000000000001"
	bob       = "11111111-1111-4111-8111-000000000002"
	carol     = "11111111-1111-4111-8111-000000000003"
	approver  = "11111111-1111-4111-8111-000000000009"
	catalogID = "22222222-2222-4222-8222-000000000001"
	pkgA      = "33333333-3333-4333-8333-00000000000a"
	pkgB      = "33333333-3333-4333-8333-00000000000b"
	polDirect = "44444444-4444-4444-8444-000000000001" // direct assignment on pkgA
	polAsk    = "44444444-4444-4444-8444-000000000002" // self-service with approval and questions on pkgB
	polHook   = "44444444-4444-4444-8444-000000000003" // direct, custom extension at assignmentRequestCreated, on pkgA
	polOtherB = "44444444-4444-4444-8444-000000000004" // direct on pkgB
	qRegion   = "55555555-5555-4555-8555-000000000001"
	qCost     = "55555555-5555-4555-8555-000000000002"
	extID     = "66666666-6666-4666-8666-000000000001"
)

func testFixture() *emulator.Fixture {
	return &emulator.Fixture{
		Users: []map[string]any{
			{"id": alice, "displayName": "Alice", "userPrincipalName": "alice@contoso.test", "mail": "alice@contoso.test"},
			{"id": bob, "displayName": "Bob", "userPrincipalName": "bob@contoso.test", "mail": "bob@contoso.test"},
			{"id": carol, "displayName": "Carol", "userPrincipalName": "carol@contoso.test", "mail": "carol@contoso.test"},
			{"id": approver, "displayName": "Approver", "userPrincipalName": "approver@contoso.test"},
		},
		Catalogs:       []map[string]any{{"id": catalogID, "displayName": "Test catalog"}},
		AccessPackages: []map[string]any{{"id": pkgA, "displayName": "Package A", "catalog": map[string]any{"id": catalogID}}, {"id": pkgB, "displayName": "Package B", "catalog": map[string]any{"id": catalogID}}},
		AssignmentPolicies: []map[string]any{
			{"id": polDirect, "displayName": "Direct", "accessPackage": map[string]any{"id": pkgA}, "allowedTargetScope": "notSpecified"},
			{"id": polAsk, "displayName": "Ask", "accessPackage": map[string]any{"id": pkgB}, "allowedTargetScope": "AllMemberUsers",
				"requestorSettings":       map[string]any{"enableTargetsToSelfAddAccess": true, "allowCustomAssignmentSchedule": false},
				"requestApprovalSettings": map[string]any{"isApprovalRequiredForAdd": true, "isRequestorJustificationRequired": true, "stages": []any{map[string]any{"primaryApprovers": []any{map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": approver}}}}},
				"questions": []any{
					map[string]any{"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": qRegion, "text": "Region?", "isRequired": true,
						"choices": []any{map[string]any{"actualValue": "EMEA", "text": "Europe, Middle East and Africa"}, map[string]any{"actualValue": "AMER", "text": "Americas"}}},
					map[string]any{"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": qCost, "text": "Cost centre", "isRequired": false, "regexPattern": "CC-[0-9]{4}"},
				}},
			{"id": polHook, "displayName": "Hooked", "accessPackage": map[string]any{"id": pkgA},
				"customExtensionStageSettings": []any{map[string]any{"stage": "assignmentRequestCreated", "customExtension": map[string]any{"id": extID}}}},
			{"id": polOtherB, "displayName": "Direct B", "accessPackage": map[string]any{"id": pkgB}},
		},
	}
}

type env struct {
	t   *testing.T
	srv *emulator.Server
	hs  *httptest.Server
	c   *graph.Client
}

func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	if opts.Fixture == nil {
		opts.Fixture = testFixture()
	}
	srv, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &env{t: t, srv: srv, hs: hs, c: clientFor(t, hs.URL, srv.Token())}
}

func clientFor(t *testing.T, root, token string) *graph.Client {
	t.Helper()
	c, err := graph.New(graph.Config{BaseURL: root + "/v1.0", StaticToken: token,
		Retry: graph.RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxAttempts: 4}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// raw sends a request and decodes the JSON answer (nil when there is none).
func (e *env) raw(method, path, token string, body any, hdr map[string]string) (int, http.Header, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.hs.URL+strings.ReplaceAll(path, " ", "%20"), rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if strings.EqualFold(k, "Host") {
			req.Host = v // Go sends the Host header from req.Host only
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		// A text answer, such as a $count: kept under "text".
		m = map[string]any{"text": string(data)}
	}
	return resp.StatusCode, resp.Header, m
}

func gz(v any) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	j, _ := json.Marshal(v)
	_, _ = w.Write(j)
	_ = w.Close()
	return buf.Bytes()
}

func addDirect(target string) graph.AddInput {
	return graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: target}
}

func settled(r *graph.Request) bool {
	return r.Terminal() || r.Status == "WaitingForCallback" || r.State == graph.StatePendingApproval || r.State == graph.StateScheduled
}

// submitAndSettle adds and waits until the request stops moving by itself.
func (e *env) submitAndSettle(in graph.AddInput) *graph.Request {
	e.t.Helper()
	r, err := e.c.SubmitAdd(ctx(e.t), in)
	if err != nil {
		e.t.Fatalf("SubmitAdd: %v", err)
	}
	return e.settle(r.ID)
}

func (e *env) settle(id string) *graph.Request {
	e.t.Helper()
	r, err := e.c.WaitForRequest(ctx(e.t), id, graph.PollPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}, settled, nil)
	if err != nil {
		e.t.Fatalf("WaitForRequest %s: %v", id, err)
	}
	return r
}

func graphErr(t *testing.T, err error) *graph.Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected a Graph error, got none")
	}
	return graph.AsError("sdk call", err)
}

// must fails the test on a setup error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
}
