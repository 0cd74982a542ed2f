package emulator

import (
	"strings"
	"time"
)

// The store holds Graph's objects. Every field is guarded by Server.mu: the
// emulator has one lock, taken for the whole of each request, so that the
// lifecycle engine, the handlers and the test controls never interleave.

type user struct {
	id, displayName, userPrincipalName, mail, userType string
	extra                                              map[string]any
}

type catalog struct {
	id      string
	body    map[string]any
	created time.Time
}

type accessPackage struct {
	id, catalogID string
	body          map[string]any
	created       time.Time
	// incompatiblePkgs and incompatibleGroups are the package's separation
	// of duties (incompatible.go), as ids.
	incompatiblePkgs, incompatibleGroups []string
}

type question struct {
	id          string
	odataType   string // "#microsoft.graph.accessPackageTextInputQuestion" or "...MultipleChoiceQuestion"
	required    bool
	editable    bool
	regex       string
	choices     []string
	choiceText  map[string]string // actualValue → the choice's text
	multiSelect bool
	body        map[string]any
}

func (q *question) isChoice() bool { return strings.HasSuffix(q.odataType, "MultipleChoiceQuestion") }

type stageSetting struct {
	id, stage, customExtensionID string
	body                         map[string]any
}

type policy struct {
	id, packageID, catalogID string
	body                     map[string]any // the policy as posted, without the contained navigations
	questions                []*question
	stages                   []*stageSetting
	approvalForAdd           bool
	approvalForUpdate        bool
	justificationRequired    bool
	allowCustomSchedule      bool
	automatic                bool
	allowedTargetScope       string
	expiration               schedule // the policy's default expiration (start unused)
	created                  time.Time
}

func (p *policy) stage(name string) *stageSetting {
	for _, s := range p.stages {
		if strings.EqualFold(s.stage, name) {
			return s
		}
	}
	return nil
}

func (p *policy) question(id string) *question {
	for _, q := range p.questions {
		if strings.EqualFold(q.id, id) {
			return q
		}
	}
	return nil
}

type subject struct {
	id, objectID, displayName, email, principalName, subjectType string
}

// schedule is an entitlementManagementSchedule.
type schedule struct {
	start    *time.Time
	expType  string // notSpecified, noExpiration, afterDateTime, afterDuration
	end      *time.Time
	duration *string
}

type callout struct {
	id, customExtensionID, detail, externalCorrelationID, status, stage string
}

type request struct {
	id, requestType, state, status string
	created                        time.Time
	completed                      *time.Time
	justification                  *string
	schedule                       schedule
	answers                        []map[string]any
	callouts                       []*callout
	packageID, policyID            string
	targetID                       string // subject id
	// requestorID is Graph's requestor: the subject who requested or, for
	// a direct (admin*) request, the subject who was assigned (the v1.0
	// accessPackageAssignmentRequest page). callerID is who made the call.
	requestorID  string // subject id
	callerID     string // subject id
	assignmentID string
	deleted      bool
	visibleAt    time.Time

	// Lifecycle bookkeeping (see lifecycle.go).
	next         string    // the step to run when due
	due          time.Time // zero: waiting for something outside the clock (approval, callback)
	waitingStage string    // the custom-extension stage the request waits at
	callbackAt   time.Time // when an automatic callback (behaviour) answers
	callbackWith string    // the state that automatic callback sets ("" to proceed)
	// fixedAssignmentID is the id a fixture gives the assignment an add makes.
	fixedAssignmentID string
}

type assignment struct {
	id, state, status   string
	schedule            schedule
	expired             *time.Time
	packageID, policyID string
	targetID            string // subject id
	created             time.Time
	visibleAt           time.Time
	answers             []map[string]any // kept for the emulator's own use; v1.0 has no answers on assignments
	reprocessed         int
}

// live reports whether the assignment still grants (or is being given) access.
func (a *assignment) live() bool { return a.state != "expired" }

type store struct {
	users      map[string]*user
	userOrder  []string
	catalogs   map[string]*catalog
	catOrder   []string
	packages   map[string]*accessPackage
	pkgOrder   []string
	policies   map[string]*policy
	polOrder   []string
	subjects   map[string]*subject
	subjByObj  map[string]*subject // by lower-case objectId
	subjByMail map[string]*subject // by lower-case email, for subjects with no objectId yet
	groups     map[string]*group
	groupOrder []string

	requests   map[string]*request
	reqOrder   []string
	reqByPkg   map[string][]string
	open       map[string]*request // requests whose lifecycle is not finished (including waiting ones)
	openByPair map[string]*request // "pkg|subject" -> the one open request

	assignments map[string]*assignment
	asgOrder    []string
	asgByPkg    map[string][]string
	asgByTarget map[string][]string // by subject id
	expiries    expiryHeap
}

func newStore() *store {
	return &store{
		users: map[string]*user{}, catalogs: map[string]*catalog{}, packages: map[string]*accessPackage{},
		policies: map[string]*policy{}, subjects: map[string]*subject{}, subjByObj: map[string]*subject{},
		subjByMail: map[string]*subject{}, groups: map[string]*group{}, requests: map[string]*request{}, reqByPkg: map[string][]string{},
		open: map[string]*request{}, openByPair: map[string]*request{}, assignments: map[string]*assignment{},
		asgByPkg: map[string][]string{}, asgByTarget: map[string][]string{},
	}
}

func lower(s string) string { return strings.ToLower(s) }

func pairKey(pkg, subj string) string { return lower(pkg) + "|" + lower(subj) }

// expiryHeap orders assignments by the time their schedule ends, so that the
// lifecycle engine can expire them without scanning the whole store.
type expiryItem struct {
	at time.Time
	id string
}

type expiryHeap []expiryItem

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any) {
	if it, ok := x.(expiryItem); ok {
		*h = append(*h, it)
	}
}
func (h *expiryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
