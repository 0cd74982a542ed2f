package contract

import (
	"strings"
	"testing"
)

// The query table takes the queries Microsoft's pages document and names
// what is wrong with any other.
func TestCheckQuery(t *testing.T) {
	for route, q := range map[string]string{
		"GET /assignmentRequests":      "$filter=accessPackage/id eq 'a914b616-e04e-476b-aa37-91038f0b165b' and createdDateTime gt 2026-01-01T00:00:00Z&$expand=accessPackage,assignment,requestor",
		"GET /assignmentRequests/{id}": "$expand=assignment($expand=target),accessPackage,requestor",
		"GET /assignments":             "$expand=target,accessPackage,assignmentPolicy&$filter=accessPackage/id eq 'x' and assignmentPolicy/id eq 'y' and target/objectId eq 'z' and state eq 'delivered'&$skiptoken=abc",
		"GET /assignments/{id}":        "$expand=target,accessPackage,assignmentPolicy",
		"GET /assignmentPolicies":      "$select=id",
		"GET /assignmentPolicies/{id}": "$expand=questions,accessPackage",
		"POST /assignmentRequests":     "",
	} {
		if p := CheckQuery(route, q); len(p) != 0 {
			t.Errorf("%s ?%s: %v", route, q, p)
		}
	}
	for _, tc := range []struct{ route, query, says string }{
		{"GET /assignmentRequests", "$filter=assignment/id eq 'x'", "$filter on assignment/id is not documented"},
		{"GET /assignmentRequests", "$filter=accessPackage/id eq 'x' and requestType eq 'adminAdd'", "$filter on requestType is not documented"},
		{"GET /assignmentRequests", "$filter=createdDateTime lt 2026-01-01T00:00:00Z", "$filter createdDateTime lt is not documented"},
		{"GET /assignmentRequests", "$expand=assignment($expand=target,assignmentPolicy)", "$expand=assignment($expand=target,assignmentPolicy) is not documented"},
		{"GET /assignments/{id}", "$expand=accessPackage($select=id)", "is not documented"},
		{"GET /assignments", "$count=true", "query option $count is not documented"},
		{"GET /assignmentPolicies", "$top=1&$select=id", "query option $top is not documented"},
		{"GET /assignments/$count", "$filter=accessPackage/id eq 'x'", "$filter on a route whose pages document none"},
		{"GET /assignmentRequests/{id}", "$select=id", "$select is not documented"},
	} {
		p := CheckQuery(tc.route, tc.query)
		if len(p) == 0 || !strings.Contains(strings.Join(p, "; "), tc.says) {
			t.Errorf("%s ?%s: %v, want %q", tc.route, tc.query, p, tc.says)
		}
	}
	if got := QueryShape("$filter=accessPackage/id%20eq%20'a914b616-e04e-476b-aa37-91038f0b165b'%20and%20createdDateTime%20gt%202026-01-01T00:00:00Z&$skiptoken=cDoxMDA"); got != "$filter=accessPackage/id eq '{id}' and createdDateTime gt {time}&$skiptoken=…" {
		t.Errorf("shape %q", got)
	}
}
