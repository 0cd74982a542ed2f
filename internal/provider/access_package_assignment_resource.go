package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ resource.ResourceWithConfigure      = (*accessPackageAssignmentResource)(nil)
	_ resource.ResourceWithImportState    = (*accessPackageAssignmentResource)(nil)
	_ resource.ResourceWithValidateConfig = (*accessPackageAssignmentResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*accessPackageAssignmentResource)(nil)
	_ resource.ResourceWithIdentity       = (*accessPackageAssignmentResource)(nil)
)

// NewAccessPackageAssignmentResource is the entitlement_access_package_assignment resource.
func NewAccessPackageAssignmentResource() resource.Resource {
	return &accessPackageAssignmentResource{}
}

type accessPackageAssignmentResource struct {
	resourceBase
}

type accessPackageAssignmentModel struct {
	ID                 types.String   `tfsdk:"id"`
	AccessPackageID    types.String   `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String   `tfsdk:"assignment_policy_id"`
	TargetObjectID     types.String   `tfsdk:"target_object_id"`
	TargetEmail        types.String   `tfsdk:"target_email"`
	Justification      types.String   `tfsdk:"justification"`
	Schedule           types.Object   `tfsdk:"schedule"`
	Answers            types.List     `tfsdk:"answers"`
	State              types.String   `tfsdk:"state"`
	Status             types.String   `tfsdk:"status"`
	RequestID          types.String   `tfsdk:"request_id"`
	Target             types.Object   `tfsdk:"target"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
}

func (r *accessPackageAssignmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment"
	// The identity is the id, which starts as the request id for a request
	// scheduled in the future and becomes the assignment id once Graph has
	// created the assignment.
	resp.ResourceBehavior.MutableIdentity = true
}

// IdentitySchema is the resource identity (Terraform 1.12 and later): the
// assignment id, also what an import block's identity names.
func (r *accessPackageAssignmentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{RequiredForImport: true, Description: "The assignment id."},
		},
	}
}

func (r *accessPackageAssignmentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{sameIDReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Assigns an access package to a user, through Graph assignment requests: create sends `adminAdd` and waits until the access is delivered, a change of `schedule` or `answers` sends `adminUpdate` in place, and destroy sends `adminRemove`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The assignment id. While Graph has not created the assignment yet (a request scheduled for a future start, or one that timed out before delivery), it is the request id, equal to `request_id`; the next refresh replaces it with the assignment id.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"access_package_id": schema.StringAttribute{
				MarkdownDescription: "The access package to assign. Changing it replaces the assignment.",
				Required:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       replace,
			},
			"assignment_policy_id": schema.StringAttribute{
				MarkdownDescription: "The assignment policy of that package to assign under (a direct-assignment policy). Changing it replaces the assignment.",
				Required:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       replace,
			},
			"target_object_id": schema.StringAttribute{
				MarkdownDescription: "The object id of the user to assign. Exactly one of `target_object_id` and `target_email` is required. Changing it replaces the assignment.",
				Optional:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       replace,
			},
			"target_email": schema.StringAttribute{
				MarkdownDescription: "The email address of a user who is not yet in the directory; Entra invites them when the access is delivered (the policy must allow such users). Changing it replaces the assignment.",
				Optional:            true,
				Validators:          []validator.String{email()},
				PlanModifiers:       replace,
			},
			"justification": schema.StringAttribute{
				MarkdownDescription: "Why the access is given, sent with each request. A change alone makes no Graph call: it is sent with the next update or removal. Not sent in the US Government and China clouds, which do not have it.",
				Optional:            true,
			},
			"schedule": scheduleSchema(),
			"answers":  answersSchema(),
			"state": schema.StringAttribute{
				MarkdownDescription: "The assignment's state in Graph: `delivered`, `delivering`, `partiallyDelivered`, `deliveryFailed`; or the request's state (`scheduled`, `pendingApproval`, `submitted`) while no assignment exists yet.",
				Computed:            true,
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Graph's free-text status of the assignment (for example `Delivered`). For display only.",
				Computed:            true,
			},
			"request_id": schema.StringAttribute{
				MarkdownDescription: "The id of the last assignment request the provider sent for this assignment. Empty after an import.",
				Computed:            true,
			},
			"target":   targetSchema(),
			"timeouts": resourceTimeouts(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// ModifyPlan checks at plan time what only Graph can tell, with read-only
// calls (one read of each policy per command): that the policy exists and
// belongs to the access package, that the answers fit its questions, and
// whether the schedule fits it; and it warns about a justification the cloud
// cannot take. It runs when an assignment is created or its policy, schedule
// or answers change, not on every refresh.
func (r *accessPackageAssignmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || !r.configured() {
		return
	}
	var plan accessPackageAssignmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.cloud.HasJustification && !plan.Justification.IsNull() {
		resp.Diagnostics.AddAttributeWarning(path.Root("justification"), "Justification not sent in this cloud",
			"Assignment requests in the US Government and China clouds have no justification property, so the provider records it in the state but does not send it to Graph.")
	}
	if !req.State.Raw.IsNull() {
		var prior accessPackageAssignmentModel
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
		if failedDelivery(prior.State.ValueString()) {
			r.planRetry(ctx, prior, resp)
		}
		if plan.Schedule.Equal(prior.Schedule) && plan.Answers.Equal(prior.Answers) && plan.AssignmentPolicyID.Equal(prior.AssignmentPolicyID) {
			return
		}
	}
	checkAssignmentPlan(ctx, r.providerData, plan.AccessPackageID, plan.AssignmentPolicyID, plan.Schedule, plan.Answers, req.State.Raw.IsNull(), &resp.Diagnostics)
}

// ValidateConfig checks what the schema alone cannot: that the expiration's
// fields agree with its type.
func (r *accessPackageAssignmentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var oid, mail types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("target_object_id"), &oid)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("target_email"), &mail)...)
	if !oid.IsUnknown() && !mail.IsUnknown() && oid.IsNull() == mail.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("target_object_id"), "Whom to assign",
			"Set exactly one of target_object_id, for a user in the directory (their object id), and target_email, for someone not yet in it (Entra invites them on delivery).")
	}
	validateSchedule(ctx, req.Config, &resp.Diagnostics)
}

// lastRepresentable is the last instant an RFC 3339 date can express.
var lastRepresentable = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

func (r *accessPackageAssignmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan accessPackageAssignmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	in := graph.AddInput{
		AccessPackageID: plan.AccessPackageID.ValueString(), PolicyID: plan.AssignmentPolicyID.ValueString(),
		TargetObjectID: plan.TargetObjectID.ValueString(), TargetEmail: plan.TargetEmail.ValueString(),
		Justification: r.justification(plan.Justification),
	}
	sch, d := expandSchedule(ctx, plan.Schedule)
	resp.Diagnostics.Append(d...)
	in.Schedule = sch
	answers, d := resolveAnswers(ctx, r.providerData, plan.AssignmentPolicyID.ValueString(), plan.Answers)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	in.Answers = answers

	r.reads.wrote(in.AccessPackageID)
	out, err := r.client.AddAssignment(ctx, in, r.poll)
	if err == nil && out.Adopted {
		if !r.adopt {
			resp.Diagnostics.AddError("Access package assignment already exists", existingDetail(in, out))
			return
		}
		resp.Diagnostics.AddWarning("Existing assignment adopted",
			fmt.Sprintf("Graph already had a request or an assignment for %s in access package %s under policy %s — from an apply that was killed after Graph accepted its request, or made outside Terraform. adopt_existing_assignments is on, so the provider took it over instead of requesting it twice; it is managed by this resource from now on.", describeTarget(in), in.AccessPackageID, in.PolicyID))
	}
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error creating access package assignment",
			fmt.Sprintf("Graph did not accept the adminAdd request for %s in access package %s (policy %s).", describeTarget(in), in.AccessPackageID, in.PolicyID), err)
		return
	}
	tflog.Info(ctx, "submitted adminAdd request", map[string]any{"request_id": out.RequestID, "access_package_id": in.AccessPackageID})

	final, werr := r.client.Follow(ctx, out.RequestID, out.Request, out.Found, r.follow(ctx, true))
	plan.RequestID = types.StringValue(out.RequestID)
	r.recordCreated(ctx, &plan, final, out.RequestID, out.Found, &resp.Diagnostics)
	if plan.ID.ValueString() != "" {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		setIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, createdKey, []byte(fmt.Sprintf("%q", time.Now().UTC().Format(time.RFC3339))))...)
	}
	outcomeDiagnostics(&resp.Diagnostics, "creating", final, out.RequestID, werr, plan.ID.ValueString() != "")
}

func (r *accessPackageAssignmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m accessPackageAssignmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The framework wants an identity after every read, even one that removes
	// the resource, and Terraform before 1.12 sends none to start from.
	setIdentity(ctx, resp.Identity, m.ID, &resp.Diagnostics)
	id := m.ID.ValueString()
	if id != "" && id == m.RequestID.ValueString() {
		// No assignment existed when the state was written: see whether the request made one.
		q, err := r.client.GetRequest(ctx, id)
		switch {
		case graph.IsNotFound(err):
			resp.State.RemoveResource(ctx)
			return
		case err != nil:
			addGraphError(&resp.Diagnostics, "Error reading access package assignment", fmt.Sprintf("Could not read assignment request %s.", id), err)
			return
		case q.Assignment != nil:
			id = q.Assignment.ID
			m.ID = types.StringValue(id)
		case q.State == graph.StateDenied || q.State == graph.StateCanceled:
			tflog.Info(ctx, "the request never produced an assignment; removing it from state", map[string]any{"request_id": id, "state": q.State})
			resp.State.RemoveResource(ctx)
			return
		default:
			m.State, m.Status = types.StringValue(q.State), types.StringValue(q.Status)
			resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
			setIdentity(ctx, resp.Identity, m.ID, &resp.Diagnostics)
			return
		}
	}
	a, err := r.reads.get(ctx, m.AccessPackageID.ValueString(), id)
	if graph.IsNotFound(err) && recentlyCreated(ctx, req.Private) {
		// Graph replicates new assignments with a lag: a just-created one can
		// read as not found. Wait for it rather than forget it.
		a, err = r.client.WaitAssignmentVisible(ctx, id, r.poll)
	}
	if graph.IsNotFound(err) || (err == nil && !a.Live()) {
		tflog.Info(ctx, "the assignment is gone or expired; removing it from state", map[string]any{"assignment_id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error reading access package assignment", fmt.Sprintf("Could not read assignment %s.", id), err)
		return
	}
	m.AccessPackageID = keepCase(m.AccessPackageID, a.AccessPackageID)
	m.AssignmentPolicyID = keepCase(m.AssignmentPolicyID, a.PolicyID)
	if m.TargetEmail.IsNull() && a.Target != nil && a.Target.ObjectID != "" {
		m.TargetObjectID = keepCase(m.TargetObjectID, a.Target.ObjectID)
	}
	recordAssignment(ctx, &m, a, &resp.Diagnostics)
	if m.Answers.IsUnknown() {
		m.Answers = types.ListNull(types.ObjectType{AttrTypes: answerAttrTypes})
	}
	if m.RequestID.IsUnknown() || m.RequestID.IsNull() {
		m.RequestID = types.StringValue("")
	}
	if m.Timeouts.IsNull() || m.Timeouts.IsUnknown() {
		m.Timeouts = timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"create": types.StringType, "update": types.StringType, "delete": types.StringType})}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	setIdentity(ctx, resp.Identity, m.ID, &resp.Diagnostics)
}

func (r *accessPackageAssignmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior accessPackageAssignmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Values only Graph knows stay as they were unless the update changes them.
	plan.ID, plan.Target = prior.ID, prior.Target
	setIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	if plan.State.IsUnknown() {
		plan.State = prior.State
	}
	if plan.Status.IsUnknown() {
		plan.Status = prior.Status
	}
	if plan.RequestID.IsUnknown() {
		plan.RequestID = prior.RequestID
	}

	if failedDelivery(prior.State.ValueString()) && plan.ID.ValueString() != plan.RequestID.ValueString() {
		if !r.retryDelivery(ctx, &plan, prior, resp) {
			return
		}
	}

	scheduleChanged := !plan.Schedule.Equal(prior.Schedule) && !plan.Schedule.IsNull() && !plan.Schedule.IsUnknown()
	answersChanged := !plan.Answers.Equal(prior.Answers) && len(plan.Answers.Elements()) > 0
	if plan.ID.ValueString() == plan.RequestID.ValueString() && (scheduleChanged || answersChanged) {
		resp.Diagnostics.AddError("Error updating access package assignment",
			fmt.Sprintf("Assignment request %s has not created the assignment yet (state %s), so its schedule and answers cannot be changed. Wait until it is delivered, or replace the resource.", plan.RequestID.ValueString(), prior.State.ValueString()))
		return
	}
	if !scheduleChanged && !answersChanged {
		// Only Terraform-side values changed (justification, timeouts, or
		// answers removed, which Graph cannot unanswer): nothing to send.
		if plan.Schedule.IsUnknown() {
			plan.Schedule = prior.Schedule
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	var sch *graph.Schedule
	if scheduleChanged {
		sch, d = expandSchedule(ctx, plan.Schedule)
		resp.Diagnostics.Append(d...)
	}
	var answers []graph.Answer
	if answersChanged {
		answers, d = resolveAnswers(ctx, r.providerData, plan.AssignmentPolicyID.ValueString(), plan.Answers)
		resp.Diagnostics.Append(d...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	r.reads.wrote(plan.AccessPackageID.ValueString())
	q, err := r.client.UpdateAssignment(ctx, plan.ID.ValueString(), r.justification(plan.Justification), sch, answers, r.poll)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error updating access package assignment",
			fmt.Sprintf("Graph did not accept the adminUpdate request for assignment %s.", plan.ID.ValueString()), err)
		return
	}
	if q == nil {
		// A lost answer, but the assignment already has the change.
		r.recordFrom(ctx, &plan, nil, &resp.Diagnostics)
		plan.RequestID = prior.RequestID
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	final, werr := r.client.Follow(ctx, q.ID, q, nil, r.follow(ctx, false))
	if werr != nil || final.State != graph.StateDelivered {
		// Graph did not apply the change: keep what the state said, with the request id.
		prior.RequestID = types.StringValue(q.ID)
		resp.Diagnostics.Append(resp.State.Set(ctx, &prior)...)
		outcomeDiagnostics(&resp.Diagnostics, "updating", final, q.ID, werr, false)
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.AddError("Error updating access package assignment", fmt.Sprintf("Assignment request %s ended %s.", q.ID, final.State))
		}
		return
	}
	plan.RequestID = types.StringValue(q.ID)
	r.recordFrom(ctx, &plan, final, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *accessPackageAssignmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m accessPackageAssignmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Delete(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	id := m.ID.ValueString()
	if id == m.RequestID.ValueString() {
		// Only a request exists; if it has made an assignment since, remove that.
		q, err := r.client.GetRequest(ctx, id)
		switch {
		case graph.IsNotFound(err):
			return
		case err != nil:
			addGraphError(&resp.Diagnostics, "Error deleting access package assignment", fmt.Sprintf("Could not read assignment request %s.", id), err)
			return
		case q.Assignment != nil:
			id = q.Assignment.ID
		case q.Terminal():
			return
		default:
			resp.Diagnostics.AddError("Error deleting access package assignment",
				fmt.Sprintf("Assignment request %s is still %s and has not created the assignment. Graph lets only a signed-in user cancel a request, not an application: cancel it in the Entra portal, or wait until it is delivered and destroy again.", id, q.State))
			return
		}
	}
	r.reads.wrote(m.AccessPackageID.ValueString())
	q, err := r.client.RemoveAssignment(ctx, id, r.justification(m.Justification), r.poll)
	if graph.IsNotFound(err) {
		return // already gone or expired
	}
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error deleting access package assignment",
			fmt.Sprintf("Graph did not accept the adminRemove request for assignment %s.", id), err)
		return
	}
	if q == nil {
		return // a lost answer, but the assignment has ended
	}
	final, werr := r.client.Follow(ctx, q.ID, q, nil, r.follow(ctx, false))
	if werr == nil && final.State == graph.StateDelivered {
		return
	}
	outcomeDiagnostics(&resp.Diagnostics, "deleting", final, q.ID, werr, false)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.AddError("Error deleting access package assignment", fmt.Sprintf("The adminRemove request %s for assignment %s ended %s.", q.ID, id, final.State))
	}
}

func (r *accessPackageAssignmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	raw := req.ID
	if raw == "" && req.Identity != nil {
		// An import block with identity = { id = "…" } (Terraform 1.12 and later).
		var id types.String
		resp.Diagnostics.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &id)...)
		raw = id.ValueString()
	}
	imp, err := parseAssignmentImportID(raw)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	id := imp.AssignmentID
	if id == "" {
		list, err := r.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: imp.AccessPackageID, PolicyID: imp.PolicyID, TargetObjectID: imp.TargetObjectID})
		if err != nil {
			addGraphError(&resp.Diagnostics, "Error importing access package assignment", "", err)
			return
		}
		var live []string
		for _, a := range list {
			if a.Live() {
				live = append(live, a.ID+" (policy "+a.PolicyID+", "+a.State+")")
			}
		}
		switch len(live) {
		case 0:
			resp.Diagnostics.AddError("No assignment to import", fmt.Sprintf("User %s has no live assignment in access package %s%s.", imp.TargetObjectID, imp.AccessPackageID, policyClause(imp.PolicyID)))
			return
		case 1:
			id = strings.SplitN(live[0], " ", 2)[0]
		default:
			resp.Diagnostics.AddError("Several assignments match", fmt.Sprintf("User %s has %d live assignments in access package %s%s: %s. Import one by its id, or name the policy: <access_package_id>/<assignment_policy_id>/<target_object_id>.",
				imp.TargetObjectID, len(live), imp.AccessPackageID, policyClause(imp.PolicyID), strings.Join(live, ", ")))
			return
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("request_id"), "")...)
	setIdentity(ctx, resp.Identity, types.StringValue(id), &resp.Diagnostics)
}

// retryDelivery reprocesses the request of an assignment whose delivery
// failed, follows it, and records the outcome in plan. It returns false when
// the update must stop (the error is in resp, and the state keeps prior).
func (r *accessPackageAssignmentResource) retryDelivery(ctx context.Context, plan *accessPackageAssignmentModel, prior accessPackageAssignmentModel, resp *resource.UpdateResponse) bool {
	// The recorded request, or for an imported assignment the one that made it.
	id := prior.RequestID.ValueString()
	var err error
	if id == "" {
		var q *graph.Request
		if q, err = r.retryRequest(ctx, prior); err == nil {
			id = q.ID
		}
	}
	var res *graph.ActionResult
	if err == nil {
		res, err = r.client.Reprocess(ctx, id, graph.ActionOptions{Wait: true, Poll: r.poll})
	}
	if err != nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, &prior)...)
		addGraphError(&resp.Diagnostics, "Error retrying access package assignment delivery",
			fmt.Sprintf("Assignment %s is %s in Graph, and reprocessing its request did not deliver it. Fix the cause in Entra and apply again, or replace the resource (terraform apply -replace=…).", prior.ID.ValueString(), prior.State.ValueString()), err)
		return false
	}
	plan.RequestID = types.StringValue(id)
	r.reads.wrote(plan.AccessPackageID.ValueString())
	r.recordFrom(ctx, plan, res.Request, &resp.Diagnostics)
	return true
}

// recordFrom records the assignment as a delivered request carries it
// ($expand=assignment), and reads it only when the request does not.
func (r *accessPackageAssignmentResource) recordFrom(ctx context.Context, m *accessPackageAssignmentModel, q *graph.Request, diags *diag.Diagnostics) {
	if q != nil && q.Assignment != nil && q.Assignment.Schedule != nil {
		recordAssignment(ctx, m, q.Assignment, diags)
		return
	}
	a, err := r.client.GetAssignment(ctx, m.ID.ValueString())
	if err != nil {
		// Not taken for an answer: the state keeps what was known, and says so.
		diags.AddWarning("Assignment not read back",
			fmt.Sprintf("The change was made, but assignment %s could not be read back from Graph, so its recorded state and schedule are as they were; the next refresh reads them.\n\n%s", m.ID.ValueString(), explain(err)))
		return
	}
	recordAssignment(ctx, m, a, diags)
}

// failedDelivery says whether Graph ended the assignment's delivery in failure.
func failedDelivery(state string) bool {
	return state == graph.StateDeliveryFailed || state == graph.StatePartiallyDelivered
}

// planRetry makes a delivery that Graph ended in failure after Terraform
// recorded it (an apply interrupted while waiting, say) show in the plan,
// never as "No changes": an in-place update that reprocesses the request
// while Graph still allows it (14 days after it completed), or else a
// replacement, which requests the access again.
func (r *accessPackageAssignmentResource) planRetry(ctx context.Context, prior accessPackageAssignmentModel, resp *resource.ModifyPlanResponse) {
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("state"), types.StringUnknown())...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), types.StringUnknown())...)
	q, err := r.retryRequest(ctx, prior)
	if err != nil {
		resp.Diagnostics.AddWarning("Failed delivery to retry", fmt.Sprintf("Assignment %s is %s in Graph. The apply will retry its delivery; its request could not be read now: %v", prior.ID.ValueString(), prior.State.ValueString(), err))
		return
	}
	if ok, _, gerr := graph.ReprocessGuard(q, time.Now()); ok && gerr == nil {
		resp.Diagnostics.AddWarning("Failed delivery will be retried",
			fmt.Sprintf("Assignment %s ended %s in Graph after Terraform recorded it. This apply reprocesses its request %s, which retries the delivery in place.", prior.ID.ValueString(), prior.State.ValueString(), q.ID))
		return
	}
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("state"))
	resp.Diagnostics.AddWarning("Failed delivery will be requested again",
		fmt.Sprintf("Assignment %s ended %s in Graph, and its request %s can no longer be reprocessed (Graph reprocesses a request within 14 days of its completion). This apply replaces the assignment: it removes it and requests the access again.", prior.ID.ValueString(), prior.State.ValueString(), q.ID))
}

// retryRequest is the request whose delivery failed: the one recorded, or
// for an imported assignment the adminAdd request that made it.
func (r *accessPackageAssignmentResource) retryRequest(ctx context.Context, m accessPackageAssignmentModel) (*graph.Request, error) {
	if id := m.RequestID.ValueString(); id != "" {
		return r.client.GetRequest(ctx, id)
	}
	reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AssignmentID: m.ID.ValueString(), RequestType: "adminAdd"})
	if err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("no adminAdd request in Graph for assignment %s", m.ID.ValueString())
	}
	return reqs[len(reqs)-1], nil
}

// existingDetail says what already exists and how to adopt it.
func existingDetail(in graph.AddInput, out *graph.AddOutcome) string {
	id := in.AccessPackageID + "/" + in.PolicyID + "/" + in.TargetObjectID
	what := ""
	switch {
	case out.Found != nil:
		id = out.Found.ID
		what = fmt.Sprintf("%s already has assignment %s (state %s) in access package %s under policy %s.", describeTarget(in), out.Found.ID, out.Found.State, in.AccessPackageID, in.PolicyID)
	case out.Request != nil:
		what = fmt.Sprintf("An assignment request %s (%s, state %s) for %s in access package %s is already open in Graph, and Graph accepts no second one.", out.Request.ID, out.Request.Type, out.Request.State, describeTarget(in), in.AccessPackageID)
		if out.Request.Assignment != nil && out.Request.Assignment.ID != "" {
			id = out.Request.Assignment.ID
		}
	}
	if in.TargetObjectID == "" && out.Found == nil {
		id = "<the assignment id, once Graph has created it>"
	}
	return what + " It was made outside this resource: by hand, by another tool or resource, or by an apply that was killed before it saved its state.\n\n" +
		"To manage it with this resource, import it instead of creating it:\n\n" +
		"  import {\n    to = entitlement_access_package_assignment.<name>\n    id = \"" + id + "\"\n  }\n\n" +
		"or run: terraform import entitlement_access_package_assignment.<name> " + id + "\n\n" +
		"Or set adopt_existing_assignments = true in the provider block to let create take over what already exists."
}

// justification is what to send: nothing in clouds whose requests have no
// justification property.
func (r *accessPackageAssignmentResource) justification(v types.String) string {
	if !r.cloud.HasJustification {
		return ""
	}
	return v.ValueString()
}

// follow is how the resource follows its requests, with their progress in the log.
func (r *accessPackageAssignmentResource) follow(ctx context.Context, scheduledIsDone bool) graph.FollowOptions {
	return graph.FollowOptions{Poll: r.poll, ScheduledIsDone: scheduledIsDone, Progress: func(q *graph.Request) {
		tflog.Debug(ctx, "assignment request progress", map[string]any{"request_id": q.ID, "state": q.State, "status": q.Status})
	}}
}

// recordCreated fills the model from what Graph holds after a create.
func (r *accessPackageAssignmentResource) recordCreated(ctx context.Context, m *accessPackageAssignmentModel, q *graph.Request, requestID string, found *graph.Assignment, diags *diag.Diagnostics) {
	var a *graph.Assignment
	if q != nil && q.Assignment != nil {
		a = q.Assignment
	} else if found != nil {
		a = found
	}
	switch {
	case a != nil:
		m.ID = types.StringValue(a.ID)
		recordAssignment(ctx, m, a, diags)
	case requestID != "" && q != nil && q.State != graph.StateDenied && q.State != graph.StateCanceled:
		// No assignment yet (scheduled, or still on its way): track the request.
		m.ID = types.StringValue(requestID)
		m.State = types.StringValue(q.State)
		m.Status = types.StringValue(q.Status)
		if m.Schedule.IsUnknown() && q.Schedule != nil {
			s, d := mergeSchedule(ctx, m.Schedule, q.Schedule)
			diags.Append(d...)
			m.Schedule = s
		}
		m.Target = types.ObjectNull(targetAttrTypes)
	case requestID != "" && q == nil:
		// The wait failed before any read: still track the request.
		m.ID = types.StringValue(requestID)
		m.State, m.Status = types.StringValue(graph.StateSubmitted), types.StringValue("")
		m.Target = types.ObjectNull(targetAttrTypes)
	}
	if m.Schedule.IsUnknown() {
		m.Schedule = types.ObjectNull(scheduleAttrTypes)
	}
}

// outcomeDiagnostics reports how a followed request ended.
func outcomeDiagnostics(diags *diag.Diagnostics, verb string, q *graph.Request, requestID string, werr error, tracked bool) {
	summary := "Error " + verb + " access package assignment"
	kept := ""
	if tracked {
		kept = "\n\nThe assignment is recorded in the Terraform state, so nothing is left untracked in Graph; Terraform marks it tainted and will replace it on the next apply unless you repair it and untaint it (`terraform untaint`, or `tofu untaint`)."
	}
	switch {
	case werr != nil && errors.Is(werr, context.Canceled) && tracked:
		diags.AddWarning("Interrupted while waiting for Graph",
			fmt.Sprintf("Terraform was interrupted while assignment request %s was still being processed. Graph has the request, and the resource is recorded in the state; the next plan reads how it ended.", requestID))
	case werr != nil && errors.Is(werr, context.DeadlineExceeded):
		state := "unknown"
		if q != nil {
			state = q.State + " (" + q.Status + ")"
		}
		diags.AddError(summary, fmt.Sprintf("Timed out waiting for assignment request %s, which Graph is still processing: its state is %s. Raise the timeout, or check the request in Graph; a custom extension waiting for a callback needs a resume.%s", requestID, state, kept))
	case werr != nil:
		diags.AddError(summary, fmt.Sprintf("Could not follow assignment request %s.\n\n%s%s", requestID, explain(werr), kept))
	case q == nil:
	case q.State == graph.StateDenied || q.State == graph.StateCanceled:
		diags.AddError(summary, fmt.Sprintf("Graph %s assignment request %s (status %q).%s%s", q.State, requestID, q.Status, calloutDetail(q), kept))
	case q.State == graph.StateDeliveryFailed || q.State == graph.StatePartiallyDelivered:
		diags.AddError(summary, fmt.Sprintf("Assignment request %s ended %s (status %q): Graph could not deliver all of the package's resources.%s\n\nThe remedy is to fix the resource in Entra and reprocess the request within 14 days of its completion (POST /identityGovernance/entitlementManagement/assignmentRequests/%s/reprocess, or the entitlement_access_package_assignment_request_reprocess resource).%s", requestID, q.State, q.Status, calloutDetail(q), requestID, kept))
	}
}

// createdKey is the private-state key that records when the provider created
// the assignment, so that Read can tell replication lag from a deletion.
const createdKey = "created_at"

// recentlyCreated says whether the provider created the assignment within
// Graph's consistency window.
func recentlyCreated(ctx context.Context, private interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}) bool {
	raw, d := private.GetKey(ctx, createdKey)
	if d.HasError() || len(raw) < 2 {
		return false
	}
	t, err := time.Parse(time.RFC3339, strings.Trim(string(raw), `"`))
	return err == nil && time.Since(t) < graph.ConsistencyWindow
}

// setIdentity records the identity when Terraform supports identities.
func setIdentity(ctx context.Context, ident *tfsdk.ResourceIdentity, id types.String, diags *diag.Diagnostics) {
	if ident != nil && !id.IsNull() && !id.IsUnknown() {
		diags.Append(ident.SetAttribute(ctx, path.Root("id"), id)...)
	}
}
