package provider

import (
	"context"
	"fmt"
	"strings"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

var _ datasource.DataSourceWithConfigure = (*accessPackageAssignmentDataSource)(nil)

// NewAccessPackageAssignmentDataSource is the entitlement_access_package_assignment data source.
func NewAccessPackageAssignmentDataSource() datasource.DataSource {
	return &accessPackageAssignmentDataSource{}
}

type accessPackageAssignmentDataSource struct{ dataSourceBase }

func (d *accessPackageAssignmentDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment"
}

func (d *accessPackageAssignmentDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one access package assignment: by `id`, or by `access_package_id` and `target_object_id` (and `assignment_policy_id` when the user holds the package under several policies). It is an error when no live assignment, or more than one, matches.",
		Attributes:          withReadTimeout(ctx, assignmentDataAttributes(true)),
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
	var m accessPackageAssignmentDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, td := readTimeout(ctx, m.Timeouts)
	resp.Diagnostics.Append(td...)
	defer cancel()
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
	m.assignmentDataModel = flattenAssignmentData(ctx, a)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// accessPackageAssignmentDataSourceModel is the data source's configuration and result: the assignmentDataModel
// its list counterpart shares, and the read timeout.
type accessPackageAssignmentDataSourceModel struct {
	assignmentDataModel
	Timeouts dstimeouts.Value `tfsdk:"timeouts"`
}
