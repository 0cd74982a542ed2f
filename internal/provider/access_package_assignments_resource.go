package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ resource.ResourceWithConfigure      = (*accessPackageAssignmentsResource)(nil)
	_ resource.ResourceWithImportState    = (*accessPackageAssignmentsResource)(nil)
	_ resource.ResourceWithValidateConfig = (*accessPackageAssignmentsResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*accessPackageAssignmentsResource)(nil)
)

// NewAccessPackageAssignmentsResource is the entitlement_access_package_assignments
// resource: authoritative over the assignments of one access package under
// one assignment policy.
func NewAccessPackageAssignmentsResource() resource.Resource {
	return &accessPackageAssignmentsResource{}
}

type accessPackageAssignmentsResource struct {
	resourceBase
}

type assignmentSetModel struct {
	ID                 types.String   `tfsdk:"id"`
	AccessPackageID    types.String   `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String   `tfsdk:"assignment_policy_id"`
	TargetObjectIDs    targetSetValue `tfsdk:"target_object_ids"`
	TargetEmails       targetSetValue `tfsdk:"target_emails"`
	Justification      types.String   `tfsdk:"justification"`
	Schedule           types.Object   `tfsdk:"schedule"`
	Answers            types.List     `tfsdk:"answers"`
	AssignmentIDs      types.Map      `tfsdk:"assignment_ids"`
	Undelivered        types.Map      `tfsdk:"undelivered"`
	InvitedObjectIDs   types.Map      `tfsdk:"invited_object_ids"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
}

func (r *accessPackageAssignmentsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignments"
}

func (r *accessPackageAssignmentsResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{sameIDReplace()}
	sch := scheduleAttribute(true)
	sch.PlanModifiers = nil
	sch.MarkdownDescription = "When the access of every target starts and ends. New targets are given it with their `adminAdd`; a change sends `adminUpdate` for every target that keeps the access. Left out, new targets take the policy's expiration and start on delivery. The provider records the schedule as written and does not read each assignment's back: a schedule changed outside Terraform for one person does not show as drift."
	resp.Schema = schema.Schema{
		MarkdownDescription: "Declares **exactly** who holds an access package under one of its assignment policies. After an apply, the live assignments in that package under that policy are the configured targets: missing ones are added (`adminAdd`), and any other — including one made in the portal or by another tool — is removed (`adminRemove`). Assignments under the package's other policies are never touched. Do not manage the same package and policy with `entitlement_access_package_assignment` as well: see the guide *Managing who holds a package*.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<access_package_id>/<assignment_policy_id>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"access_package_id": schema.StringAttribute{
				MarkdownDescription: "The access package. Changing it replaces the resource (the old package's assignments are removed).",
				Required:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       replace,
			},
			"assignment_policy_id": schema.StringAttribute{
				MarkdownDescription: "The assignment policy of that package the resource is authoritative over (a direct-assignment policy). Changing it replaces the resource.",
				Required:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       replace,
			},
			"target_object_ids": schema.SetAttribute{
				MarkdownDescription: "The object ids of the users who hold the package under the policy. A refresh records every live assignment Graph shows, so one made outside Terraform appears in the plan as a removal. An empty set (and no `target_emails`) removes everyone.",
				ElementType:         types.StringType,
				CustomType:          newTargetSetType(),
				Optional:            true,
				Validators:          []validator.Set{setvalidator.ValueStringsAre(guid()), distinctIgnoringCase{}},
			},
			"target_emails": schema.SetAttribute{
				MarkdownDescription: "Email addresses of people not yet in the directory; Entra invites them when the access is delivered (the policy must allow such users). Once invited, they stay under their email here.",
				ElementType:         types.StringType,
				CustomType:          newTargetSetType(),
				Optional:            true,
				Validators:          []validator.Set{setvalidator.ValueStringsAre(email()), distinctIgnoringCase{}},
			},
			"justification": schema.StringAttribute{
				MarkdownDescription: "Why the access is given, sent with each request. A change alone makes no Graph call. Not sent in the US Government and China clouds, which do not have it.",
				Optional:            true,
			},
			"schedule": sch,
			"answers": func() schema.ListNestedAttribute {
				a := answersSchema()
				a.MarkdownDescription = "Answers to the policy's questions, the same for every target. A change sends `adminUpdate` for every target that keeps the access. The provider records what it last sent and does not read answers back."
				return a
			}(),
			// Flat maps of strings, not a map of objects or a nested attribute:
			// the framework visits every value of the state in each call, at a
			// cost that grows with the square of their number (a context that
			// deepens with each value visited), so 5,000 targets as objects of
			// four fields cost seconds per call, and as one string each far less.
			"assignment_ids": schema.MapAttribute{
				MarkdownDescription: "The assignment id of each target, keyed by object id (as in `target_object_ids`) or email (as in `target_emails`). While Graph has not created a target's assignment (a request scheduled for a later start), its request id.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"undelivered": schema.MapAttribute{
				MarkdownDescription: "The targets whose access is not delivered, with Graph's state: `deliveryFailed` or `partiallyDelivered` (the next plan retries the delivery), `delivering`, or `scheduled` (a request that waits for its start). Empty when everyone has access.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"invited_object_ids": schema.MapAttribute{
				MarkdownDescription: "For each target in `target_emails` whose access was delivered, the object id of the user Entra invited.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"timeouts": resourceTimeouts(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// distinctIgnoringCase refuses a set with two spellings of one id or address.
type distinctIgnoringCase struct{}

func (distinctIgnoringCase) Description(context.Context) string {
	return "no two elements may differ only in letter case"
}
func (v distinctIgnoringCase) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (distinctIgnoringCase) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	seen := map[string]string{}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() {
			continue
		}
		k := strings.ToLower(s.ValueString())
		if prev, dup := seen[k]; dup {
			resp.Diagnostics.AddAttributeError(req.Path, "Same target twice",
				fmt.Sprintf("%q and %q name the same target (Graph compares ids and addresses without regard to case). List it once.", prev, s.ValueString()))
			return
		}
		seen[k] = s.ValueString()
	}
}

func (r *accessPackageAssignmentsResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateSchedule(ctx, req.Config, &resp.Diagnostics)
}

// target is one configured or held target: an object id or an email.
type target struct {
	key   string // as written in the configuration or state
	email bool
}

// targetsOf reads the two sets; ok is false while either is unknown.
func targetsOf(m assignmentSetModel) ([]target, bool) {
	if m.TargetObjectIDs.IsUnknown() || m.TargetEmails.IsUnknown() {
		return nil, false
	}
	var out []target
	for _, set := range []struct {
		v     targetSetValue
		email bool
	}{{m.TargetObjectIDs, false}, {m.TargetEmails, true}} {
		for _, e := range set.v.Elements() {
			s, ok := e.(types.String)
			if !ok || s.IsUnknown() {
				return nil, false
			}
			out = append(out, target{key: s.ValueString(), email: set.email})
		}
	}
	return out, true
}

// heldOf reads what the state records Graph holds, keyed by lower-cased target.
func heldOf(ctx context.Context, m assignmentSetModel) (map[string]heldEntry, diag.Diagnostics) {
	out := map[string]heldEntry{}
	var diags diag.Diagnostics
	read := func(v types.Map) map[string]string {
		raw := map[string]string{}
		if !v.IsNull() && !v.IsUnknown() {
			diags.Append(v.ElementsAs(ctx, &raw, false)...)
		}
		return raw
	}
	ids, undelivered, invited := read(m.AssignmentIDs), read(m.Undelivered), read(m.InvitedObjectIDs)
	for k, id := range ids {
		h := heldEntry{key: k, ID: id, State: graph.StateDelivered, ObjectID: invited[k]}
		if st, ok := undelivered[k]; ok {
			h.State = st
		}
		if h.State == graph.StateScheduled {
			h.RequestID = id // no assignment yet: the id is the request's
		}
		out[strings.ToLower(k)] = h
	}
	return out, diags
}

// heldEntry is what Graph holds for a target, in the provider's terms.
type heldEntry struct {
	key                            string
	email                          bool
	ID, State, RequestID, ObjectID string
}

// ModifyPlan runs the plan-time checks the single assignment resource runs,
// and plans the assignments map person by person: kept targets keep their
// entry, removed ones leave it, new ones and those whose delivery failed (to
// be retried) are known after apply — and, on a schedule or answers change,
// every kept one.
func (r *accessPackageAssignmentsResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan, prior assignmentSetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	changed := creating || !plan.Schedule.Equal(prior.Schedule) || !plan.Answers.Equal(prior.Answers)
	if r.configured() {
		if !r.cloud.HasJustification && !plan.Justification.IsNull() {
			resp.Diagnostics.AddAttributeWarning(path.Root("justification"), "Justification not sent in this cloud",
				"Assignment requests in the US Government and China clouds have no justification property, so the provider records it in the state but does not send it to Graph.")
		}
		if changed {
			checkAssignmentPlan(ctx, r.providerData, plan.AccessPackageID, plan.AssignmentPolicyID, plan.Schedule, plan.Answers, creating, &resp.Diagnostics)
		}
	}
	targets, known := targetsOf(plan)
	if creating && known && r.configured() && !plan.AccessPackageID.IsUnknown() && !plan.AssignmentPolicyID.IsUnknown() {
		r.warnRemovals(ctx, plan, targets, &resp.Diagnostics)
	}
	unknownMaps := func() {
		for _, name := range []string{"undelivered", "invited_object_ids"} {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), types.MapUnknown(types.StringType))...)
		}
	}
	if !known {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("assignment_ids"), types.MapUnknown(types.StringType))...)
		unknownMaps()
		return
	}
	held, d := heldOf(ctx, prior)
	resp.Diagnostics.Append(d...)
	ids := make(map[string]attr.Value, len(targets))
	work := creating || changed
	for _, t := range targets {
		h, ok := held[strings.ToLower(t.key)]
		switch {
		case !ok || creating:
			ids[t.key] = types.StringUnknown()
			work = true
		case failedDelivery(h.State):
			// Retried in place: the assignment keeps its id.
			ids[t.key] = types.StringValue(h.ID)
			work = true
		default:
			ids[t.key] = types.StringValue(h.ID)
		}
	}
	var gone []string
	listed := keysOf(targets)
	for k, h := range held {
		if !listed[k] {
			gone = append(gone, h.key)
		}
	}
	m, d := types.MapValue(types.StringType, ids)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("assignment_ids"), m)...)
	if work || len(gone) > 0 {
		unknownMaps()
	} else {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("undelivered"), prior.Undelivered)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("invited_object_ids"), prior.InvitedObjectIDs)...)
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		tflog.Info(ctx, "the plan removes access", map[string]any{"targets": gone})
	}
}

// warnRemovals makes plain, in the plan of a new resource (which has no
// prior state to show a diff against), whose access the create will take
// away: the live assignments under the policy that the configuration does
// not list. One listing of the package, read only.
func (r *accessPackageAssignmentsResource) warnRemovals(ctx context.Context, plan assignmentSetModel, targets []target, diags *diag.Diagnostics) {
	held, err := r.observe(ctx, plan, nil)
	if err != nil {
		tflog.Warn(ctx, "could not list the package's assignments at plan time", map[string]any{"error": err.Error()})
		return
	}
	var gone, kept []string
	listed := keysOf(targets)
	for k, h := range held {
		if listed[k] {
			kept = append(kept, h.key)
		} else {
			gone = append(gone, h.key)
		}
	}
	if len(gone) == 0 {
		return
	}
	sort.Strings(gone)
	list := gone
	if len(list) > maxListedFailures {
		list = append(append([]string{}, list[:maxListedFailures]...), fmt.Sprintf("and %d more", len(gone)-maxListedFailures))
	}
	diags.AddWarning("This apply removes access",
		fmt.Sprintf("Access package %s already has %d live assignment(s) under policy %s that the configuration does not list; creating this resource removes them (adminRemove):\n\n- %s\n\n%d listed target(s) already hold the access and are kept without a new request. Add anyone who should keep it to target_object_ids or target_emails.",
			plan.AccessPackageID.ValueString(), len(gone), plan.AssignmentPolicyID.ValueString(), strings.Join(list, "\n- "), len(kept)))
}

// keysOf is the set of targets, lower-cased: ids and addresses compare
// without regard to case, and a map keeps the lookups linear at thousands.
func keysOf(ts []target) map[string]bool {
	out := make(map[string]bool, len(ts))
	for _, t := range ts {
		out[strings.ToLower(t.key)] = true
	}
	return out
}

func (r *accessPackageAssignmentsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan assignmentSetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	plan.ID = types.StringValue(plan.AccessPackageID.ValueString() + "/" + plan.AssignmentPolicyID.ValueString())

	// What the package already has under the policy: kept, or removed.
	held, err := r.observe(ctx, plan, nil)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error creating access package assignments",
			fmt.Sprintf("Could not list the assignments of access package %s under policy %s.", plan.AccessPackageID.ValueString(), plan.AssignmentPolicyID.ValueString()), err)
		return
	}
	out := r.converge(ctx, &plan, held, false, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// A create that partly failed still saves what Graph holds, and says
	// what failed as warnings: an error would make Terraform taint the
	// resource, and the next apply would replace it — remove everyone, then
	// add everyone. Without an error, the next plan shows just the targets
	// that failed, and the apply retries only those (and fails on errors).
	if out.failed > 0 && out.tracked == 0 && out.changed == 0 {
		out.report(&resp.Diagnostics, true)
		return
	}
	out.report(&resp.Diagnostics, false)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *accessPackageAssignmentsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m assignmentSetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	prior, d := heldOf(ctx, m)
	resp.Diagnostics.Append(d...)
	held, err := r.observe(ctx, m, prior)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error reading access package assignments",
			fmt.Sprintf("Could not list the assignments of access package %s under policy %s.", m.AccessPackageID.ValueString(), m.AssignmentPolicyID.ValueString()), err)
		return
	}
	resp.Diagnostics.Append(record(&m, held)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *accessPackageAssignmentsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior assignmentSetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	plan.ID = prior.ID
	// What Graph holds is the state the plan was made from, refreshed.
	held, d := heldOf(ctx, prior)
	resp.Diagnostics.Append(d...)
	markEmails(held, prior)
	changed := !plan.Schedule.Equal(prior.Schedule) || !plan.Answers.Equal(prior.Answers)
	out := r.converge(ctx, &plan, held, changed, &resp.Diagnostics)
	if out == nil {
		return
	}
	if out.failed > 0 && changed {
		// The schedule or answers did not reach every target: keep the old
		// ones recorded, so the next plan sends them again.
		plan.Schedule, plan.Answers = prior.Schedule, prior.Answers
	}
	out.report(&resp.Diagnostics, true)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *accessPackageAssignmentsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m assignmentSetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Delete(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	held, d := heldOf(ctx, m)
	resp.Diagnostics.Append(d...)
	markEmails(held, m)
	none := m
	none.TargetObjectIDs, _ = targetSet(nil)
	none.TargetEmails = targetSetNull()
	out := r.converge(ctx, &none, held, false, &resp.Diagnostics)
	if out == nil {
		return
	}
	if out.failed > 0 {
		// Keep what is still held in the state, so nothing is left untracked.
		resp.Diagnostics.Append(record(&m, out.after)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	}
	out.report(&resp.Diagnostics, true)
}

func (r *accessPackageAssignmentsResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	parts := strings.Split(req.ID, "/")
	if len(parts) != 2 || !guidRE.MatchString(parts[0]) || !guidRE.MatchString(parts[1]) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not <access_package_id>/<assignment_policy_id>, two GUIDs separated by a slash.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("access_package_id"), parts[0])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("assignment_policy_id"), parts[1])...)
	for _, name := range []string{"assignment_ids", "undelivered", "invited_object_ids"} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), types.MapValueMust(types.StringType, nil))...)
	}
}

// markEmails marks the held entries that are email targets in m.
func markEmails(held map[string]heldEntry, m assignmentSetModel) {
	for _, e := range m.TargetEmails.Elements() {
		if s, ok := e.(types.String); ok {
			if h, ok := held[strings.ToLower(s.ValueString())]; ok {
				h.email = true
				held[strings.ToLower(s.ValueString())] = h
			}
		}
	}
}

// observe reads what Graph holds in the package under the policy: one
// paged listing of its assignments (never one call per target), and, only
// when the state records requests scheduled for a later start, one listing
// of the package's scheduled requests. Entries are keyed like prior (the
// configuration's spelling), email targets by email.
func (r *accessPackageAssignmentsResource) observe(ctx context.Context, m assignmentSetModel, prior map[string]heldEntry) (map[string]heldEntry, error) {
	pkg, policy := m.AccessPackageID.ValueString(), m.AssignmentPolicyID.ValueString()
	list, err := r.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: pkg, PolicyID: policy})
	if err != nil {
		return nil, err
	}
	emails := map[string]string{}
	for _, e := range m.TargetEmails.Elements() {
		if s, ok := e.(types.String); ok && !s.IsUnknown() {
			emails[strings.ToLower(s.ValueString())] = s.ValueString()
		}
	}
	// The spelling to record an object id under: the state's, else the configuration's.
	spellings := map[string]string{}
	for _, e := range m.TargetObjectIDs.Elements() {
		if s, ok := e.(types.String); ok && !s.IsUnknown() {
			spellings[strings.ToLower(s.ValueString())] = s.ValueString()
		}
	}
	for k, h := range prior {
		spellings[k] = h.key
	}
	spelling := func(k string) string {
		if s, ok := spellings[strings.ToLower(k)]; ok {
			return s
		}
		return k
	}
	held := map[string]heldEntry{}
	for _, a := range list {
		if !a.Live() || a.Target == nil {
			continue
		}
		h := heldEntry{ID: a.ID, State: a.State, ObjectID: a.Target.ObjectID}
		switch mail, ok := emails[strings.ToLower(a.Target.Email)]; {
		case ok && a.Target.Email != "":
			h.key, h.email = mail, true
		case a.Target.ObjectID != "":
			h.key = spelling(a.Target.ObjectID)
		case a.Target.Email != "":
			h.key, h.email = a.Target.Email, true
		default:
			continue
		}
		held[strings.ToLower(h.key)] = h
	}
	// Requests scheduled for a later start have no assignment yet.
	var scheduled []heldEntry
	for _, h := range prior {
		if h.State == graph.StateScheduled {
			if _, has := held[strings.ToLower(h.key)]; !has {
				scheduled = append(scheduled, h)
			}
		}
	}
	if len(scheduled) > 0 {
		reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AccessPackageID: pkg, State: graph.StateScheduled})
		if err != nil {
			return nil, err
		}
		open := map[string]bool{}
		for _, q := range reqs {
			open[strings.ToLower(q.ID)] = true
		}
		for _, h := range scheduled {
			if open[strings.ToLower(h.ID)] {
				h.email = emails[strings.ToLower(h.key)] != ""
				held[strings.ToLower(h.key)] = h
			}
		}
	}
	return held, nil
}

// record writes what Graph holds into the model: the two target sets (null
// stays null when empty) and the three maps.
func record(m *assignmentSetModel, held map[string]heldEntry) diag.Diagnostics {
	var diags diag.Diagnostics
	var ids, mails []attr.Value
	assignmentIDs := make(map[string]attr.Value, len(held))
	undelivered := map[string]attr.Value{}
	invited := map[string]attr.Value{}
	for _, h := range held {
		assignmentIDs[h.key] = types.StringValue(h.ID)
		if h.State != graph.StateDelivered {
			undelivered[h.key] = types.StringValue(h.State)
		}
		if h.email {
			mails = append(mails, types.StringValue(h.key))
			if h.ObjectID != "" {
				invited[h.key] = types.StringValue(h.ObjectID)
			}
		} else {
			ids = append(ids, types.StringValue(h.key))
		}
	}
	set := func(prior targetSetValue, vs []attr.Value) targetSetValue {
		if len(vs) == 0 && prior.IsNull() {
			return prior
		}
		s, d := targetSet(vs)
		diags.Append(d...)
		return s
	}
	m.TargetObjectIDs = set(m.TargetObjectIDs, ids)
	m.TargetEmails = set(m.TargetEmails, mails)
	for _, f := range []struct {
		dst   *types.Map
		elems map[string]attr.Value
	}{{&m.AssignmentIDs, assignmentIDs}, {&m.Undelivered, undelivered}, {&m.InvitedObjectIDs, invited}} {
		v, d := types.MapValue(types.StringType, f.elems)
		diags.Append(d...)
		*f.dst = v
	}
	return diags
}

// convergence is what an apply did.
type convergence struct {
	after                    map[string]heldEntry
	failures                 []failure
	failed, changed, tracked int
}

type failure struct {
	target, what string
	err          error
}

// converge makes Graph hold exactly plan's targets, from held (what Graph
// holds now): it adds the missing, removes the others, retries failed
// deliveries and, when refresh is set, sends the schedule and answers to
// every kept target. It records the outcome in plan (sets and map) and
// returns it; nil when nothing was sent (the error is in diags).
func (r *accessPackageAssignmentsResource) converge(ctx context.Context, plan *assignmentSetModel, held map[string]heldEntry, refresh bool, diags *diag.Diagnostics) *convergence {
	targets, _ := targetsOf(*plan)
	pkg, policy := plan.AccessPackageID.ValueString(), plan.AssignmentPolicyID.ValueString()
	just := ""
	if r.cloud.HasJustification {
		just = plan.Justification.ValueString()
	}
	sch, d := expandSchedule(ctx, plan.Schedule)
	diags.Append(d...)
	var answers []graph.Answer
	if len(plan.Answers.Elements()) > 0 && (refresh || len(targets) > 0) {
		answers, d = resolveAnswers(ctx, r.providerData, policy, plan.Answers)
		diags.Append(d...)
	}
	if diags.HasError() {
		return nil
	}

	var changes []graph.Change
	var keys []string
	after := map[string]heldEntry{}
	for k, h := range held {
		after[k] = h
	}
	wanted := map[string]bool{}
	listed := keysOf(targets)
	// A person held under their email and now listed by object id is the
	// same assignment: keep it under the new key (removing the email's and
	// adding the id's would take the access away).
	heldByObject := map[string]string{}
	for k, h := range held {
		if h.email && h.ObjectID != "" {
			heldByObject[strings.ToLower(h.ObjectID)] = k
		}
	}
	for _, t := range targets {
		k := strings.ToLower(t.key)
		wanted[k] = true
		h, ok := held[k]
		if old, same := heldByObject[k]; !ok && !t.email && same && !listed[old] {
			h, ok = held[old], true
			h.email = false
			held[k], wanted[old] = h, true
			delete(after, old)
		}
		switch {
		case !ok:
			in := graph.AddInput{AccessPackageID: pkg, PolicyID: policy, Justification: just, Schedule: sch, Answers: answers}
			if t.email {
				in.TargetEmail = t.key
			} else {
				in.TargetObjectID = t.key
			}
			changes = append(changes, graph.Change{Kind: graph.ChangeAdd, Add: in})
		case failedDelivery(h.State):
			changes = append(changes, graph.Change{Kind: graph.ChangeRetry, AssignmentID: h.ID, RequestID: h.RequestID})
		case refresh && h.State != graph.StateScheduled:
			changes = append(changes, graph.Change{Kind: graph.ChangeUpdate, AssignmentID: h.ID, Justification: just, Schedule: sch, Answers: answers})
		default:
			h.key, h.email = t.key, t.email
			after[k] = h
			continue
		}
		keys = append(keys, t.key)
	}
	out := &convergence{after: after}
	for k, h := range held {
		if wanted[k] {
			continue
		}
		if h.ID == h.RequestID && h.State == graph.StateScheduled {
			out.failures = append(out.failures, failure{target: h.key, what: "remove the access of", err: fmt.Errorf("request %s is scheduled for a later start and has made no assignment yet; Graph lets only a signed-in user cancel a request, so cancel it in the Entra portal or apply again once it has started", h.RequestID)})
			continue
		}
		changes = append(changes, graph.Change{Kind: graph.ChangeRemove, AssignmentID: h.ID, Justification: just})
		keys = append(keys, h.key)
	}
	if len(changes) > 0 {
		r.reads.wrote(pkg)
		tflog.Info(ctx, "changing the package's assignments", map[string]any{"access_package_id": pkg, "assignment_policy_id": policy, "changes": len(changes), "concurrency": r.client.Concurrency()})
	}
	results := r.client.ApplyChanges(ctx, pkg, changes, graph.BulkOptions{Poll: r.poll, ProgressEvery: 10 * time.Second, Progress: func(p graph.BulkProgress) {
		tflog.Info(ctx, fmt.Sprintf("assignments: %d of %d sent, %d settled (%d failed), %d waiting; %d calls at once", p.Submitted, p.Total, p.Done, p.Failed, p.Waiting, p.Concurrency),
			map[string]any{"access_package_id": pkg, "sent": p.Submitted, "total": p.Total, "settled": p.Done, "failed": p.Failed, "waiting": p.Waiting})
	}})
	for i, res := range results {
		ch, key := changes[i], keys[i]
		k := strings.ToLower(key)
		prev := held[k]
		entry := heldEntry{key: key, email: prev.email || ch.Add.TargetEmail != "", ID: prev.ID, State: prev.State, RequestID: prev.RequestID, ObjectID: prev.ObjectID}
		if res.RequestID != "" {
			entry.RequestID = res.RequestID
		}
		if res.Assignment != nil && res.Assignment.ID != "" {
			entry.ID, entry.State = res.Assignment.ID, res.Assignment.State
			if res.Assignment.Target != nil && res.Assignment.Target.ObjectID != "" {
				entry.ObjectID = res.Assignment.Target.ObjectID
			}
		}
		if res.Request != nil && res.Assignment == nil && entry.ID == "" {
			entry.ID, entry.State = res.RequestID, res.Request.State // no assignment yet (scheduled)
		}
		if res.Request != nil && res.Request.State == graph.StateScheduled && res.Assignment == nil {
			entry.State = graph.StateScheduled
		}
		switch ch.Kind {
		case graph.ChangeRemove:
			if res.Err == nil {
				out.changed++
				delete(after, k)
				continue
			}
			entry.State = prev.State
		case graph.ChangeAdd:
			if res.Err == nil && entry.State == "" {
				entry.State = graph.StateDelivered
			}
			if entry.ID == "" {
				// Graph holds nothing for this target: the next plan adds it again.
				delete(after, k)
				out.fail(key, "give access to", res.Err)
				continue
			}
			out.changed++ // an object Graph created (or took over) is tracked, whatever the outcome
		case graph.ChangeUpdate:
			if res.Err != nil || entry.State == "" {
				entry.State = prev.State
			}
		case graph.ChangeRetry:
			if res.Err == nil && res.Request != nil && res.Request.State == graph.StateDelivered && (res.Assignment == nil || res.Assignment.State == "") {
				entry.State = graph.StateDelivered
			}
		}
		after[k] = entry
		if res.Err != nil {
			out.fail(key, map[graph.ChangeKind]string{graph.ChangeAdd: "give access to", graph.ChangeUpdate: "update the access of", graph.ChangeRemove: "remove the access of", graph.ChangeRetry: "retry the delivery to"}[ch.Kind], res.Err)
		}
	}
	out.tracked = len(after)
	diags.Append(record(plan, after)...)
	return out
}

func (c *convergence) fail(target, what string, err error) {
	if err == nil {
		return
	}
	c.failed++
	c.failures = append(c.failures, failure{target: target, what: what, err: err})
}

// maxListedFailures is how many failed targets get a diagnostic each; the
// rest are listed, one line each, in one more.
const maxListedFailures = 20

// report adds a diagnostic for each target that failed (errors, or
// warnings when asError is false), naming the target and Graph's error
// with its code and request id.
func (c *convergence) report(diags *diag.Diagnostics, asError bool) {
	if len(c.failures) == 0 {
		return
	}
	add := diags.AddError
	if !asError {
		add = diags.AddWarning
	}
	sort.Slice(c.failures, func(i, j int) bool { return c.failures[i].target < c.failures[j].target })
	var rest []string
	for i, f := range c.failures {
		if i >= maxListedFailures {
			rest = append(rest, fmt.Sprintf("- %s: could not %s it: %v", f.target, f.what, f.err))
			continue
		}
		detail := fmt.Sprintf("Could not %s %s.", f.what, f.target)
		if errors.Is(f.err, graph.ErrRequestEnded) {
			detail += " Graph accepted the request, and it is recorded; the next plan retries it."
		} else {
			detail += " The next plan tries again."
		}
		add(fmt.Sprintf("Access package assignment failed for %s", f.target), detail+"\n\nOriginal Error: "+f.err.Error())
	}
	if len(rest) > 0 {
		add(fmt.Sprintf("Access package assignments failed for %d more targets", len(rest)), strings.Join(rest, "\n"))
	}
	if !asError {
		diags.AddWarning("Access not given to every target",
			fmt.Sprintf("%d of the targets failed (listed above). The resource was created with what Graph holds, not failed, because Terraform would replace a failed create on the next apply, removing and re-adding everyone's access. The next plan shows the failed targets, and the next apply retries only those.", len(c.failures)))
	}
}
