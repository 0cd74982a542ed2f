package graph

import (
	"context"

	ig "github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Requests made as a signed-in user (userAdd, userUpdate, userRemove): Graph
// takes the requestor from the token, so these need a delegated token.

// UserRequestInput is a userAdd, userUpdate or userRemove request.
type UserRequestInput struct {
	Type            string // userAdd, userUpdate, userRemove
	AccessPackageID string
	PolicyID        string   // optional for userAdd: Graph picks the policy that lets the user request
	Target          *Subject // on behalf of a direct report (userAdd); nil for the caller
	AssignmentID    string   // userUpdate, userRemove
	Justification   string
	Schedule        *Schedule
	Answers         []Answer
}

// SubmitUserRequest posts a user request once (see SubmitAdd).
func (c *Client) SubmitUserRequest(ctx context.Context, in UserRequestInput) (*Request, error) {
	body := models.NewAccessPackageAssignmentRequest()
	rt := models.USERADD_ACCESSPACKAGEREQUESTTYPE
	switch in.Type {
	case "userUpdate":
		rt = models.USERUPDATE_ACCESSPACKAGEREQUESTTYPE
	case "userRemove":
		rt = models.USERREMOVE_ACCESSPACKAGEREQUESTTYPE
	}
	body.SetRequestType(&rt)
	asg := models.NewAccessPackageAssignment()
	if in.Type == "userAdd" {
		extra := map[string]any{"accessPackageId": in.AccessPackageID}
		if in.PolicyID != "" {
			extra["assignmentPolicyId"] = in.PolicyID
		}
		asg.SetAdditionalData(extra)
		if t := in.Target; t != nil {
			subj := models.NewAccessPackageSubject()
			if t.ObjectID != "" {
				subj.SetObjectId(&t.ObjectID)
			}
			if t.Email != "" {
				subj.SetEmail(&t.Email)
			}
			if t.DisplayName != "" {
				subj.SetDisplayName(&t.DisplayName)
			}
			st := models.USER_ACCESSPACKAGESUBJECTTYPE
			subj.SetSubjectType(&st)
			asg.SetTarget(subj)
		}
	} else {
		asg.SetId(&in.AssignmentID)
	}
	body.SetAssignment(asg)
	fillRequest(body, in.Justification, in.Schedule, in.Answers)
	return c.submit(ctx, "submit "+in.Type+" request", body)
}

// MyAssignments lists the signed-in user's own assignments of a package
// (filterByCurrentUser(on='target'), delegated only), paging to the end.
func (c *Client) MyAssignments(ctx context.Context, accessPackageID string) ([]*Assignment, error) {
	on := "target"
	b := c.em.Assignments().FilterByCurrentUserWithOn(&on)
	q := &ig.EntitlementManagementAssignmentsFilterByCurrentUserWithOnRequestBuilderGetQueryParameters{Expand: assignmentExpand,
		Filter: joinFilter(eqFilter("accessPackage/id", accessPackageID))}
	return listEvery(ctx, c, "the signed-in user's assignments",
		func(ctx context.Context) (ig.EntitlementManagementAssignmentsFilterByCurrentUserWithOnGetResponseable, error) {
			return b.GetAsFilterByCurrentUserWithOnGetResponse(ctx, &ig.EntitlementManagementAssignmentsFilterByCurrentUserWithOnRequestBuilderGetRequestConfiguration{QueryParameters: q})
		},
		func(ctx context.Context, link string) (ig.EntitlementManagementAssignmentsFilterByCurrentUserWithOnGetResponseable, error) {
			return ig.NewEntitlementManagementAssignmentsFilterByCurrentUserWithOnRequestBuilder(link, c.adapter).GetAsFilterByCurrentUserWithOnGetResponse(ctx, nil)
		}, flattenAssignment)
}
