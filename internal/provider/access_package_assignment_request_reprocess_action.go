package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The Terraform 1.14 actions are the same reprocess and resume as the
// action-style resources, through the same guards and calls in
// internal/graph, for `action` blocks and `action_trigger`. Terraform before
// 1.14 has no actions; those versions use the resources.

var (
	_ action.ActionWithConfigure  = (*accessPackageAssignmentRequestReprocessAction)(nil)
	_ action.ActionWithModifyPlan = (*accessPackageAssignmentRequestReprocessAction)(nil)
)

// NewAccessPackageAssignmentRequestReprocessAction is the entitlement_access_package_assignment_request_reprocess action.
func NewAccessPackageAssignmentRequestReprocessAction() action.Action {
	return &accessPackageAssignmentRequestReprocessAction{}
}

type accessPackageAssignmentRequestReprocessAction struct{ actionBase }

type reprocessActionModel struct {
	RequestID         types.String   `tfsdk:"request_id"`
	WaitForCompletion types.Bool     `tfsdk:"wait_for_completion"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

func (a *accessPackageAssignmentRequestReprocessAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_request_reprocess"
}

func (a *accessPackageAssignmentRequestReprocessAction) Schema(ctx context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reprocesses an assignment request that ended `deliveryFailed` or `partiallyDelivered`, within 14 days of its completion, and reports its progress. Terraform 1.14 and later; earlier versions use the `entitlement_access_package_assignment_request_reprocess` resource.",
		Attributes: map[string]schema.Attribute{
			"request_id":          schema.StringAttribute{Required: true, MarkdownDescription: "The assignment request to reprocess.", Validators: []validator.String{guid()}},
			"wait_for_completion": schema.BoolAttribute{Optional: true, MarkdownDescription: "Follow the request until it ends (default `true`)."},
			"timeouts":            actionTimeouts(ctx),
		},
	}
}

// ModifyPlan runs the reprocess guard at plan time when the request id is known.
func (a *accessPackageAssignmentRequestReprocessAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m reprocessActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if !a.configured() || resp.Diagnostics.HasError() || m.RequestID.IsUnknown() {
		return
	}
	q, err := a.client.GetRequest(ctx, m.RequestID.ValueString())
	if graph.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("request_id"), "Unknown assignment request", explain(err))
		return
	}
	if err != nil {
		return
	}
	if _, warning, gerr := graph.ReprocessGuard(q, time.Now()); gerr != nil {
		resp.Diagnostics.AddAttributeError(path.Root("request_id"), "Cannot reprocess this request", gerr.Error())
	} else if warning != "" {
		resp.Diagnostics.AddAttributeWarning(path.Root("request_id"), "Nothing to reprocess", warning)
	}
}

func (a *accessPackageAssignmentRequestReprocessAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m reprocessActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Invoke(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := m.WaitForCompletion.IsNull() || m.WaitForCompletion.ValueBool()
	res, err := a.client.Reprocess(ctx, m.RequestID.ValueString(), graph.ActionOptions{Wait: wait, Poll: a.poll, Progress: progress(resp)})
	actionDiagnostics(&resp.Diagnostics, "reprocessing assignment request "+m.RequestID.ValueString(), res, err)
}
