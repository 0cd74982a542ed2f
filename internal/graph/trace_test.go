package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMaskSecrets(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0MTIzNCJ9.c2lnbmF0dXJlMTIz"
	for _, tc := range []struct{ in, secret string }{
		{`{"access_token":"at-123","token_type":"Bearer"}`, "at-123"},
		{`{"refresh_token": "rt-9"}`, "rt-9"},
		{`{"clientSecret":"cs-1"}`, "cs-1"},
		{`{"password":"p\"w-1"}`, `p\"w-1`},
		{`grant_type=client_credentials&client_secret=cs-2&scope=x`, "cs-2"},
		{`client_assertion=` + jwt + `&client_assertion_type=urn`, jwt},
		{`Bearer opaque-token-77`, "opaque-token-77"},
		{`anything ` + jwt, jwt},
	} {
		got := MaskSecrets(tc.in)
		if strings.Contains(got, tc.secret) || !strings.Contains(got, masked) {
			t.Errorf("MaskSecrets(%q) = %q: the secret %q is not masked", tc.in, got, tc.secret)
		}
	}
	// What is not a secret stays readable.
	plain := `{"id":"a1","state":"delivered","requestType":"adminAdd"}`
	if got := MaskSecrets(plain); got != plain {
		t.Errorf("MaskSecrets(%q) = %q", plain, got)
	}
}

type logLine struct {
	msg    string
	fields map[string]any
}

type logSink struct {
	mu    sync.Mutex
	lines []logLine
}

func (s *logSink) log(_ context.Context, msg string, f map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, logLine{msg, f})
}

// One DEBUG line per exchange, the attempts of one call numbered, with the
// request-id Graph answered and the client-request-id the SDK sent; the
// TRACE line carries both bodies and the headers with the token masked.
func TestTraceOneLinePerCall(t *testing.T) {
	const token = "static-token-never-logged"
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){
		graphError(503, "serviceNotAvailable"),
		answer(200, `{"id":"a1","state":"delivered","target":{"objectId":"u1"},"note":{"access_token":"leaked-at"}}`, "request-id", "rid-2")}}
	debug, trace := &logSink{}, &logSink{}
	c, err := New(Config{BaseURL: "https://graph.microsoft.com/v1.0", StaticToken: token, Transport: ft,
		Retry: RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxAttempts: 4},
		Trace: Tracer{Debug: debug.log, Trace: trace.log, Bodies: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAssignment(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	if len(debug.lines) != 2 || len(trace.lines) != 2 {
		t.Fatalf("%d debug and %d trace lines for 2 exchanges", len(debug.lines), len(trace.lines))
	}
	for i, want := range []struct {
		status  int
		attempt int
		rid     string
	}{{503, 1, "rid-1"}, {200, 2, "rid-2"}} {
		f := debug.lines[i].fields
		if f["graph_method"] != "GET" || f["graph_path"] != "/v1.0/identityGovernance/entitlementManagement/assignments/a1" ||
			!strings.Contains(f["graph_query"].(string), "expand") || f["graph_status"] != want.status || f["graph_attempt"] != want.attempt ||
			f["graph_request_id"] != want.rid || f["graph_client_request_id"] == "" || f["graph_operation"] != "read assignment a1" {
			t.Errorf("debug line %d: %v", i, f)
		}
		if _, ok := f["graph_duration_ms"].(int64); !ok {
			t.Errorf("debug line %d has no duration: %v", i, f)
		}
	}
	tf := trace.lines[1].fields
	all := ""
	for _, l := range append(debug.lines, trace.lines...) {
		for _, v := range l.fields {
			if s, ok := v.(string); ok {
				all += s + "\n"
			}
		}
	}
	if strings.Contains(all, token) || strings.Contains(all, "leaked-at") {
		t.Fatalf("a secret reached the log:\n%s", all)
	}
	if !strings.Contains(tf["graph_request_headers"].(string), "Authorization: Bearer ***") ||
		!strings.Contains(tf["graph_response_body"].(string), `"state":"delivered"`) {
		t.Errorf("trace line: %v", tf)
	}
}

// A gzipped body (kiota compresses what it sends) is logged decompressed,
// then masked.
func TestTraceReadableGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"requestType":"adminAdd","client_secret":"zs-1"}`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got := MaskSecrets(readable(buf.Bytes(), http.Header{"Content-Encoding": {"gzip"}}))
	if !strings.Contains(got, `"requestType":"adminAdd"`) || strings.Contains(got, "zs-1") {
		t.Fatalf("readable(gzip) = %q", got)
	}
	if got := readable([]byte("not gzip"), http.Header{"Content-Encoding": {"gzip"}}); !strings.Contains(got, "does not decompress") {
		t.Fatalf("readable(bad gzip) = %q", got)
	}
}
