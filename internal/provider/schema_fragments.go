package provider

// Schema fragments shared by resources that carry an assignment's schedule,
// answers and target, with their expand (Terraform → graph) and flatten
// (graph → Terraform) functions.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

type scheduleModel struct {
	StartDateTime types.String `tfsdk:"start_date_time"`
	Expiration    types.Object `tfsdk:"expiration"`
}

type expirationModel struct {
	Type        types.String `tfsdk:"type"`
	EndDateTime types.String `tfsdk:"end_date_time"`
	Duration    types.String `tfsdk:"duration"`
}

type answerModel struct {
	QuestionID   types.String `tfsdk:"question_id"`
	Value        types.String `tfsdk:"value"`
	DisplayValue types.String `tfsdk:"display_value"`
}

var (
	expirationAttrTypes = map[string]attr.Type{"type": types.StringType, "end_date_time": types.StringType, "duration": types.StringType}
	scheduleAttrTypes   = map[string]attr.Type{"start_date_time": types.StringType, "expiration": types.ObjectType{AttrTypes: expirationAttrTypes}}
	answerAttrTypes     = map[string]attr.Type{"question_id": types.StringType, "value": types.StringType, "display_value": types.StringType}
	targetAttrTypes     = map[string]attr.Type{"object_id": types.StringType, "display_name": types.StringType, "principal_name": types.StringType, "email": types.StringType}
)

// The expiration types a configuration may set. Graph's notSpecified means
// "take the policy's", which is what leaving expiration out says.
var expirationTypes = []string{"noExpiration", "afterDateTime", "afterDuration"}

func scheduleSchema() schema.SingleNestedAttribute {
	return scheduleAttribute(false)
}

// scheduleAttribute is the schedule of an assignment (in-place updates,
// Graph's values recorded) or, immutable, of a request (as written; a change
// replaces the request).
func scheduleAttribute(immutable bool) schema.SingleNestedAttribute {
	start := schema.StringAttribute{
		MarkdownDescription: "When access starts (RFC 3339). In the future, the request waits in Graph's `scheduled` state until then. Left out, access starts on delivery.",
		Optional:            true,
		Validators:          []validator.String{scheduleTime()},
	}
	typ := schema.StringAttribute{
		MarkdownDescription: "`noExpiration`, `afterDateTime` (with `end_date_time`) or `afterDuration` (with `duration`).",
		Optional:            true,
		Validators:          []validator.String{stringvalidator.OneOf(expirationTypes...)},
	}
	end := schema.StringAttribute{
		MarkdownDescription: "The end of access (RFC 3339), with `type = \"afterDateTime\"`.",
		Optional:            true,
		Validators:          []validator.String{scheduleTime()},
	}
	dur := schema.StringAttribute{
		MarkdownDescription: "How long access lasts from its start, with `type = \"afterDuration\"`: an ISO 8601 duration in days and time, such as `P90D`, `PT12H` or `P1DT12H`. Graph does not accept years, months or weeks (`P1Y`, `P3M`, `P2W`) or a fraction of an hour (`PT1.5H`): write the days or minutes instead (`P365D`, `P14D`, `PT90M`); the plan says what to write.",
		Optional:            true,
		Validators:          []validator.String{graphDuration()},
	}
	expiration := schema.SingleNestedAttribute{
		MarkdownDescription: "When access ends.",
		Optional:            true,
		Attributes:          map[string]schema.Attribute{"type": typ, "end_date_time": end, "duration": dur},
	}
	out := schema.SingleNestedAttribute{
		MarkdownDescription: "When the access should start and end; the policy must allow requestors to choose a custom schedule. A change replaces the request.",
		Optional:            true,
		PlanModifiers:       []planmodifier.Object{objectplanmodifier.RequiresReplace()},
		Attributes:          map[string]schema.Attribute{"start_date_time": start, "expiration": expiration},
	}
	if immutable {
		return out
	}
	// An assignment's schedule: Graph fills in what is left out, and the
	// provider records it, so every part is also computed.
	start.Computed, start.PlanModifiers = true, []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	typ.Computed, end.Computed, dur.Computed = true, true, true
	expiration.Computed = true
	expiration.MarkdownDescription = "When access ends. Graph records an `afterDuration` expiration as the equivalent end date; the provider keeps the form you wrote while the two agree."
	// Left out, the expiration stays as it is; written, it is planned exactly
	// as written, so that an end date recorded from Graph does not linger
	// beside a new duration (its fields are computed because Terraform builds
	// a nested object's plan field by field).
	expiration.PlanModifiers = []planmodifier.Object{objectplanmodifier.UseStateForUnknown(), configWhenSet{}}
	expiration.Attributes = map[string]schema.Attribute{"type": typ, "end_date_time": end, "duration": dur}
	out.Computed = true
	out.MarkdownDescription = "When the access starts and ends. Changed in place with an `adminUpdate` request. Left out, the assignment takes the policy's expiration and starts on delivery, and the schedule Graph then holds is recorded here; removing the block later keeps the schedule the assignment has."
	out.PlanModifiers = []planmodifier.Object{objectplanmodifier.UseStateForUnknown()}
	out.Attributes = map[string]schema.Attribute{"start_date_time": start, "expiration": expiration}
	return out
}

func answersSchema() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: "Answers to the policy's questions. Changed in place with an `adminUpdate` request. Graph keeps answers on requests, not on the v1.0 assignment, so the provider records what it last sent and does not read answers back: a change made outside Terraform does not show as drift, and an imported assignment has none.",
		Optional:            true,
		NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"question_id": schema.StringAttribute{
					MarkdownDescription: "The id of the policy question answered.",
					Required:            true,
					Validators:          []validator.String{guid()},
				},
				"value": schema.StringAttribute{
					MarkdownDescription: "The answer: free text for a text question (it must match the question's pattern, if any), or the `actualValue` of a choice for a multiple-choice question.",
					Required:            true,
				},
				"display_value": schema.StringAttribute{
					MarkdownDescription: "The answer as shown to approvers, if different from `value`.",
					Optional:            true,
				},
			},
		},
	}
}

func targetSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "The subject the assignment is for, as Graph reports it. For a `target_email` assignment, `object_id` is the user Entra invited on delivery.",
		Computed:            true,
		PlanModifiers:       []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
		Attributes: map[string]schema.Attribute{
			"object_id":      schema.StringAttribute{Computed: true, MarkdownDescription: "The user's object id."},
			"display_name":   schema.StringAttribute{Computed: true, MarkdownDescription: "The display name."},
			"principal_name": schema.StringAttribute{Computed: true, MarkdownDescription: "The user principal name."},
			"email":          schema.StringAttribute{Computed: true, MarkdownDescription: "The email address."},
		},
	}
}

// configWhenSet plans an object exactly as configured when it is configured.
type configWhenSet struct{}

func (configWhenSet) Description(context.Context) string {
	return "When set in the configuration, the value is planned as written."
}
func (m configWhenSet) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (configWhenSet) PlanModifyObject(_ context.Context, req planmodifier.ObjectRequest, resp *planmodifier.ObjectResponse) {
	if !req.ConfigValue.IsNull() {
		resp.PlanValue = req.ConfigValue
	}
}

// ---- expand -------------------------------------------------------------------------

func strPtr(v types.String) *string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	s := v.ValueString()
	return &s
}

func parseTime(v types.String) *time.Time {
	p := strPtr(v)
	if p == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339, *p)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

// expandSchedule returns the schedule to send, or nil to send none (the
// schedule is unknown or null: the policy decides).
func expandSchedule(ctx context.Context, obj types.Object) (*graph.Schedule, diag.Diagnostics) {
	if obj.IsNull() || obj.IsUnknown() {
		return nil, nil
	}
	var sm scheduleModel
	diags := obj.As(ctx, &sm, basetypes.ObjectAsOptions{})
	out := &graph.Schedule{Start: parseTime(sm.StartDateTime), ExpirationType: "notSpecified"}
	if !sm.Expiration.IsNull() && !sm.Expiration.IsUnknown() {
		var em expirationModel
		diags.Append(sm.Expiration.As(ctx, &em, basetypes.ObjectAsOptions{})...)
		if t := strPtr(em.Type); t != nil {
			out.ExpirationType = *t
		}
		out.End = parseTime(em.EndDateTime)
		if d := strPtr(em.Duration); d != nil {
			out.Duration = *d
		}
	}
	return out, diags
}

func expandAnswers(ctx context.Context, list types.List) ([]answerModel, diag.Diagnostics) {
	if list.IsNull() || list.IsUnknown() {
		return nil, nil
	}
	var out []answerModel
	diags := list.ElementsAs(ctx, &out, false)
	return out, diags
}

// optString is a Graph string in Terraform: empty is null.
func optString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// ---- flatten -------------------------------------------------------------------------

func fmtTime(t *time.Time) types.String {
	if t == nil {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

func flattenTarget(s *graph.Subject) types.Object {
	if s == nil {
		return types.ObjectNull(targetAttrTypes)
	}
	obj, _ := types.ObjectValue(targetAttrTypes, map[string]attr.Value{
		"object_id": optString(s.ObjectID), "display_name": optString(s.DisplayName), "principal_name": optString(s.PrincipalName), "email": optString(s.Email)})
	return obj
}

func expirationObject(typ, end, duration types.String) types.Object {
	obj, _ := types.ObjectValue(expirationAttrTypes, map[string]attr.Value{"type": typ, "end_date_time": end, "duration": duration})
	return obj
}

// graphExpiration is Graph's expiration in Terraform's terms.
func graphExpiration(g *graph.Schedule) types.Object {
	switch g.ExpirationType {
	case "afterDateTime":
		return expirationObject(types.StringValue("afterDateTime"), fmtTime(g.End), types.StringNull())
	case "afterDuration":
		return expirationObject(types.StringValue("afterDuration"), types.StringNull(), types.StringValue(g.Duration))
	}
	// notSpecified on an assignment means it does not expire.
	return expirationObject(types.StringValue("noExpiration"), types.StringNull(), types.StringNull())
}

// fullyKnown says whether a value holds nothing unknown, at any depth.
func fullyKnown(v attr.Value) bool {
	tv, err := v.ToTerraformValue(context.Background())
	return err == nil && tv.IsFullyKnown()
}

// scheduleWithoutUnknowns is a schedule with every value Graph has not told
// yet made null: the whole schedule, its start, its expiration, or the
// expiration's fields.
func scheduleWithoutUnknowns(obj types.Object) types.Object {
	if obj.IsUnknown() {
		return types.ObjectNull(scheduleAttrTypes)
	}
	if obj.IsNull() || fullyKnown(obj) {
		return obj
	}
	attrs := obj.Attributes()
	start, _ := attrs["start_date_time"].(types.String)
	if start.IsUnknown() {
		start = types.StringNull()
	}
	exp, _ := attrs["expiration"].(types.Object)
	switch {
	case exp.IsUnknown():
		exp = types.ObjectNull(expirationAttrTypes)
	case !exp.IsNull() && !fullyKnown(exp):
		fields := map[string]attr.Value{}
		for k, v := range exp.Attributes() {
			if v.IsUnknown() {
				v = types.StringNull()
			}
			fields[k] = v
		}
		exp, _ = types.ObjectValue(expirationAttrTypes, fields)
	}
	out, _ := types.ObjectValue(scheduleAttrTypes, map[string]attr.Value{"start_date_time": start, "expiration": exp})
	return out
}

// mergeSchedule returns the schedule to record: the prior (planned or stored)
// value wherever Graph's value means the same, Graph's where it differs (so
// drift shows) or where the prior is unknown. Graph normalises schedules —
// it fills in the start, moves a start in the past to when it processed the
// request, and may record afterDuration as an end date — and echoing its
// spelling back would give a diff on every plan.
func mergeSchedule(ctx context.Context, prior types.Object, g *graph.Schedule) (types.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	if g == nil {
		return prior, nil
	}
	sm := scheduleModel{StartDateTime: types.StringUnknown(), Expiration: types.ObjectUnknown(expirationAttrTypes)}
	if !prior.IsNull() && !prior.IsUnknown() {
		diags.Append(prior.As(ctx, &sm, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: false})...)
	}
	start := fmtTime(g.Start)
	if pt := parseTime(sm.StartDateTime); pt != nil && graph.StartMatches(pt, g.Start, time.Now()) {
		// The same instant, or a past start that Graph moved to when it
		// processed the request: keep the configured value.
		start = sm.StartDateTime
	}
	exp := graphExpiration(g)
	if !sm.Expiration.IsNull() && !sm.Expiration.IsUnknown() {
		var em expirationModel
		diags.Append(sm.Expiration.As(ctx, &em, basetypes.ObjectAsOptions{})...)
		if expirationEquivalent(em, g) {
			exp = sm.Expiration
		}
	}
	obj, d := types.ObjectValue(scheduleAttrTypes, map[string]attr.Value{"start_date_time": start, "expiration": exp})
	diags.Append(d...)
	return obj, diags
}

// expirationEquivalent says whether a recorded expiration means what Graph
// holds (graph.ExpirationMatches decides, for every form Graph may answer).
func expirationEquivalent(em expirationModel, g *graph.Schedule) bool {
	if em.Type.IsUnknown() || em.Type.ValueString() == "" {
		return false
	}
	want := &graph.Schedule{ExpirationType: em.Type.ValueString(), End: parseTime(em.EndDateTime), Duration: em.Duration.ValueString()}
	return graph.ExpirationMatches(want, g)
}

// recordAssignment copies an assignment (read by the resource or listed by
// the list resource)'s state, target and schedule into the model.
func recordAssignment(ctx context.Context, m *accessPackageAssignmentModel, a *graph.Assignment, diags *diag.Diagnostics) {
	m.State = types.StringValue(a.State)
	m.Status = types.StringValue(a.Status)
	m.AccessStart, m.AccessEnd, m.EndedAt = types.StringNull(), types.StringNull(), fmtTime(a.Expired)
	if a.Schedule != nil {
		m.AccessStart, m.AccessEnd = fmtTime(a.Schedule.Start), fmtTime(scheduledEnd(a.Schedule))
	}
	if m.EndedBy.IsUnknown() {
		m.EndedBy = types.StringNull()
	}
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

// resourceTimeouts is the timeouts attribute of a resource, with each
// operation's default in its description and each value checked.
func resourceTimeouts(ctx context.Context, opts timeouts.Opts) schema.Attribute {
	attr := timeouts.Attributes(ctx, opts)
	a, ok := attr.(schema.SingleNestedAttribute)
	if !ok {
		return attr
	}
	a.MarkdownDescription = fmt.Sprintf("How long each operation may take, as a duration such as `30m` or `2h`. Each defaults to %s.", shortDuration(defaultTimeout))
	for name, at := range a.Attributes {
		s, ok := at.(schema.StringAttribute)
		if !ok {
			continue
		}
		s.Validators = append(s.Validators, timeoutValue{})
		s.MarkdownDescription = fmt.Sprintf("How long %s may take (default `%s`).", name, shortDuration(defaultTimeout))
		a.Attributes[name] = s
	}
	return a
}

// shortDuration writes 30m0s as 30m and 2h0m0s as 2h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
