package emulator_test

import (
	"strings"
	"testing"

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
