package emulator

import (
	"encoding/json"
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
// fixture can hold assignments that already exist.
type Fixture struct {
	Users              []map[string]any `json:"users,omitempty"`
	Catalogs           []map[string]any `json:"catalogs,omitempty"`
	AccessPackages     []map[string]any `json:"accessPackages,omitempty"`
	AssignmentPolicies []map[string]any `json:"assignmentPolicies,omitempty"`
	AssignmentRequests []map[string]any `json:"assignmentRequests,omitempty"`
	// Applications are app registrations that the token endpoint knows.
	Applications []Application `json:"applications,omitempty"`
}

// LoadFixture reads a fixture file.
func LoadFixture(path string) (*Fixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Fixture
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
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
	for i, b := range f.AssignmentPolicies {
		if _, gerr := s.createPolicy(b); gerr != nil {
			return fmt.Errorf("fixture assignmentPolicies[%d]: %s", i, gerr.message)
		}
	}
	// Fixture requests stand for what a tenant already holds: they complete
	// at once, whatever the configured delays.
	delays := [2]time.Duration{s.opts.ProcessingDelay, s.opts.DeliveryDelay}
	s.opts.ProcessingDelay, s.opts.DeliveryDelay = 0, 0
	defer func() { s.opts.ProcessingDelay, s.opts.DeliveryDelay = delays[0], delays[1] }()
	for i, b := range f.AssignmentRequests {
		raw, _ := json.Marshal(b)
		c := &call{body: raw, identity: s.tokens[s.opts.Token], base: "http://emulator"}
		if _, gerr := s.postAssignmentRequest(c); gerr != nil {
			return fmt.Errorf("fixture assignmentRequests[%d]: %s", i, gerr.message)
		}
	}
	s.advance(s.now())
	return nil
}

// ---- the Go side of the controls -------------------------------------------------

// RequestView is what tests see of an assignment request.
type RequestView struct {
	ID, RequestType, State, Status string
	AccessPackageID, PolicyID      string
	TargetObjectID, TargetEmail    string
	// RequestorObjectID is the object id of who made the request: the
	// service principal of an application token, or the signed-in user.
	RequestorObjectID string
	AssignmentID      string
	Justification     string
	WaitingStage      string
	Answers           []map[string]any
	Created           time.Time
	Completed         *time.Time
	Deleted           bool
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
		if r.justification != nil {
			v.Justification = *r.justification
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
// the portal would (for tests of drift and of resources that disappear).
func (s *Server) ExpireAssignment(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.assignments[lower(id)]
	if a == nil {
		return fmt.Errorf("no assignment %s", id)
	}
	s.expire(a, s.now())
	return nil
}

// ---- the HTTP side of the controls -------------------------------------------------

type settings struct {
	ConsistencyLag  *Duration `json:"consistencyLag,omitempty"`
	ProcessingDelay *Duration `json:"processingDelay,omitempty"`
	DeliveryDelay   *Duration `json:"deliveryDelay,omitempty"`
	PageSize        *int      `json:"pageSize,omitempty"`
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, controlPrefix), "/")
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if v != nil {
			_ = json.NewEncoder(w).Encode(v)
		}
	}
	fail := func(status int, err error) { reply(status, map[string]string{"error": err.Error()}) }
	decode := func(v any) bool {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			fail(400, fmt.Errorf("bad control body: %w", err))
			return false
		}
		return true
	}
	switch {
	case path == "metrics" && r.Method == http.MethodGet:
		reply(200, s.Metrics())
	case path == "metrics/reset" && r.Method == http.MethodPost:
		s.ResetMetrics()
		reply(204, nil)
	case path == "reset" && r.Method == http.MethodPost:
		if err := s.Reset(); err != nil {
			fail(500, err)
			return
		}
		reply(204, nil)
	case path == "clock" && r.Method == http.MethodGet:
		reply(200, map[string]string{"now": s.Now().Format(time.RFC3339Nano)})
	case path == "clock" && r.Method == http.MethodPost:
		var body struct {
			Advance *Duration `json:"advance"`
			Set     string    `json:"set"`
		}
		if !decode(&body) {
			return
		}
		switch {
		case body.Advance != nil:
			s.AdvanceClock(body.Advance.D)
		case body.Set != "":
			t, err := time.Parse(time.RFC3339Nano, body.Set)
			if err != nil {
				fail(400, err)
				return
			}
			s.SetClock(t)
		default:
			fail(400, fmt.Errorf(`send {"advance": "P15D"} or {"set": "2026-01-01T00:00:00Z"}`))
			return
		}
		reply(200, map[string]string{"now": s.Now().Format(time.RFC3339Nano)})
	case path == "faults" && r.Method == http.MethodGet:
		reply(200, s.Faults())
	case path == "faults" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		var rules []Fault
		if !decode(&rules) {
			return
		}
		if err := s.SetFaults(rules); err != nil {
			fail(400, err)
			return
		}
		reply(200, s.Faults())
	case path == "faults" && r.Method == http.MethodDelete:
		_ = s.SetFaults(nil)
		reply(204, nil)
	case path == "behaviours" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		var bs []Behaviour
		if !decode(&bs) {
			return
		}
		if err := s.SetBehaviours(bs); err != nil {
			fail(400, err)
			return
		}
		reply(204, nil)
	case path == "behaviours" && r.Method == http.MethodDelete:
		_ = s.SetBehaviours(nil)
		reply(204, nil)
	case path == "settings" && r.Method == http.MethodPost:
		var st settings
		if !decode(&st) {
			return
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
		if st.PageSize != nil && *st.PageSize > 0 {
			s.opts.PageSize = *st.PageSize
		}
		s.mu.Unlock()
		reply(204, nil)
	case path == "tokens" && r.Method == http.MethodPost:
		var body struct {
			Token string `json:"token"`
			Identity
		}
		if !decode(&body) {
			return
		}
		if err := s.AddToken(body.Token, body.Identity); err != nil {
			fail(400, err)
			return
		}
		reply(204, nil)
	case path == "requests" && r.Method == http.MethodGet:
		reply(200, s.Requests())
	case path == "assignments" && r.Method == http.MethodGet:
		reply(200, s.Assignments())
	case strings.HasPrefix(path, "requests/") && r.Method == http.MethodPost:
		id, action, _ := strings.Cut(strings.TrimPrefix(path, "requests/"), "/")
		var err error
		switch action {
		case "approve":
			err = s.Approve(id)
		case "deny":
			err = s.Deny(id)
		default:
			fail(404, fmt.Errorf("unknown request control %q: use approve or deny", action))
			return
		}
		if err != nil {
			fail(400, err)
			return
		}
		reply(204, nil)
	case strings.HasPrefix(path, "assignments/") && strings.HasSuffix(path, "/expire") && r.Method == http.MethodPost:
		if err := s.ExpireAssignment(strings.TrimSuffix(strings.TrimPrefix(path, "assignments/"), "/expire")); err != nil {
			fail(404, err)
			return
		}
		reply(204, nil)
	default:
		fail(404, fmt.Errorf("no emulator control %s %s", r.Method, r.URL.Path))
	}
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
