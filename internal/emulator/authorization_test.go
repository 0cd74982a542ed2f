package emulator_test

import (
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// A signed-in user makes admin requests only with an entitlement-management
// role; otherwise Graph answers 403.
func TestDelegatedAdminRequestsNeedARole(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	must(t, e.srv.AddToken("plain-user", emulator.Identity{Kind: "delegated", ObjectID: bob}))
	must(t, e.srv.AddToken("assignment-manager", emulator.Identity{Kind: "delegated", ObjectID: carol, Roles: []string{"Access package assignment manager"}}))
	body := map[string]any{"requestType": "adminAdd",
		"assignment": map[string]any{"targetId": alice, "assignmentPolicyId": polDirect, "accessPackageId": pkgA}}
	if st, _, m := e.raw("POST", em+"/assignmentRequests", "plain-user", body, nil); st != 403 {
		t.Fatalf("a user without a role: %d %v, want 403", st, m)
	}
	if st, _, m := e.raw("POST", em+"/assignmentRequests", "assignment-manager", body, nil); st != 201 {
		t.Fatalf("an access package assignment manager: %d %v, want 201", st, m)
	}
}
