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
	AccessStart        types.String   `tfsdk:"access_start_date_time"`
	AccessEnd          types.String   `tfsdk:"access_end_date_time"`
	EndedAt            types.String   `tfsdk:"ended_date_time"`
	EndedBy            types.String   `tfsdk:"ended_by"`
	Renew              types.String   `tfsdk:"renew"`
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
			"target": targetSchema(),
			"access_start_date_time": schema.StringAttribute{
				MarkdownDescription: "When the access started (or starts), as Graph holds it. Graph moves a start in the past to the time it processed the request; `schedule` keeps what you wrote.",
				Computed:            true,
			},
			"access_end_date_time": schema.StringAttribute{
				MarkdownDescription: "When the access ends, as Graph holds it: the end date, or the start plus the duration of an `afterDuration` expiration. Null when it does not end.",
				Computed:            true,
			},
			"ended_date_time": schema.StringAttribute{
				MarkdownDescription: "When the access ended (expired or was removed); null while it lasts. An ended assignment stays in the state: see `ended_by`.",
				Computed:            true,
			},
			"ended_by": schema.StringAttribute{
				MarkdownDescription: "Why the access ended, once it has: `schedule` (its end came), `entra` (Entra removed it itself: an access review's denial, a user deleted from the directory), `unknown` (Graph shows no removal) — none of which the provider undoes by itself; `admin` (removed outside Terraform, in the portal or by another tool) or `user` (the person gave it up), which the next apply restores; or `terraform` (another resource of this provider removed it, a conflict the plan reports as an error). Null while the access lasts.",
				Computed:            true,
			},
			"renew": schema.StringAttribute{
				MarkdownDescription: "Change it (to any new value, a date say) to request the access again once it has ended by its schedule or by Entra's decision: the resource is replaced (a new `adminAdd`), and the plan says so. A new `schedule` renews it as well. While the access lasts, a change does nothing.",
				Optional:            true,
			},
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
	creating := req.State.Raw.IsNull()
	if !creating {
		var prior accessPackageAssignmentModel
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
		if prior.State.ValueString() == graph.StateExpired {
			// Ended: requested again only when the plan says so.
			if creating = r.planEnded(ctx, plan, prior, resp); !creating {
				return
			}
		} else {
			if failedDelivery(prior.State.ValueString()) {
				r.planRetry(ctx, prior, resp)
			}
			if !plan.TargetObjectID.Equal(prior.TargetObjectID) || !plan.AccessPackageID.Equal(prior.AccessPackageID) {
				// Replaced: a new person, or a new package, is assigned.
				r.checkSeparation(ctx, plan, &resp.Diagnostics)
			}
			if plan.Schedule.Equal(prior.Schedule) && plan.Answers.Equal(prior.Answers) && plan.AssignmentPolicyID.Equal(prior.AssignmentPolicyID) {
				return
			}
		}
	}
	checkAssignmentPlan(ctx, r.providerData, plan.AccessPackageID, plan.AssignmentPolicyID, plan.Schedule, plan.Answers, creating, &resp.Diagnostics)
	if creating {
		r.checkSeparation(ctx, plan, &resp.Diagnostics)
	}
}

// checkSeparation checks separation of duties for the person the plan
// assigns (separation.go); a target given by email is not checked.
func (r *accessPackageAssignmentResource) checkSeparation(ctx context.Context, plan accessPackageAssignmentModel, diags *diag.Diagnostics) {
	if t := plan.TargetObjectID; !t.IsNull() && !t.IsUnknown() {
		checkSeparation(ctx, r.providerData, plan.AccessPackageID, []string{t.ValueString()}, diags)
	}
}

// planEnded plans an assignment that has ended (see assignment_endings.go):
// no change, with a warning that says when and why and what to do, when it
// ended by its schedule or by Entra's decision; a replacement — a new
// adminAdd — when that access is renewed (renew or the schedule changed),
// or when it was removed outside Terraform (drift, restored); an error when
// another resource of this provider removed it. It says whether the plan
// replaces the resource.
func (r *accessPackageAssignmentResource) planEnded(ctx context.Context, plan, prior accessPackageAssignmentModel, resp *resource.ModifyPlanResponse) bool {
	e := ending{By: prior.EndedBy.ValueString()}
	if t := parseTime(prior.EndedAt); t != nil {
		e.At = *t
	}
	who := describeTarget(graph.AddInput{TargetObjectID: prior.TargetObjectID.ValueString(), TargetEmail: prior.TargetEmail.ValueString()})
	renewed := !plan.Renew.Equal(prior.Renew) || !plan.Schedule.Equal(prior.Schedule)
	switch {
	case e.By == endedByTerraform:
		resp.Diagnostics.AddError("Another resource manages this access",
			fmt.Sprintf("The access of %s to access package %s ended because %s. Two resources that manage the same access remove each other's on alternate applies: manage it with one resource only (see the guide Managing who holds a package). To stop managing it here, remove this resource; to give the access again from this resource once the other no longer manages it, change renew.",
				who, prior.AccessPackageID.ValueString(), e.describe()))
		return false
	case e.drift():
		resp.Diagnostics.AddWarning("Access removed outside Terraform is restored",
			fmt.Sprintf("The access of %s to access package %s ended because %s. The configuration still gives it, so this apply requests it again (the resource is replaced: a new adminAdd). To let the removal stand, remove this resource from the configuration.",
				who, prior.AccessPackageID.ValueString(), e.describe()))
	case renewed:
		resp.Diagnostics.AddWarning("Access renewed",
			fmt.Sprintf("This apply renews the access of %s to access package %s, which ended because %s: the resource is replaced (a new adminAdd).",
				who, prior.AccessPackageID.ValueString(), e.describe()))
	default:
		resp.Diagnostics.AddWarning("Access ended",
			fmt.Sprintf("The access of %s to access package %s ended because %s. The provider does not request it again by itself, so this plan changes nothing for it. To give it again, change renew (or the schedule) and apply; to stop managing it, remove this resource (destroying it sends no request).",
				who, prior.AccessPackageID.ValueString(), e.describe()))
		return false
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("state"), types.StringUnknown())...)
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("state"))
	return true
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
	tracked := plan.ID.ValueString() != ""
	if tracked {
		// Graph holds an assignment or a request for the person now: the
		// create says how it ended as warnings, never errors, because
		// Terraform would taint the resource and replace it on the next
		// apply — remove the access, then request it again. The state says
		// how far it got (state: deliveryFailed, delivering, ...), the next
		// plan retries a failed delivery in place, and a postcondition on
		// state fails a pipeline that needs the access delivered.
		var warn diag.Diagnostics
		outcomeDiagnostics(&warn, "creating", final, out.RequestID, werr, true)
		for _, d := range warn {
			resp.Diagnostics.AddWarning(d.Summary(), d.Detail())
		}
		return
	}
	outcomeDiagnostics(&resp.Diagnostics, "creating", final, out.RequestID, werr, false)
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
	if graph.IsNotFound(err) {
		tflog.Info(ctx, "the assignment is gone; removing it from state", map[string]any{"assignment_id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error reading access package assignment", fmt.Sprintf("Could not read assignment %s.", id), err)
		return
	}
	if !a.Live() {
		// Ended: it stays in the state with why, so that the plan can tell a
		// schedule or a governance decision (kept) from drift (restored).
		e, err := r.endingOf(ctx, m, a)
		if err != nil {
			addGraphError(&resp.Diagnostics, "Error reading access package assignment",
				fmt.Sprintf("Assignment %s has ended; the requests of access package %s, which say why, could not be read.", id, m.AccessPackageID.ValueString()), err)
			return
		}
		m.EndedBy = types.StringValue(e.By)
		tflog.Info(ctx, "the assignment has ended", map[string]any{"assignment_id": id, "ended_by": e.By, "request_id": e.RequestID})
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
	if a.Live() {
		m.EndedBy = types.StringNull()
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

	if prior.State.ValueString() == graph.StateExpired {
		// Ended and not renewed (a renewal replaces the resource): only
		// Terraform-side values changed; Graph has nothing to update.
		prior.Justification, prior.Renew, prior.Timeouts = plan.Justification, plan.Renew, plan.Timeouts
		resp.Diagnostics.Append(resp.State.Set(ctx, &prior)...)
		return
	}
	// Values only Graph knows stay as they were unless the update changes them.
	plan.ID, plan.Target = prior.ID, prior.Target
	keepComputed(&plan, prior)
	// The plan says whether it retries a failed delivery (planRetry); an
	// update for anything else leaves a failure that can no longer be
	// retried as it is.
	flag, d := req.Private.GetKey(ctx, retryKey)
	resp.Diagnostics.Append(d...)
	retry := string(flag) == "true"
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, retryKey, nil)...)
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

	if retry && failedDelivery(prior.State.ValueString()) && plan.ID.ValueString() != plan.RequestID.ValueString() {
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

	if m.State.ValueString() == graph.StateExpired {
		return // the access has ended: there is nothing to remove
	}
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
		m.withoutUnknowns()
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
	q, err := r.retryRequest(ctx, prior)
	if err != nil {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("state"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, retryKey, []byte("true"))...)
		if prior.RequestID.ValueString() == "" {
			// Imported: the apply records the request it reprocesses.
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("request_id"), types.StringUnknown())...)
		}
		resp.Diagnostics.AddWarning("Failed delivery to retry", fmt.Sprintf("Assignment %s is %s in Graph. The apply will retry its delivery; its request could not be read now: %v", prior.ID.ValueString(), prior.State.ValueString(), err))
		return
	}
	if ok, _, gerr := graph.ReprocessGuard(q, time.Now()); ok && gerr == nil {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("state"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, retryKey, []byte("true"))...)
		// The apply records the request it reprocesses (for an imported
		// assignment, whose request_id is empty, the one that made it).
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("request_id"), types.StringValue(q.ID))...)
		resp.Diagnostics.AddWarning("Failed delivery will be retried",
			fmt.Sprintf("Assignment %s is %s in Graph. This apply reprocesses its request %s, which retries the delivery in place (the assignment and any access already delivered stay).", prior.ID.ValueString(), prior.State.ValueString(), q.ID))
		return
	}
	// Replacing it would remove whatever part of the access was delivered
	// before asking again: that is the user's call, not the plan's.
	resp.Diagnostics.AddWarning("Failed delivery can no longer be retried",
		fmt.Sprintf("Assignment %s is %s in Graph, and its request %s can no longer be reprocessed (Graph reprocesses a request within 14 days of its completion). This plan changes nothing for it. To request the access again, replace it: terraform apply -replace=<this resource's address> (it removes the assignment, and whatever access was delivered, then requests it anew).", prior.ID.ValueString(), prior.State.ValueString(), q.ID))
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

// justification is what to send: the configured one with the marker that
// names this kind of resource as the assignment's manager (see
// assignment_managers.go); nothing in clouds whose requests have no
// justification property.
func (r *accessPackageAssignmentResource) justification(v types.String) string {
	if !r.cloud.HasJustification {
		return ""
	}
	return withMarker(v.ValueString(), manager{Kind: kindPerPerson})
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
		if q.Schedule != nil && !m.Schedule.IsNull() && !fullyKnown(m.Schedule) &&
			q.Schedule.ExpirationType != "" && q.Schedule.ExpirationType != "notSpecified" {
			// A schedule left partly to Graph, which the request already
			// says. A request's notSpecified expiration is the policy's to
			// decide, which only the assignment will tell: it stays null
			// (below) until a refresh reads the assignment.
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
	m.withoutUnknowns()
}

// withoutUnknowns makes null every value Graph has not told yet. Nothing
// unknown may stay in what an apply saves: Terraform refuses such a state
// ("invalid result object after apply") and taints a created resource. The
// next refresh reads what is null here.
func (m *accessPackageAssignmentModel) withoutUnknowns() {
	m.Schedule = scheduleWithoutUnknowns(m.Schedule)
	if m.Target.IsUnknown() {
		m.Target = types.ObjectNull(targetAttrTypes)
	}
	for _, v := range []*types.String{&m.State, &m.Status, &m.RequestID, &m.AccessStart, &m.AccessEnd, &m.EndedAt, &m.EndedBy} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
}

// outcomeDiagnostics reports how a followed request ended.
func outcomeDiagnostics(diags *diag.Diagnostics, verb string, q *graph.Request, requestID string, werr error, tracked bool) {
	summary := "Error " + verb + " access package assignment"
	kept := ""
	if tracked {
		summary = "Access package assignment not delivered yet"
		kept = "\n\nThe assignment is recorded in the Terraform state, with its state, so nothing is left untracked in Graph and nothing will be replaced: the next plan reads how it ended, and retries a failed delivery in place. To fail a pipeline until the access is delivered, add a postcondition on state (see the resource's documentation)."
	}
	switch {
	case werr != nil && errors.Is(werr, context.Canceled) && tracked:
		// An interruption: a warning whatever the caller makes of errors.
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

// endingOf says why the ended assignment a ended: the state's answer when it
// is about this ending already, else from the package's requests since
// shortly before a expired (one listing; documented filters).
func (r *accessPackageAssignmentResource) endingOf(ctx context.Context, m accessPackageAssignmentModel, a *graph.Assignment) (ending, error) {
	if prev := parseTime(m.EndedAt); prev != nil && a.Expired != nil && prev.Equal(*a.Expired) && !m.EndedBy.IsNull() && m.EndedBy.ValueString() != "" {
		return ending{By: m.EndedBy.ValueString(), At: *prev}, nil
	}
	var since *time.Time
	if a.Expired != nil {
		t := a.Expired.Add(-removalWindow)
		since = &t
	}
	reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AccessPackageID: m.AccessPackageID.ValueString(), CreatedAfter: since})
	if err != nil {
		return ending{}, err
	}
	return classifyEnding(a, reqs, manager{Kind: kindPerPerson}), nil
}

// retryKey is the private-state key by which a plan tells the update to
// retry a failed delivery.
const retryKey = "retry_delivery"

// removalWindow is how long before an assignment expired the request that
// removed it may have been made: a removal's delivery takes seconds, and a
// day covers one that waited.
const removalWindow = 24 * time.Hour

// keepComputed carries the values only Graph knows from the prior state into
// an update's plan, where the framework left them unknown.
func keepComputed(plan *accessPackageAssignmentModel, prior accessPackageAssignmentModel) {
	for _, f := range []struct{ dst, src *types.String }{
		{&plan.AccessStart, &prior.AccessStart}, {&plan.AccessEnd, &prior.AccessEnd},
		{&plan.EndedAt, &prior.EndedAt}, {&plan.EndedBy, &prior.EndedBy},
	} {
		if f.dst.IsUnknown() {
			*f.dst = *f.src
		}
	}
}
