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
	Callouts                []Callout
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

var requestExpand = []string{"assignment($expand=target,assignmentPolicy)", "accessPackage"}

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

var assignmentExpand = []string{"target", "accessPackage($select=id)", "assignmentPolicy($select=id)"}

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

// listAll reads the first page with first, then follows @odata.nextLink with
// next until the end, each page under the retry policy.
func listAll[P page[M], M any, T any](ctx context.Context, c *Client, what string, first func(context.Context) (P, error), next func(context.Context, string) (P, error), flatten func(M) T) ([]T, error) {
	var all []T
	link := ""
	for n := 1; ; n++ {
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
			return nil, err
		}
		if any(res) == nil {
			return all, nil
		}
		for _, m := range res.GetValue() {
			all = append(all, flatten(m))
		}
		nl := res.GetOdataNextLink()
		if nl == nil || *nl == "" {
			return all, nil
		}
		link = *nl
	}
}

// CountAssignments counts the assignments that match ($count).
func (c *Client) CountAssignments(ctx context.Context, f AssignmentFilter) (int, error) {
	var n *int32
	filter := joinFilter(eqFilter("accessPackage/id", f.AccessPackageID, "assignmentPolicy/id", f.PolicyID, "target/objectId", f.TargetObjectID, "state", f.State))
	err := c.call(ctx, "count assignments", true, func(ctx context.Context) error {
		var err error
		n, err = c.em.Assignments().Count().Get(ctx, &ig.EntitlementManagementAssignmentsCountRequestBuilderGetRequestConfiguration{
			QueryParameters: &ig.EntitlementManagementAssignmentsCountRequestBuilderGetQueryParameters{Filter: filter}})
		return err
	})
	if err != nil {
		return 0, err
	}
	if n == nil {
		return 0, &Error{Op: "count assignments", Status: 200, Message: "empty answer"}
	}
	return int(*n), nil
}

// ListAssignments returns every matching assignment, following paging to the end.
func (c *Client) ListAssignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, error) {
	q := &ig.EntitlementManagementAssignmentsRequestBuilderGetQueryParameters{Expand: assignmentExpand,
		Filter: joinFilter(eqFilter("accessPackage/id", f.AccessPackageID, "assignmentPolicy/id", f.PolicyID, "target/objectId", f.TargetObjectID, "state", f.State))}
	return listAll(ctx, c, "assignments",
		func(ctx context.Context) (models.AccessPackageAssignmentCollectionResponseable, error) {
			return c.em.Assignments().Get(ctx, &ig.EntitlementManagementAssignmentsRequestBuilderGetRequestConfiguration{QueryParameters: q})
		},
		func(ctx context.Context, link string) (models.AccessPackageAssignmentCollectionResponseable, error) {
			return c.em.Assignments().WithUrl(link).Get(ctx, nil)
		}, flattenAssignment)
}

// RequestFilter selects requests; empty fields do not filter.
type RequestFilter struct {
	AccessPackageID, State, RequestType, AssignmentID string
	CreatedAfter                                      *time.Time
}

// ListRequests returns every matching request, following paging to the end.
func (c *Client) ListRequests(ctx context.Context, f RequestFilter) ([]*Request, error) {
	parts := eqFilter("accessPackage/id", f.AccessPackageID, "state", f.State, "requestType", f.RequestType, "assignment/id", f.AssignmentID)
	if f.CreatedAfter != nil {
		parts = append(parts, "createdDateTime gt "+f.CreatedAfter.UTC().Format(time.RFC3339))
	}
	q := &ig.EntitlementManagementAssignmentRequestsRequestBuilderGetQueryParameters{Expand: requestExpand, Filter: joinFilter(parts)}
	return listAll(ctx, c, "assignment requests",
		func(ctx context.Context) (models.AccessPackageAssignmentRequestCollectionResponseable, error) {
			return c.em.AssignmentRequests().Get(ctx, &ig.EntitlementManagementAssignmentRequestsRequestBuilderGetRequestConfiguration{QueryParameters: q})
		},
		func(ctx context.Context, link string) (models.AccessPackageAssignmentRequestCollectionResponseable, error) {
			return c.em.AssignmentRequests().WithUrl(link).Get(ctx, nil)
		}, flattenRequest)
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
	if a := r.GetAssignment(); a != nil && a.GetId() != nil {
		out.Assignment = flattenAssignment(a)
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
	Questions       []Question
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
	p := &Policy{ID: str(out.GetId())}
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
