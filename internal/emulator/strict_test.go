package emulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The emulator refuses, by default, what Microsoft does not document: filters
// on properties not marked filterable, operators and functions not
// documented, literals of the wrong type, and $select names the type does
// not have; each with Graph's envelope and code. The documented queries are
// answered. Each refusal is logged with its request and its answer.
func TestStrictQueries(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.submitAndSettle(addDirect(alice))
	reqs := em + "/assignmentRequests"
	asgs := em + "/assignments"
	for _, tc := range []struct {
		path, code, says string
	}{
		// Filters Graph documents no support for.
		{reqs + "?$filter=assignment/id eq '" + alice + "'", "InvalidFilter", "Filter 'assignment/id Equals " + alice + " is not supported"},
		{reqs + "?$filter=requestType eq 'adminAdd'", "InvalidFilter", "Filter 'requestType Equals adminAdd is not supported"},
		{reqs + "?$filter=requestor/objectId eq '" + alice + "'", "InvalidFilter", "is not supported"},
		{reqs + "?$filter=id eq '" + alice + "'", "InvalidFilter", "is not supported"},
		{asgs + "?$filter=catalogId eq '" + catalogID + "'", "InvalidFilter", "Filter 'catalogId Equals " + catalogID + " is not supported"},
		{asgs + "?$filter=expiredDateTime lt 2030-01-01T00:00:00Z", "InvalidFilter", "is not supported"},
		// Operators and functions Graph documents no support for.
		{reqs + "?$filter=state ne 'delivered'", "InvalidFilter", "Filter 'state NotEquals delivered is not supported"},
		{asgs + "?$filter=accessPackage/id gt '" + pkgA + "'", "InvalidFilter", "GreaterThan"},
		{asgs + "?$filter=state eq 'delivered' or state eq 'expired'", "InvalidFilter", "is not supported"},
		{asgs + "?$filter=not (state eq 'delivered')", "InvalidFilter", "is not supported"},
		{em + "/accessPackages?$filter=contains(displayName,'Pack')", "InvalidFilter", "contains(...) is not supported"},
		{em + "/accessPackages?$filter=startswith(displayName,'Pack')", "InvalidFilter", "startswith(...) is not supported"},
		// Literals of the wrong type.
		{reqs + "?$filter=createdDateTime gt '2024-01-01T00:00:00Z'", "BadRequest", "'Edm.DateTimeOffset' and 'Edm.String'"},
		{reqs + "?$filter=createdDateTime gt 5", "BadRequest", "'Edm.DateTimeOffset' and 'Edm.Int32'"},
		{reqs + "?$filter=accessPackage/id eq " + pkgA, "BadRequest", "'Edm.String' and 'Edm.Guid'"},
		{reqs + "?$filter=accessPackage/id eq 'not-a-guid'", "BadRequest", "'not-a-guid' is not a valid id"},
		{asgs + "?$filter=target/objectId eq 42", "BadRequest", "'Edm.String' and 'Edm.Int32'"},
		{asgs + "?$filter=state eq 'removed'", "BadRequest", "is not a valid enumerated type constant"},
		{asgs + "?$filter=state eq delivered", "BadRequest", "cannot read the literal 'delivered'"},
		{em + "/assignmentPolicies?$filter=displayName eq 7", "BadRequest", "'Edm.String' and 'Edm.Int32'"},
		// $select names the type does not have.
		{asgs + "?$select=id,targetId", "BadRequest", "Could not find a property named 'targetId' on type 'microsoft.graph.accessPackageAssignment'"},
		{reqs + "/" + alice + "?$select=requestState", "BadRequest", "Could not find a property named 'requestState'"},
		{asgs + "?$expand=target($select=mail)", "BadRequest", "Could not find a property named 'mail' on type 'microsoft.graph.accessPackageSubject'"},
	} {
		st, _, m := e.raw("GET", tc.path, e.srv.Token(), nil, nil)
		errObj, _ := m["error"].(map[string]any)
		msg, _ := errObj["message"].(string)
		if st != 400 || errObj["code"] != tc.code || !strings.Contains(msg, tc.says) {
			t.Errorf("GET %s: %d %v, want 400 %s saying %q", tc.path, st, m, tc.code, tc.says)
			continue
		}
		t.Logf("GET %s\n    → %d %s: %s", strings.TrimPrefix(tc.path, em), st, errObj["code"], msg)
	}
	// The documented queries are answered.
	for _, path := range []string{
		reqs + "?$expand=accessPackage,assignment,requestor&$filter=accessPackage/id eq '" + pkgA + "'",
		reqs + "?$filter=accessPackage/id eq '" + pkgA + "' and state eq 'delivered'",
		reqs + "?$filter=accessPackage/id eq '" + pkgA + "' and createdDateTime gt " + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		asgs + "?$expand=target,accessPackage,assignmentPolicy&$filter=accessPackage/id eq '" + pkgA + "' and assignmentPolicy/id eq '" + polDirect + "' and target/objectId eq '" + alice + "' and state eq 'delivered'",
		asgs + "?$select=id,state,schedule",
		em + "/assignmentPolicies?$select=id",
		em + "/assignmentPolicies?$filter=displayName eq 'Direct'",
	} {
		if st, _, m := e.raw("GET", path, e.srv.Token(), nil, nil); st != 200 {
			t.Errorf("GET %s: %d %v, want 200", path, st, m)
		}
	}
}

// A permissive emulator, for probing by hand, takes the undocumented
// filters; nothing in the suite uses one but this test.
func TestPermissiveModeIsExplicit(t *testing.T) {
	e := newEnv(t, emulator.Options{Permissive: true})
	e.submitAndSettle(addDirect(alice))
	st, _, m := e.raw("GET", em+"/assignmentRequests?$filter=requestType eq 'adminAdd'", e.srv.Token(), nil, nil)
	if st != 200 || len(m["value"].([]any)) != 1 {
		t.Fatalf("%d %v", st, m)
	}
}

// A fault rule can match the query, so that a test makes Graph refuse one
// kind of listing and answer the others.
func TestFaultsMatchTheQuery(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	must(t, e.srv.SetFaults([]emulator.Fault{{Route: "GET /assignmentRequests", Query: `createdDateTime gt`, Status: 400}}))
	window := em + "/assignmentRequests?$filter=accessPackage/id eq '" + pkgA + "' and createdDateTime gt 2024-01-01T00:00:00Z"
	if st, _, m := e.raw("GET", window, e.srv.Token(), nil, nil); st != 400 {
		t.Fatalf("the matching listing: %d %v", st, m)
	}
	if st, _, m := e.raw("GET", em+"/assignmentRequests?$filter=accessPackage/id eq '"+pkgA+"'", e.srv.Token(), nil, nil); st != 200 {
		t.Fatalf("another listing: %d %v", st, m)
	}
	if err := e.srv.SetFaults([]emulator.Fault{{Query: "("}}); err == nil {
		t.Fatal("a broken query pattern was accepted")
	}
}

// Zero and negative durations are refused (our inference, like an end date
// that is not after the start); the top-level accessPackageAssignment of the
// v1.0 create page's examples 4 and 5 is read as the assignment.
func TestRequestBodies(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, d := range []string{"P0D", "PT0S", "-P1D", "-PT1H"} {
		body := map[string]any{"requestType": "adminAdd",
			"assignment": map[string]any{"targetId": alice, "assignmentPolicyId": polDirect, "accessPackageId": pkgA},
			"schedule":   map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": d}}}
		st, _, m := e.raw("POST", em+"/assignmentRequests", e.srv.Token(), body, nil)
		errObj, _ := m["error"].(map[string]any)
		if st != 400 || errObj["code"] != "InvalidRequest" {
			t.Errorf("duration %s: %d %v", d, st, m)
			continue
		}
		t.Logf("POST /assignmentRequests with duration %s\n    → %d %s: %s", d, st, errObj["code"], errObj["message"])
	}
	legacy := map[string]any{"requestType": "AdminAdd", "accessPackageAssignment": map[string]any{
		"target": map[string]any{"email": "guest@fabrikam.test"}, "assignmentPolicyId": polDirect, "accessPackageId": pkgA}}
	if st, _, m := e.raw("POST", em+"/assignmentRequests", e.srv.Token(), legacy, nil); st != 201 || m["requestType"] != "adminAdd" {
		t.Fatalf("top-level accessPackageAssignment: %d %v", st, m)
	}
	both := map[string]any{"requestType": "adminAdd", "assignment": map[string]any{"accessPackageId": pkgA}, "accessPackageAssignment": map[string]any{"accessPackageId": pkgA}}
	if st, _, m := e.raw("POST", em+"/assignmentRequests", e.srv.Token(), both, nil); st != 400 {
		t.Fatalf("both forms: %d %v", st, m)
	}
}
