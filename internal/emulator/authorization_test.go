package emulator_test

import (
	"strings"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// A signed-in user makes admin requests only with an entitlement-management
// role; otherwise Graph answers 403.
func TestDelegatedAdminRequestsNeedARole(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	must(t, e.srv.AddToken("plain-user", emulator.Identity{Kind: "delegated", ObjectID: bob}))
	must(t, e.srv.AddToken("assignment-manager", emulator.Identity{Kind: "delegated", ObjectID: carol, CatalogRoles: map[string][]string{catalogID: {"Access package assignment manager"}}}))
	body := map[string]any{"requestType": "adminAdd",
		"assignment": map[string]any{"targetId": alice, "assignmentPolicyId": polDirect, "accessPackageId": pkgA}}
	if st, _, m := e.raw("POST", em+"/assignmentRequests", "plain-user", body, nil); st != 403 {
		t.Fatalf("a user without a role: %d %v, want 403", st, m)
	}
	if st, _, m := e.raw("POST", em+"/assignmentRequests", "assignment-manager", body, nil); st != 201 {
		t.Fatalf("an access package assignment manager: %d %v, want 201", st, m)
	}
}

// Authorization as Graph has it: catalog roles reach their catalog only,
// for users and applications alike; a catalog-scoped caller must filter a
// listing by access package; readers read and do not write; tenant-wide
// permissions and roles reach every catalog. Each refusal is logged.
func TestCatalogScopedAuthorization(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	const otherCat, otherPkg, otherPol = "22222222-2222-4222-8222-0000000000ff", "33333333-3333-4333-8333-0000000000ff", "44444444-4444-4444-8444-0000000000ff"
	for _, seed := range []struct{ path string }{{"/catalogs"}, {"/accessPackages"}, {"/assignmentPolicies"}} {
		body := map[string]any{"/catalogs": map[string]any{"id": otherCat, "displayName": "Other"},
			"/accessPackages":     map[string]any{"id": otherPkg, "displayName": "Other", "catalog": map[string]any{"id": otherCat}},
			"/assignmentPolicies": map[string]any{"id": otherPol, "displayName": "Other direct", "accessPackage": map[string]any{"id": otherPkg}}}[seed.path]
		if st, _, m := e.raw("POST", em+seed.path, e.srv.Token(), body, nil); st != 201 {
			t.Fatalf("seed %s: %d %v", seed.path, st, m)
		}
	}
	mine := e.submitAndSettle(addDirect(alice))
	theirs := e.submitAndSettle(graph.AddInput{AccessPackageID: otherPkg, PolicyID: otherPol, TargetObjectID: bob})
	app := func(token string, catalogRoles map[string][]string, perms ...string) {
		must(t, e.srv.AddToken(token, emulator.Identity{Kind: "application", ObjectID: "77777777-7777-4777-8777-" + strings.Repeat("0", 12-len(token)) + token[:min(len(token), 12)],
			CatalogRoles: catalogRoles, Permissions: append([]string{}, perms...)}))
	}
	// Tokens stand for identities; ObjectIDs only need to be GUIDs.
	app("a1", map[string][]string{catalogID: {emulator.RoleAssignmentManager}})
	app("a2", map[string][]string{catalogID: {emulator.RoleCatalogReader}})
	app("a3", nil, emulator.PermissionRead)
	app("a4", map[string][]string{catalogID: {emulator.RoleCatalogOwner}})
	app("a5", nil)
	must(t, e.srv.AddToken("u1", emulator.Identity{Kind: "delegated", ObjectID: carol, Roles: []string{emulator.RoleIdentityGovernanceAdministrator}}))
	must(t, e.srv.AddToken("u2", emulator.Identity{Kind: "delegated", ObjectID: bob}))
	must(t, e.srv.AddToken("u3", emulator.Identity{Kind: "delegated", ObjectID: carol, CatalogRoles: map[string][]string{catalogID: {emulator.RoleAssignmentManager}}, Permissions: []string{emulator.PermissionRead}}))
	add := func(pkg, pol, target string) map[string]any {
		return map[string]any{"requestType": "adminAdd", "assignment": map[string]any{"targetId": target, "assignmentPolicyId": pol, "accessPackageId": pkg}}
	}
	filtered := func(coll, pkg string) string { return em + coll + "?$filter=accessPackage/id eq '" + pkg + "'" }
	for _, tc := range []struct {
		who, method, path string
		body              any
		want              int
	}{
		// An assignment manager on the catalog: filtered reads and writes there, nothing elsewhere.
		{"a1", "GET", em + "/assignmentRequests", nil, 403},
		{"a1", "GET", em + "/assignments", nil, 403},
		{"a1", "GET", em + "/assignments/$count", nil, 403},
		{"a1", "GET", filtered("/assignmentRequests", pkgA), nil, 200},
		{"a1", "GET", filtered("/assignments", pkgA), nil, 200},
		{"a1", "GET", filtered("/assignments", otherPkg), nil, 403},
		{"a1", "GET", em + "/assignmentRequests/" + mine.ID, nil, 200},
		{"a1", "GET", em + "/assignmentRequests/" + theirs.ID, nil, 403},
		{"a1", "GET", em + "/assignments/" + theirs.Assignment.ID, nil, 403},
		{"a1", "GET", em + "/assignmentPolicies/" + polDirect, nil, 200},
		{"a1", "GET", em + "/assignmentPolicies/" + otherPol, nil, 403},
		{"a1", "GET", em + "/accessPackages/" + otherPkg, nil, 403},
		{"a1", "POST", em + "/assignmentRequests", add(pkgA, polDirect, bob), 201},
		{"a1", "POST", em + "/assignmentRequests", add(otherPkg, otherPol, carol), 403},
		{"a1", "POST", em + "/assignmentRequests", map[string]any{"requestType": "adminRemove", "assignment": map[string]any{"id": theirs.Assignment.ID}}, 403},
		{"a1", "POST", em + "/assignments/" + theirs.Assignment.ID + "/reprocess", nil, 403},
		{"a1", "POST", em + "/assignmentRequests/" + theirs.ID + "/reprocess", nil, 403},
		{"a1", "POST", em + "/catalogs", map[string]any{"displayName": "Mine"}, 403},
		// A catalog reader reads its catalog and writes nothing.
		{"a2", "GET", filtered("/assignments", pkgA), nil, 200},
		{"a2", "POST", em + "/assignmentRequests", add(pkgA, polDirect, carol), 403},
		{"a2", "POST", em + "/assignments/" + mine.Assignment.ID + "/reprocess", nil, 403},
		// EntitlementManagement.Read.All reads everything, unfiltered, and writes nothing.
		{"a3", "GET", em + "/assignments", nil, 200},
		{"a3", "GET", em + "/assignments/" + theirs.Assignment.ID, nil, 200},
		{"a3", "POST", em + "/assignmentRequests", add(otherPkg, otherPol, carol), 403},
		// A catalog owner of one catalog does not assign in another.
		{"a4", "POST", em + "/assignmentRequests", add(otherPkg, otherPol, carol), 403},
		// An application with no permission and no role reads nothing.
		{"a5", "GET", filtered("/assignments", pkgA), nil, 403},
		// A signed-in Identity Governance Administrator does everything.
		{"u1", "GET", em + "/assignments", nil, 200},
		{"u1", "POST", em + "/assignmentRequests", add(otherPkg, otherPol, carol), 201},
		// A signed-in user without a role lists nothing and cancels no one else's request.
		{"u2", "GET", filtered("/assignments", pkgA), nil, 403},
		{"u2", "GET", em + "/assignmentRequests/" + mine.ID, nil, 403},
		// A role is not enough without the delegated permission to write.
		{"u3", "GET", filtered("/assignments", pkgA), nil, 200},
		{"u3", "POST", em + "/assignmentRequests", add(pkgA, polDirect, carol), 403},
	} {
		st, _, m := e.raw(tc.method, tc.path, tc.who, tc.body, nil)
		if st != tc.want {
			t.Errorf("%s %s as %s: %d %v, want %d", tc.method, tc.path, tc.who, st, m, tc.want)
			continue
		}
		if errObj, ok := m["error"].(map[string]any); ok {
			t.Logf("%s %s as %s\n    → %d %s: %s", tc.method, strings.TrimPrefix(tc.path, em), tc.who, st, errObj["code"], errObj["message"])
		}
	}
}
