package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ resource.ResourceWithMoveState  = (*accessPackageAssignmentRequestReprocessResource)(nil)
	_ resource.ResourceWithConfigure  = (*accessPackageAssignmentRequestReprocessResource)(nil)
	_ resource.ResourceWithModifyPlan = (*accessPackageAssignmentRequestReprocessResource)(nil)
)

// NewAccessPackageAssignmentRequestReprocessResource is the entitlement_access_package_assignment_request_reprocess resource.
func NewAccessPackageAssignmentRequestReprocessResource() resource.Resource {
	return &accessPackageAssignmentRequestReprocessResource{}
}

type accessPackageAssignmentRequestReprocessResource struct{ actionStyleResource }

type accessPackageAssignmentRequestReprocessModel struct {
	ID                types.String   `tfsdk:"id"`
	RequestID         types.String   `tfsdk:"request_id"`
	Triggers          types.Map      `tfsdk:"triggers"`
	WaitForCompletion types.Bool     `tfsdk:"wait_for_completion"`
	Reprocessed       types.Bool     `tfsdk:"reprocessed"`
	State             types.String   `tfsdk:"state"`
	Status            types.String   `tfsdk:"status"`
	CompletedDateTime types.String   `tfsdk:"completed_date_time"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

func (r *accessPackageAssignmentRequestReprocessResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_request_reprocess"
}

// MoveState takes state from entitlement_assignment_request_reprocess, this type's name before the first
// release, for a moved block.
func (r *accessPackageAssignmentRequestReprocessResource) MoveState(ctx context.Context) []resource.StateMover {
	return movedFrom(ctx, r, "entitlement_assignment_request_reprocess")
}

func (r *accessPackageAssignmentRequestReprocessResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reprocesses an assignment request that ended `deliveryFailed` or `partiallyDelivered`: Graph retries delivering the access, if the request completed less than 14 days ago. " +
			"An action-style resource: creating it calls `reprocess`, a change of `triggers` calls it again, destroying it only forgets. " +
			"A request that is already `delivered` needs nothing: a warning says so and no call is made. On Terraform 1.14 and later, the `entitlement_access_package_assignment_request_reprocess` action does the same from an `action` block.",
		Attributes: map[string]schema.Attribute{
			"id": actionIDAttribute(),
			"request_id": schema.StringAttribute{
				MarkdownDescription: "The assignment request to reprocess. Changing it reprocesses the new request.",
				Required:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       []planmodifier.String{sameIDReplace()},
			},
			"triggers":            triggersAttribute(),
			"wait_for_completion": waitAttribute(),
			"reprocessed": schema.BoolAttribute{
				MarkdownDescription: "Whether the provider called reprocess (false when the request was already delivered).",
				Computed:            true,
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"state":               outcomeAttribute("The request's state after the action (after the wait, when waiting): `delivered` on success."),
			"status":              outcomeAttribute("Graph's status text for the request after the action."),
			"completed_date_time": outcomeAttribute("When the request completed, after the action."),
			"timeouts":            resourceTimeouts(ctx, timeouts.Opts{Create: true}),
		},
	}
}

// ModifyPlan checks, at plan time, what it can know: the request exists, is
// in a state Graph reprocesses, and completed less than 14 days ago.
func (r *accessPackageAssignmentRequestReprocessResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !r.configured() || !runs(ctx, req, "request_id", "triggers") {
		return
	}
	var id types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("request_id"), &id)...)
	if id.IsUnknown() || id.IsNull() {
		return
	}
	q, err := r.client.GetRequest(ctx, id.ValueString())
	if err != nil {
		if graph.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("request_id"), "Unknown assignment request", "There is no assignment request "+id.ValueString()+" in Graph.\n\n"+explain(err))
		}
		return // other errors: let the apply try and report
	}
	_, warning, gerr := graph.ReprocessGuard(q, time.Now())
	if gerr != nil {
		resp.Diagnostics.AddAttributeError(path.Root("request_id"), "Cannot reprocess this request", gerr.Error())
	}
	if warning != "" {
		resp.Diagnostics.AddAttributeWarning(path.Root("request_id"), "Nothing to reprocess", warning)
	}
}

func (r *accessPackageAssignmentRequestReprocessResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m accessPackageAssignmentRequestReprocessModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	id := m.RequestID.ValueString()
	res, err := r.client.Reprocess(ctx, id, graph.ActionOptions{Wait: m.WaitForCompletion.ValueBool(), Poll: r.poll,
		Progress: func(q *graph.Request) {
			tflog.Debug(ctx, "reprocessed request progress", map[string]any{"request_id": q.ID, "state": q.State, "status": q.Status})
		}})
	actionDiagnostics(&resp.Diagnostics, "reprocessing assignment request "+id, res, err)
	if res == nil || (err != nil && !res.Called) {
		return // nothing was done: nothing to record
	}
	m.ID = types.StringValue(id)
	m.Reprocessed = types.BoolValue(res.Called)
	m.State, m.Status, m.CompletedDateTime = requestOutcome(res.Request)
	// A reprocess that failed again is recorded (and tainted), so the next
	// apply reprocesses once more.
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
