package emulator

import (
	"fmt"
	"slices"
	"strings"
)

// Authorization as Graph has it for entitlement management (the v1.0 pages'
// permission tables and their role notes; Microsoft Entra's page
// "Delegation and roles in entitlement management" for what each role may
// do):
//
//   - An application holds the application permission
//     EntitlementManagement.Read.All or .ReadWrite.All, which reaches every
//     catalog; or, instead, an entitlement-management role on a catalog,
//     which reaches that catalog only ("In app-only scenarios, the calling
//     app can be assigned one of the preceding supported roles instead of
//     the … application permission").
//   - A signed-in user holds the delegated permission and, besides, a role:
//     a directory role that reaches every catalog (Identity Governance
//     Administrator and Global Administrator to write; Global Reader,
//     Security Reader, Security Administrator and Compliance Administrator
//     to read), or a role on a catalog.
//   - On a catalog: Catalog reader reads; Access package assignment
//     manager, Access package manager and Catalog owner also assign and
//     remove, reprocess and cancel (the page's table of tasks).
//   - A caller that holds only catalog roles must filter a listing of
//     requests or assignments by accessPackage/id (the list pages).
//
// The codes and messages of the refusals are [INF] (Graph's generic 403
// Authorization_RequestDenied); which reads an end user may make of their
// own requests, and what a catalog-scoped caller's listing of policies or
// packages returns, are [INF] too, marked where they are decided.

// Roles and permissions by name.
const (
	RoleAssignmentManager               = "Access package assignment manager"
	RolePackageManager                  = "Access package manager"
	RoleCatalogOwner                    = "Catalog owner"
	RoleCatalogReader                   = "Catalog reader"
	RoleIdentityGovernanceAdministrator = "Identity Governance Administrator"
	PermissionReadWrite                 = "EntitlementManagement.ReadWrite.All"
	PermissionRead                      = "EntitlementManagement.Read.All"
)

var (
	tenantWriteRoles  = []string{RoleIdentityGovernanceAdministrator, "Global Administrator"}
	tenantReadRoles   = append([]string{"Global Reader", "Security Reader", "Security Administrator", "Compliance Administrator"}, tenantWriteRoles...)
	catalogReadRoles  = []string{RoleCatalogReader, RoleAssignmentManager, RolePackageManager, RoleCatalogOwner}
	catalogAssignRole = []string{RoleAssignmentManager, RolePackageManager, RoleCatalogOwner}
)

// AdminRoles are the roles the v1.0 create page names for a delegated caller
// of admin requests: the entitlement-management roles Access package
// assignment manager, Access package manager and Catalog owner (on the
// package's catalog), and the directory role Identity Governance
// Administrator.
var AdminRoles = append(append([]string{}, catalogAssignRole...), RoleIdentityGovernanceAdministrator)

// permissions are the identity's permissions: those given, or by default
// EntitlementManagement.ReadWrite.All (the emulator's own token, and tests
// written before permissions were modelled). An empty, non-nil list is no
// permission at all.
func (id Identity) permissions() []string {
	if id.Permissions == nil {
		return []string{PermissionReadWrite}
	}
	return id.Permissions
}

func (id Identity) hasPermission(names ...string) bool {
	for _, p := range id.permissions() {
		for _, n := range names {
			if strings.EqualFold(p, n) {
				return true
			}
		}
	}
	return false
}

func hasRole(held, wanted []string) bool {
	for _, h := range held {
		if slices.ContainsFunc(wanted, func(w string) bool { return strings.EqualFold(h, w) }) {
			return true
		}
	}
	return false
}

// scope says whether a signed-in user's delegated permissions cover a read
// or a write; an application needs no delegated permission.
func (id Identity) scope(write bool) bool {
	if id.Kind != "delegated" {
		return true
	}
	if write {
		return id.hasPermission(PermissionReadWrite)
	}
	return id.hasPermission(PermissionRead, PermissionReadWrite)
}

// tenantRead says whether the identity reads every catalog.
func (id Identity) tenantRead() bool {
	if id.Kind != "delegated" && id.hasPermission(PermissionRead, PermissionReadWrite) {
		return true
	}
	return id.scope(false) && hasRole(id.Roles, tenantReadRoles)
}

// tenantWrite says whether the identity writes in every catalog.
func (id Identity) tenantWrite() bool {
	if id.Kind != "delegated" && id.hasPermission(PermissionReadWrite) {
		return true
	}
	return id.scope(true) && hasRole(id.Roles, tenantWriteRoles)
}

func (id Identity) catalogRoles(catalogID string) []string {
	for c, roles := range id.CatalogRoles {
		if strings.EqualFold(c, catalogID) {
			return roles
		}
	}
	return nil
}

// catalogRead says whether the identity reads the catalog.
func (id Identity) catalogRead(catalogID string) bool {
	return id.tenantRead() || (id.scope(false) && hasRole(id.catalogRoles(catalogID), catalogReadRoles))
}

// catalogAssign says whether the identity assigns, removes, reprocesses and
// cancels in the catalog.
func (id Identity) catalogAssign(catalogID string) bool {
	return id.tenantWrite() || (id.scope(true) && hasRole(id.catalogRoles(catalogID), catalogAssignRole))
}

// denied is the refusal of a call the identity may not make.
func denied(what string, roles []string, catalogID, permission string) *graphError {
	where := "on the access package's catalog"
	if catalogID != "" {
		where = "on catalog " + catalogID
	}
	return errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation: %s takes one of the roles %s %s, a directory role that covers every catalog (%s), or the application permission %s.",
		what, strings.Join(roles, ", "), where, RoleIdentityGovernanceAdministrator, permission)
}

// mayRead refuses a read of an object in a catalog the identity cannot read.
func (s *Server) mayRead(id Identity, catalogID, what string) *graphError {
	if id.catalogRead(catalogID) {
		return nil
	}
	return denied(what, catalogReadRoles, catalogID, PermissionRead)
}

// mayAssign refuses a change of assignments in a catalog the identity may
// not assign in.
func (s *Server) mayAssign(id Identity, catalogID, what string) *graphError {
	if id.catalogAssign(catalogID) {
		return nil
	}
	return denied(what, catalogAssignRole, catalogID, PermissionReadWrite)
}

// mayList refuses a listing of requests or assignments the identity may not
// make: one that reads every catalog needs a tenant-wide permission or
// role; a caller with catalog roles only must filter by accessPackage/id (the
// list pages), on a package of a catalog it reads.
func (s *Server) mayList(id Identity, q *query, what string) *graphError {
	if id.tenantRead() {
		return nil
	}
	pkgID, ok := q.filter.eqValue("accesspackage/id")
	if !ok {
		if len(id.CatalogRoles) > 0 {
			// [INF] the code and wording; the list pages say the filter is required.
			return errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation: a caller with roles on catalogs only must filter %s by access package ($filter=accessPackage/id eq '…').", what)
		}
		return denied("listing "+what, catalogReadRoles, "", PermissionRead)
	}
	pkg := s.st.packages[lower(pkgID)]
	if pkg == nil {
		return nil // an empty listing: nothing to read
	}
	return s.mayRead(id, pkg.catalogID, fmt.Sprintf("listing the %s of access package %s", what, pkg.id))
}

// catalogOfPackage is the catalog of an access package ("" when unknown).
func (s *Server) catalogOfPackage(pkgID string) string {
	if p := s.st.packages[lower(pkgID)]; p != nil {
		return p.catalogID
	}
	return ""
}

// ownRequest says whether a signed-in user made the request or is its
// target: [INF] they read it, as My Access shows them their own requests.
func (s *Server) ownRequest(id Identity, r *request) bool {
	if id.Kind != "delegated" {
		return false
	}
	me := lower(id.ObjectID)
	return s.subjectObject(r.callerID) == me || s.subjectObject(r.targetID) == me
}
