package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTransport answers from a script and records what it was sent.
type fakeTransport struct {
	mu      sync.Mutex
	answers []func(*http.Request) (*http.Response, error)
	seen    []*http.Request
}

func (f *fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, r)
	i := len(f.seen) - 1
	if i >= len(f.answers) {
		i = len(f.answers) - 1
	}
	return f.answers[i](r)
}

func (f *fakeTransport) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func answer(status int, body string, hdr ...string) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Set(hdr[i], hdr[i+1])
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	}
}

func graphError(status int, code string) func(*http.Request) (*http.Response, error) {
	return answer(status, fmt.Sprintf(`{"error":{"code":%q,"message":"m","innerError":{"request-id":"rid-1","client-request-id":"cid-1"}}}`, code), "request-id", "rid-1")
}

func reset() func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) { return nil, errors.New("connection reset by peer") }
}

const assignmentJSON = `{"id":"a1","state":"delivered","status":"Delivered","target":{"objectId":"u1"},"accessPackage":{"id":"p1"},"assignmentPolicy":{"id":"q1"}}`
const requestJSON = `{"id":"r1","requestType":"adminAdd","state":"submitted","status":"Accepted"}`

func testClient(t *testing.T, ft *fakeTransport) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: "https://graph.microsoft.com/v1.0", StaticToken: "tok", Transport: ft,
		Retry: RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxAttempts: 4}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"10": 10 * time.Second, "1.5": 1500 * time.Millisecond, "0": 0, "": 0, "soon": 0, "-3": 0,
		"Thu, 01 Jan 2026 00:00:30 GMT": 30 * time.Second, "Wed, 31 Dec 2025 23:59:00 GMT": 0,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestReadsRetryThrottlingAndFaults(t *testing.T) {
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){
		graphError(429, "TooManyRequests"), graphError(503, "serviceNotAvailable"), reset(), answer(200, assignmentJSON)}}
	a, err := testClient(t, ft).GetAssignment(context.Background(), "a1")
	if err != nil || a.ID != "a1" || a.Target.ObjectID != "u1" || a.AccessPackageID != "p1" || a.PolicyID != "q1" {
		t.Fatalf("GetAssignment = %+v, %v", a, err)
	}
	if ft.calls() != 4 {
		t.Fatalf("%d calls, want 4", ft.calls())
	}
	if got := ft.seen[0].Header.Get("Authorization"); got != "Bearer tok" {
		t.Fatalf("Authorization %q", got)
	}
	if !strings.Contains(ft.seen[0].URL.RawQuery, "expand") || ft.seen[0].URL.Path != "/v1.0/identityGovernance/entitlementManagement/assignments/a1" {
		t.Fatalf("URL %s", ft.seen[0].URL)
	}
}

func TestPostIsNeverResentBlindly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  func(*http.Request) (*http.Response, error)
		status int
	}{{"503", graphError(503, "serviceNotAvailable"), 503}, {"504", graphError(504, "GatewayTimeout"), 504}, {"reset", reset(), 0}} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){tc.first, answer(201, requestJSON)}}
			_, err := testClient(t, ft).SubmitAdd(context.Background(), AddInput{AccessPackageID: "p", PolicyID: "q", TargetObjectID: "u"})
			var ge *Error
			if !errors.As(err, &ge) || ge.Status != tc.status || !IsAmbiguous(err) || ft.calls() != 1 {
				t.Fatalf("err %v (%T), %d calls", err, err, ft.calls())
			}
		})
	}
	// A 429 means Graph refused without acting: the POST is sent again.
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){graphError(429, "TooManyRequests"), answer(201, requestJSON)}}
	r, err := testClient(t, ft).SubmitAdd(context.Background(), AddInput{AccessPackageID: "p", PolicyID: "q", TargetObjectID: "u"})
	if err != nil || r.ID != "r1" || ft.calls() != 2 {
		t.Fatalf("after 429: %+v %v, %d calls", r, err, ft.calls())
	}
	// A 400 is final.
	ft = &fakeTransport{answers: []func(*http.Request) (*http.Response, error){graphError(400, "ExistingOpenRequest")}}
	_, err = testClient(t, ft).SubmitAdd(context.Background(), AddInput{AccessPackageID: "p", PolicyID: "q", TargetObjectID: "u"})
	if !HasCode(err, "ExistingOpenRequest") || IsAmbiguous(err) || ft.calls() != 1 {
		t.Fatalf("400: %v, %d calls", err, ft.calls())
	}
}

func TestRetriesAreBoundedByTheDeadline(t *testing.T) {
	// Retry-After longer than what is left: give up at once with the throttling error.
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){answer(429, `{"error":{"code":"TooManyRequests","message":"later"}}`, "Retry-After", "300", "request-id", "rid-9")}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := testClient(t, ft).GetAssignment(ctx, "a1")
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 429 || ge.RetryAfter != 300*time.Second || ft.calls() != 1 || time.Since(start) > time.Second {
		t.Fatalf("err %v, %d calls in %v", err, ft.calls(), time.Since(start))
	}
	if !strings.Contains(err.Error(), "TooManyRequests") || !strings.Contains(err.Error(), "request-id rid-9") {
		t.Fatalf("error text %q", err)
	}
	// Without a deadline, MaxAttempts caps the attempts, and the error counts them.
	ft = &fakeTransport{answers: []func(*http.Request) (*http.Response, error){graphError(503, "serviceNotAvailable")}}
	_, err = testClient(t, ft).GetAssignment(context.Background(), "a1")
	if ft.calls() != 4 || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("%d calls: %v", ft.calls(), err)
	}
}

func TestErrorClassification(t *testing.T) {
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){graphError(404, "ResourceNotFound")}}
	_, err := testClient(t, ft).GetRequest(context.Background(), "r1")
	var ge *Error
	if !errors.As(err, &ge) || !IsNotFound(err) || ge.Code != "ResourceNotFound" || ge.RequestID != "rid-1" || ge.ClientRequestID != "cid-1" {
		t.Fatalf("%+v", ge)
	}
	// A 4xx with no body is still classified by status.
	ft = &fakeTransport{answers: []func(*http.Request) (*http.Response, error){answer(404, "")}}
	_, err = testClient(t, ft).GetRequest(context.Background(), "r1")
	if !IsNotFound(err) {
		t.Fatalf("empty 404: %v", err)
	}
}

func TestTokenGoesOnlyToTheGraphHost(t *testing.T) {
	// A nextLink that leaves the configured Graph — another host, another
	// port of the same host, another scheme, another version — is not
	// followed: the listing fails and says where the link led, and nothing
	// (no token) is sent there.
	for _, link := range []string{
		"https://evil.example.com/v1.0/identityGovernance/entitlementManagement/assignments?$skiptoken=x",
		"https://graph.microsoft.com:8443/v1.0/identityGovernance/entitlementManagement/assignments?$skiptoken=x",
		"http://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/assignments?$skiptoken=x",
		"https://graph.microsoft.com/beta/identityGovernance/entitlementManagement/assignments?$skiptoken=x",
		"/v1.0/identityGovernance/entitlementManagement/assignments?$skiptoken=x",
	} {
		ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){
			answer(200, `{"value":[`+assignmentJSON+`],"@odata.nextLink":"`+link+`"}`),
			answer(200, `{"value":[]}`)}}
		_, err := testClient(t, ft).ListAssignments(context.Background(), AssignmentFilter{AccessPackageID: "p1"})
		if err == nil || !strings.Contains(err.Error(), "nextLink") || ft.calls() != 1 {
			t.Fatalf("%s: %v after %d calls", link, err, ft.calls())
		}
		if ft.seen[0].Header.Get("Authorization") == "" {
			t.Fatal("the Graph host got no token")
		}
		if q := ft.seen[0].URL.Query().Get("$filter"); q != "accessPackage/id eq 'p1'" {
			t.Fatalf("$filter %q", q)
		}
	}
	// The token providers themselves compare scheme, host and port.
	c := testClient(t, &fakeTransport{})
	for raw, want := range map[string]bool{
		"https://graph.microsoft.com/v1.0/x": true, "https://GRAPH.microsoft.com:443/v1.0/x": true,
		"https://graph.microsoft.com:8443/v1.0/x": false, "http://graph.microsoft.com/v1.0/x": false, "https://other.example.com/v1.0/x": false,
	} {
		u, _ := url.Parse(raw)
		tok, err := c.tokens.GetAuthorizationToken(context.Background(), u, nil)
		if err != nil || (tok != "") != want {
			t.Errorf("%s: token %q, %v", raw, tok, err)
		}
	}
}

// A nextLink that leads back to a page already read ends the listing with
// an error at once, instead of being followed for ever.
func TestPagingThatDoesNotAdvance(t *testing.T) {
	self := "https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/assignments?$skiptoken=same"
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){
		answer(200, `{"value":[`+assignmentJSON+`],"@odata.nextLink":"`+self+`"}`)}}
	_, err := testClient(t, ft).ListAssignments(context.Background(), AssignmentFilter{AccessPackageID: "p1"})
	if err == nil || !strings.Contains(err.Error(), "already read") || ft.calls() != 2 {
		t.Fatalf("%v after %d calls", err, ft.calls())
	}
	// A listing longer than its bound stops there, and says it is partial.
	n := 0
	ft = &fakeTransport{answers: []func(*http.Request) (*http.Response, error){func(r *http.Request) (*http.Response, error) {
		n++
		return answer(200, fmt.Sprintf(`{"value":[%s],"@odata.nextLink":"https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/assignments?$skiptoken=%d"}`, assignmentJSON, n))(r)
	}}}
	list, complete, err := testClient(t, ft).ListAssignmentsWithin(context.Background(), AssignmentFilter{AccessPackageID: "p1"}, 3)
	if err != nil || complete || len(list) != 3 || ft.calls() != 3 {
		t.Fatalf("%d items, complete %v, %v, %d calls", len(list), complete, err, ft.calls())
	}
}

func TestNewRejectsUnsafeConfigurations(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "http://graph.example.com/v1.0", StaticToken: "t"},
		{BaseURL: "graph.microsoft.com", StaticToken: "t"},
		{BaseURL: "https://graph.microsoft.com/v1.0"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	for _, host := range []string{"127.0.0.1", "localhost", "[::1]", "127.0.0.2"} {
		if _, err := New(Config{BaseURL: "http://" + host + ":8787/v1.0", StaticToken: "t"}); err != nil {
			t.Errorf("loopback %s refused: %v", host, err)
		}
	}
}

// A 429 with Retry-After holds back every call of the client, not only the
// one throttled: Graph throttles the application in the tenant, so the
// other calls would be refused too. No request reaches Graph until the time
// it named.
func TestThrottlingHoldsEveryCall(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	var throttledAt time.Time
	throttled := make(chan struct{})
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){
		func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			throttledAt = time.Now()
			times = append(times, throttledAt)
			mu.Unlock()
			resp, err := answer(429, `{"error":{"code":"TooManyRequests","message":"slow down"}}`, "Retry-After", "1")(r)
			close(throttled)
			return resp, err
		},
		func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
			return answer(200, assignmentJSON)(r)
		},
	}}
	c := testClient(t, ft)
	ctx := context.Background()
	var wg sync.WaitGroup
	get := func() {
		defer wg.Done()
		if _, err := c.GetAssignment(ctx, "a1"); err != nil {
			t.Error(err)
		}
	}
	wg.Add(1)
	go get() // throttled once, then answered
	<-throttled
	// The transport answered; wait until the client has read the 429 (the
	// gate closes), so the next calls surely start after it.
	for deadline := time.Now().Add(5 * time.Second); time.Until(c.gate.notBeforeTime()) <= 0; {
		if time.Now().After(deadline) {
			t.Fatal("the client never closed its gate after the 429")
		}
		time.Sleep(time.Millisecond)
	}
	// Three more calls start while the first one waits out its Retry-After.
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go get()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 5 {
		t.Fatalf("%d requests, want 5 (one throttled, four answered)", len(times))
	}
	for i, at := range times[1:] {
		if at.Before(throttledAt.Add(time.Second)) {
			t.Errorf("request %d reached Graph %s after the 429, before its Retry-After of 1s", i+2, at.Sub(throttledAt))
		}
	}
}
