package provider

import (
	"context"
	"fmt"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"

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

func (d *accessPackageAssignmentRequestDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one access package assignment request by id, with its assignment, target and custom-extension callouts.",
		Attributes:          withReadTimeout(ctx, requestAttributes(true)),
	}
}

func (d *accessPackageAssignmentRequestDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m accessPackageAssignmentRequestDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, td := readTimeout(ctx, m.Timeouts)
	resp.Diagnostics.Append(td...)
	defer cancel()
	r, err := d.client.GetRequest(ctx, m.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Error reading assignment request", fmt.Sprintf("Could not read assignment request %s.\n\n%s", m.ID.ValueString(), explain(err)))
		return
	}
	m.requestDataModel = flattenRequestData(r)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// accessPackageAssignmentRequestDataSourceModel is the data source's configuration and result: the requestDataModel
// its list counterpart shares, and the read timeout.
type accessPackageAssignmentRequestDataSourceModel struct {
	requestDataModel
	Timeouts dstimeouts.Value `tfsdk:"timeouts"`
}
