package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ resource.ResourceWithMoveState      = (*accessPackageAssignmentRequestResumeResource)(nil)
	_ resource.ResourceWithConfigure      = (*accessPackageAssignmentRequestResumeResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*accessPackageAssignmentRequestResumeResource)(nil)
	_ resource.ResourceWithValidateConfig = (*accessPackageAssignmentRequestResumeResource)(nil)
)

// NewAccessPackageAssignmentRequestResumeResource is the entitlement_access_package_assignment_request_resume resource.
func NewAccessPackageAssignmentRequestResumeResource() resource.Resource {
	return &accessPackageAssignmentRequestResumeResource{}
}

type accessPackageAssignmentRequestResumeResource struct{ actionStyleResource }

type accessPackageAssignmentRequestResumeModel struct {
	ID                  types.String   `tfsdk:"id"`
	RequestID           types.String   `tfsdk:"request_id"`
	Source              types.String   `tfsdk:"source"`
	Stage               types.String   `tfsdk:"stage"`
	StageInstanceID     types.String   `tfsdk:"custom_extension_stage_instance_id"`
	StageInstanceDetail types.String   `tfsdk:"custom_extension_stage_instance_detail"`
	CallbackState       types.String   `tfsdk:"callback_state"`
	Triggers            types.Map      `tfsdk:"triggers"`
	WaitForCompletion   types.Bool     `tfsdk:"wait_for_completion"`
	State               types.String   `tfsdk:"state"`
	Status              types.String   `tfsdk:"status"`
	CompletedDateTime   types.String   `tfsdk:"completed_date_time"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
}

func (r *accessPackageAssignmentRequestResumeResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_request_resume"
}

// MoveState takes state from entitlement_assignment_request_resume, this type's name before the first
// release, for a moved block.
func (r *accessPackageAssignmentRequestResumeResource) MoveState(ctx context.Context) []resource.StateMover {
	return movedFrom(ctx, r, "entitlement_assignment_request_resume")
}

func (r *accessPackageAssignmentRequestResumeResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resumes an assignment request that waits for a custom extension's callback (status `WaitingForCallback`), as the extension's Logic App would: the request proceeds, or, at the `assignmentRequestCreated` stage, is denied or canceled. " +
			"An action-style resource: creating it calls `resume`, a change of `triggers` or of any callback attribute calls it again, destroying it only forgets. " +
			"Not available in the US Government and China clouds, whose v1.0 API has no resume. On Terraform 1.14 and later, the `entitlement_access_package_assignment_request_resume` action does the same from an `action` block.",
		Attributes: map[string]schema.Attribute{
			"id": actionIDAttribute(),
			"request_id": schema.StringAttribute{
				MarkdownDescription: "The assignment request to resume.",
				Required:            true,
				Validators:          []validator.String{guid()},
				PlanModifiers:       []planmodifier.String{sameIDReplace()},
			},
			"source": schema.StringAttribute{
				MarkdownDescription: "Who answers, for Graph's audit (free text, for example `Contoso.SodCheckProcess`).",
				Required:            true,
				PlanModifiers:       replace,
			},
			"stage": schema.StringAttribute{
				MarkdownDescription: "The custom-extension stage the request waits at: `assignmentRequestCreated`, `assignmentRequestApproved`, `assignmentRequestGranted` or `assignmentRequestRemoved`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(graph.ResumeStages...)},
				PlanModifiers:       replace,
			},
			// The callout instance and its note describe the call that was made:
			// once the request has moved on, its waiting callout is gone (a
			// configuration that reads it from the request's data source then
			// gets null), and that must not run the resume again.
			"custom_extension_stage_instance_id": schema.StringAttribute{
				MarkdownDescription: "The id of the waiting callout instance (from the request's `custom_extension_callout_instances`), if you want Graph to check it. A later change (the callout is no longer waiting once resumed) is recorded without resuming again.",
				Optional:            true,
			},
			"custom_extension_stage_instance_detail": schema.StringAttribute{
				MarkdownDescription: "A note recorded on the callout instance, such as `This user is all verified`. A later change is recorded without resuming again.",
				Optional:            true,
			},
			"callback_state": schema.StringAttribute{
				MarkdownDescription: resumeStateDoc,
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf("denied", "canceled")},
				PlanModifiers:       replace,
			},
			"triggers":            triggersAttribute(),
			"wait_for_completion": waitAttribute(),
			"state":               outcomeAttribute("The request's state after the action (after the wait, when waiting)."),
			"status":              outcomeAttribute("Graph's status text for the request after the action."),
			"completed_date_time": outcomeAttribute("When the request completed, if it has."),
			"timeouts":            resourceTimeouts(ctx, timeouts.Opts{Create: true}),
		},
	}
}

// ValidateConfig applies the resume page's stage rules at plan time.
func (r *accessPackageAssignmentRequestResumeResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m accessPackageAssignmentRequestResumeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Stage.IsUnknown() || m.CallbackState.IsUnknown() || m.Stage.IsNull() {
		return
	}
	if err := graph.ValidateResume(resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState)); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("callback_state"), "Invalid resume", err.Error())
	}
}

// ModifyPlan checks at plan time that the cloud has resume and that the
// request exists and waits for a callback.
func (r *accessPackageAssignmentRequestResumeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !r.configured() || !runs(ctx, req, "request_id", "source", "stage", "callback_state", "triggers") {
		return
	}
	var m accessPackageAssignmentRequestResumeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resumePlanCheck(ctx, r.providerData, m.RequestID, resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState), &resp.Diagnostics)
}

func (r *accessPackageAssignmentRequestResumeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m accessPackageAssignmentRequestResumeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := m.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	id := m.RequestID.ValueString()
	res, err := r.client.Resume(ctx, id, resumeInput(m.Source, m.Stage, m.StageInstanceID, m.StageInstanceDetail, m.CallbackState),
		graph.ActionOptions{Wait: m.WaitForCompletion.ValueBool(), Poll: r.poll, Progress: func(q *graph.Request) {
			tflog.Debug(ctx, "resumed request progress", map[string]any{"request_id": q.ID, "state": q.State, "status": q.Status})
		}})
	actionDiagnostics(&resp.Diagnostics, "resuming assignment request "+id, res, err)
	if res == nil || !res.Called {
		return
	}
	m.ID = types.StringValue(id)
	m.State, m.Status, m.CompletedDateTime = requestOutcome(res.Request)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
