package emulator

import (
	"fmt"
	"slices"
	"strings"
)

// Separation of duties, as Microsoft's pages document it: an access package
// lists the access packages whose assigned users are ineligible to be
// assigned it (incompatibleAccessPackages) and the groups whose members are
// (incompatibleGroups); both are read with GET on the navigation (server-side
// paging only), and written with POST …/$ref (the @odata.id of the package or
// group) and DELETE …/{id}/$ref, 204 No Content. Reading takes a catalog role
// that reads (Catalog reader is the least privileged), writing
// EntitlementManagement.ReadWrite.All or, in the catalog, Access package
// manager or Catalog owner. accessPackagesIncompatibleWith is the reverse
// view: the packages that list this one.
//
// A request to add a package for a target that holds (a live assignment of)
// an incompatible package, or is a member of an incompatible group, is
// refused. [INF] Graph's answer to such a request is not documented: the
// emulator refuses the POST with 400 and the code
// IncompatibleAccessPackageAssignment or IncompatibleGroupMembership, naming
// the package or group; it checks direct group membership (the emulator's
// groups have no nested groups).

// group is a directory group, with its direct members (user ids).
type group struct {
	id, displayName string
	members         []string
}

// packageManagers are the catalog roles that change an access package.
var packageManagers = []string{RolePackageManager, RoleCatalogOwner}

func (s *Server) mayManagePackage(id Identity, pkg *accessPackage, what string) *graphError {
	if id.tenantWrite() || (id.scope(true) && hasRole(id.catalogRoles(pkg.catalogID), packageManagers)) {
		return nil
	}
	return denied(what, packageManagers, pkg.catalogID, PermissionReadWrite)
}

// packageArg is the access package of the path's second segment, readable
// by the caller.
func (s *Server) packageArg(c *call) (*accessPackage, *graphError) {
	id, gerr := idArg(c, 1, "accessPackage")
	if gerr != nil {
		return nil, gerr
	}
	p := s.st.packages[id]
	if p == nil {
		return nil, notFound("accessPackage", id)
	}
	if gerr := s.mayRead(c.identity, p.catalogID, "reading access package "+p.id); gerr != nil {
		return nil, gerr
	}
	return p, nil
}

func (s *Server) listIncompatiblePackages(c *call) (*response, *graphError) {
	p, gerr := s.packageArg(c)
	if gerr != nil {
		return nil, gerr
	}
	q, gerr := s.parseQuery(c, "", "package", true)
	if gerr != nil {
		return nil, gerr
	}
	ids := p.incompatiblePkgs
	if strings.EqualFold(c.segs[2], "accessPackagesIncompatibleWith") {
		ids = nil
		for _, oid := range s.st.pkgOrder {
			if slices.Contains(s.st.packages[oid].incompatiblePkgs, p.id) {
				ids = append(ids, oid)
			}
		}
	}
	render := func(id string) map[string]any { return renderPackage(s.st.packages[id]) }
	return s.page(c, q, ids, func(string) bool { return true }, render, "Collection(microsoft.graph.accessPackage)"), nil
}

func (s *Server) listIncompatibleGroups(c *call) (*response, *graphError) {
	p, gerr := s.packageArg(c)
	if gerr != nil {
		return nil, gerr
	}
	q, gerr := s.parseQuery(c, "", "group", true)
	if gerr != nil {
		return nil, gerr
	}
	render := func(id string) map[string]any { return renderGroup(s.st.groups[id]) }
	return s.page(c, q, p.incompatibleGroups, func(string) bool { return true }, render, "Collection(microsoft.graph.group)"), nil
}

// refTarget reads the @odata.id of a $ref body: the last segment must be a
// GUID under the collection named.
func refTarget(c *call, collection string) (string, *graphError) {
	body, gerr := decodeJSON(c.body)
	if gerr != nil {
		return "", gerr
	}
	ref := str(body, "@odata.id")
	segs := strings.Split(strings.TrimRight(ref, "/"), "/")
	if len(segs) < 2 || !strings.EqualFold(segs[len(segs)-2], collection) || !isGUID(segs[len(segs)-1]) {
		return "", badRequest("The @odata.id '%s' is not a reference to an object of %s.", ref, collection)
	}
	return lower(segs[len(segs)-1]), nil
}

func (s *Server) addIncompatible(c *call) (*response, *graphError) {
	p, gerr := s.packageArg(c)
	if gerr != nil {
		return nil, gerr
	}
	if gerr := s.mayManagePackage(c.identity, p, "changing the incompatible access packages and groups of access package "+p.id); gerr != nil {
		return nil, gerr
	}
	if strings.EqualFold(c.segs[2], "incompatibleGroups") {
		gid, gerr := refTarget(c, "groups")
		if gerr != nil {
			return nil, gerr
		}
		if s.st.groups[gid] == nil {
			return nil, notFound("group", gid)
		}
		if !slices.Contains(p.incompatibleGroups, gid) {
			p.incompatibleGroups = append(p.incompatibleGroups, gid)
		}
		return &response{status: 204}, nil
	}
	oid, gerr := refTarget(c, "accessPackages")
	if gerr != nil {
		return nil, gerr
	}
	if s.st.packages[oid] == nil {
		return nil, notFound("accessPackage", oid)
	}
	if oid == p.id {
		return nil, badRequest("An access package cannot be incompatible with itself.") // [INF]
	}
	if !slices.Contains(p.incompatiblePkgs, oid) {
		p.incompatiblePkgs = append(p.incompatiblePkgs, oid)
	}
	return &response{status: 204}, nil
}

func (s *Server) removeIncompatible(c *call) (*response, *graphError) {
	p, gerr := s.packageArg(c)
	if gerr != nil {
		return nil, gerr
	}
	if gerr := s.mayManagePackage(c.identity, p, "changing the incompatible access packages and groups of access package "+p.id); gerr != nil {
		return nil, gerr
	}
	id, gerr := idArg(c, 3, "object")
	if gerr != nil {
		return nil, gerr
	}
	list := &p.incompatiblePkgs
	if strings.EqualFold(c.segs[2], "incompatibleGroups") {
		list = &p.incompatibleGroups
	}
	i := slices.Index(*list, id)
	if i < 0 {
		return nil, notFound(strings.TrimSuffix(c.segs[2], "s"), id)
	}
	*list = slices.Delete(*list, i, i+1)
	return &response{status: 204}, nil
}

// ---- groups --------------------------------------------------------------------

// groupReadPermissions are the application permissions that list a group's
// members (the List group members page: GroupMember.Read.All is the least
// privileged; Group.Read.All, Directory.Read.All and their write forms
// also do).
var groupReadPermissions = []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}

func renderGroup(g *group) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.group", "id": g.id, "displayName": g.displayName}
}

func (s *Server) listGroupMembers(c *call) (*response, *graphError) {
	id, gerr := idArg(c, 1, "group")
	if gerr != nil {
		return nil, gerr
	}
	// [INF] a signed-in user needs the delegated permission too; the
	// emulator checks applications and users alike against the list.
	if !c.identity.hasPermission(groupReadPermissions...) {
		return nil, errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation: listing the members of a group takes the permission GroupMember.Read.All (or Group.Read.All, Directory.Read.All).")
	}
	g := s.st.groups[id]
	if g == nil {
		return nil, notFound("group", id)
	}
	q, gerr := s.parseQuery(c, "", "directoryObject", true)
	if gerr != nil {
		return nil, gerr
	}
	render := func(uid string) map[string]any {
		m := renderUser(s.st.users[uid])
		m["@odata.type"] = "#microsoft.graph.user"
		return m
	}
	return s.page(c, q, g.members, func(uid string) bool { return s.st.users[uid] != nil }, render, "directoryObjects"), nil
}

// AddGroup adds a directory group with its direct members (user ids), for
// tests and fixtures: the emulator serves no group writes.
func (s *Server) AddGroup(id, displayName string, members ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addGroupLocked(id, displayName, members)
}

func (s *Server) addGroupLocked(id, displayName string, members []string) error {
	if !isGUID(id) {
		return fmt.Errorf("group id %q is not a GUID", id)
	}
	g := &group{id: lower(id), displayName: displayName}
	for _, m := range members {
		if s.st.users[lower(m)] == nil {
			return fmt.Errorf("group %s: member %s is not a user", id, m)
		}
		g.members = append(g.members, lower(m))
	}
	if s.st.groups[g.id] == nil {
		s.st.groupOrder = append(s.st.groupOrder, g.id)
	}
	s.st.groups[g.id] = g
	return nil
}

// incompatibility says why a target may not be given a package: a live
// assignment of a package the package lists as incompatible, or membership
// of a group it lists. nil when there is none.
func (s *Server) incompatibility(pkg *accessPackage, subj *subject) *graphError {
	for _, oid := range pkg.incompatiblePkgs {
		for _, aid := range s.st.asgByTarget[subj.id] {
			if a := s.st.assignments[aid]; a.packageID == oid && a.live() {
				o := s.st.packages[oid]
				return errf(400, "IncompatibleAccessPackageAssignment", "The target holds access package '%s' (%s), which access package '%s' (%s) lists as incompatible.",
					str(o.body, "displayName"), o.id, str(pkg.body, "displayName"), pkg.id)
			}
		}
	}
	if subj.objectID == "" {
		return nil
	}
	for _, gid := range pkg.incompatibleGroups {
		if g := s.st.groups[gid]; g != nil && slices.Contains(g.members, lower(subj.objectID)) {
			return errf(400, "IncompatibleGroupMembership", "The target is a member of group '%s' (%s), which access package '%s' (%s) lists as incompatible.",
				g.displayName, g.id, str(pkg.body, "displayName"), pkg.id)
		}
	}
	return nil
}
