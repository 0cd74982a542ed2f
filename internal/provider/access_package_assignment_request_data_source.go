package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
)

var _ datasource.DataSourceWithConfigure = (*accessPackageAssignmentRequestDataSource)(nil)

// NewAccessPackageAssignmentRequestDataSource is the entitlement_access_package_assignment_request data source.
func NewAccessPackageAssignmentRequestDataSource() datasource.DataSource {
	return &accessPackageAssignmentRequestDataSource{}
}

type accessPackageAssignmentRequestDataSource struct{ dataSourceBase }

func (d *accessPackageAssignmentRequestDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_request"
}

func (d *accessPackageAssignmentRequestDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one access package assignment request by id, with its assignment, target and custom-extension callouts.",
		Attributes:          requestAttributes(true),
	}
}

func (d *accessPackageAssignmentRequestDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m requestDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r, err := d.client.GetRequest(ctx, m.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Error reading assignment request", fmt.Sprintf("Could not read assignment request %s.\n\n%s", m.ID.ValueString(), explain(err)))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, flattenRequestData(r))...)
}
