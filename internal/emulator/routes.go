package emulator

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

type route struct {
	name   string // e.g. "GET /assignmentRequests/{id}", used by metrics and faults
	handle func(s *Server, c *call) (*response, *graphError)
}

const emPrefix = "identitygovernance/entitlementmanagement/"

// route finds the handler for a method and path. Path segments match
// case-insensitively, as Graph's do.
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
	lr := lower(rest)
	n := len(segs)
	mk := func(name string, h func(*Server, *call) (*response, *graphError)) (*route, []string, *graphError) {
		return &route{name: method + " " + name, handle: h}, segs, nil
	}
	notAllowed := func(name string) (*route, []string, *graphError) {
		return &route{name: method + " " + name, handle: func(*Server, *call) (*response, *graphError) {
			return nil, errf(405, "MethodNotAllowed", "%s is not supported on %s: create, update and remove assignments by posting an assignment request.", method, name)
		}}, segs, nil
	}

	if lower(segs[0]) == "users" {
		switch {
		case n == 1 && method == "GET":
			return mk("/users", (*Server).listUsers)
		case n == 1 && method == "POST":
			return mk("/users", (*Server).postUser)
		case n == 2 && method == "GET":
			return mk("/users/{id}", (*Server).getUser)
		}
		return nil, segs, errf(405, "MethodNotAllowed", "%s %s is not supported by the emulator.", method, path)
	}
	if !strings.HasPrefix(lr+"/", emPrefix) {
		return nil, segs, badRequest("Resource not found for the segment '%s'.", segs[0])
	}
	segs = segs[2:]
	n = len(segs)
	if n == 0 || segs[0] == "" {
		return nil, segs, badRequest("The emulator has no handler for the entitlementManagement root.")
	}
	coll := lower(segs[0])
	// Seeding collections: documented create, get and list.
	for _, sc := range []struct{ key, name string }{{"catalogs", "/catalogs"}, {"accesspackages", "/accessPackages"}, {"assignmentpolicies", "/assignmentPolicies"}} {
		if coll != sc.key {
			continue
		}
		switch {
		case n == 1 && method == "GET":
			return mk(sc.name, func(s *Server, c *call) (*response, *graphError) { return s.listSeed(c, sc.key) })
		case n == 1 && method == "POST":
			return mk(sc.name, func(s *Server, c *call) (*response, *graphError) { return s.postSeed(c, sc.key) })
		case n == 2 && method == "GET":
			return mk(sc.name+"/{id}", func(s *Server, c *call) (*response, *graphError) { return s.getSeed(c, sc.key) })
		}
		return nil, segs, errf(405, "MethodNotAllowed", "%s %s is not supported by the emulator.", method, path)
	}
	switch coll {
	case "assignmentrequests":
		switch {
		case n == 1 && method == "POST":
			return mk("/assignmentRequests", func(s *Server, c *call) (*response, *graphError) { return s.postAssignmentRequest(c) })
		case n == 1 && method == "GET":
			return mk("/assignmentRequests", (*Server).listRequests)
		case n == 2 && lower(segs[1]) == "$count" && method == "GET":
			return mk("/assignmentRequests/$count", (*Server).countRequests)
		case n == 2 && strings.HasPrefix(lower(segs[1]), "filterbycurrentuser(") && method == "GET":
			return mk("/assignmentRequests/filterByCurrentUser", (*Server).requestsForCurrentUser)
		case n == 2 && method == "GET":
			return mk("/assignmentRequests/{id}", (*Server).getRequest)
		case n == 2 && method == "DELETE":
			return mk("/assignmentRequests/{id}", (*Server).deleteRequest)
		case n == 2 && method == "PATCH":
			return notAllowed("/assignmentRequests/{id}")
		case n == 3 && method == "POST":
			switch lower(segs[2]) {
			case "cancel":
				return mk("/assignmentRequests/{id}/cancel", (*Server).cancelRequest)
			case "reprocess":
				return mk("/assignmentRequests/{id}/reprocess", (*Server).reprocessRequest)
			case "resume":
				if !s.global() {
					return nil, segs, badRequest("Resource not found for the segment 'resume'.")
				}
				return mk("/assignmentRequests/{id}/resume", (*Server).resumeRequest)
			}
		case n == 3 && method == "GET":
			switch lower(segs[2]) {
			case "accesspackage", "assignment", "requestor":
				return mk("/assignmentRequests/{id}/"+segs[2], (*Server).requestNavigation)
			}
		}
	case "assignments":
		switch {
		case n == 1 && method == "GET":
			return mk("/assignments", (*Server).listAssignments)
		case n == 1 && method == "POST":
			return notAllowed("/assignments")
		case n == 2 && lower(segs[1]) == "$count" && method == "GET":
			return mk("/assignments/$count", (*Server).countAssignments)
		case n == 2 && strings.HasPrefix(lower(segs[1]), "filterbycurrentuser(") && method == "GET":
			return mk("/assignments/filterByCurrentUser", (*Server).assignmentsForCurrentUser)
		case n == 2 && strings.HasPrefix(lower(segs[1]), "additionalaccess(") && method == "GET":
			return mk("/assignments/additionalAccess", (*Server).additionalAccess)
		case n == 2 && method == "GET":
			return mk("/assignments/{id}", (*Server).getAssignment)
		case n == 2 && (method == "PATCH" || method == "DELETE"):
			return notAllowed("/assignments/{id}")
		case n == 3 && method == "POST" && lower(segs[2]) == "reprocess":
			return mk("/assignments/{id}/reprocess", (*Server).reprocessAssignment)
		case n == 3 && method == "GET":
			switch lower(segs[2]) {
			case "accesspackage", "assignmentpolicy", "target":
				return mk("/assignments/{id}/"+segs[2], (*Server).assignmentNavigation)
			}
		}
	}
	return nil, segs, badRequest("Resource not found for the segment '%s' (%s %s).", segs[len(segs)-1], method, path)
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

func parseQuery(c *call, filterPaths map[string]bool, entity string, list bool) (*query, *graphError) {
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
		fl, gerr := parseFilter(f, filterPaths)
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
		if gerr := checkExpand(items, entity); gerr != nil {
			return nil, gerr
		}
		q.expand = items
	}
	q.sel = parseSelect(get("$select"))
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
