package contract

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// QueryRule is what Microsoft's pages document for the query of one route:
// the filters (property path and operators), the $expand items, whether
// $select is taken, and the page that says so. internal/DESIGN.md carries
// the same table for readers; this one is what the acceptance suite checks
// every call the provider makes against.
type QueryRule struct {
	// Filters maps a property path (lower case) to its documented operators.
	Filters map[string][]string
	// Expand lists the $expand items documented, as written (compared
	// without case or spaces); nested items appear whole, such as
	// "assignment($expand=target)".
	Expand []string
	// Select says whether $select is documented.
	Select bool
	// Page names Microsoft's page (or pages) that document the rule.
	Page string
}

// Queries maps the emulator's route names to what their pages document.
// A route that is not here takes no query options at all.
var Queries = map[string]QueryRule{
	"GET /assignmentRequests": {
		Filters: map[string][]string{"accesspackage/id": {"eq"}, "state": {"eq"}, "createddatetime": {"gt"}},
		Expand:  []string{"accessPackage", "assignment", "requestor"},
		Select:  true,
		Page: "List assignmentRequests (entitlementmanagement-list-assignmentrequests: $select, $expand, $filter; " +
			"$filter=accessPackage/id eq, createdDateTime gt; $expand=accessPackage, assignment, requestor) and the " +
			"accessPackageAssignmentRequest resource page (state: Supports $filter (eq); createdDateTime: Supports $filter)",
	},
	"GET /assignmentRequests/{id}": {
		Expand: []string{"accessPackage", "requestor", "assignment", "assignment($expand=target)"},
		Page:   "Get accessPackageAssignmentRequest (accesspackageassignmentrequest-get: $expand of accessPackage, requestor and assignment; $expand=assignment($expand=target))",
	},
	"GET /assignments": {
		Filters: map[string][]string{"accesspackage/id": {"eq"}, "assignmentpolicy/id": {"eq"}, "target/objectid": {"eq"}, "state": {"eq"}},
		Expand:  []string{"target", "accessPackage", "assignmentPolicy"},
		Select:  true,
		Page: "List assignments (entitlementmanagement-list-assignments: $select, $filter, $expand; examples of accessPackage/id eq " +
			"and target/objectid eq combined with and, state eq) and the accessPackageAssignment resource page (state, accessPackage/id, " +
			"assignmentPolicy/id, target/objectId: Supports $filter (eq); accessPackage, target, assignmentPolicy: Supports $expand)",
	},
	"GET /assignments/{id}": {
		Expand: []string{"target", "accessPackage", "assignmentPolicy"},
		Select: true,
		Page:   "Get accessPackageAssignment (accesspackageassignment-get: $expand of accessPackage, target and assignmentPolicy; $select)",
	},
	"GET /assignments/filterByCurrentUser": {
		Filters: map[string][]string{"accesspackage/id": {"eq"}},
		Expand:  []string{"target", "accessPackage", "assignmentPolicy"},
		Page: "accessPackageAssignment: filterByCurrentUser (accesspackageassignment-filterbycurrentuser: a collection of " +
			"accessPackageAssignment, paged) with the accessPackageAssignment resource page's $filter and $expand support of its properties",
	},
	"GET /accessPackages": {
		Filters: map[string][]string{"displayname": {"eq"}},
		Select:  true,
		Page: "List accessPackages (entitlementmanagement-list-accesspackages: $select and $filter; the list holds every package the caller " +
			"may read, across catalogs) and the accessPackage resource page (displayName: Supports $filter (eq, contains))",
	},
	"GET /accessPackages/{id}": {
		Expand: []string{"catalog", "assignmentPolicies"},
		Select: true,
		Page: "Get accessPackage (accesspackage-get: $select, and $expand to retrieve relationships; \"to retrieve the access package " +
			"assignment policies, add $expand=assignmentPolicies\"); catalog is a relationship on the accessPackage resource page",
	},
	"GET /catalogs": {
		Filters: map[string][]string{"displayname": {"eq"}},
		Select:  true,
		Page:    "List catalogs (entitlementmanagement-list-catalogs: $filter and $select; the example $filter=displayName eq 'Marketing')",
	},
	"GET /groups/{id}/members": {
		Select: true,
		Page:   "List group members (group-list-members: $filter, $count, $select, $search, $top and $expand; the provider sends $select=id)",
	},
	"GET /assignmentPolicies": {
		Filters: map[string][]string{"displayname": {"eq"}},
		Select:  true,
		Page:    "List assignmentPolicies (entitlementmanagement-list-assignmentpolicies: $filter, $select, $expand; $filter=displayName eq)",
	},
	"GET /assignmentPolicies/{id}": {
		Expand: []string{"accessPackage", "questions", "customExtensionStageSettings", "catalog"},
		Select: true,
		Page: "Get accessPackageAssignmentPolicy (accesspackageassignmentpolicy-get: $select, and $expand to retrieve relationships; " +
			"examples $expand=accessPackage and $expand=customExtensionStageSettings)",
	},
}

var (
	queryGUID = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRE    = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	skipRE    = regexp.MustCompile(`(?i)(\$skiptoken=)[^&]*`)
)

// QueryShape is a query with its ids, times and paging tokens made generic,
// so that the calls of a run can be counted by kind.
func QueryShape(rawQuery string) string {
	q, err := url.QueryUnescape(rawQuery)
	if err != nil {
		q = rawQuery
	}
	q = skipRE.ReplaceAllString(q, "${1}…")
	q = queryGUID.ReplaceAllString(q, "{id}")
	return timeRE.ReplaceAllString(q, "{time}")
}

// CheckQuery says what in a call's query Microsoft does not document for
// its route: a query option, a filter (path or operator), an $expand item
// or a $select the route's pages do not name. $skiptoken is Graph's own
// paging (it arrives in @odata.nextLink) and is always allowed.
func CheckQuery(route, rawQuery string) []string {
	if rawQuery == "" {
		return nil
	}
	rule, known := Queries[route]
	var out []string
	for _, pair := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			out = append(out, fmt.Sprintf("query pair %q does not decode", pair))
			continue
		}
		switch strings.ToLower(key) {
		case "$skiptoken":
		case "$filter":
			if !known {
				out = append(out, "$filter on a route whose pages document none")
				continue
			}
			out = append(out, checkFilter(rule, val)...)
		case "$expand":
			for _, item := range splitTop(val) {
				if !known || !containsFold(rule.Expand, item) {
					out = append(out, fmt.Sprintf("$expand=%s is not documented", item))
				}
			}
		case "$select":
			if !known || !rule.Select {
				out = append(out, "$select is not documented")
			}
		default:
			out = append(out, fmt.Sprintf("query option %s is not documented", key))
		}
	}
	return out
}

// checkFilter checks a conjunction of comparisons against the rule.
func checkFilter(rule QueryRule, f string) []string {
	var out []string
	clauses := regexp.MustCompile(`(?i)\s+and\s+`).Split(strings.TrimSpace(f), -1)
	for _, c := range clauses {
		c = strings.Trim(strings.TrimSpace(c), "()")
		parts := strings.Fields(c)
		if len(parts) < 3 {
			out = append(out, fmt.Sprintf("$filter clause %q is not a comparison", c))
			continue
		}
		path, op := strings.ToLower(parts[0]), strings.ToLower(parts[1])
		ops, ok := rule.Filters[path]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("$filter on %s is not documented", parts[0]))
		case !containsFold(ops, op):
			out = append(out, fmt.Sprintf("$filter %s %s is not documented (only %s)", parts[0], op, strings.Join(ops, ", ")))
		}
	}
	return out
}

// splitTop splits an $expand at its top-level commas.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func containsFold(list []string, s string) bool {
	norm := func(x string) string { return strings.ToLower(strings.ReplaceAll(x, " ", "")) }
	for _, x := range list {
		if norm(x) == norm(s) {
			return true
		}
	}
	return false
}

// sortedKeys lists a map's keys in order.
func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
