package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The Terraform 1.14 actions: the same reprocess and resume as the
// action-style resources, through the same guards and calls in
// internal/graph, for `action` blocks and `action_trigger`. Terraform
// before 1.14 ignores actions; those versions use the resources.

var (
	_ action.ActionWithConfigure      = (*reprocessAction)(nil)
	_ action.ActionWithModifyPlan     = (*reprocessAction)(nil)
	_ action.ActionWithConfigure      = (*resumeAction)(nil)
	_ action.ActionWithModifyPlan     = (*resumeAction)(nil)
	_ action.ActionWithValidateConfig = (*resumeAction)(nil)
)

type actionBase struct {
	client *graph.Client
	env    environment
	poll   graph.PollPolicy
}

func (b *actionBase) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	if data := configured(req.ProviderData, &resp.Diagnostics); data != nil {
		b.client, b.env, b.poll = data.client, data.env, data.poll
	}
}

// progress reports each state the request passes through to Terraform.
func progress(resp *action.InvokeResponse) func(*graph.Request) {
	last := ""
	return func(q *graph.Request) {
		if now := q.State + "/" + q.Status; now != last && resp.SendProgress != nil {
			last = now
			resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("assignment request %s: %s (%s)", q.ID, q.State, q.Status)})
		}
	}
}

func actionTimeout(v types.String) (time.Duration, error) {
	if v.IsNull() || v.IsUnknown() {
		return defaultTimeout, nil
	}
	return time.ParseDuration(v.ValueString())
}

var actionTimeoutAttribute = schema.StringAttribute{
	MarkdownDescription: "How long to wait, as a Go duration such as `30m` (default 30m).",
	Optional:            true,
	Validators:          []validator.String{stringCheck{desc: "duration", check: func(s string) error { _, err := time.ParseDuration(s); return err }}},
}

// ---- reprocess ---------------------------------------------------------------------------

// NewReprocessAction is the entitlement_assignment_request_reprocess action.
func NewReprocessAction() action.Action { return &reprocessAction{} }

type reprocessAction struct{ actionBase }

type reprocessActionModel struct {
	RequestID         types.String `tfsdk:"request_id"`
	WaitForCompletion types.Bool   `tfsdk:"wait_for_completion"`
	Timeout           types.String `tfsdk:"timeout"`
}

func (a *reprocessAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_assignment_request_reprocess"
}

func (a *reprocessAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reprocesses an assignment request that ended `deliveryFailed` or `partiallyDelivered`, within 14 days of its completion, and reports its progress. Terraform 1.14 and later; earlier versions use the `entitlement_assignment_request_reprocess` resource.",
		Attributes: map[string]schema.Attribute{
			"request_id":          schema.StringAttribute{Required: true, MarkdownDescription: "The assignment request to reprocess.", Validators: []validator.String{guid()}},
			"wait_for_completion": schema.BoolAttribute{Optional: true, MarkdownDescription: "Follow the request until it ends (default `true`)."},
			"timeout":             actionTimeoutAttribute,
		},
	}
}

// ModifyPlan runs the reprocess guard at plan time when the request id is known.
func (a *reprocessAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m reprocessActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if a.client == nil || resp.Diagnostics.HasError() || m.RequestID.IsUnknown() {
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

func (a *reprocessAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m reprocessActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, err := actionTimeout(m.Timeout)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid timeout", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := m.WaitForCompletion.IsNull() || m.WaitForCompletion.ValueBool()
	res, err := a.client.Reprocess(ctx, m.RequestID.ValueString(), graph.ActionOptions{Wait: wait, Poll: a.poll, Progress: progress(resp)})
	actionDiagnostics(&resp.Diagnostics, "reprocessing assignment request "+m.RequestID.ValueString(), res, err)
}

// ---- resume ---------------------------------------------------------------------------------

// NewResumeAction is the entitlement_assignment_request_resume action.
func NewResumeAction() action.Action { return &resumeAction{} }

type resumeAction struct{ actionBase }

type resumeActionModel struct {
	RequestID           types.String `tfsdk:"request_id"`
	Source              types.String `tfsdk:"source"`
	Stage               types.String `tfsdk:"stage"`
	StageInstanceID     types.String `tfsdk:"custom_extension_stage_instance_id"`
	StageInstanceDetail types.String `tfsdk:"custom_extension_stage_instance_detail"`
	CallbackState       types.String `tfsdk:"callback_state"`
	WaitForCompletion   types.Bool   `tfsdk:"wait_for_completion"`
	Timeout             types.String `tfsdk:"timeout"`
}

func (a *resumeAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_assignment_request_resume"
}

func (a *resumeAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	s := func(desc string, required bool, v ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Required: required, Optional: !required, Validators: v}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resumes an assignment request that waits for a custom extension's callback (status `WaitingForCallback`). Global cloud only. Terraform 1.14 and later; earlier versions use the `entitlement_assignment_request_resume` resource.",
		Attributes: map[string]schema.Attribute{
			"request_id":                             s("The assignment request to resume.", true, guid()),
			"source":                                 s("Who answers, for Graph's audit.", true),
			"stage":                                  s("The stage the request waits at.", true, stringvalidator.OneOf(graph.ResumeStages...)),
			"custom_extension_stage_instance_id":     s("The waiting callout instance's id, if Graph should check it.", false),
			"custom_extension_stage_instance_detail": s("A note recorded on the callout instance.", false),
			"callback_state":                         s(resumeStateDoc, false, stringvalidator.OneOf("denied", "canceled")),
			"wait_for_completion":                    schema.BoolAttribute{Optional: true, MarkdownDescription: "Follow the request until it settles again (default `true`)."},
			"timeout":                                actionTimeoutAttribute,
		},
	}
}

func (a *resumeAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m resumeActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Stage.IsUnknown() || m.Stage.IsNull() || m.CallbackState.IsUnknown() {
		return
	}
	if err := graph.ValidateResume(resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState)); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("callback_state"), "Invalid resume", err.Error())
	}
}

func (a *resumeAction) ModifyPlan(_ context.Context, _ action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	if a.client != nil && !a.env.hasResume {
		resp.Diagnostics.AddError("Resume is not available in this cloud", noResumeDetail)
	}
}

func (a *resumeAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m resumeActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !a.env.hasResume {
		resp.Diagnostics.AddError("Resume is not available in this cloud", noResumeDetail)
		return
	}
	timeout, err := actionTimeout(m.Timeout)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid timeout", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := m.WaitForCompletion.IsNull() || m.WaitForCompletion.ValueBool()
	in := resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState)
	res, err := a.client.Resume(ctx, m.RequestID.ValueString(), in, graph.ActionOptions{Wait: wait, Poll: a.poll, Progress: progress(resp)})
	actionDiagnostics(&resp.Diagnostics, "resuming assignment request "+m.RequestID.ValueString(), res, err)
}
