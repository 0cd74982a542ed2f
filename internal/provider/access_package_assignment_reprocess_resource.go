package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ resource.ResourceWithConfigure = (*accessPackageAssignmentReprocessResource)(nil)

// NewAccessPackageAssignmentReprocessResource is the entitlement_access_package_assignment_reprocess resource.
//
// It is a resource of its own rather than a mode of the request reprocess:
// Graph's two reprocess calls act on different objects (a delivered
// assignment, a failed request) under different guards, and one resource
// with an either-or id would make both harder to read in a plan.
func NewAccessPackageAssignmentReprocessResource() resource.Resource {
	return &accessPackageAssignmentReprocessResource{}
}

type accessPackageAssignmentReprocessResource struct{ actionStyleResource }

type accessPackageAssignmentReprocessModel struct {
	ID           types.String `tfsdk:"id"`
	AssignmentID types.String `tfsdk:"assignment_id"`
	Triggers     types.Map    `tfsdk:"triggers"`
	State        types.String `tfsdk:"state"`
}

func (r *accessPackageAssignmentReprocessResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_reprocess"
}

func (r *accessPackageAssignmentReprocessResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reprocesses a delivered assignment: Graph re-evaluates and re-applies the user's access to the package's resources (for example after someone removed the user from a group by hand). " +
			"An action-style resource: creating it calls `POST /assignments/{id}/reprocess` (202), a change of `triggers` calls it again, destroying it only forgets. " +
			"Graph accepts it only for a `delivered` assignment; a failed delivery is retried by reprocessing its request (`entitlement_access_package_assignment_request_reprocess`).",
		Attributes: map[string]schema.Attribute{
			"id": actionIDAttribute(),
			"assignment_id": schema.StringAttribute{
				MarkdownDescription: "The delivered assignment to reprocess.",
				Required:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       []planmodifier.String{sameIDReplace()},
			},
			"triggers": triggersAttribute(),
			"state":    outcomeAttribute("The assignment's state when it was reprocessed."),
		},
	}
}

func (r *accessPackageAssignmentReprocessResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m accessPackageAssignmentReprocessModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.AssignmentID.ValueString()
	a, err := r.client.ReprocessDeliveredAssignment(ctx, id)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error reprocessing access package assignment", "Assignment "+id+" was not reprocessed.", err)
		return
	}
	m.ID = types.StringValue(id)
	m.State = types.StringValue(a.State)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
