package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ action.ActionWithConfigure      = (*accessPackageAssignmentRequestResumeAction)(nil)
	_ action.ActionWithModifyPlan     = (*accessPackageAssignmentRequestResumeAction)(nil)
	_ action.ActionWithValidateConfig = (*accessPackageAssignmentRequestResumeAction)(nil)
)

// NewAccessPackageAssignmentRequestResumeAction is the entitlement_access_package_assignment_request_resume action.
func NewAccessPackageAssignmentRequestResumeAction() action.Action {
	return &accessPackageAssignmentRequestResumeAction{}
}

type accessPackageAssignmentRequestResumeAction struct{ actionBase }

type resumeActionModel struct {
	RequestID           types.String   `tfsdk:"request_id"`
	Source              types.String   `tfsdk:"source"`
	Stage               types.String   `tfsdk:"stage"`
	StageInstanceID     types.String   `tfsdk:"custom_extension_stage_instance_id"`
	StageInstanceDetail types.String   `tfsdk:"custom_extension_stage_instance_detail"`
	CallbackState       types.String   `tfsdk:"callback_state"`
	WaitForCompletion   types.Bool     `tfsdk:"wait_for_completion"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
}

func (a *accessPackageAssignmentRequestResumeAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_request_resume"
}

func (a *accessPackageAssignmentRequestResumeAction) Schema(ctx context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	s := func(desc string, required bool, v ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Required: required, Optional: !required, Validators: v}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resumes an assignment request that waits for a custom extension's callback (status `WaitingForCallback`). Global cloud only. Terraform 1.14 and later; earlier versions use the `entitlement_access_package_assignment_request_resume` resource.",
		Attributes: map[string]schema.Attribute{
			"request_id":                             s("The assignment request to resume.", true, guid()),
			"source":                                 s("Who answers, for Graph's audit.", true),
			"stage":                                  s("The stage the request waits at.", true, stringvalidator.OneOf(graph.ResumeStages...)),
			"custom_extension_stage_instance_id":     s("The waiting callout instance's id, if Graph should check it.", false),
			"custom_extension_stage_instance_detail": s("A note recorded on the callout instance.", false),
			"callback_state":                         s(resumeStateDoc, false, stringvalidator.OneOf("denied", "canceled")),
			"wait_for_completion":                    schema.BoolAttribute{Optional: true, MarkdownDescription: "Follow the request until it settles again (default `true`)."},
			"timeouts":                               actionTimeouts(ctx),
		},
	}
}

func (a *accessPackageAssignmentRequestResumeAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m resumeActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Stage.IsUnknown() || m.Stage.IsNull() || m.CallbackState.IsUnknown() {
		return
	}
	if err := graph.ValidateResume(resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState)); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("callback_state"), "Invalid resume", err.Error())
	}
}

// ModifyPlan checks at plan time that the cloud has resume and that the
// request exists and waits for a callback.
func (a *accessPackageAssignmentRequestResumeAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	if !a.configured() {
		return
	}
	var m resumeActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resumePlanCheck(ctx, a.providerData, m.RequestID, resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState), &resp.Diagnostics)
}

func (a *accessPackageAssignmentRequestResumeAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m resumeActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !a.cloud.HasResume {
		resp.Diagnostics.AddError("Resume is not available in this cloud", noResumeDetail)
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
	in := resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState)
	res, err := a.client.Resume(ctx, m.RequestID.ValueString(), in, graph.ActionOptions{Wait: wait, Poll: a.poll, Progress: progress(resp)})
	actionDiagnostics(&resp.Diagnostics, "resuming assignment request "+m.RequestID.ValueString(), res, err)
}
