package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The list resource behind `terraform query` (Terraform 1.14): it finds the
// assignments to adopt, and `terraform query -generate-config-out` writes an
// import block and a resource for each. One paged Graph list, never a call
// per assignment.

var _ list.ListResourceWithConfigure = (*accessPackageAssignmentListResource)(nil)

// NewAccessPackageAssignmentListResource is the entitlement_access_package_assignment list resource.
func NewAccessPackageAssignmentListResource() list.ListResource {
	return &accessPackageAssignmentListResource{}
}

type accessPackageAssignmentListResource struct {
	resourceBase
}

type assignmentListConfig struct {
	AccessPackageID    types.String `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String `tfsdk:"assignment_policy_id"`
	TargetObjectID     types.String `tfsdk:"target_object_id"`
	State              types.String `tfsdk:"state"`
}

func (l *accessPackageAssignmentListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment"
}

func (l *accessPackageAssignmentListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists access package assignments for `terraform query`: the live ones by default, filtered like the `entitlement_access_package_assignments` data source.",
		Attributes: map[string]schema.Attribute{
			"access_package_id":    schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments of this access package.", Validators: []validator.String{guid()}},
			"assignment_policy_id": schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments under this policy.", Validators: []validator.String{guid()}},
			"target_object_id":     schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments of this user.", Validators: []validator.String{guid()}},
			"state": schema.StringAttribute{Optional: true, MarkdownDescription: "Only assignments in this state (default: every state but `expired`).",
				Validators: []validator.String{stringvalidator.OneOf(assignmentStates...)}},
		},
	}
}

func (l *accessPackageAssignmentListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg assignmentListConfig
	if diags := req.Config.Get(ctx, &cfg); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	all, err := l.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: cfg.AccessPackageID.ValueString(),
		PolicyID: cfg.AssignmentPolicyID.ValueString(), TargetObjectID: cfg.TargetObjectID.ValueString(), State: cfg.State.ValueString()})
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Error listing access package assignments", explain(err))
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		sent := int64(0)
		for _, a := range all {
			if cfg.State.IsNull() && !a.Live() {
				continue
			}
			if req.Limit > 0 && sent >= req.Limit {
				return
			}
			res := req.NewListResult(ctx)
			res.DisplayName = a.ID
			if a.Target != nil {
				res.DisplayName = fmt.Sprintf("%s in %s", firstOf(a.Target.PrincipalName, a.Target.Email, a.Target.ObjectID), a.AccessPackageID)
			}
			res.Diagnostics.Append(res.Identity.SetAttribute(ctx, path.Root("id"), a.ID)...)
			if req.IncludeResource {
				m := assignmentModelFrom(ctx, a, &res.Diagnostics)
				res.Diagnostics.Append(res.Resource.Set(ctx, &m)...)
			}
			sent++
			if !push(res) {
				return
			}
		}
	}
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// assignmentModelFrom is the resource's state for an assignment found in Graph,
// as an import would record it.
func assignmentModelFrom(ctx context.Context, a *graph.Assignment, diags *diag.Diagnostics) accessPackageAssignmentModel {
	m := accessPackageAssignmentModel{
		ID: types.StringValue(a.ID), AccessPackageID: types.StringValue(a.AccessPackageID), AssignmentPolicyID: types.StringValue(a.PolicyID),
		TargetObjectID: types.StringNull(), TargetEmail: types.StringNull(), Justification: types.StringNull(),
		Schedule: types.ObjectUnknown(scheduleAttrTypes), Answers: types.ListNull(types.ObjectType{AttrTypes: answerAttrTypes}),
		RequestID: types.StringValue(""), Target: types.ObjectNull(targetAttrTypes),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"create": types.StringType, "update": types.StringType, "delete": types.StringType})},
	}
	if a.Target != nil && a.Target.ObjectID != "" {
		m.TargetObjectID = types.StringValue(a.Target.ObjectID)
	}
	recordAssignment(ctx, &m, a, diags)
	if m.Schedule.IsUnknown() {
		m.Schedule = types.ObjectNull(scheduleAttrTypes)
	}
	return m
}
