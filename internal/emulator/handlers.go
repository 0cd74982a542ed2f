package emulator

import (
	"strconv"
	"strings"
	"time"
)

// permissiveFilters are what an emulator made Permissive accepts: more
// properties and operators than Graph documents, for probing only (nothing
// in the test suite uses them). An enum path lists its members, so that an
// unknown value is still a 400.
var permissiveFilters = map[string]map[string][]string{
	"users":    {"id": nil, "userprincipalname": nil, "mail": nil, "displayname": nil},
	"catalogs": {"id": nil, "displayname": nil},
	"packages": {"id": nil, "displayname": nil, "catalog/id": nil},
	"policies": {"id": nil, "displayname": nil, "accesspackage/id": nil},
	"requests": {"id": nil, "state": requestStates, "requesttype": append(requestTypes, "approverRemove"),
		"createddatetime": nil, "accesspackage/id": nil, "requestor/objectid": nil, "assignment/id": nil},
	"assignments": {"id": nil, "state": assignmentStates, "target/objectid": nil, "accesspackage/id": nil, "assignmentpolicy/id": nil},
}

// ---- users -----------------------------------------------------------------------

func (s *Server) postUser(c *call) (*response, *graphError) {
	if !c.identity.tenantWrite() {
		// [INF] the emulator's directory is seeded by administrators only.
		return nil, denied("creating users", tenantWriteRoles, "", PermissionReadWrite)
	}
	body, gerr := decodeJSON(c.body)
	if gerr != nil {
		return nil, gerr
	}
	u, gerr := s.createUser(body)
	if gerr != nil {
		return nil, gerr
	}
	m := renderUser(u)
	m["@odata.context"] = contextURL(c, "users/$entity")
	return &response{status: 201, body: m}, nil
}

func (s *Server) getUser(c *call) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "", "user", false)
	if gerr != nil {
		return nil, gerr
	}
	u := s.st.users[lower(c.segs[1])]
	if u == nil {
		for _, x := range s.st.users { // users can also be addressed by userPrincipalName
			if strings.EqualFold(x.userPrincipalName, c.segs[1]) {
				u = x
			}
		}
	}
	if u == nil {
		return nil, errf(404, "Request_ResourceNotFound", "Resource '%s' does not exist or one of its queried reference-property objects are not present.", c.segs[1])
	}
	return entityResponse(c, renderUser(u), q, "users"), nil
}

func (s *Server) listUsers(c *call) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "users", "user", true)
	if gerr != nil {
		return nil, gerr
	}
	match := func(id string) bool {
		u := s.st.users[id]
		return q.filter.match(func(p string) any {
			return map[string]any{"id": u.id, "userprincipalname": u.userPrincipalName, "mail": u.mail, "displayname": u.displayName}[p]
		})
	}
	return s.page(c, q, s.st.userOrder, match, func(id string) map[string]any { return renderUser(s.st.users[id]) }, "users"), nil
}

// ---- catalogs, packages, policies ----------------------------------------------------

func (s *Server) postSeed(c *call, coll string) (*response, *graphError) {
	if !c.identity.tenantWrite() {
		// [INF] catalogs, packages and policies are seeded by a tenant-wide
		// administrator in the emulator; Graph lets catalog owners and
		// access package managers make some of them.
		return nil, denied("creating "+coll, tenantWriteRoles, "", PermissionReadWrite)
	}
	body, gerr := decodeJSON(c.body)
	if gerr != nil {
		return nil, gerr
	}
	var m map[string]any
	var ctx string
	switch coll {
	case "catalogs":
		x, gerr := s.createCatalog(body)
		if gerr != nil {
			return nil, gerr
		}
		m, ctx = renderCatalog(x), "catalogs"
	case "accesspackages":
		x, gerr := s.createPackage(body)
		if gerr != nil {
			return nil, gerr
		}
		m, ctx = renderPackage(x), "accessPackages"
	default:
		x, gerr := s.createPolicy(body)
		if gerr != nil {
			return nil, gerr
		}
		m, ctx = s.renderPolicy(x), "assignmentPolicies"
	}
	m["@odata.context"] = contextURL(c, "identityGovernance/entitlementManagement/"+ctx+"/$entity")
	return &response{status: 201, body: m}, nil
}

// seedEntity is a seeding collection's entity, its order, and the name of
// its filter table.
func (s *Server) seedEntity(coll string) (entity string, order []string, filters string) {
	switch coll {
	case "catalogs":
		return "catalog", s.st.catOrder, "catalogs"
	case "accesspackages":
		return "package", s.st.pkgOrder, "packages"
	}
	return "policy", s.st.polOrder, "policies"
}

// renderEntity renders a seeded entity with its expansions.
func (s *Server) renderEntity(entity, id string, expand []expandItem) map[string]any {
	switch entity {
	case "catalog":
		c := s.st.catalogs[id]
		m := renderCatalog(c)
		for _, e := range expand {
			if lower(e.name) == "accesspackages" {
				var pk []any
				for _, pid := range s.st.pkgOrder {
					if s.st.packages[pid].catalogID == c.id {
						pk = append(pk, applySelect(s.renderEntity("package", pid, e.expand), e.sel, e.expand))
					}
				}
				m["accessPackages"] = nonNil(pk)
			}
		}
		return m
	case "package":
		p := s.st.packages[id]
		m := renderPackage(p)
		for _, e := range expand {
			switch lower(e.name) {
			case "catalog":
				m["catalog"] = applySelect(renderCatalog(s.st.catalogs[p.catalogID]), e.sel, nil)
			case "assignmentpolicies":
				var pols []any
				for _, pid := range s.st.polOrder {
					if s.st.policies[pid].packageID == p.id {
						pols = append(pols, applySelect(s.renderEntity("policy", pid, e.expand), e.sel, e.expand))
					}
				}
				m["assignmentPolicies"] = nonNil(pols)
			}
		}
		return m
	}
	p := s.st.policies[id]
	m := s.renderPolicy(p)
	for _, e := range expand {
		switch lower(e.name) {
		case "questions":
			var qs []any
			for _, q := range p.questions {
				qs = append(qs, q.body)
			}
			m["questions"] = nonNil(qs)
		case "customextensionstagesettings":
			var ss []any
			for _, st := range p.stages {
				ss = append(ss, st.body)
			}
			m["customExtensionStageSettings"] = nonNil(ss)
		case "accesspackage":
			m["accessPackage"] = applySelect(renderPackage(s.st.packages[p.packageID]), e.sel, nil)
		case "catalog":
			m["catalog"] = applySelect(renderCatalog(s.st.catalogs[p.catalogID]), e.sel, nil)
		}
	}
	return m
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (s *Server) seedFields(entity, id string) func(string) any {
	return func(p string) any {
		switch entity {
		case "catalog":
			c := s.st.catalogs[id]
			return map[string]any{"id": c.id, "displayname": str(c.body, "displayName")}[p]
		case "package":
			x := s.st.packages[id]
			return map[string]any{"id": x.id, "displayname": str(x.body, "displayName"), "catalog/id": x.catalogID}[p]
		}
		x := s.st.policies[id]
		return map[string]any{"id": x.id, "displayname": str(x.body, "displayName"), "accesspackage/id": x.packageID}[p]
	}
}

// seedCatalog is the catalog a catalog, package or policy belongs to.
func (s *Server) seedCatalog(entity, id string) string {
	switch entity {
	case "catalog":
		return id
	case "package":
		return s.st.packages[id].catalogID
	}
	return s.st.policies[id].catalogID
}

// maySeeSeed says whether the identity reads a catalog, package or policy:
// a role that reads its catalog; or, for a signed-in user and a policy that
// lets them request access, that user ([INF] My Access shows them the
// policies they may request under, with their questions).
func (s *Server) maySeeSeed(id Identity, entity, objID string) bool {
	if id.catalogRead(s.seedCatalog(entity, objID)) {
		return true
	}
	if entity == "policy" && id.Kind == "delegated" {
		return s.inScope(s.st.policies[objID], id.ObjectID)
	}
	return false
}

func (s *Server) listSeed(c *call, coll string) (*response, *graphError) {
	entity, order, filters := s.seedEntity(coll)
	q, gerr := s.parseQuery(c, filters, entity, true)
	if gerr != nil {
		return nil, gerr
	}
	// [INF] a caller that cannot read every catalog lists what it can read
	// (the list pages tell catalog-scoped callers to list access packages).
	readable := func(id string) bool { return c.identity.tenantRead() || s.maySeeSeed(c.identity, entity, id) }
	match := func(id string) bool { return readable(id) && q.filter.match(s.seedFields(entity, id)) }
	render := func(id string) map[string]any { return s.renderEntity(entity, id, q.expand) }
	return s.page(c, q, order, match, render, "identityGovernance/entitlementManagement/"+c.segs[0]), nil
}

func (s *Server) getSeed(c *call, coll string) (*response, *graphError) {
	entity, _, _ := s.seedEntity(coll)
	q, gerr := s.parseQuery(c, "", entity, false)
	if gerr != nil {
		return nil, gerr
	}
	id, gerr := idArg(c, 1, graphTypeName(entity))
	if gerr != nil {
		return nil, gerr
	}
	exists := map[string]bool{"catalog": s.st.catalogs[id] != nil, "package": s.st.packages[id] != nil, "policy": s.st.policies[id] != nil}[entity]
	if !exists {
		return nil, notFound(graphTypeName(entity), id)
	}
	if !s.maySeeSeed(c.identity, entity, id) {
		return nil, denied("reading "+graphTypeName(entity)+" "+id, catalogReadRoles, s.seedCatalog(entity, id), PermissionRead)
	}
	return entityResponse(c, s.renderEntity(entity, id, q.expand), q, "identityGovernance/entitlementManagement/"+c.segs[0]), nil
}

// ---- assignment requests ----------------------------------------------------------------

func (s *Server) visibleRequest(id string) *request {
	r := s.st.requests[id]
	if r == nil || r.deleted || s.now().Before(r.visibleAt) {
		return nil
	}
	return r
}

func (s *Server) requestFields(r *request) func(string) any {
	return func(p string) any {
		switch p {
		case "id":
			return r.id
		case "state":
			return r.state
		case "requesttype":
			return r.requestType
		case "createddatetime":
			return &r.created
		case "accesspackage/id":
			return r.packageID
		case "requestor/objectid":
			if sj := s.st.subjects[r.requestorID]; sj != nil {
				return nilIfEmpty(sj.objectID)
			}
			return nil
		case "assignment/id":
			return nilIfEmpty(r.assignmentID)
		}
		return nil
	}
}

const requestsContext = "identityGovernance/entitlementManagement/assignmentRequests"

// selectRequests is what a list or count of requests reads: the candidates
// (narrowed by an index where the filter allows) and the match.
func (s *Server) selectRequests(q *query, extra func(*request) bool) ([]string, func(string) bool) {
	candidates := s.st.reqOrder
	if pkg, ok := q.filter.eqValue("accesspackage/id"); ok {
		candidates = s.st.reqByPkg[lower(pkg)]
	}
	return candidates, func(id string) bool {
		r := s.visibleRequest(id)
		return r != nil && (extra == nil || extra(r)) && q.filter.match(s.requestFields(r))
	}
}

func (s *Server) listRequestsWhere(c *call, extra func(*request) bool) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "requests", "request", true)
	if gerr != nil {
		return nil, gerr
	}
	if extra == nil {
		if gerr := s.mayList(c.identity, q, "assignment requests"); gerr != nil {
			return nil, gerr
		}
	}
	candidates, match := s.selectRequests(q, extra)
	render := func(id string) map[string]any { return s.renderRequest(s.st.requests[id], q.expand) }
	return s.page(c, q, candidates, match, render, requestsContext), nil
}

func (s *Server) listRequests(c *call) (*response, *graphError) { return s.listRequestsWhere(c, nil) }

// countRequests is /assignmentRequests/$count: the count of the collection
// after $filter, as OData defines the /$count segment.
func (s *Server) countRequests(c *call) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "requests", "request", true)
	if gerr != nil {
		return nil, gerr
	}
	if gerr := s.mayList(c.identity, q, "assignment requests"); gerr != nil {
		return nil, gerr
	}
	return countOf(s.selectRequests(q, nil)), nil
}

// countOf answers a /$count: the matches among the candidates, as text.
func countOf(candidates []string, match func(string) bool) *response {
	n := 0
	for _, id := range candidates {
		if match(id) {
			n++
		}
	}
	return &response{status: 200, text: strconv.Itoa(n)}
}

// onArg reads the on='…' argument of filterByCurrentUser.
func onArg(seg string) string {
	i, j := strings.IndexByte(seg, '\''), strings.LastIndexByte(seg, '\'')
	if i < 0 || j <= i {
		return ""
	}
	return lower(seg[i+1 : j])
}

func (s *Server) requestsForCurrentUser(c *call) (*response, *graphError) {
	if c.identity.Kind != "delegated" {
		return nil, errf(403, "Authorization_RequestDenied", "filterByCurrentUser needs a signed-in user; application permissions are not supported.")
	}
	me := lower(c.identity.ObjectID)
	on := onArg(c.segs[1])
	var keep func(*request) bool
	switch on {
	case "target":
		keep = func(r *request) bool {
			return s.subjectObject(r.targetID) == me || s.subjectObject(r.callerID) == me
		}
	case "createdby":
		keep = func(r *request) bool { return s.subjectObject(r.callerID) == me }
	case "approver":
		keep = func(r *request) bool { return r.state == "pendingApproval" && s.isApprover(r, me) }
	default:
		return nil, badRequest("The value '%s' is not valid for parameter 'on': use target, createdBy or approver.", on)
	}
	return s.listRequestsWhere(c, keep)
}

func (s *Server) subjectObject(subjectID string) string {
	if sj := s.st.subjects[subjectID]; sj != nil {
		return lower(sj.objectID)
	}
	return ""
}

func (s *Server) isApprover(r *request, userID string) bool {
	p := s.st.policies[r.policyID]
	stages, _ := obj(p.body, "requestApprovalSettings")["stages"].([]any)
	for _, st := range stages {
		sm, _ := st.(map[string]any)
		approvers, _ := findKey(sm, "primaryApprovers").([]any)
		for _, a := range approvers {
			am, _ := a.(map[string]any)
			if strings.EqualFold(str(am, "userId"), userID) {
				return true
			}
		}
	}
	return false
}

func (s *Server) requestArg(c *call) (*request, *graphError) {
	id, gerr := idArg(c, 1, "accessPackageAssignmentRequest")
	if gerr != nil {
		return nil, gerr
	}
	r := s.visibleRequest(id)
	if r == nil {
		return nil, notFound("accessPackageAssignmentRequest", id)
	}
	return r, nil
}

// readableRequest is requestArg for a read: the caller reads the request's
// catalog, or it is a signed-in user's own request.
func (s *Server) readableRequest(c *call) (*request, *graphError) {
	r, gerr := s.requestArg(c)
	if gerr != nil {
		return nil, gerr
	}
	if !s.ownRequest(c.identity, r) {
		if gerr := s.mayRead(c.identity, s.catalogOfPackage(r.packageID), "reading assignment request "+r.id); gerr != nil {
			return nil, gerr
		}
	}
	return r, nil
}

// assignableRequest is requestArg for a change (reprocess, resume, delete):
// the caller assigns in the request's catalog.
func (s *Server) assignableRequest(c *call, what string) (*request, *graphError) {
	r, gerr := s.requestArg(c)
	if gerr != nil {
		return nil, gerr
	}
	if gerr := s.mayAssign(c.identity, s.catalogOfPackage(r.packageID), what+" assignment request "+r.id); gerr != nil {
		return nil, gerr
	}
	return r, nil
}

func (s *Server) getRequest(c *call) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "", "request", false)
	if gerr != nil {
		return nil, gerr
	}
	r, gerr := s.readableRequest(c)
	if gerr != nil {
		return nil, gerr
	}
	return entityResponse(c, s.renderRequest(r, q.expand), q, requestsContext), nil
}

func (s *Server) requestNavigation(c *call) (*response, *graphError) {
	r, gerr := s.readableRequest(c)
	if gerr != nil {
		return nil, gerr
	}
	nav := lower(c.segs[2])
	q, gerr := s.parseQuery(c, "", map[string]string{"accesspackage": "package", "assignment": "assignment", "requestor": "subject"}[nav], false)
	if gerr != nil {
		return nil, gerr
	}
	var m map[string]any
	switch nav {
	case "accesspackage":
		m = renderPackage(s.st.packages[r.packageID])
	case "assignment":
		a := s.st.assignments[r.assignmentID]
		if a == nil {
			return nil, errf(404, "ResourceNotFound", "The request %s has no assignment yet.", r.id)
		}
		m = s.renderAssignment(a, q.expand)
	default:
		sj := s.st.subjects[r.requestorID]
		if sj == nil {
			return nil, errf(404, "ResourceNotFound", "The request %s has no requestor.", r.id)
		}
		m = s.renderSubject(sj)
	}
	return entityResponse(c, m, q, requestsContext+"('"+r.id+"')/"+c.segs[2]), nil
}

func (s *Server) deleteRequest(c *call) (*response, *graphError) {
	// [INF] deleting a request takes the roles that assign.
	r, gerr := s.assignableRequest(c, "deleting")
	if gerr != nil {
		return nil, gerr
	}
	if _, open := s.st.open[r.id]; open {
		return nil, invalidRequest("The request %s is still being processed (state %s); only denied or completed requests can be deleted.", r.id, r.state)
	}
	if a := s.st.assignments[r.assignmentID]; a != nil && a.live() && isAdd(r) {
		return nil, invalidRequest("The request %s still has assignment %s; remove the assignment first.", r.id, a.id)
	}
	r.deleted = true
	return &response{status: 204}, nil
}

func (s *Server) cancelRequest(c *call) (*response, *graphError) {
	r, gerr := s.requestArg(c)
	if gerr != nil {
		return nil, gerr
	}
	if c.identity.Kind != "delegated" {
		// Cancel is delegated-only in Graph (the cancel page: delegated permissions only).
		return nil, errf(403, "Authorization_RequestDenied", "Cancel is not supported with application permissions; it needs a signed-in user.")
	}
	if !s.ownRequest(c.identity, r) {
		// Administrators cancel others' requests with a role that assigns
		// (the cancel page's role note).
		if gerr := s.mayAssign(c.identity, s.catalogOfPackage(r.packageID), "canceling assignment request "+r.id); gerr != nil {
			return nil, gerr
		}
	}
	switch r.state {
	case "submitted", "pendingApproval", "scheduled":
	default:
		return nil, invalidRequest("The request %s is %s and cannot be canceled; only requests that are accepted, pending approval or pending their start date can.", r.id, r.state)
	}
	r.setState("canceled")
	r.completed = tptr(s.now())
	r.waitingStage = ""
	s.close(r)
	return &response{status: 204}, nil
}

func (s *Server) reprocessRequest(c *call) (*response, *graphError) {
	r, gerr := s.assignableRequest(c, "reprocessing")
	if gerr != nil {
		return nil, gerr
	}
	if r.state != "deliveryFailed" && r.state != "partiallyDelivered" {
		return nil, invalidRequest("The request %s is %s; only requests in deliveryFailed or partiallyDelivered can be reprocessed.", r.id, r.state)
	}
	now := s.now()
	if r.completed != nil && now.Sub(*r.completed) > reprocessWindow {
		return nil, invalidRequest("The request %s completed on %s, more than 14 days ago, and can no longer be reprocessed; cancel it and submit a new request.", r.id, r.completed.Format(time.RFC3339))
	}
	if other := s.st.openByPair[pairKey(r.packageID, r.targetID)]; other != nil && other != r {
		return nil, existingOpen(other)
	}
	r.completed = nil
	s.reopen(r)
	s.startDelivering(r, now)
	return &response{status: 202}, nil
}

func (s *Server) resumeRequest(c *call) (*response, *graphError) {
	// [INF] the resume page's role note does not name the roles: those
	// that assign, or the application permission (a Logic App's).
	r, gerr := s.assignableRequest(c, "resuming")
	if gerr != nil {
		return nil, gerr
	}
	body, gerr := decodeJSON(c.body)
	if gerr != nil {
		return nil, gerr
	}
	if r.status != "WaitingForCallback" || r.waitingStage == "" {
		return nil, invalidRequest("The request %s is not waiting for a callback (state %s, status %s).", r.id, r.state, r.status)
	}
	data := obj(body, "data")
	stage := str(data, "stage")
	if stage == "" {
		t := str(body, "type")
		stage = t[strings.LastIndexByte(t, '.')+1:]
	}
	if stage == "" {
		return nil, badRequest("The resume body needs data.stage or type naming the custom extension stage.")
	}
	st, gerr := normEnum(stage, calloutStages, "accessPackageCustomExtensionStage")
	if gerr != nil {
		return nil, gerr
	}
	if st != r.waitingStage {
		return nil, invalidRequest("The request %s waits at stage %s, not %s.", r.id, r.waitingStage, st)
	}
	inst := str(data, "customExtensionStageInstanceId")
	if inst != "" {
		found := false
		for _, co := range r.callouts {
			found = found || (co.status == "waitingForCallback" && strings.EqualFold(co.id, inst))
		}
		if !found {
			return nil, invalidRequest("No waiting custom extension instance %s on request %s.", inst, r.id)
		}
	}
	state := ""
	if v := findKey(data, "state"); v != nil {
		sv, _ := v.(string)
		switch lower(sv) {
		case "denied":
			state = "denied"
		case "canceled":
			state = "canceled"
		default:
			return nil, invalidRequest("The callback state '%v' is not valid: it may only be denied or canceled.", v)
		}
		if st != "assignmentRequestCreated" {
			return nil, invalidRequest("The callback state may only be set at the assignmentRequestCreated stage, not at %s.", st)
		}
	}
	s.callback(r, s.now(), state, lower(inst), str(data, "customExtensionStageInstanceDetail"))
	return &response{status: 204}, nil
}

// ---- assignments --------------------------------------------------------------------------

const assignmentsContext = "identityGovernance/entitlementManagement/assignments"

func (s *Server) visibleAssignment(id string) *assignment {
	a := s.st.assignments[id]
	if a == nil || s.now().Before(a.visibleAt) {
		return nil
	}
	return a
}

func (s *Server) assignmentFields(a *assignment) func(string) any {
	return func(p string) any {
		switch p {
		case "id":
			return a.id
		case "state":
			return a.state
		case "target/objectid":
			return nilIfEmpty(s.st.subjects[a.targetID].objectID)
		case "accesspackage/id":
			return a.packageID
		case "assignmentpolicy/id":
			return a.policyID
		}
		return nil
	}
}

// selectAssignments is what a list or count of assignments reads.
func (s *Server) selectAssignments(q *query, extra func(*assignment) bool) ([]string, func(string) bool) {
	candidates := s.st.asgOrder
	if t, ok := q.filter.eqValue("target/objectid"); ok {
		candidates = nil
		if sj := s.st.subjByObj[lower(t)]; sj != nil {
			candidates = s.st.asgByTarget[sj.id]
		}
	} else if pkg, ok := q.filter.eqValue("accesspackage/id"); ok {
		candidates = s.st.asgByPkg[lower(pkg)]
	}
	return candidates, func(id string) bool {
		a := s.visibleAssignment(id)
		return a != nil && (extra == nil || extra(a)) && q.filter.match(s.assignmentFields(a))
	}
}

func (s *Server) listAssignmentsWhere(c *call, extra func(*assignment) bool) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "assignments", "assignment", true)
	if gerr != nil {
		return nil, gerr
	}
	if extra == nil {
		if gerr := s.mayList(c.identity, q, "assignments"); gerr != nil {
			return nil, gerr
		}
	}
	candidates, match := s.selectAssignments(q, extra)
	render := func(id string) map[string]any { return s.renderAssignment(s.st.assignments[id], q.expand) }
	return s.page(c, q, candidates, match, render, assignmentsContext), nil
}

func (s *Server) listAssignments(c *call) (*response, *graphError) {
	return s.listAssignmentsWhere(c, nil)
}

// countAssignments is /assignments/$count: the count after $filter.
func (s *Server) countAssignments(c *call) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "assignments", "assignment", true)
	if gerr != nil {
		return nil, gerr
	}
	if gerr := s.mayList(c.identity, q, "assignments"); gerr != nil {
		return nil, gerr
	}
	return countOf(s.selectAssignments(q, nil)), nil
}

func (s *Server) assignmentsForCurrentUser(c *call) (*response, *graphError) {
	if c.identity.Kind != "delegated" {
		return nil, errf(403, "Authorization_RequestDenied", "filterByCurrentUser needs a signed-in user; application permissions are not supported.")
	}
	me := lower(c.identity.ObjectID)
	switch on := onArg(c.segs[1]); on {
	case "target":
		return s.listAssignmentsWhere(c, func(a *assignment) bool { return s.subjectObject(a.targetID) == me })
	case "createdby":
		return s.listAssignmentsWhere(c, func(a *assignment) bool {
			for _, rid := range s.st.reqByPkg[a.packageID] {
				r := s.st.requests[rid]
				if r.assignmentID == a.id && isAdd(r) && s.subjectObject(r.callerID) == me {
					return true
				}
			}
			return false
		})
	default:
		return nil, badRequest("The value '%s' is not valid for parameter 'on': use target or createdBy.", on)
	}
}

// additionalAccess lists the assignments of a package held by users who also
// hold an incompatible package.
func (s *Server) additionalAccess(c *call) (*response, *graphError) {
	seg := c.segs[1]
	args := map[string]string{}
	inner := seg[strings.IndexByte(seg, '(')+1 : len(seg)-1]
	for _, kv := range strings.Split(inner, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			args[lower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), "'")
		}
	}
	pkg, inc := lower(args["accesspackageid"]), lower(args["incompatibleaccesspackageid"])
	if pkg == "" && inc == "" {
		return s.listAssignmentsWhere(c, func(*assignment) bool { return false })
	}
	if !isGUID(pkg) || !isGUID(inc) {
		return nil, badRequest("additionalAccess needs accessPackageId and incompatibleAccessPackageId GUIDs.")
	}
	for _, p := range []string{pkg, inc} {
		if gerr := s.mayRead(c.identity, s.catalogOfPackage(p), "reading the assignments of access package "+p); gerr != nil {
			return nil, gerr
		}
	}
	return s.listAssignmentsWhere(c, func(a *assignment) bool {
		if a.packageID != pkg || !a.live() {
			return false
		}
		for _, id := range s.st.asgByTarget[a.targetID] {
			if o := s.st.assignments[id]; o.packageID == inc && o.live() {
				return true
			}
		}
		return false
	})
}

func (s *Server) assignmentArg(c *call) (*assignment, *graphError) {
	id, gerr := idArg(c, 1, "accessPackageAssignment")
	if gerr != nil {
		return nil, gerr
	}
	a := s.visibleAssignment(id)
	if a == nil {
		return nil, notFound("accessPackageAssignment", id)
	}
	if gerr := s.mayRead(c.identity, s.catalogOfPackage(a.packageID), "reading assignment "+a.id); gerr != nil {
		return nil, gerr
	}
	return a, nil
}

func (s *Server) getAssignment(c *call) (*response, *graphError) {
	q, gerr := s.parseQuery(c, "", "assignment", false)
	if gerr != nil {
		return nil, gerr
	}
	a, gerr := s.assignmentArg(c)
	if gerr != nil {
		return nil, gerr
	}
	return entityResponse(c, s.renderAssignment(a, q.expand), q, assignmentsContext), nil
}

func (s *Server) assignmentNavigation(c *call) (*response, *graphError) {
	a, gerr := s.assignmentArg(c)
	if gerr != nil {
		return nil, gerr
	}
	nav := lower(c.segs[2])
	q, gerr := s.parseQuery(c, "", map[string]string{"accesspackage": "package", "assignmentpolicy": "policy", "target": "subject"}[nav], false)
	if gerr != nil {
		return nil, gerr
	}
	var m map[string]any
	switch nav {
	case "accesspackage":
		m = s.renderEntity("package", a.packageID, q.expand)
	case "assignmentpolicy":
		m = s.renderEntity("policy", a.policyID, q.expand)
	default:
		m = s.renderSubject(s.st.subjects[a.targetID])
	}
	return entityResponse(c, m, q, assignmentsContext+"('"+a.id+"')/"+c.segs[2]), nil
}

func (s *Server) reprocessAssignment(c *call) (*response, *graphError) {
	a, gerr := s.assignmentArg(c)
	if gerr != nil {
		return nil, gerr
	}
	// "Only Access Package Assignment Manager or higher" (the assignment reprocess page).
	if gerr := s.mayAssign(c.identity, s.catalogOfPackage(a.packageID), "reprocessing assignment "+a.id); gerr != nil {
		return nil, gerr
	}
	if a.state != "delivered" {
		return nil, invalidRequest("The assignment %s is %s; only delivered assignments can be reprocessed.", a.id, a.state)
	}
	a.reprocessed++
	return &response{status: 202}, nil
}
