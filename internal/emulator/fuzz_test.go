package emulator

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Fuzz targets for what the emulator parses from callers. Run one with, for
// example: go test -run '^$' -fuzz FuzzFilter ./internal/emulator/

func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"state eq 'delivered'", "accessPackage/id eq 'a914b616-e04e-476b-aa37-91038f0b165b' and target/objectId eq '46184453-e63b-4f20-86c2-c557ed5d5df9'",
		"createdDateTime gt 2022-04-01T00:00:01Z", "(state eq 'Delivered')", "state eq 'it''s'", "state eq null", "id eq 46184453-e63b-4f20-86c2-c557ed5d5df9",
		"state eq 'a' or state eq 'b'", "((", "'", "state", "state eq", "and and", "state ne true",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (filter, *graphError){
			func(s string) (filter, *graphError) { return parseFilter(s, permissiveFilters["assignments"]) },
			func(s string) (filter, *graphError) { return parseStrictFilter(s, strictFilters["assignments"]) },
		} {
			fl, gerr := parse(s)
			if gerr != nil {
				if gerr.message == "" || gerr.status != 400 {
					t.Fatalf("error without a message or a 400: %+v", gerr)
				}
				continue
			}
			fl.match(func(p string) any { return map[string]any{"state": "delivered", "id": "x"}[p] })
		}
	})
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"assignment($expand=target;$select=id),accessPackage", "target", "a(b(c(d)))", "((", ")", "x($select=)", "x(;;)", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, gerr := parseExpand(s)
		if gerr == nil {
			_ = checkExpand(items, "request")
		}
	})
}

// FuzzPostAssignmentRequest sends arbitrary bodies (plain and gzip) to the
// create route: the emulator must answer with Graph's envelope, never panic
// or fail with a 5xx.
func FuzzPostAssignmentRequest(f *testing.F) {
	for _, s := range []string{
		`{"requestType":"adminAdd","assignment":{"targetId":"11111111-1111-4111-8111-000000000001","assignmentPolicyId":"44444444-4444-4444-8444-000000000001","accessPackageId":"33333333-3333-4333-8333-00000000000a"}}`,
		`{"requestType":"adminRemove","assignment":{"id":"x"}}`,
		`{"requestType":"AdminUpdate","assignment":{"id":"11111111-1111-4111-8111-000000000001"},"schedule":{"expiration":{"type":"afterDuration","duration":"P-1D"}}}`,
		`{"requestType":"adminAdd","answers":[{"answeredQuestion":{"id":1}},null,"x"],"assignment":{"target":{"email":"@"}}}`,
		`{"schedule":{"startDateTime":12}}`, `[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	srv := MustNew(Options{Fixture: &Fixture{
		Users:              []map[string]any{{"id": "11111111-1111-4111-8111-000000000001", "displayName": "A", "userPrincipalName": "a@x.test"}},
		Catalogs:           []map[string]any{{"id": "22222222-2222-4222-8222-000000000001", "displayName": "C"}},
		AccessPackages:     []map[string]any{{"id": "33333333-3333-4333-8333-00000000000a", "displayName": "P", "catalog": map[string]any{"id": "22222222-2222-4222-8222-000000000001"}}},
		AssignmentPolicies: []map[string]any{{"id": "44444444-4444-4444-8444-000000000001", "accessPackage": map[string]any{"id": "33333333-3333-4333-8333-00000000000a"}}},
	}})
	f.Fuzz(func(t *testing.T, body []byte, compress bool) {
		enc := ""
		if compress {
			var buf bytes.Buffer
			w := gzip.NewWriter(&buf)
			_, _ = w.Write(body)
			_ = w.Close()
			body, enc = buf.Bytes(), "gzip"
		}
		req := httptest.NewRequest(http.MethodPost, "/v1.0/identityGovernance/entitlementManagement/assignmentRequests", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		}
		if rec.Code >= 400 && !bytes.Contains(rec.Body.Bytes(), []byte(`"message":"`)) {
			t.Fatalf("error without a message: %s", rec.Body.String())
		}
	})
}
