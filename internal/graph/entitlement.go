package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	ig "github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Request states (accessPackageRequestState), as Graph writes them.
const (
	StateSubmitted          = "submitted"
	StatePendingApproval    = "pendingApproval"
	StateDelivering         = "delivering"
	StateDelivered          = "delivered"
	StateDeliveryFailed     = "deliveryFailed"
	StateDenied             = "denied"
	StateScheduled          = "scheduled"
	StateCanceled           = "canceled"
	StatePartiallyDelivered = "partiallyDelivered"
	StateExpired            = "expired" // assignments only
)

// Schedule is an entitlementManagementSchedule.
type Schedule struct {
	Start          *time.Time
	ExpirationType string // notSpecified, noExpiration, afterDateTime, afterDuration
	End            *time.Time
	Duration       string // ISO 8601, with afterDuration
}

// Answer is an answer to a policy question (always accessPackageAnswerString in v1.0).
type Answer struct {
	QuestionID   string
	QuestionType string // "text" or "choice"; decides the answeredQuestion @odata.type
	Value        string
	DisplayValue string
}

// Subject is an accessPackageSubject.
type Subject struct {
	ID, ObjectID, DisplayName, PrincipalName, Email, SubjectType string
}

// Callout is a customExtensionCalloutInstance.
type Callout struct {
	ID, CustomExtensionID, Detail, ExternalCorrelationID, Status string
}

// Request is an accessPackageAssignmentRequest.
type Request struct {
	ID, Type, State, Status string
	Created, Completed      *time.Time
	Justification           string
	Schedule                *Schedule
	Answers                 []Answer
	AccessPackageID         string
	Assignment              *Assignment // with $expand=assignment($expand=target)
	// Requestor is Graph's requestor: who asked, or for a direct (admin*)
	// request the person assigned.
	Requestor *Subject
	Callouts  []Callout
}

// IsAdmin says whether the request is a direct one (adminAdd, adminUpdate,
// adminRemove), whose requestor is the person assigned.
func (r *Request) IsAdmin() bool { return strings.HasPrefix(r.Type, "admin") }

// Target is the person the request is for, as far as Graph shows it: the
// assignment's target, or for a direct request its requestor.
func (r *Request) Target() *Subject {
	if r.Assignment != nil && r.Assignment.Target != nil {
		return r.Assignment.Target
	}
	if r.IsAdmin() {
		return r.Requestor
	}
	return nil
}

// Assignment is an accessPackageAssignment.
type Assignment struct {
	ID, State, Status         string
	Schedule                  *Schedule
	Expired                   *time.Time
	AccessPackageID, PolicyID string
	Target                    *Subject
}

// Live reports whether the assignment grants, or is being given, access.
func (a *Assignment) Live() bool { return a != nil && a.State != StateExpired }

// Terminal reports whether a request will not move on by itself.
func (r *Request) Terminal() bool {
	switch r.State {
	case StateDelivered, StateDeliveryFailed, StateDenied, StateCanceled, StatePartiallyDelivered:
		return r.Status != "WaitingForCallback"
	}
	return false
}

// AddInput is an adminAdd request.
type AddInput struct {
	AccessPackageID, PolicyID string
	TargetObjectID            string // one of TargetObjectID or TargetEmail
	TargetEmail               string
	Justification             string
	Schedule                  *Schedule
	Answers                   []Answer
}

// ---- submitting requests ------------------------------------------------------------

// SubmitAdd posts an adminAdd request. It is sent once: after an ambiguous
// failure (IsAmbiguous) the caller must look for what it may have created
// before sending it again.
func (c *Client) SubmitAdd(ctx context.Context, in AddInput) (*Request, error) {
	body := models.NewAccessPackageAssignmentRequest()
	rt := models.ADMINADD_ACCESSPACKAGEREQUESTTYPE
	body.SetRequestType(&rt)
	asg := models.NewAccessPackageAssignment()
	// v1.0 has no targetId/accessPackageId/assignmentPolicyId properties on
	// the assignment, but the service reads them there (the v1.0 create page's examples send them there).
	extra := map[string]any{"assignmentPolicyId": in.PolicyID, "accessPackageId": in.AccessPackageID}
	if in.TargetObjectID != "" {
		extra["targetId"] = in.TargetObjectID
	} else {
		subj := models.NewAccessPackageSubject()
		subj.SetEmail(&in.TargetEmail)
		asg.SetTarget(subj)
	}
	asg.SetAdditionalData(extra)
	body.SetAssignment(asg)
	fillRequest(body, in.Justification, in.Schedule, in.Answers)
	return c.submit(ctx, "submit adminAdd request", body)
}

// SubmitUpdate posts an adminUpdate request for an assignment's schedule and/or answers.
func (c *Client) SubmitUpdate(ctx context.Context, assignmentID, justification string, sch *Schedule, answers []Answer) (*Request, error) {
	body := models.NewAccessPackageAssignmentRequest()
	rt := models.ADMINUPDATE_ACCESSPACKAGEREQUESTTYPE
	body.SetRequestType(&rt)
	asg := models.NewAccessPackageAssignment()
	asg.SetId(&assignmentID)
	body.SetAssignment(asg)
	fillRequest(body, justification, sch, answers)
	return c.submit(ctx, "submit adminUpdate request", body)
}

// SubmitRemove posts an adminRemove request.
func (c *Client) SubmitRemove(ctx context.Context, assignmentID, justification string) (*Request, error) {
	body := models.NewAccessPackageAssignmentRequest()
	rt := models.ADMINREMOVE_ACCESSPACKAGEREQUESTTYPE
	body.SetRequestType(&rt)
	asg := models.NewAccessPackageAssignment()
	asg.SetId(&assignmentID)
	body.SetAssignment(asg)
	fillRequest(body, justification, nil, nil)
	return c.submit(ctx, "submit adminRemove request", body)
}

func fillRequest(body models.AccessPackageAssignmentRequestable, justification string, sch *Schedule, answers []Answer) {
	if justification != "" {
		body.SetJustification(&justification)
	}
	if sch != nil {
		body.SetSchedule(expandSchedule(sch))
	}
	if len(answers) > 0 {
		list := make([]models.AccessPackageAnswerable, 0, len(answers))
		for _, a := range answers {
			ans := models.NewAccessPackageAnswerString()
			v, d := a.Value, a.DisplayValue
			ans.SetValue(&v)
			if d != "" {
				ans.SetDisplayValue(&d)
			}
			id := a.QuestionID
			if a.QuestionType == "choice" {
				q := models.NewAccessPackageMultipleChoiceQuestion()
				q.SetId(&id)
				ans.SetAnsweredQuestion(q)
			} else {
				q := models.NewAccessPackageTextInputQuestion()
				q.SetId(&id)
				ans.SetAnsweredQuestion(q)
			}
			list = append(list, ans)
		}
		body.SetAnswers(list)
	}
}

func expandSchedule(s *Schedule) models.EntitlementManagementScheduleable {
	out := models.NewEntitlementManagementSchedule()
	if s.Start != nil {
		t := s.Start.UTC()
		out.SetStartDateTime(&t)
	}
	exp := models.NewExpirationPattern()
	typ := models.NOTSPECIFIED_EXPIRATIONPATTERNTYPE
	switch s.ExpirationType {
	case "noExpiration":
		typ = models.NOEXPIRATION_EXPIRATIONPATTERNTYPE
	case "afterDateTime":
		typ = models.AFTERDATETIME_EXPIRATIONPATTERNTYPE
		if s.End != nil {
			t := s.End.UTC()
			exp.SetEndDateTime(&t)
		}
	case "afterDuration":
		typ = models.AFTERDURATION_EXPIRATIONPATTERNTYPE
		// Written as a plain string, as given: kiota's ISODuration would turn
		// P90D into P12W6D, which Graph refuses (see duration.go).
		exp.SetAdditionalData(map[string]any{"duration": strings.ToUpper(s.Duration)})
	}
	exp.SetTypeEscaped(&typ)
	out.SetExpiration(exp)
	return out
}

// submit posts an assignment request once (429 aside: Graph refused it).
func (c *Client) submit(ctx context.Context, op string, body models.AccessPackageAssignmentRequestable) (*Request, error) {
	var out models.AccessPackageAssignmentRequestable
	err := c.call(ctx, op, false, func(ctx context.Context) error {
		var err error
		out, err = c.em.AssignmentRequests().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil || out.GetId() == nil {
		return nil, &Error{Op: op, Status: 200, Message: "Graph accepted the request but returned no request object"}
	}
	return flattenRequest(out), nil
}

// ---- reading ------------------------------------------------------------------------------

// The queries below are the ones Microsoft documents (internal/DESIGN.md has
// the table, with the pages): the filters each collection's pages mark as
// filterable, the navigations they mark as expandable, and server-driven
// paging. What the provider needs beyond them — a request by its assignment,
// by its type, by its target — it matches itself in a listing that carries
// those documented filters.

// requestExpand is what a read of one request expands: the get page shows
// $expand=assignment($expand=target), and names accessPackage and requestor.
var requestExpand = []string{"assignment($expand=target)", "accessPackage", "requestor"}

// requestListExpand is what a listing of requests expands: the navigations
// the resource page marks "Supports $expand", without nesting (the list page
// shows none). The requestor of a direct (admin*) request is the person
// assigned (the resource page), which is how a listing tells the target.
var requestListExpand = []string{"accessPackage", "assignment", "requestor"}

// GetRequest reads a request with its assignment and target.
func (c *Client) GetRequest(ctx context.Context, id string) (*Request, error) {
	var out models.AccessPackageAssignmentRequestable
	err := c.call(ctx, "read assignment request "+id, true, func(ctx context.Context) error {
		var err error
		out, err = c.em.AssignmentRequests().ByAccessPackageAssignmentRequestId(id).Get(ctx,
			&ig.EntitlementManagementAssignmentRequestsAccessPackageAssignmentRequestItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &ig.EntitlementManagementAssignmentRequestsAccessPackageAssignmentRequestItemRequestBuilderGetQueryParameters{Expand: requestExpand}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, &Error{Op: "read assignment request " + id, Status: 200, Message: "empty answer"}
	}
	return flattenRequest(out), nil
}

// assignmentExpand is what reads of assignments expand: the three
// navigations the get and list pages name.
var assignmentExpand = []string{"target", "accessPackage", "assignmentPolicy"}

// GetAssignment reads an assignment with its target, package and policy.
func (c *Client) GetAssignment(ctx context.Context, id string) (*Assignment, error) {
	var out models.AccessPackageAssignmentable
	err := c.call(ctx, "read assignment "+id, true, func(ctx context.Context) error {
		var err error
		out, err = c.em.Assignments().ByAccessPackageAssignmentId(id).Get(ctx,
			&ig.EntitlementManagementAssignmentsAccessPackageAssignmentItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &ig.EntitlementManagementAssignmentsAccessPackageAssignmentItemRequestBuilderGetQueryParameters{Expand: assignmentExpand}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, &Error{Op: "read assignment " + id, Status: 200, Message: "empty answer"}
	}
	return flattenAssignment(out), nil
}

// AccessPackage is what the provider reads of an access package.
type AccessPackage struct {
	ID, DisplayName string
}

// GetAccessPackage reads an access package.
func (c *Client) GetAccessPackage(ctx context.Context, id string) (*AccessPackage, error) {
	var out models.AccessPackageable
	op := "read access package " + id
	err := c.call(ctx, op, true, func(ctx context.Context) error {
		var err error
		out, err = c.em.AccessPackages().ByAccessPackageId(id).Get(ctx, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, &Error{Op: op, Status: 200, Message: "empty answer"}
	}
	return &AccessPackage{ID: str(out.GetId()), DisplayName: str(out.GetDisplayName())}, nil
}

// AssignmentFilter selects assignments; empty fields do not filter.
type AssignmentFilter struct {
	AccessPackageID, PolicyID, TargetObjectID, State string
}

// eqFilter joins "path eq 'value'" clauses for the non-empty values, in order.
func eqFilter(pairs ...string) []string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := pairs[i+1]; v != "" {
			parts = append(parts, fmt.Sprintf("%s eq '%s'", pairs[i], strings.ReplaceAll(v, "'", "''")))
		}
	}
	return parts
}

func joinFilter(parts []string) *string {
	if len(parts) == 0 {
		return nil
	}
	s := strings.Join(parts, " and ")
	return &s
}

// page is what kiota's collection responses have in common.
type page[M any] interface {
	GetValue() []M
	GetOdataNextLink() *string
}

// MaxPages bounds one listing: at Graph's page sizes (100 or more items) it
// is a million objects, far beyond any access package, so a listing that
// goes on longer is a fault, not data.
const MaxPages = 10000

// listAll reads the first page with first, then follows @odata.nextLink with
// next until the end, each page under the retry policy. A nextLink must stay
// on the configured Graph (same scheme, host, port and version path: the
// token goes nowhere else) and must lead somewhere new: a link already
// followed, or more than maxPages pages, is an error rather than a loop.
func listAll[P page[M], M any, T any](ctx context.Context, c *Client, what string, maxPages int, first func(context.Context) (P, error), next func(context.Context, string) (P, error), flatten func(M) T) ([]T, bool, error) {
	var all []T
	link := ""
	seen := map[string]bool{}
	for n := 1; ; n++ {
		if n > maxPages {
			return all, false, nil
		}
		var res P
		err := c.call(ctx, fmt.Sprintf("list %s (page %d)", what, n), true, func(ctx context.Context) error {
			var err error
			if link == "" {
				res, err = first(ctx)
			} else {
				res, err = next(ctx, link)
			}
			return err
		})
		if err != nil {
			return nil, false, err
		}
		if any(res) == nil {
			return all, true, nil
		}
		for _, m := range res.GetValue() {
			all = append(all, flatten(m))
		}
		nl := res.GetOdataNextLink()
		if nl == nil || *nl == "" {
			return all, true, nil
		}
		if err := c.checkNextLink(*nl); err != nil {
			return nil, false, &Error{Op: fmt.Sprintf("list %s (page %d)", what, n+1), Status: 200, Message: err.Error()}
		}
		if seen[*nl] {
			return nil, false, &Error{Op: fmt.Sprintf("list %s (page %d)", what, n+1), Status: 200,
				Message: "Graph's @odata.nextLink leads back to a page already read, so the listing would never end; it was stopped"}
		}
		seen[*nl] = true
		link = *nl
	}
}

// listEvery is listAll to the end: more than MaxPages pages is an error.
func listEvery[P page[M], M any, T any](ctx context.Context, c *Client, what string, first func(context.Context) (P, error), next func(context.Context, string) (P, error), flatten func(M) T) ([]T, error) {
	all, complete, err := listAll(ctx, c, what, MaxPages, first, next, flatten)
	if err == nil && !complete {
		return nil, &Error{Op: "list " + what, Status: 200, Message: fmt.Sprintf("the listing goes on beyond %d pages; it was stopped", MaxPages)}
	}
	return all, err
}

// assignmentFilters are the documented filters of an assignment filter, the
// narrowest first: accessPackage/id, assignmentPolicy/id, target/objectId
// and state, each "Supports $filter (eq)" on the accessPackageAssignment
// resource page; the list page combines two with "and".
func assignmentFilters(f AssignmentFilter) []string {
	return eqFilter("accessPackage/id", f.AccessPackageID, "assignmentPolicy/id", f.PolicyID, "target/objectId", f.TargetObjectID, "state", f.State)
}

// matches says whether an assignment is one the filter selects (the
// client-side half of a listing Graph was asked with fewer filters).
func (f AssignmentFilter) matches(a *Assignment) bool {
	same := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	obj := ""
	if a.Target != nil {
		obj = a.Target.ObjectID
	}
	return same(f.AccessPackageID, a.AccessPackageID) && same(f.PolicyID, a.PolicyID) && same(f.TargetObjectID, obj) && same(f.State, a.State)
}

// ListAssignments returns every matching assignment, following paging to
// the end. Where Graph refuses the combination of filters (400), it lists
// with the package's filter alone and matches the rest itself.
func (c *Client) ListAssignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, error) {
	list, _, err := c.listAssignments(ctx, f, MaxPages)
	return list, err
}

// ListAssignmentsWithin lists like ListAssignments, but reads at most
// maxPages pages: complete is false when the listing goes on beyond them
// (and the list is then partial). It prices a listing before paying for
// all of it.
func (c *Client) ListAssignmentsWithin(ctx context.Context, f AssignmentFilter, maxPages int) (list []*Assignment, complete bool, err error) {
	return c.listAssignments(ctx, f, maxPages)
}

func (c *Client) listAssignments(ctx context.Context, f AssignmentFilter, maxPages int) ([]*Assignment, bool, error) {
	parts := assignmentFilters(f)
	list, complete, err := c.listAssignmentsWith(ctx, parts, maxPages)
	if err != nil && isRefusal(err) && len(parts) > 1 && f.AccessPackageID != "" {
		c.log(ctx, "Graph refused the combined assignment filter; listing the package alone", map[string]any{"filter": strings.Join(parts, " and "), "error": err.Error()})
		list, complete, err = c.listAssignmentsWith(ctx, eqFilter("accessPackage/id", f.AccessPackageID), maxPages)
	}
	if err != nil {
		return nil, false, err
	}
	out := list[:0]
	for _, a := range list {
		if f.matches(a) {
			out = append(out, a)
		}
	}
	return out, complete, nil
}

func (c *Client) listAssignmentsWith(ctx context.Context, parts []string, maxPages int) ([]*Assignment, bool, error) {
	q := &ig.EntitlementManagementAssignmentsRequestBuilderGetQueryParameters{Expand: assignmentExpand, Filter: joinFilter(parts)}
	return listAll(ctx, c, "assignments", maxPages,
		func(ctx context.Context) (models.AccessPackageAssignmentCollectionResponseable, error) {
			return c.em.Assignments().Get(ctx, &ig.EntitlementManagementAssignmentsRequestBuilderGetRequestConfiguration{QueryParameters: q})
		},
		func(ctx context.Context, link string) (models.AccessPackageAssignmentCollectionResponseable, error) {
			return c.em.Assignments().WithUrl(link).Get(ctx, nil)
		}, flattenAssignment)
}

// RequestFilter selects requests; empty fields do not filter. Graph
// documents three filters on requests — accessPackage/id (the list page),
// state (eq) and createdDateTime (the resource page) — and the client sends
// only those; RequestType and AssignmentID are matched in the listing.
// Every listing carries accessPackage/id when it can be known (from
// AccessPackageID, or from AssignmentID's assignment), because a caller
// with catalog-scoped roles may list requests only with it.
type RequestFilter struct {
	AccessPackageID, State, RequestType, AssignmentID string
	CreatedAfter                                      *time.Time
}

// matches says whether a request is one the filter selects.
func (f RequestFilter) matches(r *Request) bool {
	same := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	asg := ""
	if r.Assignment != nil {
		asg = r.Assignment.ID
	}
	if f.CreatedAfter != nil && (r.Created == nil || !r.Created.After(*f.CreatedAfter)) {
		return false
	}
	return same(f.AccessPackageID, r.AccessPackageID) && same(f.State, r.State) && same(f.RequestType, r.Type) && same(f.AssignmentID, asg)
}

// ListRequests returns every matching request, following paging to the end.
// It asks Graph with the documented filters and matches the rest itself;
// where Graph refuses the combination (400), it lists with the package's
// filter alone: a recovery path never fails because of a query it chose.
func (c *Client) ListRequests(ctx context.Context, f RequestFilter) ([]*Request, error) {
	if f.AccessPackageID == "" && f.AssignmentID != "" {
		a, err := c.GetAssignment(ctx, f.AssignmentID)
		if err != nil {
			return nil, fmt.Errorf("reading assignment %s to learn its access package: %w", f.AssignmentID, err)
		}
		f.AccessPackageID = a.AccessPackageID
		if f.AccessPackageID == "" {
			return nil, &Error{Op: "read assignment " + f.AssignmentID, Status: 200, Message: "Graph did not say which access package the assignment belongs to"}
		}
	}
	parts := eqFilter("accessPackage/id", f.AccessPackageID, "state", f.State)
	if f.CreatedAfter != nil {
		parts = append(parts, "createdDateTime gt "+f.CreatedAfter.UTC().Format(time.RFC3339))
	}
	list, err := c.listRequestsWith(ctx, parts)
	if err != nil && isRefusal(err) && len(parts) > 1 && f.AccessPackageID != "" {
		c.log(ctx, "Graph refused the combined request filter; listing the package alone", map[string]any{"filter": strings.Join(parts, " and "), "error": err.Error()})
		list, err = c.listRequestsWith(ctx, eqFilter("accessPackage/id", f.AccessPackageID))
	}
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, r := range list {
		if f.matches(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (c *Client) listRequestsWith(ctx context.Context, parts []string) ([]*Request, error) {
	q := &ig.EntitlementManagementAssignmentRequestsRequestBuilderGetQueryParameters{Expand: requestListExpand, Filter: joinFilter(parts)}
	return listEvery(ctx, c, "assignment requests",
		func(ctx context.Context) (models.AccessPackageAssignmentRequestCollectionResponseable, error) {
			return c.em.AssignmentRequests().Get(ctx, &ig.EntitlementManagementAssignmentRequestsRequestBuilderGetRequestConfiguration{QueryParameters: q})
		},
		func(ctx context.Context, link string) (models.AccessPackageAssignmentRequestCollectionResponseable, error) {
			return c.em.AssignmentRequests().WithUrl(link).Get(ctx, nil)
		}, flattenRequest)
}

// openStates are the states of a request that is not settled: while one is
// open for a person and package, Graph keeps it from being changed.
var openStates = []string{StateSubmitted, StatePendingApproval, StateDelivering, StateScheduled}

// OpenRequests lists the package's requests that are still open (submitted,
// pending approval, delivering or scheduled): one listing per state, with
// the documented filters accessPackage/id and state.
func (c *Client) OpenRequests(ctx context.Context, accessPackageID string) ([]*Request, error) {
	var out []*Request
	for _, st := range openStates {
		list, err := c.ListRequests(ctx, RequestFilter{AccessPackageID: accessPackageID, State: st})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// ---- actions ------------------------------------------------------------------------------

// ReprocessRequest asks Graph to retry delivery of a failed request (202).
func (c *Client) ReprocessRequest(ctx context.Context, id string) error {
	return c.call(ctx, "reprocess assignment request "+id, false, func(ctx context.Context) error {
		return c.em.AssignmentRequests().ByAccessPackageAssignmentRequestId(id).Reprocess().Post(ctx, nil)
	})
}

// ReprocessAssignment re-applies a delivered assignment's access (202).
func (c *Client) ReprocessAssignment(ctx context.Context, id string) error {
	return c.call(ctx, "reprocess assignment "+id, false, func(ctx context.Context) error {
		return c.em.Assignments().ByAccessPackageAssignmentId(id).Reprocess().Post(ctx, nil)
	})
}

// ResumeRequest answers a custom extension's callout (204).
func (c *Client) ResumeRequest(ctx context.Context, id string, in ResumeInput) error {
	body := ig.NewEntitlementManagementAssignmentRequestsItemResumePostRequestBody()
	src := in.Source
	body.SetSource(&src)
	typ := "microsoft.graph.accessPackageCustomExtensionStage." + in.Stage
	body.SetTypeEscaped(&typ) // the property is named "type"; kiota renames it (a kiota quirk)
	cb := models.NewAccessPackageAssignmentRequestCallbackData()
	if st, err := models.ParseAccessPackageCustomExtensionStage(in.Stage); err == nil {
		if stage, ok := st.(*models.AccessPackageCustomExtensionStage); ok {
			cb.SetStage(stage)
		}
	}
	if in.StageInstanceID != "" {
		cb.SetCustomExtensionStageInstanceId(&in.StageInstanceID)
	}
	if in.StageInstanceDetail != "" {
		cb.SetCustomExtensionStageInstanceDetail(&in.StageInstanceDetail)
	}
	if in.State != "" {
		cb.SetState(&in.State)
	}
	body.SetData(cb)
	return c.call(ctx, "resume assignment request "+id, false, func(ctx context.Context) error {
		return c.em.AssignmentRequests().ByAccessPackageAssignmentRequestId(id).Resume().Post(ctx, body, nil)
	})
}

// CancelRequest cancels a request that Graph still allows to be canceled.
// Graph allows it only to signed-in users, not to applications (the cancel page: delegated permissions only).
func (c *Client) CancelRequest(ctx context.Context, id string) error {
	return c.call(ctx, "cancel assignment request "+id, false, func(ctx context.Context) error {
		return c.em.AssignmentRequests().ByAccessPackageAssignmentRequestId(id).Cancel().Post(ctx, nil)
	})
}

// ---- flattening --------------------------------------------------------------------------

func str(s *string) string { return deref(s) }

// enumString renders an SDK enum; an unknown value parses to nil (a kiota quirk)
// and reads as "" here, which callers treat as "not a state we know".
func enumString[T interface{ String() string }](v *T) string {
	if v == nil {
		return ""
	}
	return (*v).String()
}

func flattenSchedule(s models.EntitlementManagementScheduleable) *Schedule {
	if s == nil {
		return nil
	}
	out := &Schedule{Start: utc(s.GetStartDateTime()), ExpirationType: "notSpecified"}
	if e := s.GetExpiration(); e != nil {
		if t := enumString(e.GetTypeEscaped()); t != "" {
			out.ExpirationType = t
		}
		out.End = utc(e.GetEndDateTime())
		if d := e.GetDuration(); d != nil {
			out.Duration = durationFromSDK(d)
		}
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func flattenSubject(s models.AccessPackageSubjectable) *Subject {
	if s == nil {
		return nil
	}
	return &Subject{ID: str(s.GetId()), ObjectID: str(s.GetObjectId()), DisplayName: str(s.GetDisplayName()),
		PrincipalName: str(s.GetPrincipalName()), Email: str(s.GetEmail()), SubjectType: enumString(s.GetSubjectType())}
}

func flattenAssignment(a models.AccessPackageAssignmentable) *Assignment {
	out := &Assignment{ID: str(a.GetId()), State: enumString(a.GetState()), Status: str(a.GetStatus()),
		Schedule: flattenSchedule(a.GetSchedule()), Expired: utc(a.GetExpiredDateTime()), Target: flattenSubject(a.GetTarget())}
	if p := a.GetAccessPackage(); p != nil {
		out.AccessPackageID = str(p.GetId())
	}
	if p := a.GetAssignmentPolicy(); p != nil {
		out.PolicyID = str(p.GetId())
	}
	return out
}

func flattenRequest(r models.AccessPackageAssignmentRequestable) *Request {
	out := &Request{ID: str(r.GetId()), Type: enumString(r.GetRequestType()), State: enumString(r.GetState()),
		Status: str(r.GetStatus()), Created: utc(r.GetCreatedDateTime()), Completed: utc(r.GetCompletedDateTime()),
		Justification: str(r.GetJustification()), Schedule: flattenSchedule(r.GetSchedule())}
	if p := r.GetAccessPackage(); p != nil {
		out.AccessPackageID = str(p.GetId())
	}
	out.Requestor = flattenSubject(r.GetRequestor())
	if a := r.GetAssignment(); a != nil && a.GetId() != nil {
		out.Assignment = flattenAssignment(a)
		if out.Assignment.AccessPackageID == "" {
			out.Assignment.AccessPackageID = out.AccessPackageID
		}
		if out.Assignment.Target == nil && out.IsAdmin() {
			// A listing expands the assignment without its target; the
			// requestor of a direct request is the person assigned.
			out.Assignment.Target = out.Requestor
		}
	}
	for _, a := range r.GetAnswers() {
		ans := Answer{DisplayValue: str(a.GetDisplayValue())}
		if s, ok := a.(models.AccessPackageAnswerStringable); ok {
			ans.Value = str(s.GetValue())
		}
		if q := a.GetAnsweredQuestion(); q != nil {
			ans.QuestionID = str(q.GetId())
			ans.QuestionType = "text"
			if _, ok := q.(models.AccessPackageMultipleChoiceQuestionable); ok {
				ans.QuestionType = "choice"
			}
		}
		out.Answers = append(out.Answers, ans)
	}
	for _, ci := range r.GetCustomExtensionCalloutInstances() {
		out.Callouts = append(out.Callouts, Callout{ID: str(ci.GetId()), CustomExtensionID: str(ci.GetCustomExtensionId()),
			Detail: str(ci.GetDetail()), ExternalCorrelationID: str(ci.GetExternalCorrelationId()), Status: enumString(ci.GetStatus())})
	}
	return out
}

// Question is a policy question, as the provider needs it.
type Question struct {
	ID       string
	Type     string // "text" or "choice"
	Required bool
	Text     string
	Choices  []string
	// MultipleChoices allows several choices to be answered.
	MultipleChoices bool
	// Pattern is a text question's regular expression, which the whole
	// answer must match.
	Pattern string
}

// Policy is what the provider checks of an assignment policy before it
// sends a request.
type Policy struct {
	ID              string
	AccessPackageID string
	DisplayName     string
	Description     string
	// AllowedTargetScope is who may be assigned under the policy
	// (notSpecified: only by an administrator's direct assignment).
	AllowedTargetScope string
	// SelfAddAllowed says whether the people in scope may request it
	// themselves (requestorSettings.enableTargetsToSelfAddAccess).
	SelfAddAllowed bool
	Questions      []Question
	// Expiration is the policy's expiration (type, end or duration), nil
	// when Graph gives none.
	Expiration            *Schedule
	JustificationRequired bool
	AllowCustomSchedule   bool
	ApprovalRequiredAdd   bool
}

// GetPolicy reads a policy with its questions and its access package
// ($expand: the questions are a contained navigation, absent otherwise).
func (c *Client) GetPolicy(ctx context.Context, policyID string) (*Policy, error) {
	var out models.AccessPackageAssignmentPolicyable
	op := "read assignment policy " + policyID
	err := c.call(ctx, op, true, func(ctx context.Context) error {
		var err error
		out, err = c.em.AssignmentPolicies().ByAccessPackageAssignmentPolicyId(policyID).Get(ctx,
			&ig.EntitlementManagementAssignmentPoliciesAccessPackageAssignmentPolicyItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &ig.EntitlementManagementAssignmentPoliciesAccessPackageAssignmentPolicyItemRequestBuilderGetQueryParameters{Expand: []string{"questions", "accessPackage"}}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, &Error{Op: op, Status: 200, Message: "empty answer"}
	}
	b := func(v *bool) bool { return v != nil && *v }
	p := &Policy{ID: str(out.GetId()), DisplayName: str(out.GetDisplayName()), Description: str(out.GetDescription()),
		AllowedTargetScope: enumString(out.GetAllowedTargetScope())}
	if ap := out.GetAccessPackage(); ap != nil {
		p.AccessPackageID = str(ap.GetId())
	}
	if e := out.GetExpiration(); e != nil {
		p.Expiration = &Schedule{ExpirationType: enumString(e.GetTypeEscaped()), End: utc(e.GetEndDateTime())}
		if d := e.GetDuration(); d != nil {
			p.Expiration.Duration = durationFromSDK(d)
		}
	}
	if ras := out.GetRequestApprovalSettings(); ras != nil {
		p.JustificationRequired = b(ras.GetIsRequestorJustificationRequired())
		p.ApprovalRequiredAdd = b(ras.GetIsApprovalRequiredForAdd())
	}
	if rs := out.GetRequestorSettings(); rs != nil {
		p.AllowCustomSchedule = b(rs.GetAllowCustomAssignmentSchedule())
		p.SelfAddAllowed = b(rs.GetEnableTargetsToSelfAddAccess())
	}
	for _, q := range out.GetQuestions() {
		x := Question{ID: str(q.GetId()), Type: "text", Text: str(q.GetText()), Required: b(q.GetIsRequired())}
		if mc, ok := q.(models.AccessPackageMultipleChoiceQuestionable); ok {
			x.Type = "choice"
			x.MultipleChoices = b(mc.GetIsMultipleSelectionAllowed())
			for _, ch := range mc.GetChoices() {
				x.Choices = append(x.Choices, str(ch.GetActualValue()))
			}
		}
		if tq, ok := q.(models.AccessPackageTextInputQuestionable); ok {
			x.Pattern = str(tq.GetRegexPattern())
		}
		p.Questions = append(p.Questions, x)
	}
	return p, nil
}
