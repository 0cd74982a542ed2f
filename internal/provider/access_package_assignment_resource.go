package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/accessgov/terraform-provider-entitlement/internal/iso8601"
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
	client *graph.Client
	env    environment
	poll   graph.PollPolicy
	reads  *assignmentReads
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

const defaultTimeout = 30 * time.Minute

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

// setIdentity records the identity when Terraform supports identities.
func setIdentity(ctx context.Context, ident *tfsdk.ResourceIdentity, id types.String, diags *diag.Diagnostics) {
	if ident != nil && !id.IsNull() && !id.IsUnknown() {
		diags.Append(ident.SetAttribute(ctx, path.Root("id"), id)...)
	}
}

func (r *accessPackageAssignmentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
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
				Validators:          []validator.String{guid(), stringvalidator.ExactlyOneOf(path.MatchRoot("target_email"))},
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
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func (r *accessPackageAssignmentResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := configured(req.ProviderData, &resp.Diagnostics); data != nil {
		r.client, r.env, r.poll, r.reads = data.client, data.env, data.poll, data.reads
	}
}

// justification is what to send: nothing in clouds whose requests have no
// justification property.
func (r *accessPackageAssignmentResource) justification(v types.String) string {
	if !r.env.hasJustification {
		return ""
	}
	return v.ValueString()
}

// ModifyPlan warns, at plan time, about a justification the cloud cannot take.
func (r *accessPackageAssignmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.client == nil || r.env.hasJustification {
		return
	}
	var j types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("justification"), &j)...)
	if !j.IsNull() {
		resp.Diagnostics.AddAttributeWarning(path.Root("justification"), "Justification not sent in this cloud",
			"Assignment requests in the US Government and China clouds have no justification property, so the provider records it in the state but does not send it to Graph.")
	}
}

// ValidateConfig checks what the schema alone cannot: that the expiration's
// fields agree with its type.
func (r *accessPackageAssignmentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var sch types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("schedule"), &sch)...)
	if sch.IsNull() || sch.IsUnknown() {
		return
	}
	var sm scheduleModel
	resp.Diagnostics.Append(sch.As(ctx, &sm, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	if sm.Expiration.IsNull() || sm.Expiration.IsUnknown() {
		return
	}
	var em expirationModel
	resp.Diagnostics.Append(sm.Expiration.As(ctx, &em, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	if em.Type.IsUnknown() || em.EndDateTime.IsUnknown() || em.Duration.IsUnknown() {
		return
	}
	p := path.Root("schedule").AtName("expiration")
	hasEnd, hasDur := !em.EndDateTime.IsNull(), !em.Duration.IsNull()
	switch em.Type.ValueString() {
	case "":
		resp.Diagnostics.AddAttributeError(p.AtName("type"), "Missing expiration type",
			"An expiration needs a type: noExpiration, afterDateTime (with end_date_time) or afterDuration (with duration).")
	case "noExpiration":
		if hasEnd || hasDur {
			resp.Diagnostics.AddAttributeError(p, "Inconsistent expiration", "An expiration of type noExpiration takes neither end_date_time nor duration.")
		}
	case "afterDateTime":
		if !hasEnd || hasDur {
			resp.Diagnostics.AddAttributeError(p, "Inconsistent expiration", "An expiration of type afterDateTime needs end_date_time, and no duration.")
		}
		if start, end := parseTime(sm.StartDateTime), parseTime(em.EndDateTime); start != nil && end != nil && !end.After(*start) {
			resp.Diagnostics.AddAttributeError(p.AtName("end_date_time"), "Expiration before start",
				fmt.Sprintf("end_date_time %s is not after start_date_time %s.", end.Format(time.RFC3339), start.Format(time.RFC3339)))
		}
	case "afterDuration":
		if !hasDur || hasEnd {
			resp.Diagnostics.AddAttributeError(p, "Inconsistent expiration", "An expiration of type afterDuration needs duration (such as P90D), and no end_date_time.")
		}
	}
	if hasDur {
		if _, err := iso8601.Parse(em.Duration.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(p.AtName("duration"), "Invalid duration", err.Error())
		}
	}
}

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
	answers, d := r.resolveAnswers(ctx, plan)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	in.Answers = answers

	r.reads.wrote(in.AccessPackageID)
	req0, found, adopted, err := r.submitAdd(ctx, in)
	if adopted {
		resp.Diagnostics.AddWarning("Existing assignment adopted",
			fmt.Sprintf("Graph already had a request or an assignment for %s in access package %s under policy %s — most likely from an apply that was interrupted after Graph accepted its request, or made outside Terraform. The provider adopted it instead of requesting it twice; it is managed by this resource from now on.", describeTarget(in), in.AccessPackageID, in.PolicyID))
	}
	if err != nil {
		resp.Diagnostics.AddError("Error creating access package assignment",
			fmt.Sprintf("Graph did not accept the adminAdd request for %s in access package %s (policy %s).\n\n%s", describeTarget(in), in.AccessPackageID, in.PolicyID, explain(err)))
		return
	}
	requestID := ""
	if req0 != nil {
		requestID = req0.ID
	}
	if found != nil && requestID == "" {
		// The lost POST had landed and delivered: adopt its request.
		if reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AssignmentID: found.ID, RequestType: "adminAdd"}); err == nil && len(reqs) > 0 {
			requestID = reqs[len(reqs)-1].ID
		}
	}
	tflog.Info(ctx, "submitted adminAdd request", map[string]any{"request_id": requestID, "access_package_id": in.AccessPackageID})

	var submitted *graph.Request
	if !adopted {
		submitted = req0
	}
	final, werr := r.follow(ctx, requestID, submitted, found, true)
	plan.RequestID = types.StringValue(requestID)
	r.recordCreated(ctx, &plan, final, requestID, found, &resp.Diagnostics)
	if plan.ID.ValueString() != "" {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		setIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, createdKey, []byte(fmt.Sprintf("%q", time.Now().UTC().Format(time.RFC3339))))...)
	}
	r.outcomeDiagnostics(&resp.Diagnostics, "creating", final, requestID, werr, plan.ID.ValueString() != "")
}

// submitAdd sends adminAdd once. After an ambiguous failure — no answer, or
// a gateway 5xx — the request may exist in Graph although we never heard of
// it, so before sending it again the provider looks for what it would have
// made. Graph keeps one open request per target and package: a POST answered
// ExistingOpenRequest proves an earlier one landed. The same answer to the
// first POST (or ExistingAssignment) means an earlier apply was interrupted
// after Graph accepted its request: the provider adopts what it finds
// (adopted reports that) rather than fail or request twice.
func (r *accessPackageAssignmentResource) submitAdd(ctx context.Context, in graph.AddInput) (*graph.Request, *graph.Assignment, bool, error) {
	req0, err := r.client.SubmitAdd(ctx, in)
	exists := func(err error) bool {
		return graph.HasCode(err, "ExistingOpenRequest") || graph.HasCode(err, "ExistingAssignment")
	}
	adopting := exists(err)
	if err == nil || (!graph.IsAmbiguous(err) && !adopting) {
		return req0, nil, false, err
	}
	first := err
	tflog.Warn(ctx, "the adminAdd request may already exist in Graph; looking for it before sending it again", map[string]any{"error": err.Error()})
	delay := r.poll.Initial
	for {
		if a, err := r.findLive(ctx, in); err == nil && a != nil {
			return nil, a, adopting, nil
		}
		req0, err = r.client.SubmitAdd(ctx, in)
		switch {
		case err == nil:
			return req0, nil, false, nil
		case exists(err) || graph.IsAmbiguous(err):
			// An earlier request landed (or we still cannot tell): look again.
		default:
			return nil, nil, false, err
		}
		if !r.pause(ctx, &delay) {
			return nil, nil, false, fmt.Errorf("%w; a request for this target may be open in Graph without an assignment yet (for example one scheduled for a later start): look for it before retrying", first)
		}
	}
}

// findLive finds the target's live assignment in the package under the policy.
func (r *accessPackageAssignmentResource) findLive(ctx context.Context, in graph.AddInput) (*graph.Assignment, error) {
	list, err := r.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: in.AccessPackageID, PolicyID: in.PolicyID, TargetObjectID: in.TargetObjectID})
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if !a.Live() {
			continue
		}
		if in.TargetEmail == "" || (a.Target != nil && strings.EqualFold(a.Target.Email, in.TargetEmail)) {
			return a, nil
		}
	}
	return nil, nil
}

// follow waits for a request until it settles. Settled for a create means
// terminal, or scheduled (a future start: waiting for it would take until
// then). found is an assignment already known, used when there is no request.
// submitted, when not nil, is the request just sent: its first read waits
// until requests of its kind have lately been settling.
func (r *accessPackageAssignmentResource) follow(ctx context.Context, requestID string, submitted *graph.Request, found *graph.Assignment, scheduledIsDone bool) (*graph.Request, error) {
	if requestID == "" {
		if found == nil {
			return nil, errors.New("no request to follow")
		}
		return &graph.Request{State: found.State, Assignment: found}, nil
	}
	done := func(q *graph.Request) bool {
		return q.Terminal() || (scheduledIsDone && q.State == graph.StateScheduled)
	}
	progress := func(q *graph.Request) {
		tflog.Debug(ctx, "assignment request progress", map[string]any{"request_id": q.ID, "state": q.State, "status": q.Status})
	}
	if submitted != nil && submitted.ID == requestID {
		return r.client.WaitForSubmitted(ctx, submitted, r.poll, done, progress)
	}
	return r.client.WaitForRequest(ctx, requestID, r.poll, done, progress)
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
		r.recordAssignment(ctx, m, a, diags)
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

// recordAssignment copies an assignment's state, target and schedule into the model.
func (r *accessPackageAssignmentResource) recordAssignment(ctx context.Context, m *accessPackageAssignmentModel, a *graph.Assignment, diags *diag.Diagnostics) {
	m.State = types.StringValue(a.State)
	m.Status = types.StringValue(a.Status)
	if a.Target != nil {
		m.Target = flattenTarget(a.Target)
	} else if m.Target.IsUnknown() {
		m.Target = types.ObjectNull(targetAttrTypes)
	}
	if a.Schedule != nil {
		s, d := mergeSchedule(ctx, m.Schedule, a.Schedule)
		diags.Append(d...)
		m.Schedule = s
	}
}

// outcomeDiagnostics reports how a followed request ended.
func (r *accessPackageAssignmentResource) outcomeDiagnostics(diags *diag.Diagnostics, verb string, q *graph.Request, requestID string, werr error, tracked bool) {
	summary := "Error " + verb + " access package assignment"
	kept := ""
	if tracked {
		kept = "\n\nThe assignment is recorded in the Terraform state, so nothing is left untracked in Graph; Terraform marks it tainted and will replace it on the next apply unless you repair it and run `terraform untaint`."
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
		diags.AddError(summary, fmt.Sprintf("Assignment request %s ended %s (status %q): Graph could not deliver all of the package's resources.%s\n\nThe remedy is to fix the resource in Entra and reprocess the request within 14 days of its completion (POST /identityGovernance/entitlementManagement/assignmentRequests/%s/reprocess, or the entitlement_assignment_request_reprocess resource).%s", requestID, q.State, q.Status, calloutDetail(q), requestID, kept))
	}
}

func calloutDetail(q *graph.Request) string {
	var parts []string
	for _, c := range q.Callouts {
		if c.Detail != "" {
			parts = append(parts, fmt.Sprintf("custom extension %s (%s): %s", c.CustomExtensionID, c.Status, c.Detail))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n\n" + strings.Join(parts, "\n")
}

func describeTarget(in graph.AddInput) string {
	if in.TargetObjectID != "" {
		return "user " + in.TargetObjectID
	}
	return "email " + in.TargetEmail
}

// explain renders a Graph error with its code and request-id (graph.Error does).
func explain(err error) string {
	return "Original Error: " + err.Error()
}

// resolveAnswers turns the configured answers into Graph answers, reading
// the policy's questions once to know each one's type and to say clearly,
// before any request is sent, which answer does not fit.
func (r *accessPackageAssignmentResource) resolveAnswers(ctx context.Context, m accessPackageAssignmentModel) ([]graph.Answer, diag.Diagnostics) {
	ams, diags := expandAnswers(ctx, m.Answers)
	if len(ams) == 0 || diags.HasError() {
		return nil, diags
	}
	pol, err := r.client.GetPolicy(ctx, m.AssignmentPolicyID.ValueString())
	if err != nil {
		diags.AddError("Error reading the policy's questions", fmt.Sprintf("The answers cannot be sent without the questions of policy %s.\n\n%s", m.AssignmentPolicyID.ValueString(), explain(err)))
		return nil, diags
	}
	byID := map[string]graph.Question{}
	var ids []string
	for _, q := range pol.Questions {
		byID[strings.ToLower(q.ID)] = q
		ids = append(ids, q.ID)
	}
	out := make([]graph.Answer, 0, len(ams))
	for i, a := range ams {
		q, ok := byID[strings.ToLower(a.QuestionID.ValueString())]
		p := path.Root("answers").AtListIndex(i)
		if !ok {
			diags.AddAttributeError(p.AtName("question_id"), "Unknown question",
				fmt.Sprintf("Policy %s has no question %s; its questions are: %s.", m.AssignmentPolicyID.ValueString(), a.QuestionID.ValueString(), strings.Join(ids, ", ")))
			continue
		}
		if q.Type == "choice" && !contains(q.Choices, a.Value.ValueString()) {
			diags.AddAttributeError(p.AtName("value"), "Not one of the choices",
				fmt.Sprintf("Question %s (%q) accepts %s, not %q.", q.ID, q.Text, strings.Join(q.Choices, ", "), a.Value.ValueString()))
			continue
		}
		out = append(out, graph.Answer{QuestionID: q.ID, QuestionType: q.Type, Value: a.Value.ValueString(), DisplayValue: a.DisplayValue.ValueString()})
	}
	return out, diags
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
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
			resp.Diagnostics.AddError("Error reading access package assignment", fmt.Sprintf("Could not read assignment request %s.\n\n%s", id, explain(err)))
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
	if graph.IsNotFound(err) && r.recentlyCreated(ctx, req.Private) {
		// Graph replicates new assignments with a lag: a just-created one can
		// read as not found. Wait for it rather than forget it.
		a, err = r.waitVisible(ctx, id)
	}
	if graph.IsNotFound(err) || (err == nil && !a.Live()) {
		tflog.Info(ctx, "the assignment is gone or expired; removing it from state", map[string]any{"assignment_id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error reading access package assignment", fmt.Sprintf("Could not read assignment %s.\n\n%s", id, explain(err)))
		return
	}
	m.AccessPackageID = types.StringValue(a.AccessPackageID)
	m.AssignmentPolicyID = types.StringValue(a.PolicyID)
	if m.TargetEmail.IsNull() && a.Target != nil && a.Target.ObjectID != "" {
		m.TargetObjectID = types.StringValue(a.Target.ObjectID)
	}
	r.recordAssignment(ctx, &m, a, &resp.Diagnostics)
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

// createdKey is the private-state key that records when the provider created
// the assignment, so that Read can tell replication lag from a deletion.
const createdKey = "created_at"

// consistencyWindow is how long after a create a not-found read is taken for
// replication lag.
const consistencyWindow = 3 * time.Minute

func (r *accessPackageAssignmentResource) recentlyCreated(ctx context.Context, private interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}) bool {
	raw, d := private.GetKey(ctx, createdKey)
	if d.HasError() || len(raw) < 2 {
		return false
	}
	t, err := time.Parse(time.RFC3339, strings.Trim(string(raw), `"`))
	return err == nil && time.Since(t) < consistencyWindow
}

// waitVisible reads an assignment until Graph shows it, within the window.
func (r *accessPackageAssignmentResource) waitVisible(ctx context.Context, id string) (*graph.Assignment, error) {
	ctx, cancel := context.WithTimeout(ctx, consistencyWindow)
	defer cancel()
	delay := r.poll.Initial
	for {
		a, err := r.client.GetAssignment(ctx, id)
		if !graph.IsNotFound(err) {
			return a, err
		}
		tflog.Debug(ctx, "a new assignment is not visible yet; waiting", map[string]any{"assignment_id": id})
		if !r.pause(ctx, &delay) {
			return nil, err
		}
	}
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
		answers, d = r.resolveAnswers(ctx, plan)
		resp.Diagnostics.Append(d...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	r.reads.wrote(plan.AccessPackageID.ValueString())
	q, err := r.submitUpdate(ctx, plan.ID.ValueString(), r.justification(plan.Justification), sch, answers)
	if err != nil {
		resp.Diagnostics.AddError("Error updating access package assignment",
			fmt.Sprintf("Graph did not accept the adminUpdate request for assignment %s.\n\n%s", plan.ID.ValueString(), explain(err)))
		return
	}
	if q == nil {
		// A lost answer, but the assignment already has the change.
		q = &graph.Request{ID: prior.RequestID.ValueString()}
		if a, err := r.client.GetAssignment(ctx, plan.ID.ValueString()); err == nil {
			r.recordAssignment(ctx, &plan, a, &resp.Diagnostics)
		}
		plan.RequestID = prior.RequestID
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	final, werr := r.follow(ctx, q.ID, q, nil, false)
	if werr != nil || final.State != graph.StateDelivered {
		// Graph did not apply the change: keep what the state said, with the request id.
		prior.RequestID = types.StringValue(q.ID)
		resp.Diagnostics.Append(resp.State.Set(ctx, &prior)...)
		r.outcomeDiagnostics(&resp.Diagnostics, "updating", final, q.ID, werr, false)
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.AddError("Error updating access package assignment", fmt.Sprintf("Assignment request %s ended %s.", q.ID, final.State))
		}
		return
	}
	plan.RequestID = types.StringValue(q.ID)
	// The delivered request carries the assignment as it now is
	// ($expand=assignment); read it only if it does not.
	if final.Assignment != nil && final.Assignment.Schedule != nil {
		r.recordAssignment(ctx, &plan, final.Assignment, &resp.Diagnostics)
	} else if a, err := r.client.GetAssignment(ctx, plan.ID.ValueString()); err == nil {
		r.recordAssignment(ctx, &plan, a, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// submitUpdate sends adminUpdate once in effect. After an ambiguous failure
// it looks for evidence that the first one landed before sending it again:
// the assignment (an existing object, visible at once) already has the new
// schedule; or, for answers, which the v1.0 assignment does not show, an
// adminUpdate request for it appears within the replication window. A
// second POST while the first is still open is refused by Graph anyway. A
// nil request with no error means the change is already in Graph.
func (r *accessPackageAssignmentResource) submitUpdate(ctx context.Context, id, justification string, sch *graph.Schedule, answers []graph.Answer) (*graph.Request, error) {
	since := time.Now().Add(-time.Minute)
	delay := r.poll.Initial
	var lookingSince time.Time
	for {
		q, err := r.client.SubmitUpdate(ctx, id, justification, sch, answers)
		if err == nil || (!graph.IsAmbiguous(err) && !graph.HasCode(err, "ExistingOpenRequest")) {
			return q, err
		}
		if lookingSince.IsZero() {
			lookingSince = time.Now()
		}
		for {
			if sch != nil {
				if a, gerr := r.client.GetAssignment(ctx, id); gerr == nil && scheduleApplied(a.Schedule, sch) {
					return nil, nil
				}
			}
			if reqs, lerr := r.client.ListRequests(ctx, graph.RequestFilter{AssignmentID: id, RequestType: "adminUpdate", CreatedAfter: &since}); lerr == nil && len(reqs) > 0 {
				return reqs[len(reqs)-1], nil
			}
			if sch != nil || time.Since(lookingSince) > replicationWindow {
				break // send again: Graph refuses it while the first one is open
			}
			if !r.pause(ctx, &delay) {
				return nil, err
			}
		}
		if !r.pause(ctx, &delay) {
			return nil, err
		}
	}
}

// replicationWindow is how long a new request may stay invisible to lists.
const replicationWindow = 30 * time.Second

// scheduleApplied says whether an assignment's schedule already is what an
// update asks for (Graph records a duration as an end date).
func scheduleApplied(got, want *graph.Schedule) bool {
	if got == nil || want == nil {
		return false
	}
	if want.Start != nil && (got.Start == nil || !got.Start.Equal(*want.Start)) {
		return false
	}
	em := expirationModel{Type: types.StringValue(want.ExpirationType), EndDateTime: fmtTime(want.End), Duration: types.StringNull()}
	if want.Duration != "" {
		em.Duration = types.StringValue(want.Duration)
	}
	switch want.ExpirationType {
	case "", "notSpecified":
		return true
	}
	return expirationEquivalent(em, got)
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
			resp.Diagnostics.AddError("Error deleting access package assignment", fmt.Sprintf("Could not read assignment request %s.\n\n%s", id, explain(err)))
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
	q, err := r.submitRemove(ctx, id, r.justification(m.Justification))
	if graph.IsNotFound(err) {
		return // already gone or expired
	}
	if err != nil {
		resp.Diagnostics.AddError("Error deleting access package assignment",
			fmt.Sprintf("Graph did not accept the adminRemove request for assignment %s.\n\n%s", id, explain(err)))
		return
	}
	if q == nil {
		return // a lost answer, but the assignment has ended
	}
	final, werr := r.follow(ctx, q.ID, q, nil, false)
	if werr == nil && final.State == graph.StateDelivered {
		return
	}
	r.outcomeDiagnostics(&resp.Diagnostics, "deleting", final, q.ID, werr, false)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.AddError("Error deleting access package assignment", fmt.Sprintf("The adminRemove request %s for assignment %s ended %s.", q.ID, id, final.State))
	}
}

// pause waits the current delay and doubles it, up to the poll maximum. It
// returns false when the context ends first.
func (r *accessPackageAssignmentResource) pause(ctx context.Context, delay *time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(*delay):
	}
	*delay = min(*delay*2, r.poll.Max)
	return true
}

// submitRemove sends adminRemove. While another request for the same target
// and package is still open (an add still delivering, an update), Graph
// refuses with ExistingOpenRequest and changes nothing, so the remove is sent
// again once that request has had time to finish, within the delete timeout.
// After an ambiguous failure it first checks whether the assignment has
// already ended (then it returns no request and no error).
func (r *accessPackageAssignmentResource) submitRemove(ctx context.Context, id, justification string) (*graph.Request, error) {
	delay := r.poll.Initial
	for {
		q, err := r.client.SubmitRemove(ctx, id, justification)
		switch {
		case graph.IsAmbiguous(err):
			if a, gerr := r.client.GetAssignment(ctx, id); graph.IsNotFound(gerr) || (gerr == nil && !a.Live()) {
				return nil, nil
			}
		case graph.HasCode(err, "ExistingOpenRequest"):
			tflog.Info(ctx, "another request for this assignment is still open; waiting before removing it", map[string]any{"assignment_id": id})
		default:
			return q, err
		}
		if !r.pause(ctx, &delay) {
			return nil, fmt.Errorf("%w (still refused when the delete timeout ran out)", err)
		}
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
			resp.Diagnostics.AddError("Error importing access package assignment", explain(err))
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

func policyClause(policyID string) string {
	if policyID == "" {
		return ""
	}
	return " under policy " + policyID
}
