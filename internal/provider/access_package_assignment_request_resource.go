package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ resource.ResourceWithConfigure      = (*accessPackageAssignmentRequestResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*accessPackageAssignmentRequestResource)(nil)
	_ resource.ResourceWithValidateConfig = (*accessPackageAssignmentRequestResource)(nil)
)

// NewAccessPackageAssignmentRequestResource is the entitlement_access_package_assignment_request resource.
func NewAccessPackageAssignmentRequestResource() resource.Resource {
	return &accessPackageAssignmentRequestResource{}
}

// accessPackageAssignmentRequestResource is one request a signed-in user
// makes: for themselves (userAdd, userUpdate, userRemove) or, as a manager,
// for a direct report. It is immutable: any change replaces it. Destroying it
// cancels the request while Graph still allows that, and otherwise forgets it.
type accessPackageAssignmentRequestResource struct {
	resourceBase
}

type accessPackageAssignmentRequestModel struct {
	ID                 types.String   `tfsdk:"id"`
	RequestType        types.String   `tfsdk:"request_type"`
	AccessPackageID    types.String   `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String   `tfsdk:"assignment_policy_id"`
	Target             types.Object   `tfsdk:"target"`
	Justification      types.String   `tfsdk:"justification"`
	Answers            types.List     `tfsdk:"answers"`
	Schedule           types.Object   `tfsdk:"schedule"`
	WaitFor            types.String   `tfsdk:"wait_for"`
	State              types.String   `tfsdk:"state"`
	Status             types.String   `tfsdk:"status"`
	AssignmentID       types.String   `tfsdk:"assignment_id"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
}

type requestTargetModel struct {
	ObjectID    types.String `tfsdk:"object_id"`
	Email       types.String `tfsdk:"email"`
	DisplayName types.String `tfsdk:"display_name"`
}

func (r *accessPackageAssignmentRequestResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_request"
}

func (r *accessPackageAssignmentRequestResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	replaceID := []planmodifier.String{sameIDReplace()}
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	answers := answersSchema()
	answers.MarkdownDescription = "Answers to the policy's questions. A change replaces the request."
	answers.PlanModifiers = []planmodifier.List{listplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "An access package request made as the signed-in user, reviewed in a pull request and then approved in Entra as usual: `userAdd` for yourself or, as a manager, for a direct report; `userUpdate` and `userRemove` for your own assignment. " +
			"It needs a delegated (user) token — for example the Azure CLI login — because Graph takes the requestor from the token and refuses these requests from an application. " +
			"The request is immutable: any change replaces it. Destroying it cancels it while Graph still allows that (accepted, pending approval or pending its start date), and otherwise only forgets it; access already delivered stays until a `userRemove` request or an administrator removes it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The request id.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"request_type": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("userAdd"),
				MarkdownDescription: "`userAdd` (default), `userUpdate` or `userRemove`.",
				Validators:          []validator.String{stringvalidator.OneOf("userAdd", "userUpdate", "userRemove")}, PlanModifiers: replace},
			"access_package_id": schema.StringAttribute{Required: true, MarkdownDescription: "The access package requested (for `userUpdate` and `userRemove`, the package of your assignment).",
				Validators: []validator.String{guid()}, PlanModifiers: replaceID},
			"assignment_policy_id": schema.StringAttribute{Optional: true, MarkdownDescription: "The policy to request under. Optional for `userAdd`: Graph picks the policy that lets you request the package. Naming it lets the provider check, at plan time, the justification, questions and schedule the policy requires.",
				Validators: []validator.String{guid()}, PlanModifiers: replaceID},
			"target": schema.SingleNestedAttribute{Optional: true,
				MarkdownDescription: "Whom the access is for, when it is not you: a direct report, as their manager (`userAdd` only; the policy must allow requests on behalf of others).",
				PlanModifiers:       []planmodifier.Object{objectplanmodifier.RequiresReplace()},
				Attributes: map[string]schema.Attribute{
					"object_id":    schema.StringAttribute{Required: true, MarkdownDescription: "The direct report's object id.", Validators: []validator.String{guid()}},
					"email":        schema.StringAttribute{Optional: true, MarkdownDescription: "Their email address.", Validators: []validator.String{email()}},
					"display_name": schema.StringAttribute{Optional: true, MarkdownDescription: "Their display name."},
				}},
			"justification": schema.StringAttribute{Optional: true, MarkdownDescription: "Why you need the access, for the approver. A change replaces the request.", PlanModifiers: replace},
			"answers":       answers,
			"schedule":      scheduleAttribute(true),
			"wait_for": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("submitted"),
				MarkdownDescription: "How far to follow the request: `submitted` (default; a request pending approval is an expected state) or `delivered` (wait until the access is delivered, through approval, within the create timeout).",
				Validators:          []validator.String{stringvalidator.OneOf("submitted", "delivered")}},
			"state":         computed("The request's state when last read: `submitted`, `pendingApproval`, `scheduled`, `delivering`, `delivered`, `denied`, `canceled`…"),
			"status":        computed("Graph's status text for the request."),
			"assignment_id": computed("The assignment the request created, changed or removed, once there is one."),
			"timeouts":      resourceTimeouts(ctx, timeouts.Opts{Create: true, Delete: true}),
		},
	}
}

// ValidateConfig refuses at plan time a target on a request that is not a
// userAdd: requests on behalf of someone else can only add access.
func (r *accessPackageAssignmentRequestResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var typ types.String
	var target types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("request_type"), &typ)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("target"), &target)...)
	if typ.IsUnknown() || typ.IsNull() || target.IsNull() || typ.ValueString() == "userAdd" {
		return
	}
	resp.Diagnostics.AddAttributeError(path.Root("target"), "Target only for userAdd",
		fmt.Sprintf("A %s request acts on your own assignment; requests on behalf of someone else (target) can only add access. Leave target out.", typ.ValueString()))
}

// ModifyPlan checks at plan time what the named policy forbids.
func (r *accessPackageAssignmentRequestResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !r.configured() || req.Plan.Raw.IsNull() || !req.State.Raw.IsNull() {
		return
	}
	var m accessPackageAssignmentRequestModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.AssignmentPolicyID.IsNull() || m.AssignmentPolicyID.IsUnknown() || m.RequestType.ValueString() == "userRemove" {
		return
	}
	if !m.Justification.IsNull() && !r.cloud.HasJustification {
		resp.Diagnostics.AddAttributeError(path.Root("justification"), "Justification not available in this cloud",
			"Assignment requests in the US Government and China clouds have no justification property.")
	}
	pol, err := r.policies.get(ctx, r.client, m.AssignmentPolicyID.ValueString())
	if err != nil {
		if graph.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("assignment_policy_id"), "Unknown assignment policy", explain(err))
		}
		return
	}
	resp.Diagnostics.Append(checkAgainstPolicy(ctx, pol, m)...)
}

func (r *accessPackageAssignmentRequestResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m accessPackageAssignmentRequestModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	in := graph.UserRequestInput{Type: m.RequestType.ValueString(), AccessPackageID: m.AccessPackageID.ValueString(),
		PolicyID: m.AssignmentPolicyID.ValueString(), Justification: m.Justification.ValueString()}
	if !m.Target.IsNull() {
		var t requestTargetModel
		resp.Diagnostics.Append(m.Target.As(ctx, &t, basetypes.ObjectAsOptions{})...)
		in.Target = &graph.Subject{ObjectID: t.ObjectID.ValueString(), Email: t.Email.ValueString(), DisplayName: t.DisplayName.ValueString()}
		if in.Type != "userAdd" {
			resp.Diagnostics.AddAttributeError(path.Root("target"), "Target only for userAdd", "Requests on behalf of someone else can only add access; userUpdate and userRemove act on your own assignment.")
		}
	}
	sch, d := expandSchedule(ctx, m.Schedule)
	resp.Diagnostics.Append(d...)
	in.Schedule = sch
	if ams, d := expandAnswers(ctx, m.Answers); len(ams) > 0 {
		resp.Diagnostics.Append(d...)
		var pol *graph.Policy
		if in.PolicyID != "" {
			p, err := r.policies.get(ctx, r.client, in.PolicyID)
			if err != nil {
				resp.Diagnostics.AddError("Error reading the policy's questions", explain(err))
				return
			}
			pol = p
		}
		in.Answers = answersFor(pol, ams)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if in.Type != "userAdd" {
		// Graph needs the assignment's id: find the caller's own assignment of the package.
		mine, err := r.client.MyAssignments(ctx, in.AccessPackageID)
		if err != nil {
			resp.Diagnostics.AddError("Error finding your assignment", fmt.Sprintf("A %s request needs your assignment of access package %s.\n\n%s", in.Type, in.AccessPackageID, userExplain(err)))
			return
		}
		var live []string
		for _, a := range mine {
			if a.Live() && (in.PolicyID == "" || strings.EqualFold(a.PolicyID, in.PolicyID)) {
				live = append(live, a.ID)
			}
		}
		if len(live) != 1 {
			resp.Diagnostics.AddError("Error finding your assignment", fmt.Sprintf("You have %d live assignments of access package %s%s; a %s request needs exactly one (name assignment_policy_id to choose).",
				len(live), in.AccessPackageID, policyClause(in.PolicyID), in.Type))
			return
		}
		in.AssignmentID = live[0]
	}
	q, err := r.client.SubmitUserRequest(ctx, in)
	if err != nil {
		resp.Diagnostics.AddError("Error creating access package assignment request", fmt.Sprintf("Graph did not accept the %s request for access package %s.\n\n%s", in.Type, in.AccessPackageID, userExplain(err)))
		return
	}
	tflog.Info(ctx, "submitted user request", map[string]any{"request_id": q.ID, "request_type": in.Type})
	m.ID = types.StringValue(q.ID)
	final, werr := r.client.WaitForSubmitted(ctx, q, r.poll, func(x *graph.Request) bool {
		if m.WaitFor.ValueString() == "delivered" {
			return x.Terminal()
		}
		return x.State != graph.StateSubmitted || x.Terminal() || x.Status == "WaitingForCallback"
	}, nil)
	if final == nil {
		final = q
	}
	recordRequest(&m, final)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	switch {
	case werr != nil:
		resp.Diagnostics.AddError("Error creating access package assignment request",
			fmt.Sprintf("Request %s is %s (%s) and did not reach %s in time. It is recorded in the state.\n\n%s", q.ID, final.State, final.Status, m.WaitFor.ValueString(), explain(werr)))
	case final.State == graph.StateDenied || final.State == graph.StateCanceled:
		resp.Diagnostics.AddError("Access package assignment request "+final.State, fmt.Sprintf("Request %s was %s (status %q).%s", q.ID, final.State, final.Status, calloutDetail(final)))
	case m.WaitFor.ValueString() == "delivered" && final.State != graph.StateDelivered:
		resp.Diagnostics.AddError("Access package assignment request not delivered", fmt.Sprintf("Request %s ended %s (status %q).", q.ID, final.State, final.Status))
	}
}

// userExplain adds what a 403 means here: the provider is not signed in as a user.
func userExplain(err error) string {
	if graph.IsForbidden(err) {
		return "Graph refused the request (403). Requests of type userAdd, userUpdate and userRemove are made as a signed-in user: the provider must use a delegated token (for example the Azure CLI login), not an application's credentials; a manager can request only for their own direct reports, and only where the policy allows it.\n\n" + explain(err)
	}
	return explain(err)
}

func recordRequest(m *accessPackageAssignmentRequestModel, q *graph.Request) {
	m.State, m.Status = types.StringValue(q.State), types.StringValue(q.Status)
	m.AssignmentID = types.StringNull()
	if q.Assignment != nil {
		m.AssignmentID = types.StringValue(q.Assignment.ID)
	}
}

func (r *accessPackageAssignmentRequestResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m accessPackageAssignmentRequestModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	q, err := r.client.GetRequest(ctx, m.ID.ValueString())
	if graph.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error reading access package assignment request", explain(err))
		return
	}
	recordRequest(&m, q)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Update records wait_for and timeouts, which change how the provider
// follows the request, not the request: everything else replaces it. What
// Graph computed stays as last read.
func (r *accessPackageAssignmentRequestResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior accessPackageAssignmentRequestModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID, plan.State, plan.Status, plan.AssignmentID = prior.ID, prior.State, prior.Status, prior.AssignmentID
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *accessPackageAssignmentRequestResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m accessPackageAssignmentRequestModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Delete(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	id := m.ID.ValueString()
	q, err := r.client.GetRequest(ctx, id)
	if graph.IsNotFound(err) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error deleting access package assignment request", explain(err))
		return
	}
	switch q.State {
	case graph.StateSubmitted, graph.StatePendingApproval, graph.StateScheduled:
	default:
		resp.Diagnostics.AddWarning("Request forgotten, not canceled",
			fmt.Sprintf("Request %s is %s, and Graph cancels only requests that are accepted, pending approval or pending their start date. The provider forgets it; access it delivered stays until it is removed (a userRemove request, or an administrator).", id, q.State))
		return
	}
	if err := r.client.CancelRequest(ctx, id); err != nil {
		if graph.IsForbidden(err) {
			resp.Diagnostics.AddWarning("Request forgotten, not canceled",
				fmt.Sprintf("Graph lets only a signed-in user cancel a request, and refused this caller (403): request %s stays %s in Entra. Cancel it in My Access, or with a delegated token.\n\n%s", id, q.State, explain(err)))
			return
		}
		resp.Diagnostics.AddError("Error canceling access package assignment request", explain(err))
	}
}

// checkAgainstPolicy finds what a user's request lacks for its policy: a
// required justification, a custom schedule the policy does not allow, a
// required question left unanswered (the v1.0 create page: what each request
// type needs).
func checkAgainstPolicy(ctx context.Context, pol *graph.Policy, m accessPackageAssignmentRequestModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if pol.JustificationRequired && !m.Justification.IsUnknown() && strings.TrimSpace(m.Justification.ValueString()) == "" {
		diags.AddAttributeError(path.Root("justification"), "Justification required",
			fmt.Sprintf("Policy %s requires requestors to give a justification.", pol.ID))
	}
	if !pol.AllowCustomSchedule && !m.Schedule.IsNull() {
		diags.AddAttributeError(path.Root("schedule"), "Custom schedule not allowed",
			fmt.Sprintf("Policy %s does not let requestors choose when access starts or ends; leave schedule out, and the policy's expiration applies.", pol.ID))
	}
	if m.Answers.IsUnknown() {
		return diags
	}
	ams, d := expandAnswers(ctx, m.Answers)
	diags.Append(d...)
	diags.Append(requiredUnanswered(pol, ams)...)
	return diags
}
