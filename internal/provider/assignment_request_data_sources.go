package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The two data sources that let configurations act on what Graph says about
// assignment requests: one by id, and a filtered list.

var (
	_ datasource.DataSourceWithConfigure = (*assignmentRequestDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*assignmentRequestsDataSource)(nil)
)

type calloutModel struct {
	ID                    types.String `tfsdk:"id"`
	CustomExtensionID     types.String `tfsdk:"custom_extension_id"`
	Detail                types.String `tfsdk:"detail"`
	ExternalCorrelationID types.String `tfsdk:"external_correlation_id"`
	Status                types.String `tfsdk:"status"`
}

type requestDataModel struct {
	ID                types.String   `tfsdk:"id"`
	RequestType       types.String   `tfsdk:"request_type"`
	State             types.String   `tfsdk:"state"`
	Status            types.String   `tfsdk:"status"`
	CreatedDateTime   types.String   `tfsdk:"created_date_time"`
	CompletedDateTime types.String   `tfsdk:"completed_date_time"`
	Justification     types.String   `tfsdk:"justification"`
	AccessPackageID   types.String   `tfsdk:"access_package_id"`
	AssignmentID      types.String   `tfsdk:"assignment_id"`
	Target            types.Object   `tfsdk:"target"`
	Callouts          []calloutModel `tfsdk:"custom_extension_callout_instances"`
}

func flattenRequestData(r *graph.Request) requestDataModel {
	m := requestDataModel{ID: types.StringValue(r.ID), RequestType: types.StringValue(r.Type), State: types.StringValue(r.State),
		Status: types.StringValue(r.Status), CreatedDateTime: fmtTime(r.Created), CompletedDateTime: fmtTime(r.Completed),
		Justification: optString(r.Justification), AccessPackageID: optString(r.AccessPackageID),
		AssignmentID: types.StringNull(), Target: types.ObjectNull(targetAttrTypes), Callouts: []calloutModel{}}
	if r.Assignment != nil {
		m.AssignmentID = types.StringValue(r.Assignment.ID)
		m.Target = flattenTarget(r.Assignment.Target)
	}
	for _, c := range r.Callouts {
		m.Callouts = append(m.Callouts, calloutModel{ID: types.StringValue(c.ID), CustomExtensionID: optString(c.CustomExtensionID),
			Detail: optString(c.Detail), ExternalCorrelationID: optString(c.ExternalCorrelationID), Status: optString(c.Status)})
	}
	return m
}

// requestAttributes describes a request; idRequired makes id the lookup key.
func requestAttributes(idRequired bool) map[string]schema.Attribute {
	c := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	id := c("The request id.")
	if idRequired {
		id = schema.StringAttribute{Required: true, MarkdownDescription: "The id of the assignment request to read.", Validators: []validator.String{guid()}}
	}
	return map[string]schema.Attribute{
		"id":                  id,
		"request_type":        c("`adminAdd`, `adminUpdate`, `adminRemove`, `userAdd`, `userUpdate`, `userRemove`, `systemAdd`, `systemUpdate`, `systemRemove`…"),
		"state":               c("`submitted`, `pendingApproval`, `scheduled`, `delivering`, `delivered`, `partiallyDelivered`, `deliveryFailed`, `denied` or `canceled`."),
		"status":              c("Graph's status text, such as `Accepted`, `Delivered` or `WaitingForCallback` (a custom extension awaits a resume)."),
		"created_date_time":   c("When the request was created (RFC 3339)."),
		"completed_date_time": c("When processing ended, successfully or not; the 14-day reprocess window counts from it."),
		"justification":       c("The requestor's justification."),
		"access_package_id":   c("The access package requested."),
		"assignment_id":       c("The assignment the request created, changed or removed, once there is one."),
		"target": schema.SingleNestedAttribute{
			Computed: true, MarkdownDescription: "The subject the request is for, once Graph has created the assignment.",
			Attributes: map[string]schema.Attribute{
				"object_id": c("The user's object id."), "display_name": c("The display name."),
				"principal_name": c("The user principal name."), "email": c("The email address."),
			},
		},
		"custom_extension_callout_instances": schema.ListNestedAttribute{
			Computed: true, MarkdownDescription: "The custom-extension callouts made for the request; one with status `waitingForCallback` is what a resume answers.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"id": c("The callout instance id (a resume's `custom_extension_stage_instance_id`)."), "custom_extension_id": c("The custom extension called."),
				"detail": c("Details recorded on the instance."), "external_correlation_id": c("The id the extension's workflow reported."),
				"status": c("`calloutSent`, `callbackReceived`, `calloutFailed`, `callbackTimedOut` or `waitingForCallback`."),
			}},
		},
	}
}

type dataSourceBase struct{ client *graph.Client }

func (b *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := configured(req.ProviderData, &resp.Diagnostics); data != nil {
		b.client = data.client
	}
}

// ---- entitlement_assignment_request --------------------------------------------------

// NewAssignmentRequestDataSource is the entitlement_assignment_request data source.
func NewAssignmentRequestDataSource() datasource.DataSource { return &assignmentRequestDataSource{} }

type assignmentRequestDataSource struct{ dataSourceBase }

func (d *assignmentRequestDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_assignment_request"
}

func (d *assignmentRequestDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one access package assignment request by id, with its assignment, target and custom-extension callouts.",
		Attributes:          requestAttributes(true),
	}
}

func (d *assignmentRequestDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
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

// ---- entitlement_assignment_requests ---------------------------------------------------

// NewAssignmentRequestsDataSource is the entitlement_assignment_requests data source.
func NewAssignmentRequestsDataSource() datasource.DataSource { return &assignmentRequestsDataSource{} }

type assignmentRequestsDataSource struct{ dataSourceBase }

type assignmentRequestsModel struct {
	AccessPackageID types.String       `tfsdk:"access_package_id"`
	State           types.String       `tfsdk:"state"`
	RequestType     types.String       `tfsdk:"request_type"`
	CreatedAfter    types.String       `tfsdk:"created_after"`
	IDs             types.List         `tfsdk:"ids"`
	Requests        []requestDataModel `tfsdk:"requests"`
}

var requestStates = []string{"submitted", "pendingApproval", "delivering", "delivered", "deliveryFailed", "denied", "scheduled", "canceled", "partiallyDelivered"}
var requestTypes = []string{"userAdd", "userUpdate", "userRemove", "adminAdd", "adminUpdate", "adminRemove", "systemAdd", "systemUpdate", "systemRemove"}

func (d *assignmentRequestsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_assignment_requests"
}

func (d *assignmentRequestsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists access package assignment requests that match all the filters given, following Graph's paging to the end (one Graph call per page). With `for_each` over `ids`, a configuration can act on each, for example reprocess every failed request of a package.",
		Attributes: map[string]schema.Attribute{
			"access_package_id": schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests for this access package.", Validators: []validator.String{guid()}},
			"state":             schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests in this state.", Validators: []validator.String{stringvalidator.OneOf(requestStates...)}},
			"request_type":      schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests of this type.", Validators: []validator.String{stringvalidator.OneOf(requestTypes...)}},
			"created_after":     schema.StringAttribute{Optional: true, MarkdownDescription: "Only requests created after this time (RFC 3339).", Validators: []validator.String{rfc3339()}},
			"ids":               schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The ids of the requests found, oldest first."},
			"requests": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The requests found, oldest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: requestAttributes(false)}},
		},
	}
}

func (d *assignmentRequestsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m assignmentRequestsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
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
