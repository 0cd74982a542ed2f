package emulator_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The emulator as a server others use: bounded query options (refused
// before the store's lock is taken), 413 for an oversized body, and links
// that never reflect an arbitrary Host header.
func TestServerHardening(t *testing.T) {
	e := newEnv(t, emulator.Options{PageSize: 1})
	e.submitAndSettle(addDirect(alice))
	e.submitAndSettle(addDirect(bob))
	deep := "assignment(" + strings.Repeat("$expand=assignment(", 6) + strings.Repeat(")", 7)
	for _, q := range []string{"?$expand=" + deep, "?$filter=" + strings.Repeat("id eq 'x' and ", 400) + "id eq 'x'"} {
		if st, _, m := e.raw("GET", em+"/assignmentRequests"+q, e.srv.Token(), nil, nil); st != 400 {
			t.Errorf("%.60s…: %d %v", q, st, m)
		}
	}
	big := map[string]any{"requestType": "adminAdd", "justification": strings.Repeat("x", 17<<20)}
	if st, _, m := e.raw("POST", em+"/assignmentRequests", e.srv.Token(), big, nil); st != 413 {
		t.Errorf("a 17 MiB body: %d %v", st, m)
	}
	st, _, m := e.raw("GET", em+"/assignments", e.srv.Token(), nil, map[string]string{"Host": "attacker.example.com"})
	if st != 200 {
		t.Fatalf("%d %v", st, m)
	}
	for _, k := range []string{"@odata.context", "@odata.nextLink"} {
		if v, _ := m[k].(string); v == "" || strings.Contains(v, "attacker") || !strings.HasPrefix(v, e.hs.URL) {
			t.Errorf("%s = %q, want a link on %s", k, v, e.hs.URL)
		}
	}
}

// Entra's discovery documents carry the emulator's own root, never the Host
// header a caller sends.
func TestDiscoveryDoesNotReflectTheHost(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, path := range []string{"/" + e.srv.TenantID() + "/v2.0/.well-known/openid-configuration",
		"/common/discovery/instance?authorization_endpoint=https://login.example/" + e.srv.TenantID() + "/oauth2/v2.0/authorize"} {
		st, _, m := e.raw("GET", path, "", nil, map[string]string{"Host": "attacker.example.com"})
		if st != 200 {
			t.Fatalf("%s: %d %v", path, st, m)
		}
		if b := fmt.Sprint(m); strings.Contains(b, "attacker") || !strings.Contains(b, strings.TrimPrefix(e.hs.URL, "http://")) {
			t.Errorf("%s reflects the Host header: %v", path, m)
		}
	}
}

// The controls' values are bounded and checked: no negative delay, no clock
// moving back or beyond the calendar, no page size of 0, no latency range
// upside down.
func TestControlValuesAreBounded(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, tc := range []struct {
		path string
		body any
	}{
		{"/_emulator/clock", map[string]any{"advance": "-P1D"}},
		{"/_emulator/clock", map[string]any{"advance": "PT0S"}},
		{"/_emulator/clock", map[string]any{"advance": "P365000D"}},
		{"/_emulator/clock", map[string]any{"set": "2000-01-01T00:00:00Z"}},
		{"/_emulator/clock", map[string]any{"set": "9999-12-31T00:00:00Z"}},
		{"/_emulator/clock", map[string]any{"advance": "P1D", "set": "2099-01-01T00:00:00Z"}},
		{"/_emulator/settings", map[string]any{"consistencyLag": "-1s"}},
		{"/_emulator/settings", map[string]any{"consistencyLag": "2h"}},
		{"/_emulator/settings", map[string]any{"deliveryDelay": "-5s"}},
		{"/_emulator/settings", map[string]any{"processingDelay": "P60D"}},
		{"/_emulator/settings", map[string]any{"pageSize": 0}},
		{"/_emulator/settings", map[string]any{"pageSize": 100000}},
		{"/_emulator/settings", map[string]any{"latency": []string{"2s", "1s"}}},
		{"/_emulator/settings", map[string]any{"latency": []string{"-1s", "1s"}}},
		{"/_emulator/faults", []map[string]any{{"status": 503, "latency": "-1s"}}},
		{"/_emulator/faults", []map[string]any{{"status": 503, "latency": "1h"}}},
		{"/_emulator/faults", []map[string]any{{"status": 429, "retryAfter": -1}}},
		{"/_emulator/faults", []map[string]any{{"status": 503, "count": -2}}},
		{"/_emulator/behaviours", []map[string]any{{"deliveryDelay": "-1s"}}},
		{"/_emulator/behaviours", []map[string]any{{"callback": map[string]any{"after": "-1s"}}}},
		{"/_emulator/throttle", map[string]any{"rate": 5, "retryAfter": -0.5}},
		{"/_emulator/throttle", map[string]any{"rate": 1e9}},
	} {
		st, _, m := e.raw("POST", tc.path, "", tc.body, nil)
		if st != 400 {
			t.Errorf("POST %s %v: %d %v, want 400", tc.path, tc.body, st, m)
			continue
		}
		t.Logf("POST %s %v\n    → %d %v", tc.path, tc.body, st, m["error"])
	}
	before := e.srv.Now()
	if st, _, m := e.raw("POST", "/_emulator/clock", "", map[string]any{"advance": "P15D"}, nil); st != 200 || e.srv.Now().Sub(before) < 15*24*time.Hour {
		t.Fatalf("a valid advance: %d %v", st, m)
	}
	if st, _, m := e.raw("POST", "/_emulator/settings", "", map[string]any{"pageSize": 2, "latency": []string{"0s", "1ms"}, "acceptDuplicates": true}, nil); st != 204 {
		t.Fatalf("valid settings: %d %v", st, m)
	}
}

// The throttle's Retry-After may be a fraction of a second, as in Microsoft's
// throttling sample.
func TestThrottleServesFractionalRetryAfter(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	must(t, e.srv.SetThrottle(&emulator.Throttle{Rate: 0.001, Burst: 1, RetryAfter: 0.25}))
	e.raw("GET", em+"/assignments", e.srv.Token(), nil, nil)
	st, h, _ := e.raw("GET", em+"/assignments", e.srv.Token(), nil, nil)
	if st != 429 || h.Get("Retry-After") != "0.25" {
		t.Fatalf("%d Retry-After %q", st, h.Get("Retry-After"))
	}
}
