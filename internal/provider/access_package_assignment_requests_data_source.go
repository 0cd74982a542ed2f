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

var _ datasource.DataSourceWithConfigure = (*accessPackageAssignmentRequestsDataSource)(nil)

// NewAccessPackageAssignmentRequestsDataSource is the entitlement_access_package_assignment_requests data source.
func NewAccessPackageAssignmentRequestsDataSource() datasource.DataSource {
	return &accessPackageAssignmentRequestsDataSource{}
}

type accessPackageAssignmentRequestsDataSource struct{ dataSourceBase }

type accessPackageAssignmentRequestsModel struct {
	Timeouts        dstimeouts.Value   `tfsdk:"timeouts"`
	AccessPackageID types.String       `tfsdk:"access_package_id"`
	State           types.String       `tfsdk:"state"`
	RequestType     types.String       `tfsdk:"request_type"`
	CreatedAfter    types.String       `tfsdk:"created_after"`
	IDs             types.List         `tfsdk:"ids"`
	Requests        []requestDataModel `tfsdk:"requests"`
}

var requestStates = []string{"submitted", "pendingApproval", "delivering", "delivered", "deliveryFailed", "denied", "scheduled", "canceled", "partiallyDelivered"}
var requestTypes = []string{"userAdd", "userUpdate", "userRemove", "adminAdd", "adminUpdate", "adminRemove", "systemAdd", "systemUpdate", "systemRemove"}

func (d *accessPackageAssignmentRequestsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_requests"
}

func (d *accessPackageAssignmentRequestsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists access package assignment requests that match all the filters given, following Graph's paging to the end (one Graph call per page). With `for_each` over `ids`, a configuration can act on each, for example reprocess every failed request of a package.",
		Attributes: withReadTimeout(ctx, map[string]schema.Attribute{
			"access_package_id": schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests for this access package.", Validators: []validator.String{guid()}},
			"state":             schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests in this state.", Validators: []validator.String{stringvalidator.OneOf(requestStates...)}},
			"request_type":      schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests of this type.", Validators: []validator.String{stringvalidator.OneOf(requestTypes...)}},
			"created_after":     schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests created after this time (RFC 3339).", Validators: []validator.String{rfc3339()}},
			"ids":               schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The ids of the requests found, oldest first."},
			"requests": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The requests found, oldest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: requestAttributes(false)}},
		}),
	}
}

func (d *accessPackageAssignmentRequestsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m accessPackageAssignmentRequestsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, td := readTimeout(ctx, m.Timeouts)
	resp.Diagnostics.Append(td...)
	defer cancel()
	list, err := d.client.ListRequests(ctx, graph.RequestFilter{AccessPackageID: m.AccessPackageID.ValueString(), State: m.State.ValueString(),
		RequestType: m.RequestType.ValueString(), CreatedAfter: parseTime(m.CreatedAfter)})
	if err != nil {
		resp.Diagnostics.AddError("Error listing assignment requests", explain(err))
		return
	}
	m.Requests = make([]requestDataModel, 0, len(list))
	ids := make([]attr.Value, 0, len(list))
	for _, r := range list {
		m.Requests = append(m.Requests, flattenRequestData(r))
		ids = append(ids, types.StringValue(r.ID))
	}
	m.IDs = types.ListValueMust(types.StringType, ids)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
