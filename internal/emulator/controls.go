package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// controlPrefix is where the test controls live. No Graph route starts with it.
const controlPrefix = "/_emulator/"

// Fixture is a set of Graph objects to create at start, each in the shape of
// the body of its documented create call. Ids may be fixed. Requests in
// AssignmentRequests are posted as an application (adminAdd and so on), so a
// fixture can hold assignments that already exist. A fixture request may fix
// its own id ("id") and, for an add, the id of the assignment it makes
// ("assignment": {"id": ...}): Graph's create call takes neither, so the
// loader takes them out of the body before posting it, and the request and
// assignment are given those ids, so that examples can name them.
type Fixture struct {
	Users              []map[string]any `json:"users,omitempty"`
	Catalogs           []map[string]any `json:"catalogs,omitempty"`
	AccessPackages     []map[string]any `json:"accessPackages,omitempty"`
	AssignmentPolicies []map[string]any `json:"assignmentPolicies,omitempty"`
	// Behaviours are set before AssignmentRequests are posted (the same
	// shape as the behaviours control): with them a fixture can hold a
	// failed delivery (a behaviour with "delivery": "deliveryFailed" and
	// "times": 1, so that a reprocess delivers). A fixture request on a
	// policy with a custom extension waits for its callback without one.
	Behaviours         []Behaviour      `json:"behaviours,omitempty"`
	AssignmentRequests []map[string]any `json:"assignmentRequests,omitempty"`
	// Groups are directory groups with their direct members:
	// {"id", "displayName", "members": ["<user id>", …]} (the emulator's own
	// form; Graph has no such body). An access package may name groups and
	// packages in "incompatibleGroups" and "incompatibleAccessPackages"
	// ([{"id": …}], as the navigations read).
	Groups []map[string]any `json:"groups,omitempty"`
	// Applications are app registrations that the token endpoint knows.
	Applications []Application `json:"applications,omitempty"`
}

// LoadFixture reads a fixture file.
func LoadFixture(path string) (*Fixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseFixture(path, b)
}

// ParseFixture reads a fixture from its JSON text; name says where the text
// came from, in errors. A field the Fixture type does not have is an error.
func ParseFixture(name string, b []byte) (*Fixture, error) {
	var f Fixture
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", name, err)
	}
	return &f, nil
}

func (s *Server) loadFixtureLocked(f *Fixture) error {
	for i, a := range f.Applications {
		if err := s.registerApplicationLocked(a); err != nil {
			return fmt.Errorf("fixture applications[%d]: %w", i, err)
		}
	}
	for i, b := range f.Users {
		if _, gerr := s.createUser(b); gerr != nil {
			return fmt.Errorf("fixture users[%d]: %s", i, gerr.message)
		}
	}
	for i, b := range f.Catalogs {
		if _, gerr := s.createCatalog(b); gerr != nil {
			return fmt.Errorf("fixture catalogs[%d]: %s", i, gerr.message)
		}
	}
	for i, b := range f.AccessPackages {
		if _, gerr := s.createPackage(b); gerr != nil {
			return fmt.Errorf("fixture accessPackages[%d]: %s", i, gerr.message)
		}
	}
	for i, b := range f.Groups {
		var members []string
		if list, ok := b["members"].([]any); ok {
			for _, m := range list {
				if id, ok := m.(string); ok {
					members = append(members, id)
				}
			}
		}
		if err := s.addGroupLocked(str(b, "id"), str(b, "displayName"), members); err != nil {
			return fmt.Errorf("fixture groups[%d]: %w", i, err)
		}
	}
	for i, b := range f.AccessPackages {
		p := s.st.packages[lower(str(b, "id"))]
		for _, rel := range []struct {
			key   string
			known func(string) bool
		}{
			{"incompatibleAccessPackages", func(id string) bool { return s.st.packages[id] != nil }},
			{"incompatibleGroups", func(id string) bool { return s.st.groups[id] != nil }},
		} {
			refs, _ := b[rel.key].([]any)
			if len(refs) > 0 && p == nil {
				return fmt.Errorf("fixture accessPackages[%d]: %s needs the package's id", i, rel.key)
			}
			for _, r := range refs {
				m, _ := r.(map[string]any)
				id := lower(str(m, "id"))
				if !rel.known(id) {
					return fmt.Errorf("fixture accessPackages[%d]: %s names %q, which the fixture does not hold", i, rel.key, id)
				}
				if rel.key == "incompatibleGroups" {
					p.incompatibleGroups = append(p.incompatibleGroups, id)
				} else {
					p.incompatiblePkgs = append(p.incompatiblePkgs, id)
				}
			}
		}
	}
	for i, b := range f.AssignmentPolicies {
		if _, gerr := s.createPolicy(b); gerr != nil {
			return fmt.Errorf("fixture assignmentPolicies[%d]: %s", i, gerr.message)
		}
	}
	if len(f.Behaviours) > 0 {
		bs, err := checkBehaviours(f.Behaviours)
		if err != nil {
			return fmt.Errorf("fixture behaviours: %w", err)
		}
		s.behaviours = bs
	}
	// Fixture requests stand for what a tenant already holds: they complete
	// at once, whatever the configured delays.
	delays := [2]time.Duration{s.opts.ProcessingDelay, s.opts.DeliveryDelay}
	s.opts.ProcessingDelay, s.opts.DeliveryDelay = 0, 0
	defer func() { s.opts.ProcessingDelay, s.opts.DeliveryDelay = delays[0], delays[1] }()
	for i, b := range f.AssignmentRequests {
		body, reqID, asgID, err := fixedIDs(b)
		if err != nil {
			return fmt.Errorf("fixture assignmentRequests[%d]: %w", i, err)
		}
		if reqID != "" && s.st.requests[reqID] != nil {
			return fmt.Errorf("fixture assignmentRequests[%d]: the id %s is taken", i, reqID)
		}
		if asgID != "" && s.st.assignments[asgID] != nil {
			return fmt.Errorf("fixture assignmentRequests[%d]: the assignment id %s is taken", i, asgID)
		}
		raw, _ := json.Marshal(body)
		c := &call{body: raw, identity: s.tokens[s.opts.Token], base: "http://emulator", fixedRequestID: reqID, fixedAssignmentID: asgID}
		if _, gerr := s.postAssignmentRequest(c); gerr != nil {
			return fmt.Errorf("fixture assignmentRequests[%d]: %s", i, gerr.message)
		}
		// Each request reaches its state before the next is posted, so a
		// behaviour with times is used by the request it was written for.
		s.advance(s.now())
	}
	s.advance(s.now())
	return nil
}

// fixedIDs takes a fixture request's own id and its assignment's id out of
// a copy of its body.
func fixedIDs(b map[string]any) (map[string]any, string, string, error) {
	body := make(map[string]any, len(b))
	for k, v := range b {
		body[k] = v
	}
	reqID := lower(str(body, "id"))
	delete(body, "id")
	var asgID string
	if asg, ok := body["assignment"].(map[string]any); ok && has(asg, "id") {
		rt := lower(str(body, "requestType"))
		if rt != "adminadd" && rt != "useradd" {
			// An update or a removal names the assignment it changes: keep it.
			return body, reqID, "", checkFixedIDs(reqID, "")
		}
		cp := make(map[string]any, len(asg))
		for k, v := range asg {
			cp[k] = v
		}
		asgID = lower(str(cp, "id"))
		delete(cp, "id")
		body["assignment"] = cp
	}
	return body, reqID, asgID, checkFixedIDs(reqID, asgID)
}

func checkFixedIDs(ids ...string) error {
	for _, id := range ids {
		if id != "" && !isGUID(id) {
			return fmt.Errorf("the id %q is not a GUID", id)
		}
	}
	return nil
}

// ---- the Go side of the controls -------------------------------------------------

// RequestView is what tests see of an assignment request.
type RequestView struct {
	ID, RequestType, State, Status string
	AccessPackageID, PolicyID      string
	TargetObjectID, TargetEmail    string
	// RequestorObjectID is Graph's requestor: who requested, or for a direct
	// (admin*) request the subject who was assigned.
	RequestorObjectID string
	// CallerObjectID is who made the call: the service principal of an
	// application token, or the signed-in user. Graph does not show it.
	CallerObjectID string
	AssignmentID   string
	Justification  string
	WaitingStage   string
	Answers        []map[string]any
	// Start and Duration are the request's schedule as Graph recorded it.
	Start     *time.Time
	Duration  string
	Created   time.Time
	Completed *time.Time
	Deleted   bool
}

// AssignmentView is what tests see of an assignment.
type AssignmentView struct {
	ID, State, Status           string
	AccessPackageID, PolicyID   string
	TargetObjectID, TargetEmail string
	Start, End                  *time.Time
	ExpirationType              string
	Expired                     *time.Time
	Reprocessed                 int
}

// Requests returns every request, oldest first, after running due lifecycle steps.
func (s *Server) Requests() []RequestView {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	out := make([]RequestView, 0, len(s.st.reqOrder))
	for _, id := range s.st.reqOrder {
		r := s.st.requests[id]
		sj := s.st.subjects[r.targetID]
		v := RequestView{ID: r.id, RequestType: r.requestType, State: r.state, Status: r.status, AccessPackageID: r.packageID,
			PolicyID: r.policyID, AssignmentID: r.assignmentID, WaitingStage: r.waitingStage, Answers: r.answers,
			Created: r.created, Completed: r.completed, Deleted: r.deleted}
		if sj != nil {
			v.TargetObjectID, v.TargetEmail = sj.objectID, sj.email
		}
		if rq := s.st.subjects[r.requestorID]; rq != nil {
			v.RequestorObjectID = rq.objectID
		}
		if cl := s.st.subjects[r.callerID]; cl != nil {
			v.CallerObjectID = cl.objectID
		}
		if r.justification != nil {
			v.Justification = *r.justification
		}
		v.Start = r.schedule.start
		if r.schedule.duration != nil {
			v.Duration = *r.schedule.duration
		}
		out = append(out, v)
	}
	return out
}

// Assignments returns every assignment, oldest first, after running due lifecycle steps.
func (s *Server) Assignments() []AssignmentView {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	out := make([]AssignmentView, 0, len(s.st.asgOrder))
	for _, id := range s.st.asgOrder {
		a := s.st.assignments[id]
		sj := s.st.subjects[a.targetID]
		out = append(out, AssignmentView{ID: a.id, State: a.state, Status: a.status, AccessPackageID: a.packageID,
			PolicyID: a.policyID, TargetObjectID: sj.objectID, TargetEmail: sj.email, Start: a.schedule.start,
			End: a.schedule.end, ExpirationType: a.schedule.expType, Expired: a.expired, Reprocessed: a.reprocessed})
	}
	return out
}

// CatalogIDs returns the ids of the catalogs, oldest first.
func (s *Server) CatalogIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.st.catOrder...)
}

// Assignment returns one assignment by id.
func (s *Server) Assignment(id string) (AssignmentView, bool) {
	for _, a := range s.Assignments() {
		if strings.EqualFold(a.ID, id) {
			return a, true
		}
	}
	return AssignmentView{}, false
}

// Approve approves a request pending approval; Deny denies it.
func (s *Server) Approve(id string) error { return s.decide(id, true) }

// Deny denies a request pending approval.
func (s *Server) Deny(id string) error { return s.decide(id, false) }

func (s *Server) decide(id string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	r := s.st.requests[lower(id)]
	if r == nil {
		return fmt.Errorf("no request %s", id)
	}
	if r.state != "pendingApproval" {
		return fmt.Errorf("request %s is %s, not pendingApproval", id, r.state)
	}
	if approve {
		s.approve(r, now)
	} else {
		r.setState("denied")
		r.completed = tptr(now)
		s.close(r)
	}
	s.advance(now)
	return nil
}

// AdvanceClock moves the emulator's clock forward.
func (s *Server) AdvanceClock(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.advance(s.now())
	s.mu.Unlock()
}

// SetClock sets the emulator's clock to t (it keeps running from there).
func (s *Server) SetClock(t time.Time) {
	s.mu.Lock()
	s.offset = time.Until(t)
	s.advance(s.now())
	s.mu.Unlock()
}

// Now returns the emulator's clock.
func (s *Server) Now() time.Time { return s.nowLocked() }

// SetErrorCodes renames the error codes the emulator answers with (see
// Options.ErrorCodes); nil restores them.
func (s *Server) SetErrorCodes(codes map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.ErrorCodes = codes
}

// SetPageSize sets the server-driven page size of collections (1 to 1000).
func (s *Server) SetPageSize(n int) {
	if n < 1 || n > maxPageSize {
		panic(fmt.Sprintf("page size %d: give 1 to %d", n, maxPageSize))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.PageSize = n
}

// SetAcceptDuplicates switches Options.AcceptDuplicates.
func (s *Server) SetAcceptDuplicates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.AcceptDuplicates = on
}

// AddToken makes the emulator accept another bearer token for an identity.
func (s *Server) AddToken(token string, id Identity) error {
	if id.Kind != "application" && id.Kind != "delegated" {
		return fmt.Errorf("identity kind %q: use application or delegated", id.Kind)
	}
	if id.ObjectID == "" || !isGUID(id.ObjectID) {
		return fmt.Errorf("identity objectId %q must be a GUID", id.ObjectID)
	}
	s.mu.Lock()
	s.tokens[token] = id
	s.mu.Unlock()
	return nil
}

// ExpireAssignment ends an assignment out of band, as an administrator in
// the portal would, with the adminRemove request Graph records for it (see
// removals.go for the other kinds of removal).
func (s *Server) ExpireAssignment(id string) error {
	return s.RemoveAssignment(id, RemovedByAdmin)
}

// ---- the HTTP side of the controls -------------------------------------------------

type settings struct {
	ConsistencyLag  *Duration `json:"consistencyLag,omitempty"`
	ProcessingDelay *Duration `json:"processingDelay,omitempty"`
	DeliveryDelay   *Duration `json:"deliveryDelay,omitempty"`
	PageSize        *int      `json:"pageSize,omitempty"`
	// ErrorCodes renames error codes (see Options.ErrorCodes); {} restores them.
	ErrorCodes map[string]string `json:"errorCodes,omitempty"`
	// AcceptDuplicates switches Options.AcceptDuplicates.
	AcceptDuplicates *bool `json:"acceptDuplicates,omitempty"`
	// Latency is [min, max) of the wait every Graph request gets.
	Latency []Duration `json:"latency,omitempty"`
}

// maxPageSize bounds the page size a control may set.
const maxPageSize = 1000

// maxControlBody bounds a control request's body.
const maxControlBody = 1 << 20

func replyJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func replyError(w http.ResponseWriter, status int, err error) {
	replyJSON(w, status, map[string]string{"error": err.Error()})
}

// decodeControl reads a control's JSON body strictly; on failure it has
// answered 400 (413 for a body over maxControlBody).
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		replyError(w, status, fmt.Errorf("bad control body: %w", err))
		return false
	}
	return true
}

// done answers an error with status, or 204.
func done(w http.ResponseWriter, status int, err error) {
	if err != nil {
		replyError(w, status, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// controlMux is the map of the test controls: Go's method-and-pattern mux
// under /_emulator/.
func (s *Server) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+controlPrefix+path, h)
	}
	handle("GET metrics", func(w http.ResponseWriter, _ *http.Request) { replyJSON(w, 200, s.Metrics()) })
	handle("POST metrics/reset", func(w http.ResponseWriter, _ *http.Request) { s.ResetMetrics(); done(w, 0, nil) })
	handle("POST reset", func(w http.ResponseWriter, _ *http.Request) { done(w, 500, s.Reset()) })
	handle("GET clock", func(w http.ResponseWriter, _ *http.Request) { replyJSON(w, 200, s.clockBody()) })
	handle("POST clock", s.postClock)
	handle("GET faults", func(w http.ResponseWriter, _ *http.Request) { replyJSON(w, 200, s.Faults()) })
	setFaults := func(w http.ResponseWriter, r *http.Request) {
		var rules []Fault
		if !decodeControl(w, r, &rules) {
			return
		}
		if err := s.SetFaults(rules); err != nil {
			replyError(w, 400, err)
			return
		}
		replyJSON(w, 200, s.Faults())
	}
	handle("POST faults", setFaults)
	handle("PUT faults", setFaults)
	handle("DELETE faults", func(w http.ResponseWriter, _ *http.Request) { done(w, 500, s.SetFaults(nil)) })
	setBehaviours := func(w http.ResponseWriter, r *http.Request) {
		var bs []Behaviour
		if decodeControl(w, r, &bs) {
			done(w, 400, s.SetBehaviours(bs))
		}
	}
	handle("POST behaviours", setBehaviours)
	handle("PUT behaviours", setBehaviours)
	handle("DELETE behaviours", func(w http.ResponseWriter, _ *http.Request) { done(w, 500, s.SetBehaviours(nil)) })
	handle("POST throttle", func(w http.ResponseWriter, r *http.Request) {
		var t Throttle
		if decodeControl(w, r, &t) {
			done(w, 400, s.SetThrottle(&t))
		}
	})
	handle("DELETE throttle", func(w http.ResponseWriter, _ *http.Request) { done(w, 500, s.SetThrottle(nil)) })
	handle("POST settings", s.postSettings)
	handle("POST tokens", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Token string `json:"token"`
			Identity
		}
		if decodeControl(w, r, &body) {
			done(w, 400, s.AddToken(body.Token, body.Identity))
		}
	})
	handle("GET requests", func(w http.ResponseWriter, _ *http.Request) { replyJSON(w, 200, s.Requests()) })
	handle("GET assignments", func(w http.ResponseWriter, _ *http.Request) { replyJSON(w, 200, s.Assignments()) })
	handle("POST requests/{id}/approve", func(w http.ResponseWriter, r *http.Request) { done(w, 400, s.Approve(r.PathValue("id"))) })
	handle("POST requests/{id}/deny", func(w http.ResponseWriter, r *http.Request) { done(w, 400, s.Deny(r.PathValue("id"))) })
	handle("POST assignments/{id}/expire", func(w http.ResponseWriter, r *http.Request) { done(w, 404, s.ExpireAssignment(r.PathValue("id"))) })
	handle("POST assignments/{id}/remove", s.postRemoval)
	handle("DELETE users/{id}", s.deleteUser)
	handle("DELETE policies/{id}", s.deletePolicy)
	// Anything else: the mux's 404, or 405 with Allow for a known path.
	return mux
}

func (s *Server) clockBody() map[string]string {
	return map[string]string{"now": s.Now().Format(time.RFC3339Nano)}
}

// The clock only moves forward (requests already made keep their order),
// by at most maxClockStep at a time, and stays within the years dates can
// be written in.
const maxClockStep = 100 * 365 * 24 * time.Hour

var lastClock = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// checkClock says whether the clock may move to t.
func (s *Server) checkClock(t time.Time) error {
	now := s.Now()
	switch {
	case t.Before(now):
		return fmt.Errorf("the clock moves only forward: %s is before the emulator's now, %s", t.Format(time.RFC3339), now.Format(time.RFC3339))
	case t.Sub(now) > maxClockStep:
		return fmt.Errorf("the clock moves at most %d years at a time", int(maxClockStep.Hours()/24/365))
	case t.After(lastClock):
		return fmt.Errorf("%s is after %s", t.Format(time.RFC3339), lastClock.Format(time.RFC3339))
	}
	return nil
}

func (s *Server) postClock(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Advance *Duration `json:"advance"`
		Set     string    `json:"set"`
	}
	if !decodeControl(w, r, &body) {
		return
	}
	switch {
	case body.Advance != nil && body.Set != "":
		replyError(w, 400, fmt.Errorf(`send either "advance" or "set", not both`))
		return
	case body.Advance != nil:
		if body.Advance.D <= 0 {
			replyError(w, 400, fmt.Errorf("advance %s: the clock moves only forward", body.Advance.D))
			return
		}
		if err := s.checkClock(s.Now().Add(body.Advance.D)); err != nil {
			replyError(w, 400, err)
			return
		}
		s.AdvanceClock(body.Advance.D)
	case body.Set != "":
		t, err := time.Parse(time.RFC3339Nano, body.Set)
		if err != nil {
			replyError(w, 400, err)
			return
		}
		if err := s.checkClock(t); err != nil {
			replyError(w, 400, err)
			return
		}
		s.SetClock(t)
	default:
		replyError(w, 400, fmt.Errorf(`send {"advance": "P15D"} or {"set": "2026-01-01T00:00:00Z"}`))
		return
	}
	replyJSON(w, 200, s.clockBody())
}

func (s *Server) postSettings(w http.ResponseWriter, r *http.Request) {
	var st settings
	if !decodeControl(w, r, &st) {
		return
	}
	for _, d := range []struct {
		name string
		v    *Duration
		most time.Duration
	}{{"consistencyLag", st.ConsistencyLag, maxLag}, {"processingDelay", st.ProcessingDelay, maxDelay}, {"deliveryDelay", st.DeliveryDelay, maxDelay}} {
		if d.v != nil {
			if err := checkDelay(d.name, d.v.D, d.most); err != nil {
				replyError(w, 400, err)
				return
			}
		}
	}
	if st.PageSize != nil && (*st.PageSize < 1 || *st.PageSize > maxPageSize) {
		replyError(w, 400, fmt.Errorf("pageSize %d: give 1 to %d", *st.PageSize, maxPageSize))
		return
	}
	if st.Latency != nil {
		if len(st.Latency) != 2 {
			replyError(w, 400, fmt.Errorf(`latency: give ["min", "max"]`))
			return
		}
		if err := checkLatency(st.Latency[0].D, st.Latency[1].D); err != nil {
			replyError(w, 400, err)
			return
		}
	}
	s.mu.Lock()
	if st.ConsistencyLag != nil {
		s.lag = st.ConsistencyLag.D
	}
	if st.ProcessingDelay != nil {
		s.opts.ProcessingDelay = st.ProcessingDelay.D
	}
	if st.DeliveryDelay != nil {
		s.opts.DeliveryDelay = st.DeliveryDelay.D
	}
	if st.PageSize != nil {
		s.opts.PageSize = *st.PageSize
	}
	if st.ErrorCodes != nil {
		s.opts.ErrorCodes = st.ErrorCodes
	}
	if st.AcceptDuplicates != nil {
		s.opts.AcceptDuplicates = *st.AcceptDuplicates
	}
	if st.Latency != nil {
		s.latency = [2]time.Duration{st.Latency[0].D, st.Latency[1].D}
	}
	s.mu.Unlock()
	done(w, 0, nil)
}

// AddAssignment makes an assignment out of band, as an administrator in the
// portal would: it posts an adminAdd request through the same path as Graph
// callers and runs the lifecycle. answers maps question ids to values.
func (s *Server) AddAssignment(pkg, policy, target string, answers map[string]string) (string, error) {
	body := map[string]any{"requestType": "adminAdd", "assignment": map[string]any{"targetId": target, "assignmentPolicyId": policy, "accessPackageId": pkg}}
	var list []any
	for q, v := range answers {
		list = append(list, map[string]any{"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": v,
			"answeredQuestion": map[string]any{"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": q}})
	}
	if list != nil {
		body["answers"] = list
	}
	raw, _ := json.Marshal(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	resp, gerr := s.postAssignmentRequest(&call{body: raw, identity: s.tokens[s.opts.Token], base: "http://emulator"})
	if gerr != nil {
		return "", gerr
	}
	s.advance(s.now())
	m, _ := resp.body.(map[string]any)
	id, _ := m["id"].(string)
	return id, nil
}

// MustAdd is AddAssignment for tests; it panics on error.
func (s *Server) MustAdd(pkg, policy, target string, answers map[string]string) string {
	id, err := s.AddAssignment(pkg, policy, target, answers)
	if err != nil {
		panic(err)
	}
	return id
}

// CreatePolicy creates an assignment policy from a body in the shape of
// Graph's create call, as POST /assignmentPolicies does.
func (s *Server) CreatePolicy(body map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, gerr := s.createPolicy(body); gerr != nil {
		return gerr
	}
	return nil
}
