package provider

import (
	"context"
	"fmt"
	"strings"

	actiontimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	actionschema "github.com/hashicorp/terraform-plugin-framework/action/schema"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// What the reprocess and resume resources and actions share.

// actionStyleResource is what the action-style resources share, in the
// manner of terraform_data: Create runs the action; a change of `triggers`
// (or of the object acted on) replaces the resource and so runs it again;
// other changes are recorded in place without a call; Read makes no Graph
// call, because the resource records something done, not an object that
// lives on; Delete only forgets.
type actionStyleResource struct {
	resourceBase
}

// Read keeps the recorded outcome: see actionStyleResource.
func (b *actionStyleResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

// Update records a change that does not re-run the action (wait_for_completion, timeouts).
func (b *actionStyleResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

// Delete forgets; the action cannot be undone.
func (b *actionStyleResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// runs reports whether the plan runs the action: a create, or a replacement,
// which a change of one of the attributes that force it means. (The
// framework gives a resource's ModifyPlan an empty RequiresReplace, so the
// attributes are compared here.)
func runs(ctx context.Context, req resource.ModifyPlanRequest, replacing ...string) bool {
	if req.Plan.Raw.IsNull() {
		return false
	}
	if req.State.Raw.IsNull() {
		return true
	}
	for _, name := range replacing {
		var planned, prior attr.Value
		if req.Plan.GetAttribute(ctx, path.Root(name), &planned).HasError() || req.State.GetAttribute(ctx, path.Root(name), &prior).HasError() {
			return true
		}
		if !planned.Equal(prior) {
			return true
		}
	}
	return false
}

// Schema fragments of the action-style resources.

func actionIDAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The id of the object acted on.",
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

func triggersAttribute() schema.MapAttribute {
	return schema.MapAttribute{
		MarkdownDescription: "Arbitrary values; a change runs the action again (like `terraform_data`'s `triggers_replace`).",
		ElementType:         types.StringType,
		Optional:            true,
		PlanModifiers:       []planmodifier.Map{mapplanmodifier.RequiresReplace()},
	}
}

func waitAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: "Follow the request after the call until it ends, and fail if it fails again (default `true`). With `false`, the resource records the call and the state read right after it.",
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(true),
	}
}

// outcomeAttribute is a computed attribute recorded when the action runs.
func outcomeAttribute(desc string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: desc,
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

// requestOutcome records a request's state, status and completion.
func requestOutcome(r *graph.Request) (state, status, completed types.String) {
	if r == nil {
		return types.StringNull(), types.StringNull(), types.StringNull()
	}
	return types.StringValue(r.State), types.StringValue(r.Status), fmtTime(r.Completed)
}

// actionDiagnostics turns an action's outcome into diagnostics.
func actionDiagnostics(diags *diag.Diagnostics, summary string, res *graph.ActionResult, err error) {
	if res != nil && res.Warning != "" {
		diags.AddWarning(summary+": nothing to do", res.Warning)
	}
	if err != nil {
		diags.AddError("Error "+summary, explain(err))
	}
}

// resumeInput is the graph input of a resume, from any of the forms that
// carry the same attributes (resource and action).
func resumeInput(source, stage, instanceID, detail, state types.String) graph.ResumeInput {
	return graph.ResumeInput{Source: source.ValueString(), Stage: stage.ValueString(), StageInstanceID: instanceID.ValueString(),
		StageInstanceDetail: detail.ValueString(), State: state.ValueString()}
}

const resumeStateDoc = "Ends the request instead of letting it proceed: `denied` or `canceled`. Graph accepts it only at the `assignmentRequestCreated` stage (checked at plan time). Left out, the request proceeds."

const noResumeDetail = "Microsoft Graph v1.0 in the US Government (L4, L5) and China clouds has no resume action for assignment requests (see the resume page's national cloud table); only the global service has it. Answer the custom extension from its own workflow instead."

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

// movedFrom lets a `moved` block carry state from the resource type's name
// before the first release (Terraform 1.8 and later move state between
// resource types). The schema is the same under both names, so the state
// moves as it is.
func movedFrom(ctx context.Context, r resource.Resource, oldType string) []resource.StateMover {
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	return []resource.StateMover{{
		SourceSchema: &sr.Schema,
		StateMover: func(_ context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
			if req.SourceTypeName != oldType || !strings.HasSuffix(req.SourceProviderAddress, "/entitlement") || req.SourceState == nil {
				return // not ours to move: the framework reports that no mover applies
			}
			resp.TargetState.Raw = req.SourceState.Raw
		},
	}}
}

// resumePlanCheck says at plan time, by reading the request, whether a resume
// can be made: the cloud has resume, the request exists, and it waits for a
// callback (graph.ResumeGuard). Errors reading it for another reason are left
// to the apply.
func resumePlanCheck(ctx context.Context, pd *providerData, id types.String, in graph.ResumeInput, diags *diag.Diagnostics) {
	if !pd.cloud.HasResume {
		diags.AddError("Resume is not available in this cloud", noResumeDetail)
		return
	}
	if id.IsUnknown() || id.IsNull() {
		return
	}
	q, err := pd.client.GetRequest(ctx, id.ValueString())
	switch {
	case graph.IsNotFound(err):
		addAttributeGraphError(diags, path.Root("request_id"), "Unknown assignment request", fmt.Sprintf("There is no assignment request %s in Graph.", id.ValueString()), err)
	case err != nil:
	default:
		if gerr := graph.ResumeGuard(q, in); gerr != nil {
			diags.AddAttributeError(path.Root("request_id"), "Cannot resume this request", gerr.Error())
		}
	}
}

// actionTimeouts is an action's timeouts attribute (invoke), with its
// default in the description and its value checked.
func actionTimeouts(ctx context.Context) actionschema.Attribute {
	attr := actiontimeouts.Attributes(ctx)
	a, ok := attr.(actionschema.SingleNestedAttribute)
	if !ok {
		return attr
	}
	inv, ok := a.Attributes["invoke"].(actionschema.StringAttribute)
	if !ok {
		return attr
	}
	inv.Validators = append(inv.Validators, timeoutValue{})
	inv.MarkdownDescription = fmt.Sprintf("How long the action may take, following the request (default `%s`).", shortDuration(defaultTimeout))
	a.Attributes["invoke"] = inv
	a.MarkdownDescription = "How long the action may take, as a duration such as `30m`."
	return a
}
