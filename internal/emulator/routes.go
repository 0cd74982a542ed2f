package emulator

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// route is one entry of the emulator's map of Graph.
type route struct {
	method string
	// pattern is the path after /v1.0, in segments: a literal matches
	// case-insensitively, as Graph's segments do; {id} matches any one
	// segment; a segment ending in "(*)" matches a function call by name,
	// whatever its arguments.
	pattern string
	// name is what metrics and faults call the route, e.g.
	// "GET /assignmentRequests/{id}" (the path after entitlementManagement).
	name   string
	handle func(s *Server, c *call) (*response, *graphError)
	// globalOnly routes exist only in the global cloud's v1.0.
	globalOnly bool
}

const emPrefix = "identitygovernance/entitlementmanagement/"

const em = "identityGovernance/entitlementManagement"

// seed is a handler of a seeding collection (catalogs, access packages,
// policies): documented create, get and list.
func seed(coll string, h func(*Server, *call, string) (*response, *graphError)) func(*Server, *call) (*response, *graphError) {
	return func(s *Server, c *call) (*response, *graphError) { return h(s, c, coll) }
}

// postARequest answers the methods the SDK generates for assignments but
// Graph does not document: changes to assignments go through requests.
func postARequest(_ *Server, c *call) (*response, *graphError) {
	return nil, errf(405, "MethodNotAllowed", "%s is not supported on %s: create, update and remove assignments by posting an assignment request.", c.r.Method, strings.Join(c.segs, "/"))
}

// routes is the emulator's map of Graph v1.0: every method and path it
// serves, with the name metrics and faults use and the handler. When two
// patterns match a path, the one with more literal segments wins
// (assignmentRequests/$count over assignmentRequests/{id}).
var routes = []route{
	{"GET", "users", "GET /users", (*Server).listUsers, false},
	{"POST", "users", "POST /users", (*Server).postUser, false},
	{"GET", "users/{id}", "GET /users/{id}", (*Server).getUser, false},
	{"GET", "groups/{id}/members", "GET /groups/{id}/members", (*Server).listGroupMembers, false},

	{"GET", em + "/catalogs", "GET /catalogs", seed("catalogs", (*Server).listSeed), false},
	{"POST", em + "/catalogs", "POST /catalogs", seed("catalogs", (*Server).postSeed), false},
	{"GET", em + "/catalogs/{id}", "GET /catalogs/{id}", seed("catalogs", (*Server).getSeed), false},
	{"GET", em + "/accessPackages", "GET /accessPackages", seed("accesspackages", (*Server).listSeed), false},
	{"POST", em + "/accessPackages", "POST /accessPackages", seed("accesspackages", (*Server).postSeed), false},
	{"GET", em + "/accessPackages/{id}", "GET /accessPackages/{id}", seed("accesspackages", (*Server).getSeed), false},
	{"GET", em + "/accessPackages/{id}/incompatibleAccessPackages", "GET /accessPackages/{id}/incompatibleAccessPackages", (*Server).listIncompatiblePackages, false},
	{"GET", em + "/accessPackages/{id}/accessPackagesIncompatibleWith", "GET /accessPackages/{id}/accessPackagesIncompatibleWith", (*Server).listIncompatiblePackages, false},
	{"GET", em + "/accessPackages/{id}/incompatibleGroups", "GET /accessPackages/{id}/incompatibleGroups", (*Server).listIncompatibleGroups, false},
	{"POST", em + "/accessPackages/{id}/incompatibleAccessPackages/$ref", "POST /accessPackages/{id}/incompatibleAccessPackages/$ref", (*Server).addIncompatible, false},
	{"POST", em + "/accessPackages/{id}/incompatibleGroups/$ref", "POST /accessPackages/{id}/incompatibleGroups/$ref", (*Server).addIncompatible, false},
	{"DELETE", em + "/accessPackages/{id}/incompatibleAccessPackages/{id}/$ref", "DELETE /accessPackages/{id}/incompatibleAccessPackages/{id}/$ref", (*Server).removeIncompatible, false},
	{"DELETE", em + "/accessPackages/{id}/incompatibleGroups/{id}/$ref", "DELETE /accessPackages/{id}/incompatibleGroups/{id}/$ref", (*Server).removeIncompatible, false},
	{"GET", em + "/assignmentPolicies", "GET /assignmentPolicies", seed("assignmentpolicies", (*Server).listSeed), false},
	{"POST", em + "/assignmentPolicies", "POST /assignmentPolicies", seed("assignmentpolicies", (*Server).postSeed), false},
	{"GET", em + "/assignmentPolicies/{id}", "GET /assignmentPolicies/{id}", seed("assignmentpolicies", (*Server).getSeed), false},

	{"POST", em + "/assignmentRequests", "POST /assignmentRequests", (*Server).postAssignmentRequest, false},
	{"GET", em + "/assignmentRequests", "GET /assignmentRequests", (*Server).listRequests, false},
	{"GET", em + "/assignmentRequests/$count", "GET /assignmentRequests/$count", (*Server).countRequests, false},
	{"GET", em + "/assignmentRequests/filterByCurrentUser(*)", "GET /assignmentRequests/filterByCurrentUser", (*Server).requestsForCurrentUser, false},
	{"GET", em + "/assignmentRequests/{id}", "GET /assignmentRequests/{id}", (*Server).getRequest, false},
	{"DELETE", em + "/assignmentRequests/{id}", "DELETE /assignmentRequests/{id}", (*Server).deleteRequest, false},
	{"PATCH", em + "/assignmentRequests/{id}", "PATCH /assignmentRequests/{id}", postARequest, false},
	{"POST", em + "/assignmentRequests/{id}/cancel", "POST /assignmentRequests/{id}/cancel", (*Server).cancelRequest, false},
	{"POST", em + "/assignmentRequests/{id}/reprocess", "POST /assignmentRequests/{id}/reprocess", (*Server).reprocessRequest, false},
	{"POST", em + "/assignmentRequests/{id}/resume", "POST /assignmentRequests/{id}/resume", (*Server).resumeRequest, true},
	{"GET", em + "/assignmentRequests/{id}/accessPackage", "GET /assignmentRequests/{id}/accessPackage", (*Server).requestNavigation, false},
	{"GET", em + "/assignmentRequests/{id}/assignment", "GET /assignmentRequests/{id}/assignment", (*Server).requestNavigation, false},
	{"GET", em + "/assignmentRequests/{id}/requestor", "GET /assignmentRequests/{id}/requestor", (*Server).requestNavigation, false},

	{"GET", em + "/assignments", "GET /assignments", (*Server).listAssignments, false},
	{"POST", em + "/assignments", "POST /assignments", postARequest, false},
	{"GET", em + "/assignments/$count", "GET /assignments/$count", (*Server).countAssignments, false},
	{"GET", em + "/assignments/filterByCurrentUser(*)", "GET /assignments/filterByCurrentUser", (*Server).assignmentsForCurrentUser, false},
	{"GET", em + "/assignments/additionalAccess(*)", "GET /assignments/additionalAccess", (*Server).additionalAccess, false},
	{"GET", em + "/assignments/{id}", "GET /assignments/{id}", (*Server).getAssignment, false},
	{"PATCH", em + "/assignments/{id}", "PATCH /assignments/{id}", postARequest, false},
	{"DELETE", em + "/assignments/{id}", "DELETE /assignments/{id}", postARequest, false},
	{"POST", em + "/assignments/{id}/reprocess", "POST /assignments/{id}/reprocess", (*Server).reprocessAssignment, false},
	{"GET", em + "/assignments/{id}/accessPackage", "GET /assignments/{id}/accessPackage", (*Server).assignmentNavigation, false},
	{"GET", em + "/assignments/{id}/assignmentPolicy", "GET /assignments/{id}/assignmentPolicy", (*Server).assignmentNavigation, false},
	{"GET", em + "/assignments/{id}/target", "GET /assignments/{id}/target", (*Server).assignmentNavigation, false},
}

// match scores how a pattern fits path segments: -1 for no match, else the
// number of literal segments.
func match(pattern string, segs []string) int {
	ps := strings.Split(pattern, "/")
	if len(ps) != len(segs) {
		return -1
	}
	score := 0
	for i, p := range ps {
		seg := lower(segs[i])
		switch {
		case p == "{id}":
			if seg == "" {
				return -1
			}
		case strings.HasSuffix(p, "(*)"):
			if !strings.HasPrefix(seg, lower(strings.TrimSuffix(p, "*)"))) {
				return -1
			}
			score++
		default:
			if seg != lower(p) {
				return -1
			}
			score++
		}
	}
	return score
}

// route finds the route for a method and path, and the path segments its
// handler reads (after entitlementManagement for its routes).
func (s *Server) route(method, path string) (*route, []string, *graphError) {
	p := strings.Trim(path, "/")
	ver, rest, _ := strings.Cut(p, "/")
	switch lower(ver) {
	case "v1.0":
	case "beta":
		return nil, nil, badRequest("The emulator serves Graph v1.0 only; the provider does not use /beta.")
	default:
		return nil, nil, errf(404, "NotFound", "Unknown API version in '%s': use /v1.0.", path)
	}
	segs := strings.Split(rest, "/")
	lr := lower(rest) + "/"
	if lower(segs[0]) != "users" && lower(segs[0]) != "groups" && !strings.HasPrefix(lr, emPrefix) {
		return nil, segs, badRequest("Resource not found for the segment '%s'.", segs[0])
	}
	if lr == emPrefix || lr == emPrefix+"/" {
		return nil, segs, badRequest("The emulator has no handler for the entitlementManagement root.")
	}
	var best *route
	bestScore, pathMatched := -1, false
	for i := range routes {
		rt := &routes[i]
		sc := match(rt.pattern, segs)
		if sc < 0 || (rt.globalOnly && !s.global()) {
			continue
		}
		pathMatched = true
		if rt.method == method && sc > bestScore {
			best, bestScore = rt, sc
		}
	}
	handlerSegs := segs
	if strings.HasPrefix(lr, emPrefix) {
		handlerSegs = segs[2:]
	}
	switch {
	case best != nil:
		return best, handlerSegs, nil
	case pathMatched:
		return nil, handlerSegs, errf(405, "MethodNotAllowed", "%s %s is not supported by the emulator.", method, path)
	}
	return nil, handlerSegs, badRequest("Resource not found for the segment '%s' (%s %s).", segs[len(segs)-1], method, path)
}

// ---- query options ---------------------------------------------------------------------

type query struct {
	filter   filter
	expand   []expandItem
	sel      []string
	top      int
	pos      int
	count    bool
	hasTop   bool
	rawQuery url.Values
}

// parseQuery reads the query options of a call on entity (a collection
// when list is set, whose filters are the table coll names: see
// strictFilters, or the permissive table of an emulator made Permissive).
func (s *Server) parseQuery(c *call, coll, entity string, list bool) (*query, *graphError) {
	v := splitQuery(c.r.URL.RawQuery)
	q := &query{rawQuery: v}
	for k := range v {
		switch lower(k) {
		case "$search", "$orderby", "$skip":
			return nil, badRequest("The query option '%s' is not supported on this collection.", k)
		case "$filter", "$expand", "$select", "$top", "$count", "$skiptoken":
		default:
			if strings.HasPrefix(k, "$") {
				return nil, badRequest("The query parameter '%s' is not supported.", k)
			}
		}
	}
	get := func(name string) string {
		for k, vals := range v {
			if strings.EqualFold(k, name) && len(vals) > 0 {
				return vals[0]
			}
		}
		return ""
	}
	if f := get("$filter"); f != "" {
		if !list {
			return nil, badRequest("The query option '$filter' is not supported on a single entity.")
		}
		var fl filter
		var gerr *graphError
		if s.opts.Permissive {
			fl, gerr = parseFilter(f, permissiveFilters[coll])
		} else {
			fl, gerr = parseStrictFilter(f, strictFilters[coll])
		}
		if gerr != nil {
			return nil, gerr
		}
		q.filter = fl
	}
	if e := get("$expand"); e != "" {
		items, gerr := parseExpand(e)
		if gerr != nil {
			return nil, gerr
		}
		items = expandStar(items, entity)
		if gerr := checkExpand(items, entity); gerr != nil {
			return nil, gerr
		}
		if !s.opts.Permissive {
			if gerr := s.checkExpandSelect(items, entity); gerr != nil {
				return nil, gerr
			}
		}
		q.expand = items
	}
	q.sel = parseSelect(get("$select"))
	if !s.opts.Permissive {
		if gerr := s.checkSelect(q.sel, entity); gerr != nil {
			return nil, gerr
		}
	}
	if t := get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return nil, badRequest("Invalid value '%s' for $top: it must be a non-negative integer.", t)
		}
		q.top, q.hasTop = n, true
	}
	if tok := get("$skiptoken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		pos, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "p:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "p:") || pos < 0 {
			return nil, badRequest("The $skiptoken '%s' is not valid.", tok)
		}
		q.pos = pos
	}
	q.count = strings.EqualFold(get("$count"), "true")
	return q, nil
}

// entityProperties are the structural and navigation properties of each
// entity type in Microsoft's v1.0 metadata (global cloud; the others lack
// the ones in globalOnlyProperties): what $select may name. Graph refuses
// another name, as ODataLib does ("Could not find a property named …").
var entityProperties = map[string][]string{
	"request": {"id", "requestType", "state", "status", "createdDateTime", "completedDateTime", "schedule", "justification", "answers",
		"customExtensionCalloutInstances", "accessPackage", "assignment", "requestor"},
	"assignment": {"id", "state", "status", "schedule", "expiredDateTime", "customExtensionCalloutInstances", "accessPackage", "assignmentPolicy", "target"},
	"policy": {"id", "displayName", "description", "allowedTargetScope", "specificAllowedTargets", "expiration", "requestorSettings", "requestApprovalSettings",
		"reviewSettings", "automaticRequestSettings", "notificationSettings", "createdDateTime", "modifiedDateTime", "accessPackage", "catalog", "questions",
		"customExtensionStageSettings"},
	"package": {"id", "displayName", "description", "isHidden", "createdDateTime", "modifiedDateTime", "catalog", "assignmentPolicies", "resourceRoleScopes",
		"incompatibleAccessPackages", "accessPackagesIncompatibleWith", "incompatibleGroups"},
	"catalog": {"id", "displayName", "description", "catalogType", "state", "isExternallyVisible", "createdDateTime", "modifiedDateTime", "accessPackages",
		"resources", "resourceRoles", "resourceScopes", "customWorkflowExtensions"},
	"subject": {"id", "objectId", "displayName", "email", "principalName", "onPremisesSecurityIdentifier", "subjectType", "subjectLifecycle", "connectedOrganization"},
}

// globalOnlyProperties exist only in the global cloud's v1.0 metadata.
var globalOnlyProperties = map[string]bool{"request.justification": true, "policy.notificationSettings": true, "subject.subjectLifecycle": true}

// checkSelect refuses a $select of a property the entity type does not
// have. Users (directory objects) are not checked.
func (s *Server) checkSelect(sel []string, entity string) *graphError {
	props, ok := entityProperties[entity]
	if !ok {
		return nil
	}
	for _, p := range sel {
		found := false
		for _, x := range props {
			if strings.EqualFold(x, p) && (s.global() || !globalOnlyProperties[entity+"."+x]) {
				found = true
			}
		}
		if !found && p != "*" {
			return badRequest("Could not find a property named '%s' on type 'microsoft.graph.%s'.", p, graphTypeName(entity))
		}
	}
	return nil
}

// checkExpandSelect applies checkSelect inside $expand options.
func (s *Server) checkExpandSelect(items []expandItem, entity string) *graphError {
	for _, it := range items {
		next := expandTargets[entity][lower(it.name)]
		if next == "" {
			continue
		}
		if gerr := s.checkSelect(it.sel, next); gerr != nil {
			return gerr
		}
		if gerr := s.checkExpandSelect(it.expand, next); gerr != nil {
			return gerr
		}
	}
	return nil
}

// splitQuery parses a query string with only '&' as the separator. Go's
// url.ParseQuery drops every pair that contains ';', but OData uses ';'
// inside $expand options: $expand=assignment($expand=target;$select=id).
func splitQuery(raw string) url.Values {
	v := url.Values{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		uk, err1 := url.QueryUnescape(k)
		uv, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			uk, uv = k, val
		}
		v[uk] = append(v[uk], uv)
	}
	return v
}

// Navigations that may be expanded, by entity, and what each leads to.
var expandTargets = map[string]map[string]string{
	"request":    {"accesspackage": "package", "assignment": "assignment", "requestor": "subject"},
	"assignment": {"target": "subject", "accesspackage": "package", "assignmentpolicy": "policy"},
	"policy":     {"questions": "", "customextensionstagesettings": "", "accesspackage": "package", "catalog": "catalog"},
	"package":    {"catalog": "catalog", "assignmentpolicies": "policy"},
	"catalog":    {"accesspackages": "package"},
	"subject":    {},
	"user":       {},
}

// expandStar replaces $expand=* by every navigation of the entity, one level
// deep, as OData defines the star.
func expandStar(items []expandItem, entity string) []expandItem {
	out := make([]expandItem, 0, len(items))
	for _, it := range items {
		if it.name != "*" {
			out = append(out, it)
			continue
		}
		names := make([]string, 0, len(expandTargets[entity]))
		for n := range expandTargets[entity] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, expandItem{name: n})
		}
	}
	return out
}

func checkExpand(items []expandItem, entity string) *graphError {
	for _, it := range items {
		next, ok := expandTargets[entity][lower(it.name)]
		if !ok {
			return badRequest("Could not find a property named '%s' on type 'microsoft.graph.%s'.", it.name, graphTypeName(entity))
		}
		if len(it.expand) > 0 {
			if next == "" {
				return badRequest("The navigation '%s' cannot be expanded further.", it.name)
			}
			if gerr := checkExpand(it.expand, next); gerr != nil {
				return gerr
			}
		}
	}
	return nil
}

func graphTypeName(entity string) string {
	return map[string]string{"request": "accessPackageAssignmentRequest", "assignment": "accessPackageAssignment",
		"policy": "accessPackageAssignmentPolicy", "package": "accessPackage", "catalog": "accessPackageCatalog",
		"subject": "accessPackageSubject", "user": "user"}[entity]
}

// page walks the candidate ids from the query's position and renders up to a
// page of matches, with an absolute @odata.nextLink on this emulator's host
// when more remain.
func (s *Server) page(c *call, q *query, candidates []string, match func(id string) bool, render func(id string) map[string]any, context string) *response {
	size := s.opts.PageSize
	if q.hasTop {
		size = q.top
	}
	value := []any{}
	next := -1
	for i := q.pos; i < len(candidates); i++ {
		if !match(candidates[i]) {
			continue
		}
		if len(value) >= size {
			next = i
			break
		}
		value = append(value, applySelect(render(candidates[i]), q.sel, q.expand))
	}
	out := map[string]any{"@odata.context": contextURL(c, context), "value": value}
	if q.count {
		n := 0
		for _, id := range candidates {
			if match(id) {
				n++
			}
		}
		out["@odata.count"] = n
	}
	// With $top and no server paging request, Graph returns just the top
	// items and a nextLink; a $top of 0 returns none.
	if next >= 0 && size > 0 {
		v := url.Values{}
		for k, vals := range q.rawQuery {
			if !strings.EqualFold(k, "$skiptoken") {
				v[k] = vals
			}
		}
		tok := base64.RawURLEncoding.EncodeToString([]byte("p:" + strconv.Itoa(next)))
		link := c.base + c.r.URL.Path + "?"
		if enc := v.Encode(); enc != "" {
			link += enc + "&"
		}
		out["@odata.nextLink"] = link + "$skiptoken=" + tok
	}
	return &response{status: 200, body: out}
}

func entityResponse(c *call, m map[string]any, q *query, context string) *response {
	m = applySelect(m, q.sel, q.expand)
	m["@odata.context"] = contextURL(c, context+"/$entity")
	return &response{status: 200, body: m}
}

// idArg returns the id segment, lower-cased, or a 400 when it is not a GUID
// (the reprocess page's documented answer for an invalid id).
func idArg(c *call, i int, kind string) (string, *graphError) {
	id := c.segs[i]
	if !isGUID(id) {
		return "", badRequest("Invalid %s id '%s': it must be a GUID.", kind, id)
	}
	return lower(id), nil
}
