package provider

import (
	"context"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = (*accessPackageAssignmentsDataSource)(nil)

// NewAccessPackageAssignmentsDataSource is the entitlement_access_package_assignments data source.
func NewAccessPackageAssignmentsDataSource() datasource.DataSource {
	return &accessPackageAssignmentsDataSource{}
}

type accessPackageAssignmentsDataSource struct{ dataSourceBase }

type accessPackageAssignmentsModel struct {
	Timeouts           dstimeouts.Value      `tfsdk:"timeouts"`
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

func (d *accessPackageAssignmentsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the access package assignments that match all the filters given — by default the live ones, not those that expired or were removed — following Graph's paging to the end: one Graph call per page of 100, never one per assignment. The building block of adopting an access package with `import` blocks; see the adoption guide.",
		Attributes: withReadTimeout(ctx, map[string]schema.Attribute{
			"access_package_id":    schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments of this access package.", Validators: []validator.String{guid()}},
			"assignment_policy_id": schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments under this policy.", Validators: []validator.String{guid()}},
			"target_object_id":     schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments of this user.", Validators: []validator.String{guid()}},
			"state": schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments in this state. Left out: every state but `expired`.",
				Validators: []validator.String{stringvalidator.OneOf(assignmentStates...)}},
			"ids": schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The ids of the assignments found, oldest first."},
			"assignments": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The assignments found, oldest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: assignmentDataAttributes(false)}},
		}),
	}
}

func (d *accessPackageAssignmentsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m accessPackageAssignmentsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, td := readTimeout(ctx, m.Timeouts)
	resp.Diagnostics.Append(td...)
	defer cancel()
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
