package emulator_test

import (
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

const auditors = "77777777-7777-4777-8777-000000000001"

// Separation of duties through plain HTTP: the $ref writes and the
// navigation reads, who may make them, and an adminAdd refused for a target
// that holds an incompatible package or is in an incompatible group, while
// others are assigned.
func TestIncompatiblePackagesAndGroups(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	must(t, e.srv.AddGroup(auditors, "Auditors", carol))
	tok := e.srv.Token()
	base := "/v1.0/identityGovernance/entitlementManagement/accessPackages/"
	ref := func(coll, id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/" + coll + "/" + id}
	}
	// Package A is incompatible with package B and with the Auditors group.
	if st, _, b := e.raw("POST", base+pkgA+"/incompatibleAccessPackages/$ref", tok,
		ref("identityGovernance/entitlementManagement/accessPackages", pkgB), nil); st != 204 {
		t.Fatalf("POST incompatibleAccessPackages/$ref: %d %v", st, b)
	}
	if st, _, b := e.raw("POST", base+pkgA+"/incompatibleGroups/$ref", tok, ref("groups", auditors), nil); st != 204 {
		t.Fatalf("POST incompatibleGroups/$ref: %d %v", st, b)
	}
	if st, _, b := e.raw("POST", base+pkgA+"/incompatibleGroups/$ref", tok, ref("users", alice), nil); st != 400 {
		t.Fatalf("a $ref to a user as a group: %d %v", st, b)
	}
	st, _, b := e.raw("GET", base+pkgA+"/incompatibleAccessPackages", tok, nil, nil)
	if v, _ := b["value"].([]any); st != 200 || len(v) != 1 || v[0].(map[string]any)["id"] != pkgB {
		t.Fatalf("GET incompatibleAccessPackages: %d %v", st, b)
	}
	st, _, b = e.raw("GET", base+pkgB+"/accessPackagesIncompatibleWith", tok, nil, nil)
	if v, _ := b["value"].([]any); st != 200 || len(v) != 1 || v[0].(map[string]any)["id"] != pkgA {
		t.Fatalf("GET accessPackagesIncompatibleWith: %d %v", st, b)
	}
	st, _, b = e.raw("GET", base+pkgA+"/incompatibleGroups", tok, nil, nil)
	if v, _ := b["value"].([]any); st != 200 || len(v) != 1 || v[0].(map[string]any)["displayName"] != "Auditors" {
		t.Fatalf("GET incompatibleGroups: %d %v", st, b)
	}
	if st, _, b := e.raw("GET", base+pkgA+"/incompatibleGroups?$filter=displayName eq 'Auditors'", tok, nil, nil); st != 400 {
		t.Fatalf("an undocumented $filter on incompatibleGroups: %d %v", st, b)
	}

	// An assignment manager on the catalog reads them, and may not change them.
	must(t, e.srv.AddToken("mgr", emulator.Identity{Kind: "application", ObjectID: "7e57ab1e-0000-4000-8000-0000000000f2",
		CatalogRoles: map[string][]string{catalogID: {emulator.RoleAssignmentManager}}, Permissions: []string{}}))
	if st, _, b := e.raw("GET", base+pkgA+"/incompatibleGroups", "mgr", nil, nil); st != 200 {
		t.Fatalf("the assignment manager's read: %d %v", st, b)
	}
	if st, _, b := e.raw("DELETE", base+pkgA+"/incompatibleGroups/"+auditors+"/$ref", "mgr", nil, nil); st != 403 {
		t.Fatalf("the assignment manager's removal: %d %v", st, b)
	}
	// Members are read with a directory permission, not a catalog role.
	if st, _, b := e.raw("GET", "/v1.0/groups/"+auditors+"/members?$select=id", "mgr", nil, nil); st != 403 {
		t.Fatalf("members without GroupMember.Read.All: %d %v", st, b)
	}
	must(t, e.srv.AddToken("dir", emulator.Identity{Kind: "application", ObjectID: "7e57ab1e-0000-4000-8000-0000000000f3", Permissions: []string{"GroupMember.Read.All"}}))
	st, _, b = e.raw("GET", "/v1.0/groups/"+auditors+"/members?$select=id", "dir", nil, nil)
	if v, _ := b["value"].([]any); st != 200 || len(v) != 1 || v[0].(map[string]any)["id"] != carol {
		t.Fatalf("GET members: %d %v", st, b)
	}

	// Bob holds B: adding A is refused, naming B. Carol is an auditor:
	// refused, naming the group. Alice is assigned.
	e.submitAndSettle(graph.AddInput{AccessPackageID: pkgB, PolicyID: polOtherB, TargetObjectID: bob})
	for who, code := range map[string]string{bob: "IncompatibleAccessPackageAssignment", carol: "IncompatibleGroupMembership"} {
		_, err := e.c.SubmitAdd(ctx(t), addDirect(who))
		if ge := graphErr(t, err); ge.Status != 400 || ge.Code != code {
			t.Fatalf("adding package A for %s: %v", who, err)
		}
	}
	if r := e.submitAndSettle(addDirect(alice)); r.State != "delivered" {
		t.Fatalf("alice: %+v", r)
	}
	// Removed again, the relationship no longer refuses.
	if st, _, b := e.raw("DELETE", base+pkgA+"/incompatibleAccessPackages/"+pkgB+"/$ref", tok, nil, nil); st != 204 {
		t.Fatalf("DELETE incompatibleAccessPackages/{id}/$ref: %d %v", st, b)
	}
	if r := e.submitAndSettle(addDirect(bob)); r.State != "delivered" {
		t.Fatalf("bob after the removal: %+v", r)
	}
}
