package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The data sources that discover the assignments a tenant already has, for
// adoption: a filtered list (one paged Graph list, never a call per
// assignment), and one assignment by id or by package and target.

var (
	_ datasource.DataSourceWithConfigure        = (*accessPackageAssignmentsDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*accessPackageAssignmentDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*accessPackageAssignmentDataSource)(nil)
)

var assignmentStates = []string{"delivering", "partiallyDelivered", "delivered", "expired", "deliveryFailed"}

type assignmentDataModel struct {
	ID                 types.String `tfsdk:"id"`
	AccessPackageID    types.String `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String `tfsdk:"assignment_policy_id"`
	TargetObjectID     types.String `tfsdk:"target_object_id"`
	State              types.String `tfsdk:"state"`
	Status             types.String `tfsdk:"status"`
	ExpiredDateTime    types.String `tfsdk:"expired_date_time"`
	Target             types.Object `tfsdk:"target"`
	Schedule           types.Object `tfsdk:"schedule"`
}

func flattenAssignmentData(ctx context.Context, a *graph.Assignment) assignmentDataModel {
	m := assignmentDataModel{ID: types.StringValue(a.ID), AccessPackageID: optString(a.AccessPackageID), AssignmentPolicyID: optString(a.PolicyID),
		TargetObjectID: types.StringNull(), State: types.StringValue(a.State), Status: types.StringValue(a.Status),
		ExpiredDateTime: fmtTime(a.Expired), Target: flattenTarget(a.Target), Schedule: types.ObjectNull(scheduleAttrTypes)}
	if a.Target != nil {
		m.TargetObjectID = optString(a.Target.ObjectID)
	}
	if a.Schedule != nil {
		m.Schedule, _ = mergeSchedule(ctx, types.ObjectUnknown(scheduleAttrTypes), a.Schedule)
	}
	return m
}

// assignmentDataAttributes describes an assignment; lookup makes the keys inputs.
func assignmentDataAttributes(lookup bool) map[string]schema.Attribute {
	c := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	key := func(desc string) schema.StringAttribute {
		if !lookup {
			return c(desc)
		}
		return schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: desc, Validators: []validator.String{guid()}}
	}
	return map[string]schema.Attribute{
		"id":                   key("The assignment id."),
		"access_package_id":    key("The access package."),
		"assignment_policy_id": key("The assignment policy."),
		"target_object_id":     key("The object id of the user the assignment is for."),
		"state":                c("`delivering`, `partiallyDelivered`, `delivered`, `deliveryFailed` or `expired`."),
		"status":               c("Graph's status text."),
		"expired_date_time":    c("When the assignment expired or was removed."),
		"target": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The subject, as Graph reports it.",
			Attributes: map[string]schema.Attribute{"object_id": c("The object id."), "display_name": c("The display name."),
				"principal_name": c("The user principal name."), "email": c("The email address.")}},
		"schedule": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "When access started and ends.",
			Attributes: map[string]schema.Attribute{
				"start_date_time": c("The start (RFC 3339)."),
				"expiration": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The end of access.",
					Attributes: map[string]schema.Attribute{"type": c("`noExpiration` or `afterDateTime` (Graph records durations as end dates)."),
						"end_date_time": c("The end (RFC 3339)."), "duration": c("An ISO 8601 duration, if Graph kept one.")}},
			}},
	}
}

// ---- entitlement_access_package_assignments ------------------------------------------

// NewAccessPackageAssignmentsDataSource is the entitlement_access_package_assignments data source.
func NewAccessPackageAssignmentsDataSource() datasource.DataSource {
	return &accessPackageAssignmentsDataSource{}
}

type accessPackageAssignmentsDataSource struct{ dataSourceBase }

type accessPackageAssignmentsModel struct {
	AccessPackageID    types.String          `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String          `tfsdk:"assignment_policy_id"`
	TargetObjectID     types.String          `tfsdk:"target_object_id"`
	State              types.String          `tfsdk:"state"`
	IDs                types.List            `tfsdk:"ids"`
	Assignments        []assignmentDataModel `tfsdk:"assignments"`
}

func (d *accessPackageAssignmentsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignments"
}

func (d *accessPackageAssignmentsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the access package assignments that match all the filters given — by default the live ones, not those that expired or were removed — following Graph's paging to the end: one Graph call per page of 100, never one per assignment. The building block of adopting an access package with `import` blocks; see the adoption guide.",
		Attributes: map[string]schema.Attribute{
			"access_package_id":    schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments of this access package.", Validators: []validator.String{guid()}},
			"assignment_policy_id": schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments under this policy.", Validators: []validator.String{guid()}},
			"target_object_id":     schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments of this user.", Validators: []validator.String{guid()}},
			"state": schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments in this state. Left out: every state but `expired`.",
				Validators: []validator.String{stringvalidator.OneOf(assignmentStates...)}},
			"ids": schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The ids of the assignments found, oldest first."},
			"assignments": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The assignments found, oldest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: assignmentDataAttributes(false)}},
		},
	}
}

func (d *accessPackageAssignmentsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m accessPackageAssignmentsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	list, err := d.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: m.AccessPackageID.ValueString(),
		PolicyID: m.AssignmentPolicyID.ValueString(), TargetObjectID: m.TargetObjectID.ValueString(), State: m.State.ValueString()})
	if err != nil {
		resp.Diagnostics.AddError("Error listing access package assignments", explain(err))
		return
	}
	m.Assignments = []assignmentDataModel{}
	ids := []attr.Value{}
	for _, a := range list {
		if m.State.IsNull() && !a.Live() {
			continue
		}
		m.Assignments = append(m.Assignments, flattenAssignmentData(ctx, a))
		ids = append(ids, types.StringValue(a.ID))
	}
	m.IDs = types.ListValueMust(types.StringType, ids)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// ---- entitlement_access_package_assignment ---------------------------------------------

// NewAccessPackageAssignmentDataSource is the entitlement_access_package_assignment data source.
func NewAccessPackageAssignmentDataSource() datasource.DataSource {
	return &accessPackageAssignmentDataSource{}
}

type accessPackageAssignmentDataSource struct{ dataSourceBase }

func (d *accessPackageAssignmentDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment"
}

func (d *accessPackageAssignmentDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one access package assignment: by `id`, or by `access_package_id` and `target_object_id` (and `assignment_policy_id` when the user holds the package under several policies). It is an error when no live assignment, or more than one, matches.",
		Attributes:          assignmentDataAttributes(true),
	}
}

func (d *accessPackageAssignmentDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("access_package_id")),
		datasourcevalidator.Conflicting(path.MatchRoot("id"), path.MatchRoot("target_object_id")),
		datasourcevalidator.Conflicting(path.MatchRoot("id"), path.MatchRoot("assignment_policy_id")),
		datasourcevalidator.RequiredTogether(path.MatchRoot("access_package_id"), path.MatchRoot("target_object_id")),
	}
}

func (d *accessPackageAssignmentDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m assignmentDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var a *graph.Assignment
	if id := m.ID.ValueString(); id != "" {
		got, err := d.client.GetAssignment(ctx, id)
		if err != nil {
			resp.Diagnostics.AddError("Error reading access package assignment", fmt.Sprintf("Could not read assignment %s.\n\n%s", id, explain(err)))
			return
		}
		a = got
	} else {
		list, err := d.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: m.AccessPackageID.ValueString(),
			PolicyID: m.AssignmentPolicyID.ValueString(), TargetObjectID: m.TargetObjectID.ValueString()})
		if err != nil {
			resp.Diagnostics.AddError("Error reading access package assignment", explain(err))
			return
		}
		var live []*graph.Assignment
		var desc []string
		for _, x := range list {
			if x.Live() {
				live = append(live, x)
				desc = append(desc, x.ID+" (policy "+x.PolicyID+", "+x.State+")")
			}
		}
		switch len(live) {
		case 0:
			resp.Diagnostics.AddError("No assignment found", fmt.Sprintf("User %s has no live assignment in access package %s%s.",
				m.TargetObjectID.ValueString(), m.AccessPackageID.ValueString(), policyClause(m.AssignmentPolicyID.ValueString())))
			return
		case 1:
			a = live[0]
		default:
			resp.Diagnostics.AddError("Several assignments match", fmt.Sprintf("User %s has %d live assignments in access package %s: %s. Set assignment_policy_id, or read one by id.",
				m.TargetObjectID.ValueString(), len(live), m.AccessPackageID.ValueString(), strings.Join(desc, ", ")))
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, flattenAssignmentData(ctx, a))...)
}
