package contract

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// route says what a Graph route's bodies are.
type route struct {
	request, response string // types; empty when the route has no such body
	collection        bool   // the response is a collection of response
	action            string // the request body is this bound action's parameters
	bound             string
}

// routes maps the emulator's route names (method and path after
// entitlementManagement, as in its metrics) to the types of their bodies.
var routes = map[string]route{
	"POST /assignmentRequests":                                         {request: "accessPackageAssignmentRequest", response: "accessPackageAssignmentRequest"},
	"GET /assignmentRequests":                                          {response: "accessPackageAssignmentRequest", collection: true},
	"GET /assignmentRequests/filterByCurrentUser":                      {response: "accessPackageAssignmentRequest", collection: true},
	"GET /assignmentRequests/{id}":                                     {response: "accessPackageAssignmentRequest"},
	"GET /assignmentRequests/{id}/accessPackage":                       {response: "accessPackage"},
	"GET /assignmentRequests/{id}/assignment":                          {response: "accessPackageAssignment"},
	"GET /assignmentRequests/{id}/requestor":                           {response: "accessPackageSubject"},
	"POST /assignmentRequests/{id}/resume":                             {action: "resume", bound: "accessPackageAssignmentRequest"},
	"POST /assignmentRequests/{id}/reprocess":                          {action: "reprocess", bound: "accessPackageAssignmentRequest"},
	"POST /assignmentRequests/{id}/cancel":                             {action: "cancel", bound: "accessPackageAssignmentRequest"},
	"DELETE /assignmentRequests/{id}":                                  {},
	"GET /assignmentRequests/$count":                                   {},
	"GET /assignments":                                                 {response: "accessPackageAssignment", collection: true},
	"GET /assignments/filterByCurrentUser":                             {response: "accessPackageAssignment", collection: true},
	"GET /assignments/additionalAccess":                                {response: "accessPackageAssignment", collection: true},
	"GET /assignments/$count":                                          {},
	"GET /assignments/{id}":                                            {response: "accessPackageAssignment"},
	"GET /assignments/{id}/accessPackage":                              {response: "accessPackage"},
	"GET /assignments/{id}/assignmentPolicy":                           {response: "accessPackageAssignmentPolicy"},
	"GET /assignments/{id}/target":                                     {response: "accessPackageSubject"},
	"POST /assignments/{id}/reprocess":                                 {action: "reprocess", bound: "accessPackageAssignment"},
	"GET /catalogs":                                                    {response: "accessPackageCatalog", collection: true},
	"POST /catalogs":                                                   {request: "accessPackageCatalog", response: "accessPackageCatalog"},
	"GET /catalogs/{id}":                                               {response: "accessPackageCatalog"},
	"GET /accessPackages":                                              {response: "accessPackage", collection: true},
	"POST /accessPackages":                                             {request: "accessPackage", response: "accessPackage"},
	"GET /accessPackages/{id}":                                         {response: "accessPackage"},
	"GET /accessPackages/{id}/incompatibleAccessPackages":              {response: "accessPackage", collection: true},
	"GET /accessPackages/{id}/accessPackagesIncompatibleWith":          {response: "accessPackage", collection: true},
	"GET /accessPackages/{id}/incompatibleGroups":                      {response: "group", collection: true},
	"POST /accessPackages/{id}/incompatibleAccessPackages/$ref":        {},
	"POST /accessPackages/{id}/incompatibleGroups/$ref":                {},
	"DELETE /accessPackages/{id}/incompatibleAccessPackages/{id}/$ref": {},
	"DELETE /accessPackages/{id}/incompatibleGroups/{id}/$ref":         {},
	"GET /groups/{id}/members":                                         {response: "directoryObject", collection: true},
	"GET /assignmentPolicies":                                          {response: "accessPackageAssignmentPolicy", collection: true},
	"POST /assignmentPolicies":                                         {request: "accessPackageAssignmentPolicy", response: "accessPackageAssignmentPolicy"},
	"GET /assignmentPolicies/{id}":                                     {response: "accessPackageAssignmentPolicy"},
	"GET /users":                                                       {response: "user", collection: true},
	"POST /users":                                                      {request: "user", response: "user"},
	"GET /users/{id}":                                                  {response: "user"},
}

// clouds maps the emulator's cloud profiles to the metadata files.
var clouds = map[string]string{"global": "Prod", "usgov": "Fairfax", "china": "Mooncake"}

// Recorder checks the bodies of Graph calls as they happen and keeps what
// it found. It is safe for concurrent use.
type Recorder struct {
	mu                  sync.Mutex
	responses, requests int
	byCloud             map[string]int
	problems            map[string]int // "cloud METHOD route: problem" → occurrences
	queries             map[string]int // "METHOD route ?shape" → occurrences
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{byCloud: map[string]int{}, problems: map[string]int{}, queries: map[string]int{}}
}

// ObserveQuery checks a call's query against what Microsoft documents for
// its route (see Queries) and counts its shape.
func (r *Recorder) ObserveQuery(method, routeName, rawQuery, cloud string) {
	for _, p := range CheckQuery(routeName, rawQuery) {
		r.add(clouds[cloud], method, routeName, "query: "+p)
	}
	shape := routeName
	if rawQuery != "" {
		shape += " ?" + QueryShape(rawQuery)
	}
	r.mu.Lock()
	r.queries[shape]++
	r.mu.Unlock()
}

// Queries lists the query shapes seen, each with how often.
func (r *Recorder) Queries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.queries))
	for _, k := range sortedKeys(r.queries) {
		out = append(out, fmt.Sprintf("%s (×%d)", k, r.queries[k]))
	}
	return out
}

// Observe checks one call: its request body, and its answer when Graph
// succeeded (error envelopes are OData's, not the metadata's).
func (r *Recorder) Observe(method, routeName string, status int, request, response []byte, cloud string) {
	name := clouds[cloud]
	c, err := For(name)
	if err != nil {
		r.add(cloud, method, routeName, err.Error())
		return
	}
	rt, known := routes[routeName]
	checkedReq, checkedResp := false, false
	if len(request) > 0 {
		switch {
		case !known:
			r.add(name, method, routeName, "a request body on a route the contract does not map")
		case rt.action != "":
			for _, p := range checkObject(request, func(m map[string]any) []string { return c.CheckAction(rt.bound, rt.action, m) }) {
				r.add(name, method, routeName, "request "+p)
			}
			checkedReq = true
		case rt.request != "":
			for _, p := range checkObject(request, func(m map[string]any) []string { return c.Check(rt.request, m, Request) }) {
				r.add(name, method, routeName, "request "+p)
			}
			checkedReq = true
		}
	}
	if status >= 200 && status < 300 && len(response) > 0 && response[0] == '{' {
		switch {
		case !known:
			r.add(name, method, routeName, "a response on a route the contract does not map")
		case rt.collection:
			for _, p := range checkObject(response, func(m map[string]any) []string { return c.checkCollection(rt.response, m) }) {
				r.add(name, method, routeName, "response "+p)
			}
			checkedResp = true
		case rt.response != "":
			for _, p := range checkObject(response, func(m map[string]any) []string { return c.Check(rt.response, m, Response) }) {
				r.add(name, method, routeName, "response "+p)
			}
			checkedResp = true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if checkedReq {
		r.requests++
	}
	if checkedResp {
		r.responses++
	}
	if checkedReq || checkedResp {
		r.byCloud[name]++
	}
}

func checkObject(raw []byte, check func(map[string]any) []string) []string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return []string{"is not a JSON object: " + err.Error()}
	}
	return check(m)
}

// checkCollection checks a collection response: the OData envelope and
// each item.
func (c *Contract) checkCollection(typ string, body map[string]any) []string {
	var out []string
	for k := range body {
		if k != "value" && !strings.HasPrefix(k, "@odata.") {
			out = append(out, fmt.Sprintf("$.%s: not part of a collection response", k))
		}
	}
	items, ok := body["value"].([]any)
	if !ok {
		return append(out, "$.value: missing or not an array")
	}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			out = append(out, fmt.Sprintf("$.value[%d]: not an object", i))
			continue
		}
		for _, p := range c.Check(typ, m, Response) {
			out = append(out, fmt.Sprintf("value[%d]%s", i, strings.TrimPrefix(p, "$")))
		}
	}
	return out
}

var itemIndex = regexp.MustCompile(`\[\d+\]`)

func (r *Recorder) add(cloud, method, routeName, problem string) {
	if routeName == "" {
		routeName = method + " (no route)"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Items of a collection count as one kind of problem.
	r.problems[fmt.Sprintf("%s %s: %s", cloud, routeName, itemIndex.ReplaceAllString(problem, "[*]"))]++
}

// Problems lists what was found, each with how often it was seen.
func (r *Recorder) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.problems))
	for p, n := range r.problems {
		out = append(out, fmt.Sprintf("%s (×%d)", p, n))
	}
	sort.Strings(out)
	return out
}

// Summary says how much was checked.
func (r *Recorder) Summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("checked %d response and %d request bodies against Microsoft's v1.0 metadata (global %d, US Government %d, China %d calls)",
		r.responses, r.requests, r.byCloud["Prod"], r.byCloud["Fairfax"], r.byCloud["Mooncake"])
}

// Checked is how many bodies were checked.
func (r *Recorder) Checked() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.responses + r.requests
}
