package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ resource.ResourceWithConfigure      = (*accessPackageAssignmentsResource)(nil)
	_ resource.ResourceWithImportState    = (*accessPackageAssignmentsResource)(nil)
	_ resource.ResourceWithValidateConfig = (*accessPackageAssignmentsResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*accessPackageAssignmentsResource)(nil)
	_ resource.ResourceWithUpgradeState   = (*accessPackageAssignmentsResource)(nil)
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

type accessPackageAssignmentsResourceModel struct {
	ID                 types.String   `tfsdk:"id"`
	AccessPackageID    types.String   `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String   `tfsdk:"assignment_policy_id"`
	TargetObjectIDs    types.List     `tfsdk:"target_object_ids"`
	TargetEmails       types.List     `tfsdk:"target_emails"`
	Justification      types.String   `tfsdk:"justification"`
	Schedule           types.Object   `tfsdk:"schedule"`
	Answers            types.List     `tfsdk:"answers"`
	AssignmentIDs      types.Map      `tfsdk:"assignment_ids"`
	Undelivered        types.Map      `tfsdk:"undelivered"`
	InvitedObjectIDs   types.Map      `tfsdk:"invited_object_ids"`
	Ended              types.Map      `tfsdk:"ended"`
	AccessStarts       types.Map      `tfsdk:"access_start_date_times"`
	AccessEnds         types.Map      `tfsdk:"access_end_date_times"`
	Renew              types.String   `tfsdk:"renew"`
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
		// Version 1: the targets are write-only lists, recorded as the keys
		// of assignment_ids (version 0: two sets in the state).
		Version:             1,
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
			// Write-only lists, recorded in the state as the keys of
			// assignment_ids: Terraform core compares a set attribute's
			// elements pair by pair after every apply and renders a changed
			// set or list in time (and, for a list, memory) that grows with
			// the square of its length; a map it compares and renders key by
			// key. See DESIGN.md, "Rosters of thousands".
			"target_object_ids": schema.ListAttribute{
				MarkdownDescription: "The object ids of the users who hold the package under the policy, in any order (a set, `toset()` or a data source's list work as well). Write-only: the state records the targets as the keys of `assignment_ids`, and the plan shows who gains and who loses access there, person by person. A refresh records every live assignment Graph shows, so one made outside Terraform appears in the plan as a removal. An empty list (and no `target_emails`) removes everyone; leaving both out is an error. The same id twice, in any letter case, is an error; a change of letter case alone changes nothing. Needs Terraform 1.11 or OpenTofu 1.11 or later.",
				ElementType:         types.StringType,
				Optional:            true,
				WriteOnly:           true,
				Validators:          []validator.List{listvalidator.NoNullValues(), listvalidator.ValueStringsAre(guid()), distinctIgnoringCase{}},
			},
			"target_emails": schema.ListAttribute{
				MarkdownDescription: "Email addresses of people not yet in the directory; Entra invites them when the access is delivered (the policy must allow such users). Once invited, they stay under their email here (and in `assignment_ids`). Write-only, like `target_object_ids`.",
				ElementType:         types.StringType,
				Optional:            true,
				WriteOnly:           true,
				Validators:          []validator.List{listvalidator.NoNullValues(), listvalidator.ValueStringsAre(email()), distinctIgnoringCase{}},
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
				MarkdownDescription: "The resource's targets and what Graph holds for each: the assignment id of each target, keyed by object id (as in `target_object_ids`) or email (as in `target_emails`). This is where a plan shows, person by person, who gains access (a new key, known after apply) and who loses it (a key removed). While Graph has not created a target's assignment (a request scheduled for a later start), its request id; empty when Graph holds nothing for a configured target (see `undelivered`: `notAssigned`), which the next apply requests again.",
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
			"ended": schema.MapAttribute{
				MarkdownDescription: "The listed targets whose access has ended, with why: `schedule` (its end came), `entra` (Entra removed it itself: an access review's denial, a user deleted), `unknown` (Graph shows no removal) — the provider does not give these again by itself, and the plan warns of them; `terraform` (another resource of this provider removed it: the plan stops with an error); or, until the apply restores them, `admin` (removed outside Terraform) and `user` (the person gave it up). See the lifecycle table.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"access_start_date_times": schema.MapAttribute{
				MarkdownDescription: "When each target's access started (or starts), as Graph holds it; empty, after an apply, for a target Graph has no date for yet.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"access_end_date_times": schema.MapAttribute{
				MarkdownDescription: "When each target's access ends, as Graph holds it (the end date, or the start plus an `afterDuration` expiration's duration), or, once ended, when it ended. Targets whose access does not end are left out, or, after an apply that requested their access, empty.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"renew": schema.StringAttribute{
				MarkdownDescription: "Change it (to any new value, a date say) to give the access again to every listed target whose access ended by its schedule or by Entra's decision: each gets a new `adminAdd`, and the plan lists them. A changed `schedule` renews the access that ended by its schedule. While everyone's access lasts, a change does nothing.",
				Optional:            true,
			},
			"timeouts": resourceTimeouts(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func (r *accessPackageAssignmentsResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{0: {StateUpgrader: upgradeTargetSets}}
}

// upgradeTargetSets moves a state of schema version 0, whose targets were
// two sets, to version 1, where they are write-only (null in the state):
// every version-0 state already records what Graph holds for each target in
// assignment_ids, whose keys now say who the targets are. A target Graph
// held nothing for (notAssigned) was in the sets only; it leaves the state,
// and the next plan adds it again, as a version-0 refresh would have. It
// reads nothing from Graph and changes nothing else, so no resource is
// replaced and the next plan is empty when nothing else changed.
func upgradeTargetSets(_ context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
	if req.RawState == nil || req.RawState.JSON == nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", "The state of entitlement_access_package_assignments at schema version 0 has no JSON form.")
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(req.RawState.JSON, &raw); err != nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", "The state of entitlement_access_package_assignments at schema version 0 is not a JSON object: "+err.Error())
		return
	}
	raw["target_object_ids"] = json.RawMessage("null")
	raw["target_emails"] = json.RawMessage("null")
	b, err := json.Marshal(raw)
	if err != nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", err.Error())
		return
	}
	resp.DynamicValue = &tfprotov6.DynamicValue{JSON: b}
}

// distinctIgnoringCase refuses a list with one id or address twice, in any
// letter case.
type distinctIgnoringCase struct{}

func (distinctIgnoringCase) Description(context.Context) string {
	return "no id or address twice, in any letter case"
}
func (v distinctIgnoringCase) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (distinctIgnoringCase) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	seen := map[string]string{}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() {
			continue
		}
		k := strings.ToLower(s.ValueString())
		if prev, dup := seen[k]; dup {
			detail := fmt.Sprintf("%q is listed twice. List it once.", prev)
			if prev != s.ValueString() {
				detail = fmt.Sprintf("%q and %q name the same target (Graph compares ids and addresses without regard to case). List it once.", prev, s.ValueString())
			}
			resp.Diagnostics.AddAttributeError(req.Path, "Same target twice", detail)
			return
		}
		seen[k] = s.ValueString()
	}
}

func (r *accessPackageAssignmentsResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateSchedule(ctx, req.Config, &resp.Diagnostics)
}

// configTargets copies the write-only targets from the configuration into
// m (they are null in every plan and state).
func configTargets(ctx context.Context, cfg tfsdk.Config, m *accessPackageAssignmentsResourceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	diags.Append(cfg.GetAttribute(ctx, path.Root("target_object_ids"), &m.TargetObjectIDs)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("target_emails"), &m.TargetEmails)...)
	return diags
}

// samePlannedTargets refuses an apply whose configured targets are not the
// ones its plan showed in assignment_ids (a write-only value is read again
// from the configuration at apply): nothing is sent.
func samePlannedTargets(plan accessPackageAssignmentsResourceModel, targets []target, diags *diag.Diagnostics) {
	if plan.AssignmentIDs.IsNull() || plan.AssignmentIDs.IsUnknown() {
		return // the plan could not know them
	}
	planned := map[string]bool{}
	for k := range plan.AssignmentIDs.Elements() {
		planned[strings.ToLower(k)] = true
	}
	listed := keysOf(targets)
	var diff []string
	for k := range listed {
		if !planned[k] {
			diff = append(diff, "+ "+k)
		}
	}
	for k := range planned {
		if !listed[k] {
			diff = append(diff, "- "+k)
		}
	}
	if len(diff) > 0 {
		diags.AddError("Targets changed since the plan",
			fmt.Sprintf("The targets in the configuration are not the ones the plan showed in assignment_ids (they are write-only, so the apply reads them from the configuration again):\n\n%s\n\nNothing was sent. Plan again.", bulletList(diff)))
	}
}

// withoutTargets is m as the state records it: the write-only targets null.
// The framework nulls them itself only when the call returns no error, and
// a state that holds them is refused by the CLI ("returned a value for the
// write-only attribute"), which then forgets the resource.
func (m accessPackageAssignmentsResourceModel) withoutTargets() *accessPackageAssignmentsResourceModel {
	m.TargetObjectIDs = types.ListNull(types.StringType)
	m.TargetEmails = types.ListNull(types.StringType)
	return &m
}

// targetsOf reads the two lists; ok is false while either is unknown.
func targetsOf(m accessPackageAssignmentsResourceModel) ([]target, bool) {
	if m.TargetObjectIDs.IsUnknown() || m.TargetEmails.IsUnknown() {
		return nil, false
	}
	var out []target
	for _, set := range []struct {
		v     types.List
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
func heldOf(ctx context.Context, m accessPackageAssignmentsResourceModel) (map[string]holding, diag.Diagnostics) {
	out := map[string]holding{}
	var diags diag.Diagnostics
	read := func(v types.Map) map[string]string {
		raw := map[string]string{}
		if !v.IsNull() && !v.IsUnknown() {
			diags.Append(v.ElementsAs(ctx, &raw, false)...)
		}
		return raw
	}
	ids, undelivered, invited := read(m.AssignmentIDs), read(m.Undelivered), read(m.InvitedObjectIDs)
	ended, starts, ends := read(m.Ended), read(m.AccessStarts), read(m.AccessEnds)
	for k, id := range ids {
		h := holding{Key: k, AssignmentID: id, State: graph.StateDelivered, ObjectID: invited[k], Start: starts[k], End: ends[k]}
		if st, ok := undelivered[k]; ok {
			h.State = st
		}
		if by, ok := ended[k]; ok {
			h.State, h.EndedBy = graph.StateExpired, by
		}
		if h.State == graph.StateScheduled {
			// No assignment yet: the state records the request's id.
			h.AssignmentID, h.RequestID = "", id
		}
		if id == "" {
			continue // Graph held nothing for it (undelivered: notAssigned)
		}
		h.Email = strings.Contains(k, "@") // an object id is a GUID
		out[strings.ToLower(k)] = h
	}
	return out, diags
}

// endedDrift reads, from the state's ended map, the targets whose access
// was removed outside Terraform (the refresh dropped them from the sets and
// the maps, so that the plan adds them back), keyed by lower-cased target.
func endedDrift(ctx context.Context, m accessPackageAssignmentsResourceModel) map[string]string {
	out := map[string]string{}
	if m.Ended.IsNull() || m.Ended.IsUnknown() {
		return out
	}
	raw := map[string]string{}
	_ = m.Ended.ElementsAs(ctx, &raw, false) // a map of strings: cannot fail
	for k, by := range raw {
		if (ending{By: by}).drift() {
			out[strings.ToLower(k)] = by
		}
	}
	return out
}

// ModifyPlan runs the plan-time checks the single assignment resource runs,
// and plans the assignments map person by person: kept targets keep their
// entry, removed ones leave it, new ones and those whose delivery failed (to
// be retried) are known after apply — and, on a schedule or answers change,
// every kept one. Before anything is removed it makes sure that no other
// resource manages the people this apply would take the access of, and it
// says whose access goes when the plan cannot show it (a new resource, or
// targets known only at apply).
func (r *accessPackageAssignmentsResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan, prior accessPackageAssignmentsResourceModel
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	}
	if req.Plan.Raw.IsNull() {
		// Destroy: everyone the state holds goes.
		if !creating && r.configured() {
			held, d := heldOf(ctx, prior)
			resp.Diagnostics.Append(d...)
			r.checkManagers(ctx, prior, held, nil, r.rosterOf(ctx, req.Private, &resp.Diagnostics), &resp.Diagnostics)
		}
		return
	}
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(configTargets(ctx, req.Config, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.TargetObjectIDs.IsNull() && plan.TargetEmails.IsNull() {
		noTargets(ctx, prior, &resp.Diagnostics)
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
	unknownMaps := func(names ...string) {
		for _, name := range names {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), types.MapUnknown(types.StringType))...)
		}
	}
	if creating {
		// Nothing is known of the targets' assignments before the create,
		// but who they are: the plan lists them, person by person.
		unknownMaps("undelivered", "invited_object_ids")
		if known {
			ids := make(map[string]attr.Value, len(targets))
			for _, t := range targets {
				ids[t.key] = types.StringUnknown()
			}
			m, d := types.MapValue(types.StringType, ids)
			resp.Diagnostics.Append(d...)
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("assignment_ids"), m)...)
		} else {
			unknownMaps("assignment_ids")
		}
		if r.configured() && !plan.AccessPackageID.IsUnknown() && !plan.AssignmentPolicyID.IsUnknown() {
			r.planCreate(ctx, plan, targets, known, &resp.Diagnostics)
		}
		if r.configured() && known {
			checkSeparation(ctx, r.providerData, plan.AccessPackageID, objectIDs(targets, nil), &resp.Diagnostics)
		}
		return
	}
	held, d := heldOf(ctx, prior)
	resp.Diagnostics.Append(d...)
	computed := []string{"undelivered", "invited_object_ids", "ended", "access_start_date_times", "access_end_date_times"}
	if !known {
		warnUnknownTargets(plan, held, &resp.Diagnostics)
		unknownMaps(append(computed, "assignment_ids")...)
		return
	}
	samePersonTwice(targets, prior.invited(ctx), nil, &resp.Diagnostics)
	drift := endedDrift(ctx, prior)
	renewing := renewals(held, plan, prior)
	var stale map[string]bool
	if r.configured() {
		var err error
		if stale, err = r.stale(ctx, plan.AccessPackageID.ValueString(), held); err != nil {
			resp.Diagnostics.AddWarning("Could not read the failed deliveries' requests",
				fmt.Sprintf("The plan could not tell whether Graph can still reprocess the failed deliveries; the apply reads them again.\n\n%s", explain(err)))
		}
	}
	var staleFailures []string
	ids := make(map[string]attr.Value, len(targets))
	work := changed
	var kept, renewed, restored, conflicts []string
	adding := false
	added := map[string]bool{}   // targets the apply assigns
	touched := map[string]bool{} // keys of the targets the apply sends a request for
	for _, t := range targets {
		k := strings.ToLower(t.key)
		h, ok := held[k]
		key := t.key
		if ok {
			key = h.Key // a change of letter case alone changes nothing
		}
		switch {
		case ok && h.ended() && h.EndedBy == endedByTerraform:
			conflicts = append(conflicts, t.key)
			ids[key] = types.StringValue(h.stateID())
		case ok && h.ended() && renewing[k]:
			ids[key] = types.StringUnknown()
			work, adding = true, true
			added[k] = true
			renewed = append(renewed, fmt.Sprintf("%s (ended by %s on %s)", t.key, h.EndedBy, h.End))
		case ok && h.ended():
			ids[key] = types.StringValue(h.stateID())
			kept = append(kept, fmt.Sprintf("%s: ended by %s on %s", t.key, h.EndedBy, h.End))
		case !ok:
			ids[key] = types.StringUnknown()
			work, adding = true, true
			added[k] = true
			if d, ok := drift[k]; ok {
				restored = append(restored, fmt.Sprintf("%s (removed by %s)", t.key, map[string]string{endedByAdmin: "a person or tool outside Terraform", endedByUser: "the person themselves"}[d]))
			}
		case failedDelivery(h.State) && stale[k]:
			ids[key] = types.StringValue(h.stateID())
			staleFailures = append(staleFailures, fmt.Sprintf("%s (%s)", t.key, h.State))
		case failedDelivery(h.State):
			// Retried in place: the assignment keeps its id.
			ids[key] = types.StringValue(h.stateID())
			work = true
			touched[key] = true
		default:
			ids[key] = types.StringValue(h.stateID())
		}
	}
	for key, v := range ids {
		if v.IsUnknown() {
			touched[key] = true
		}
	}
	if len(staleFailures) > 0 {
		resp.Diagnostics.AddWarning("Failed deliveries can no longer be retried",
			fmt.Sprintf("Graph can no longer reprocess the failed delivery of %d target(s) (it reprocesses a request within 14 days of its completion), so this plan changes nothing for them:\n\n%s\n\nTo request their access again, leave them out of the targets for one apply (which removes the failed assignment, and whatever access was delivered) and list them again.",
				len(staleFailures), bulletList(staleFailures)))
	}
	var gone []string
	listed := keysOf(targets)
	for k, h := range held {
		if !listed[k] {
			gone = append(gone, h.Key)
		}
	}
	if len(gone) > 0 && r.configured() {
		r.checkManagers(ctx, plan, held, listed, r.rosterOf(ctx, req.Private, &resp.Diagnostics), &resp.Diagnostics)
	}
	planEndings(plan, kept, renewed, restored, conflicts, &resp.Diagnostics)
	if len(added) > 0 && r.configured() {
		checkSeparation(ctx, r.providerData, plan.AccessPackageID, objectIDs(targets, added), &resp.Diagnostics)
	}
	if adding && !changed && r.configured() {
		// New assignments are requested: the schedule and answers they carry
		// are checked as for a new resource (an end that has passed, say).
		checkAssignmentPlan(ctx, r.providerData, plan.AccessPackageID, plan.AssignmentPolicyID, plan.Schedule, plan.Answers, true, &resp.Diagnostics)
	}
	m, d := types.MapValue(types.StringType, ids)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("assignment_ids"), m)...)
	switch {
	case (work || len(gone) > 0) && changed:
		unknownMaps(computed...)
	case work || len(gone) > 0:
		// Only the targets this apply sends a request for get new dates;
		// the others keep theirs. So a plan that adds one target to
		// thousands shows that one, not every date as known after apply.
		unknownMaps("undelivered", "invited_object_ids", "ended")
		for _, f := range []struct {
			name string
			v    types.Map
		}{{"access_start_date_times", prior.AccessStarts}, {"access_end_date_times", prior.AccessEnds}} {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(f.name), plannedDates(f.v, ids, touched))...)
		}
	default:
		for _, f := range []struct {
			name string
			v    types.Map
		}{{"undelivered", prior.Undelivered}, {"invited_object_ids", prior.InvitedObjectIDs}, {"ended", prior.Ended},
			{"access_start_date_times", prior.AccessStarts}, {"access_end_date_times", prior.AccessEnds}} {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(f.name), f.v)...)
		}
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		tflog.Info(ctx, "the plan removes access", map[string]any{"targets": gone})
	}
}

// noTargets refuses a configuration that sets neither target list. The
// resource removes everyone it does not list, so "remove everyone" must be
// said (an empty list); leaving both out is what terraform plan
// -generate-config-out writes for an imported resource, whose write-only
// targets are not in the state it reads. The error gives the lines that
// keep everyone who holds the access now (from the state, when there is
// one: after an import, everyone the package's listing showed).
func noTargets(ctx context.Context, prior accessPackageAssignmentsResourceModel, diags *diag.Diagnostics) {
	held, _ := heldOf(ctx, prior)
	var ids, mails []string
	for _, h := range held {
		if h.ended() {
			continue
		}
		if h.Email {
			mails = append(mails, h.Key)
		} else {
			ids = append(ids, h.Key)
		}
	}
	quote := func(xs []string) string {
		sort.Strings(xs)
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = strconv.Quote(x)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	keep := "  target_object_ids = " + quote(ids)
	if len(mails) > 0 {
		keep += "\n  target_emails     = " + quote(mails)
	}
	detail := "Neither target_object_ids nor target_emails is set. The resource removes everyone it does not list, so the list must be said: to remove everyone, set target_object_ids = []."
	if len(held) > 0 {
		detail += fmt.Sprintf("\n\nTo keep everyone who holds the access now (%d), add:\n\n%s\n\nthen remove anyone who should lose it. (A configuration written by terraform plan -generate-config-out after an import sets neither list: Terraform cannot write write-only attributes.)", len(ids)+len(mails), keep)
	}
	diags.AddAttributeError(path.Root("target_object_ids"), "No targets", detail)
}

// plannedDates plans a map of dates: unknown for the targets the apply
// sends a request for (touched), the prior date for the others it keeps
// (ids' keys), nothing for those it removes. The apply records an empty
// date for a touched target that has none (recordApplied), so the keys
// it planned are the keys it returns.
func plannedDates(prior types.Map, ids map[string]attr.Value, touched map[string]bool) types.Map {
	if prior.IsNull() || prior.IsUnknown() {
		return types.MapUnknown(types.StringType)
	}
	old := prior.Elements()
	out := make(map[string]attr.Value, len(ids))
	for key := range ids {
		switch v, ok := old[key]; {
		case touched[key]:
			out[key] = types.StringUnknown()
		case ok:
			out[key] = v
		}
	}
	return types.MapValueMust(types.StringType, out)
}

// renewals is the ended targets a plan renews: those whose access ended
// by its schedule when the schedule changes, and every one the provider
// keeps as ended (schedule, Entra, unknown) when renew changes.
func renewals(held map[string]holding, plan, prior accessPackageAssignmentsResourceModel) map[string]bool {
	renew := !plan.Renew.Equal(prior.Renew)
	schedule := !plan.Schedule.Equal(prior.Schedule)
	out := map[string]bool{}
	for k, h := range held {
		if !h.ended() {
			continue
		}
		e := ending{By: h.EndedBy}
		if (renew && e.decided()) || (schedule && e.By == endedBySchedule) {
			out[k] = true
		}
	}
	return out
}

// planEndings says, in the plan, what happens to the targets whose access
// ended: kept as ended (a warning for each, with what to do), renewed,
// restored (a removal outside Terraform), or — removed by another resource
// of this provider — an error.
func planEndings(m accessPackageAssignmentsResourceModel, kept, renewed, restored, conflicts []string, diags *diag.Diagnostics) {
	pkg := m.AccessPackageID.ValueString()
	if len(conflicts) > 0 {
		diags.AddError("Another resource manages this access",
			fmt.Sprintf("Another Terraform resource removed the access of %d listed target(s) of access package %s (their adminRemove requests carry its marker):\n\n%s\n\nTwo resources that manage the same package and policy remove each other's people on alternate applies: manage them with one resource only (see the guide Managing who holds a package). Remove them from this resource's targets, or from the other resource and then change renew here.",
				len(conflicts), pkg, bulletList(conflicts)))
	}
	if len(kept) > 0 {
		diags.AddWarning("Access ended for listed targets",
			fmt.Sprintf("The access of %d listed target(s) to access package %s has ended by its schedule or by Entra's decision (an access review, a user deleted), and the provider does not give it again by itself, so this plan changes nothing for them:\n\n%s\n\nTo give it again, change renew (or, for access that ended by its schedule, the schedule) and apply; to stop listing someone, remove them from the targets (no request is sent).",
				len(kept), pkg, bulletList(kept)))
	}
	if len(renewed) > 0 {
		diags.AddWarning("Access renewed for listed targets",
			fmt.Sprintf("This apply renews the access to access package %s of %d target(s) whose access had ended (a new adminAdd each):\n\n%s", pkg, len(renewed), bulletList(renewed)))
	}
	if len(restored) > 0 {
		diags.AddWarning("Access of listed targets removed outside Terraform is restored",
			fmt.Sprintf("The access to access package %s of %d listed target(s) was removed outside Terraform; the configuration still lists them, so this apply gives it back (a new adminAdd each):\n\n%s\n\nTo let a removal stand, remove the person from the targets.", pkg, len(restored), bulletList(restored)))
	}
}

// planCreate makes plain, in the plan of a new resource (which has no prior
// state to show a diff against), whose access the create will take away —
// the live assignments under the policy that the configuration does not
// list, or, while the targets are known only at apply, everyone who holds
// it — and stops the plan when another resource manages any of them, or
// when one person is listed twice. One listing of the package, read only.
func (r *accessPackageAssignmentsResource) planCreate(ctx context.Context, plan accessPackageAssignmentsResourceModel, targets []target, known bool, diags *diag.Diagnostics) {
	held, _, err := r.observe(ctx, plan, nil, manager{})
	if err != nil {
		tflog.Warn(ctx, "could not list the package's assignments at plan time", map[string]any{"error": err.Error()})
		diags.AddWarning("Could not list who holds the package",
			fmt.Sprintf("The plan could not list the assignments of access package %s under policy %s, so it cannot say whose access the create removes. The create lists them again before it changes anything.\n\n%s",
				plan.AccessPackageID.ValueString(), plan.AssignmentPolicyID.ValueString(), explain(err)))
		return
	}
	if !known {
		warnUnknownTargets(plan, held, diags)
		return
	}
	samePersonTwice(targets, nil, held, diags)
	listed := keysOf(targets)
	r.checkManagers(ctx, plan, held, listed, roster{}, diags)
	var gone, kept []string
	for k, h := range held {
		if listed[k] {
			kept = append(kept, h.Key)
		} else {
			gone = append(gone, h.Key)
		}
	}
	if len(gone) == 0 {
		return
	}
	diags.AddWarning("This apply removes access",
		fmt.Sprintf("Access package %s already has %d live assignment(s) under policy %s that the configuration does not list; creating this resource removes them (adminRemove):\n\n%s\n\n%d listed target(s) already hold the access and are kept without a new request. Add anyone who should keep it to target_object_ids or target_emails.",
			plan.AccessPackageID.ValueString(), len(gone), plan.AssignmentPolicyID.ValueString(), bulletList(gone), len(kept)))
}

// warnUnknownTargets says, when the targets are known only at apply, that
// the apply removes anyone they do not list, and who holds the access now.
func warnUnknownTargets(m accessPackageAssignmentsResourceModel, held map[string]holding, diags *diag.Diagnostics) {
	if len(held) == 0 {
		return
	}
	var who []string
	for _, h := range held {
		if !h.ended() {
			who = append(who, h.Key)
		}
	}
	if len(who) == 0 {
		return
	}
	diags.AddWarning("This apply may remove access",
		fmt.Sprintf("The targets are known only when the apply runs, so this plan cannot show whose access goes: the apply removes (adminRemove) anyone who holds access package %s under policy %s and is not among them. Who holds it now (%d):\n\n%s",
			m.AccessPackageID.ValueString(), m.AssignmentPolicyID.ValueString(), len(who), bulletList(who)))
}

// bulletList is a sorted list, one "- " line each, the first
// maxListedFailures of them and a count of the rest.
func bulletList(items []string) string {
	sort.Strings(items)
	list := items
	if len(list) > maxListedFailures {
		list = append(append([]string{}, list[:maxListedFailures]...), fmt.Sprintf("and %d more", len(items)-maxListedFailures))
	}
	return "- " + strings.Join(list, "\n- ")
}

// samePersonTwice refuses a configuration that lists one person both by
// email and by object id: Graph holds one assignment for them, so one of
// the two would show as a change on every plan. What tells is the user
// Entra invited for the email (from the state, invited; or, for a new
// resource, from the listing, held).
func samePersonTwice(targets []target, invited map[string]string, held map[string]holding, diags *diag.Diagnostics) {
	ids := map[string]string{}
	for _, t := range targets {
		if !t.email {
			ids[strings.ToLower(t.key)] = t.key
		}
	}
	for _, t := range targets {
		if !t.email {
			continue
		}
		oid := invited[strings.ToLower(t.key)]
		if h, ok := held[strings.ToLower(t.key)]; ok && oid == "" {
			oid = h.ObjectID
		}
		if id, dup := ids[strings.ToLower(oid)]; oid != "" && dup {
			diags.AddAttributeError(path.Root("target_emails"), "Same person twice",
				fmt.Sprintf("%q in target_emails is the user %s, who is also in target_object_ids (Entra invited the address as that user). Graph holds one assignment for them: list them once, by object id.", t.key, id))
		}
	}
}

// checkManagers stops with an error before the apply removes the access
// of anyone another resource manages: among the held assignments that the
// configuration does not list (listed; nil: none, as for a destroy), those
// the roster does not list either — they appeared outside this resource —
// whose request carries another manager's marker.
func (r *accessPackageAssignmentsResource) checkManagers(ctx context.Context, m accessPackageAssignmentsResourceModel, held map[string]holding, listed map[string]bool, ros roster, diags *diag.Diagnostics) {
	var unlisted []holding
	for k, h := range held {
		if !listed[k] && !ros.has(h.Key) && h.AssignmentID != "" && !h.ended() {
			unlisted = append(unlisted, h)
		}
	}
	if len(unlisted) == 0 || !r.cloud.HasJustification {
		return
	}
	others, err := r.otherManagers(ctx, m.AccessPackageID.ValueString(), unlisted, ros.self())
	if err != nil {
		addGraphError(diags, "Could not check who manages the access to remove",
			fmt.Sprintf("Before removing assignments of access package %s that this resource did not give, the provider reads which requests gave them, to make sure no other resource manages them; that listing failed.", m.AccessPackageID.ValueString()), err)
		return
	}
	if len(others) == 0 {
		return
	}
	var lines []string
	for key, mgr := range others {
		lines = append(lines, fmt.Sprintf("%s: given by %s", key, mgr))
	}
	diags.AddError("Another resource manages this access",
		fmt.Sprintf("This apply would remove the access of %d target(s) of access package %s under policy %s that another Terraform resource gave, in this configuration or another state:\n\n%s\n\nTwo resources that manage the same package and policy remove each other's people on alternate applies. Manage each package and policy with one entitlement_access_package_assignments resource, or with entitlement_access_package_assignment resources, not both: add these people to this resource's targets, or remove the other resource (see the guide Managing who holds a package). If the other resource no longer exists (it was forgotten with a removed block or terraform state rm), list these people in this resource's targets for one apply, which makes them its own, then remove them.",
			len(others), m.AccessPackageID.ValueString(), m.AssignmentPolicyID.ValueString(), bulletList(lines)))
}

// otherManagers finds, for each assignment, the manager that the marker of
// its latest delivered adminAdd or adminUpdate request names, when that is
// not self: one listing of the package's delivered requests.
func (r *accessPackageAssignmentsResource) otherManagers(ctx context.Context, pkg string, hs []holding, self manager) (map[string]manager, error) {
	reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AccessPackageID: pkg, State: graph.StateDelivered})
	if err != nil {
		return nil, err
	}
	latest := map[string]*graph.Request{}
	for _, q := range reqs {
		if q.Assignment == nil || (q.Type != "adminAdd" && q.Type != "adminUpdate") {
			continue
		}
		k := strings.ToLower(q.Assignment.ID)
		if p := latest[k]; p == nil || (q.Created != nil && (p.Created == nil || q.Created.After(*p.Created))) {
			latest[k] = q
		}
	}
	out := map[string]manager{}
	for _, h := range hs {
		q := latest[strings.ToLower(h.AssignmentID)]
		if q == nil {
			continue
		}
		if mgr, ok := managerOf(q.Justification); ok && mgr != self {
			out[h.Key] = mgr
		}
	}
	return out, nil
}

// rosterOf reads the resource's roster from its private state.
func (r *accessPackageAssignmentsResource) rosterOf(ctx context.Context, private interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}, diags *diag.Diagnostics) roster {
	if private == nil {
		return decodeRoster(nil)
	}
	raw, d := private.GetKey(ctx, rosterKey)
	diags.Append(d...)
	return decodeRoster(raw)
}

// Create makes Graph hold exactly the configured targets, keeping those who
// already hold the access. Whatever it could not finish — a target Graph
// refused, an interruption, a timeout, a lost answer — it saves in a state
// that Terraform accepts as the plan's (the configured targets, with what
// Graph holds in the computed maps) and reports as warnings, never errors:
// Terraform taints a create that returns an error, or whose state differs
// from the plan, and the next apply would replace it — remove everyone, then
// add everyone. The next plan retries exactly what failed.
func (r *accessPackageAssignmentsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan accessPackageAssignmentsResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	plan.ID = types.StringValue(plan.AccessPackageID.ValueString() + "/" + plan.AssignmentPolicyID.ValueString())
	resp.Diagnostics.Append(configTargets(ctx, req.Config, &plan)...)
	targets, _ := targetsOf(plan)
	samePlannedTargets(plan, targets, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ros := roster{Manager: newManagerID()}

	// What the package already has under the policy: kept, or removed —
	// unless another resource manages it. Nothing is sent before these
	// checks pass, so a failed check leaves nothing to track.
	held, _, err := r.observe(ctx, plan, nil, ros.self())
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error creating access package assignments",
			fmt.Sprintf("Could not list the assignments of access package %s under policy %s.", plan.AccessPackageID.ValueString(), plan.AssignmentPolicyID.ValueString()), err)
		return
	}
	samePersonTwice(targets, nil, held, &resp.Diagnostics)
	r.checkManagers(ctx, plan, held, keysOf(targets), ros, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	out := r.converge(ctx, plan, held, convergeOptions{mgr: ros.self()}, &resp.Diagnostics)
	if out == nil {
		return
	}
	if len(out.Failures) > 0 && !out.Touched && len(out.After) == 0 {
		// Graph refused everything and holds nothing: there is nothing to
		// track, and an error saves no state (so nothing is tainted).
		reportFailures(out.Failures, &resp.Diagnostics, true)
		return
	}
	reportFailures(out.Failures, &resp.Diagnostics, false)
	resp.Diagnostics.Append(recordApplied(&plan, out.After)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan.withoutTargets())...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, rosterKey, ros.with(keysList(targets)).encode())...)
}

func (r *accessPackageAssignmentsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m accessPackageAssignmentsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	prior, d := heldOf(ctx, m)
	resp.Diagnostics.Append(d...)
	ros := r.rosterOf(ctx, req.Private, &resp.Diagnostics)
	held, drift, err := r.observe(ctx, m, prior, ros.self())
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error reading access package assignments",
			fmt.Sprintf("Could not list the assignments of access package %s under policy %s.", m.AccessPackageID.ValueString(), m.AssignmentPolicyID.ValueString()), err)
		return
	}
	resp.Diagnostics.Append(record(&m, held, drift)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, m.withoutTargets())...)
	if ros.ClaimAll || ros.Manager == "" {
		// After an import the resource claims everyone who holds the access
		// now; a state written before rosters existed gets its marker id.
		if ros.Manager == "" {
			ros.Manager = newManagerID()
		}
		if ros.ClaimAll {
			var keys []string
			for _, h := range held {
				keys = append(keys, h.Key)
			}
			ros = ros.with(keys)
		}
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, rosterKey, ros.encode())...)
	}
}

func (r *accessPackageAssignmentsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior accessPackageAssignmentsResourceModel
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
	ros := r.rosterOf(ctx, req.Private, &resp.Diagnostics)
	if ros.Manager == "" {
		ros.Manager = newManagerID()
	}
	resp.Diagnostics.Append(configTargets(ctx, req.Config, &plan)...)
	targets, _ := targetsOf(plan)
	samePlannedTargets(plan, targets, &resp.Diagnostics)
	// What Graph holds is the state the plan was made from, refreshed.
	held, d := heldOf(ctx, prior)
	resp.Diagnostics.Append(d...)
	// The plan checked who manages what it removes; a saved plan may be
	// applied much later, so look again before anything is sent.
	r.checkManagers(ctx, plan, held, keysOf(targets), ros, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	changed := !plan.Schedule.Equal(prior.Schedule) || !plan.Answers.Equal(prior.Answers)
	stale, err := r.stale(ctx, plan.AccessPackageID.ValueString(), held)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error updating access package assignments", "Could not read the requests of the failed deliveries, to tell whether Graph can still reprocess them.", err)
		return
	}
	out := r.converge(ctx, plan, held, convergeOptions{refresh: changed, renew: renewals(held, plan, prior), noRetry: stale, mgr: ros.self()}, &resp.Diagnostics)
	if out == nil {
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, rosterKey, ros.with(keysList(targets)).encode())...)
	if len(out.Failures) > 0 {
		// Terraform does not taint an update that fails, and takes the
		// state it returns: record what Graph holds, targets included, so
		// the next plan shows what is left to do. The schedule or answers
		// did not reach every target: keep the old ones recorded, so the
		// next plan sends them again.
		if changed {
			plan.Schedule, plan.Answers = prior.Schedule, prior.Answers
		}
		resp.Diagnostics.Append(record(&plan, out.After, nil)...)
	} else {
		resp.Diagnostics.Append(recordApplied(&plan, out.After)...)
	}
	reportFailures(out.Failures, &resp.Diagnostics, true)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan.withoutTargets())...)
}

func (r *accessPackageAssignmentsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m accessPackageAssignmentsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Delete(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ros := r.rosterOf(ctx, req.Private, &resp.Diagnostics)
	held, d := heldOf(ctx, m)
	resp.Diagnostics.Append(d...)
	r.checkManagers(ctx, m, held, nil, ros, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	none := m
	none.TargetObjectIDs = types.ListValueMust(types.StringType, nil)
	none.TargetEmails = types.ListNull(types.StringType)
	out := r.converge(ctx, none, held, convergeOptions{mgr: ros.self()}, &resp.Diagnostics)
	if out == nil {
		return
	}
	if len(out.Failures) > 0 {
		// Keep what is still held in the state, so nothing is left untracked.
		resp.Diagnostics.Append(record(&m, out.After, nil)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, m.withoutTargets())...)
	}
	reportFailures(out.Failures, &resp.Diagnostics, true)
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
	// Whoever imports the package declares its holders theirs: the refresh
	// that follows the import records them in the roster.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, rosterKey, roster{Manager: newManagerID(), ClaimAll: true}.encode())...)
}

// keysList is the targets' keys.
func keysList(ts []target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.key
	}
	return out
}

// invited is the state's invited_object_ids, keyed by lower-cased email.
func (m accessPackageAssignmentsResourceModel) invited(ctx context.Context) map[string]string {
	out := map[string]string{}
	if m.InvitedObjectIDs.IsNull() || m.InvitedObjectIDs.IsUnknown() {
		return out
	}
	raw := map[string]string{}
	_ = m.InvitedObjectIDs.ElementsAs(ctx, &raw, false) // a map of strings: cannot fail
	for k, v := range raw {
		out[strings.ToLower(k)] = v
	}
	return out
}

// observe reads what Graph holds in the package under the policy: one
// paged listing of its assignments (never one call per target), and, only
// when the state records requests scheduled for a later start, one listing
// of the package's scheduled requests. Entries are keyed like prior (the
// configuration's spelling), email targets by email.
func (r *accessPackageAssignmentsResource) observe(ctx context.Context, m accessPackageAssignmentsResourceModel, prior map[string]holding, self manager) (map[string]holding, map[string]driftEntry, error) {
	pkg, policy := m.AccessPackageID.ValueString(), m.AssignmentPolicyID.ValueString()
	list, err := r.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: pkg, PolicyID: policy})
	if err != nil {
		return nil, nil, err
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
		spellings[k] = h.Key
		if h.Email {
			emails[k] = h.Key // the state's email targets (write-only in the configuration)
		}
	}
	spelling := func(k string) string {
		if s, ok := spellings[strings.ToLower(k)]; ok {
			return s
		}
		return k
	}
	held := map[string]holding{}
	byID := map[string]*graph.Assignment{}
	for _, a := range list {
		byID[strings.ToLower(a.ID)] = a
		if !a.Live() || a.Target == nil {
			continue
		}
		h := holding{AssignmentID: a.ID, State: a.State, ObjectID: a.Target.ObjectID}
		h.Start, h.End = timeString(a.Schedule, false), timeString(a.Schedule, true)
		switch mail, ok := emails[strings.ToLower(a.Target.Email)]; {
		case ok && a.Target.Email != "":
			h.Key, h.Email = mail, true
		case a.Target.ObjectID != "":
			h.Key = spelling(a.Target.ObjectID)
		case a.Target.Email != "":
			h.Key, h.Email = a.Target.Email, true
		default:
			continue
		}
		held[strings.ToLower(h.Key)] = h
	}
	// Requests scheduled for a later start have no assignment yet.
	var scheduled []holding
	for _, h := range prior {
		if h.State == graph.StateScheduled {
			if _, has := held[strings.ToLower(h.Key)]; !has {
				scheduled = append(scheduled, h)
			}
		}
	}
	if len(scheduled) > 0 {
		reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AccessPackageID: pkg, State: graph.StateScheduled})
		if err != nil {
			return nil, nil, err
		}
		open := map[string]bool{}
		for _, q := range reqs {
			open[strings.ToLower(q.ID)] = true
		}
		for _, h := range scheduled {
			if open[strings.ToLower(h.RequestID)] {
				h.Email = emails[strings.ToLower(h.Key)] != ""
				held[strings.ToLower(h.Key)] = h
			}
		}
	}
	drift, err := r.endings(ctx, pkg, prior, held, byID, self)
	return held, drift, err
}

// endings records, for each assignment the state knew (prior) that has
// ended since, why: kept in held as ended when its schedule or Entra's
// decision ended it (or another resource of this provider removed it: the
// plan stops on that), and left out of held, with the reason in the drift
// it returns (keyed by lower-cased target), when a person removed it
// outside Terraform (the plan adds it back). An ending the state already explains is not read again; the
// others cost one listing of the package's requests since shortly before
// the first of them ended.
func (r *accessPackageAssignmentsResource) endings(ctx context.Context, pkg string, prior, held map[string]holding, byID map[string]*graph.Assignment, self manager) (map[string]driftEntry, error) {
	drift := map[string]driftEntry{}
	var fresh []holding
	for k, h := range prior {
		if _, live := held[k]; live {
			continue
		}
		a := byID[strings.ToLower(h.AssignmentID)]
		if a == nil || a.Live() || a.Expired == nil {
			continue // not an assignment the state knew ended: gone, or never made
		}
		h.State, h.End, h.Start = graph.StateExpired, a.Expired.UTC().Format(time.RFC3339), timeString(a.Schedule, false)
		if h.EndedBy != "" && prior[k].ended() && prior[k].End == h.End {
			held[k] = h // explained already
			continue
		}
		fresh = append(fresh, h)
	}
	if len(fresh) == 0 {
		return drift, nil
	}
	since := time.Now()
	for _, h := range fresh {
		if a := byID[strings.ToLower(h.AssignmentID)]; a.Expired.Before(since) {
			since = *a.Expired
		}
	}
	since = since.Add(-removalWindow)
	reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AccessPackageID: pkg, CreatedAfter: &since})
	if err != nil {
		return nil, fmt.Errorf("some assignments have ended, and the package's requests, which say why, could not be listed: %w", err)
	}
	for _, h := range fresh {
		e := classifyEnding(byID[strings.ToLower(h.AssignmentID)], reqs, self)
		h.EndedBy = e.By
		if e.drift() {
			drift[strings.ToLower(h.Key)] = driftEntry{key: h.Key, by: e.By}
			continue
		}
		held[strings.ToLower(h.Key)] = h
	}
	return drift, nil
}

// driftEntry is a target whose access a person removed outside Terraform:
// the refresh leaves it out of the sets, and the plan adds it back.
type driftEntry struct{ key, by string }

// timeString is the start, or with end the scheduled end, of a schedule, in RFC 3339.
func timeString(s *graph.Schedule, end bool) string {
	if s == nil {
		return ""
	}
	t := s.Start
	if end {
		t = scheduledEnd(s)
	}
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// record writes what Graph holds into the model's maps (the targets are
// write-only: the keys of assignment_ids record them). drift is the targets
// whose access a person removed outside Terraform: out of assignment_ids,
// in ended.
func record(m *accessPackageAssignmentsResourceModel, held map[string]holding, drift map[string]driftEntry) diag.Diagnostics {
	return recordMaps(m, held, drift, nil, false)
}

// notAssigned is the undelivered value of a configured target for which
// Graph holds nothing after an apply: its request was refused, or the apply
// ended (interrupted, timed out) before Graph made an assignment.
const notAssigned = "notAssigned"

// recordApplied writes what Graph holds after an apply for the configured
// targets into the computed maps, keyed as the plan keyed assignment_ids:
// the state Terraform checks against the plan. A configured target that
// Graph holds nothing for has an empty assignment id and is undelivered,
// notAssigned; the next refresh drops it, so the next plan adds it again.
// Anyone else Graph still holds (a removal that failed) is left to the next
// refresh, which lists the package and records them.
func recordApplied(m *accessPackageAssignmentsResourceModel, held map[string]holding) diag.Diagnostics {
	targets, _ := targetsOf(*m)
	spelled := map[string]string{}
	if !m.AssignmentIDs.IsNull() && !m.AssignmentIDs.IsUnknown() {
		for k := range m.AssignmentIDs.Elements() {
			spelled[strings.ToLower(k)] = k
		}
	}
	mine := make(map[string]holding, len(targets))
	var missing []string
	for _, t := range targets {
		k := strings.ToLower(t.key)
		key := t.key
		if s, ok := spelled[k]; ok {
			key = s
		}
		h, ok := held[k]
		if !ok {
			missing = append(missing, key)
			continue
		}
		h.Key = key
		mine[k] = h
	}
	return recordMaps(m, mine, nil, missing, true)
}

// recordMaps writes the computed maps: each held target's assignment id,
// start and end; undelivered for those not delivered (and notAssigned for
// missing); invited for email targets; ended for those whose access ended
// (and for drift). With plannedDates, every date the plan in m has a key
// for is recorded, empty when Graph has none (a request refused, a delivery
// still failing), so the keys the plan planned are the keys it returns.
func recordMaps(m *accessPackageAssignmentsResourceModel, held map[string]holding, drift map[string]driftEntry, missing []string, plannedDates bool) diag.Diagnostics {
	var diags diag.Diagnostics
	assignmentIDs := make(map[string]attr.Value, len(held))
	starts := make(map[string]attr.Value, len(held))
	ends := map[string]attr.Value{}
	undelivered := map[string]attr.Value{}
	invited := map[string]attr.Value{}
	ended := map[string]attr.Value{}
	for _, h := range held {
		assignmentIDs[h.Key] = types.StringValue(h.stateID())
		if h.Start != "" {
			starts[h.Key] = types.StringValue(h.Start)
		}
		if h.End != "" {
			ends[h.Key] = types.StringValue(h.End)
		}
		switch {
		case h.ended():
			ended[h.Key] = types.StringValue(h.EndedBy)
		case h.State != graph.StateDelivered:
			undelivered[h.Key] = types.StringValue(h.State)
		}
		if h.Email && h.ObjectID != "" {
			invited[h.Key] = types.StringValue(h.ObjectID)
		}
	}
	for _, d := range drift {
		ended[d.key] = types.StringValue(d.by)
	}
	for _, k := range missing {
		assignmentIDs[k] = types.StringValue("")
		undelivered[k] = types.StringValue(notAssigned)
	}
	if plannedDates {
		for _, f := range []struct {
			planned types.Map
			elems   map[string]attr.Value
		}{{m.AccessStarts, starts}, {m.AccessEnds, ends}} {
			if f.planned.IsNull() || f.planned.IsUnknown() {
				continue
			}
			for k := range f.planned.Elements() {
				if _, ok := f.elems[k]; !ok {
					f.elems[k] = types.StringValue("")
				}
			}
		}
	}
	for _, f := range []struct {
		dst   *types.Map
		elems map[string]attr.Value
	}{{&m.AssignmentIDs, assignmentIDs}, {&m.Undelivered, undelivered}, {&m.InvitedObjectIDs, invited},
		{&m.Ended, ended}, {&m.AccessStarts, starts}, {&m.AccessEnds, ends}} {
		v, d := types.MapValue(types.StringType, f.elems)
		diags.Append(d...)
		*f.dst = v
	}
	return diags
}

// convergeOptions say what an apply does beyond adding and removing.
type convergeOptions struct {
	// refresh sends the schedule and answers to every kept target.
	refresh bool
	// renew names the ended targets to give the access again.
	renew map[string]bool
	// noRetry names the failed deliveries Graph can no longer reprocess.
	noRetry map[string]bool
	// mgr is the resource, whose marker its requests carry.
	mgr manager
}

// stale finds the targets whose delivery failed too long ago for Graph to
// reprocess it (14 days after its request completed): a retry would fail on
// every apply, and a replacement would remove whatever was delivered. One
// listing of the package's requests, only when a delivery failed.
func (r *accessPackageAssignmentsResource) stale(ctx context.Context, pkg string, held map[string]holding) (map[string]bool, error) {
	failed := map[string]string{} // assignment id → target key
	for k, h := range held {
		if failedDelivery(h.State) && h.AssignmentID != "" {
			failed[strings.ToLower(h.AssignmentID)] = k
		}
	}
	if len(failed) == 0 {
		return nil, nil
	}
	reqs, err := r.client.ListRequests(ctx, graph.RequestFilter{AccessPackageID: pkg})
	if err != nil {
		return nil, err
	}
	latest := map[string]*graph.Request{}
	for _, q := range reqs {
		if q.Assignment == nil || removal(q.Type) {
			continue
		}
		k, ok := failed[strings.ToLower(q.Assignment.ID)]
		if !ok {
			continue
		}
		if p := latest[k]; p == nil || created(q).After(created(p)) {
			latest[k] = q
		}
	}
	out := map[string]bool{}
	for k, q := range latest {
		if failedDelivery(q.State) && q.Completed != nil && time.Since(*q.Completed) > graph.ReprocessWindow {
			out[k] = true
		}
	}
	return out, nil
}

// converge makes Graph hold exactly plan's targets, from held (what Graph
// holds now): the changes are worked out by reconcile, sent together, and
// settled into what Graph holds after (the caller records it). Its
// requests carry mgr's marker. It returns nil when nothing was sent (the
// error is in diags).
func (r *accessPackageAssignmentsResource) converge(ctx context.Context, plan accessPackageAssignmentsResourceModel, held map[string]holding, opts convergeOptions, diags *diag.Diagnostics) *settled {
	targets, _ := targetsOf(plan)
	pkg, policy := plan.AccessPackageID.ValueString(), plan.AssignmentPolicyID.ValueString()
	just := ""
	if r.cloud.HasJustification {
		just = withMarker(plan.Justification.ValueString(), opts.mgr)
	}
	sch, d := expandSchedule(ctx, plan.Schedule)
	diags.Append(d...)
	var answers []graph.Answer
	if len(plan.Answers.Elements()) > 0 && (opts.refresh || len(targets) > 0) {
		answers, d = resolveAnswers(ctx, r.providerData, policy, plan.Answers)
		diags.Append(d...)
	}
	if diags.HasError() {
		return nil
	}
	p := reconcile(reconcileInput{
		Held: held, Targets: targets,
		Add:           graph.AddInput{AccessPackageID: pkg, PolicyID: policy, Justification: just, Schedule: sch, Answers: answers},
		Justification: just, Schedule: sch, Answers: answers,
		Refresh: opts.refresh, Renew: opts.renew, NoRetry: opts.noRetry,
	})
	if len(p.Changes) > 0 {
		r.reads.wrote(pkg)
		tflog.Info(ctx, "changing the package's assignments", map[string]any{"access_package_id": pkg, "assignment_policy_id": policy, "changes": len(p.Changes), "concurrency": r.client.Concurrency()})
	}
	results := r.client.ApplyChanges(ctx, pkg, p.Changes, graph.BulkOptions{Poll: r.poll, ProgressEvery: 10 * time.Second, Progress: func(pr graph.BulkProgress) {
		tflog.Info(ctx, fmt.Sprintf("assignments: %d of %d sent, %d settled (%d failed), %d waiting; %d calls at once", pr.Submitted, pr.Total, pr.Done, pr.Failed, pr.Waiting, pr.Concurrency),
			map[string]any{"access_package_id": pkg, "sent": pr.Submitted, "total": pr.Total, "settled": pr.Done, "failed": pr.Failed, "waiting": pr.Waiting})
	}})
	out := settle(p, results)
	return &out
}

// maxListedFailures is how many failed targets get a diagnostic each; the
// rest are listed, one line each, in one more.
const maxListedFailures = 20

// reportFailures adds a diagnostic for each target that failed (errors, or
// warnings when asError is false), naming the target and Graph's error
// with its code and request id.
func reportFailures(failures []failure, diags *diag.Diagnostics, asError bool) {
	if len(failures) == 0 {
		return
	}
	add := diags.AddError
	if !asError {
		add = diags.AddWarning
	}
	sort.Slice(failures, func(i, j int) bool { return failures[i].target < failures[j].target })
	var rest []string
	for i, f := range failures {
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
		why := ""
		for _, f := range failures {
			switch {
			case errors.Is(f.err, context.Canceled):
				why = " The apply was interrupted before every change had settled."
			case errors.Is(f.err, context.DeadlineExceeded):
				why = " The create's timeout ran out before every change had settled (raise timeouts.create for rosters this large)."
			}
		}
		diags.AddWarning("Access not given to every target",
			fmt.Sprintf("%d of the targets failed (listed above).%s The resource was created with what Graph holds, not failed, because Terraform would replace a failed create on the next apply, removing and re-adding everyone's access. The state lists them in undelivered; the next plan shows them, and the next apply retries only those. To fail a pipeline on it, add a postcondition on undelivered (see the resource's documentation).", len(failures), why))
	}
}

// objectIDs are the targets given by object id, all of them or those in
// only (keyed by lower-cased target).
func objectIDs(targets []target, only map[string]bool) []string {
	var out []string
	for _, t := range targets {
		if !t.email && (only == nil || only[strings.ToLower(t.key)]) {
			out = append(out, t.key)
		}
	}
	return out
}
