package provider

import (
	"context"
	"fmt"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The models and attributes that the data sources (and the list resource)
// share: an assignment and a request as Graph has them.

var assignmentStates = []string{"delivering", "partiallyDelivered", "delivered", "expired", "deliveryFailed"}

type assignmentDataModel struct {
	ID                 types.String `tfsdk:"id"`
	AccessPackageID    types.String `tfsdk:"access_package_id"`
	AssignmentPolicyID types.String `tfsdk:"assignment_policy_id"`
	TargetObjectID     types.String `tfsdk:"target_object_id"`
	State              types.String `tfsdk:"state"`
	Status             types.String `tfsdk:"status"`
	ExpiredDateTime    types.String `tfsdk:"expired_date_time"`
	AccessStart        types.String `tfsdk:"access_start_date_time"`
	AccessEnd          types.String `tfsdk:"access_end_date_time"`
	Target             types.Object `tfsdk:"target"`
	Schedule           types.Object `tfsdk:"schedule"`
}

func flattenAssignmentData(ctx context.Context, a *graph.Assignment) assignmentDataModel {
	m := assignmentDataModel{ID: types.StringValue(a.ID), AccessPackageID: optString(a.AccessPackageID), AssignmentPolicyID: optString(a.PolicyID),
		TargetObjectID: types.StringNull(), State: types.StringValue(a.State), Status: types.StringValue(a.Status),
		ExpiredDateTime: fmtTime(a.Expired), Target: flattenTarget(a.Target), Schedule: types.ObjectNull(scheduleAttrTypes),
		AccessStart: types.StringNull(), AccessEnd: types.StringNull()}
	if a.Schedule != nil {
		m.AccessStart, m.AccessEnd = fmtTime(a.Schedule.Start), fmtTime(scheduledEnd(a.Schedule))
	}
	if a.Target != nil {
		m.TargetObjectID = optString(a.Target.ObjectID)
	}
	if a.Schedule != nil {
		m.Schedule, _ = mergeSchedule(ctx, types.ObjectUnknown(scheduleAttrTypes), a.Schedule)
	}
	return m
}

// assignmentDataAttributes describes an assignment; lookup makes the keys inputs.
func assignmentDataAttributes(lookup bool) map[string]schema.Attribute {
	c := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	key := func(desc string) schema.StringAttribute {
		if !lookup {
			return c(desc)
		}
		return schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: desc, Validators: []validator.String{guid()}}
	}
	return map[string]schema.Attribute{
		"id":                     key("The assignment id."),
		"access_package_id":      key("The access package."),
		"assignment_policy_id":   key("The assignment policy."),
		"target_object_id":       key("The object id of the user the assignment is for."),
		"state":                  c("`delivering`, `partiallyDelivered`, `delivered`, `deliveryFailed` or `expired`."),
		"status":                 c("Graph's status text."),
		"expired_date_time":      c("When the assignment expired or was removed."),
		"access_start_date_time": c("When the access started (or starts), as Graph holds it."),
		"access_end_date_time":   c("When the access ends, as Graph holds it: the end date, or the start plus an `afterDuration` expiration's duration. Null when it does not end."),
		"target": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The subject, as Graph reports it.",
			Attributes: map[string]schema.Attribute{"object_id": c("The object id."), "display_name": c("The display name."),
				"principal_name": c("The user principal name."), "email": c("The email address.")}},
		"schedule": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "When access started and ends.",
			Attributes: map[string]schema.Attribute{
				"start_date_time": c("The start (RFC 3339)."),
				"expiration": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The end of access.",
					Attributes: map[string]schema.Attribute{"type": c("`noExpiration` or `afterDateTime` (Graph records durations as end dates)."),
						"end_date_time": c("The end (RFC 3339)."), "duration": c("An ISO 8601 duration, if Graph kept one.")}},
			}},
	}
}

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

// withReadTimeout adds the timeouts attribute (read) to a data source's attributes.
func withReadTimeout(ctx context.Context, attrs map[string]schema.Attribute) map[string]schema.Attribute {
	attr := dstimeouts.Attributes(ctx)
	a, ok := attr.(schema.SingleNestedAttribute)
	r, ok2 := a.Attributes["read"].(schema.StringAttribute)
	if !ok || !ok2 {
		attrs["timeouts"] = attr
		return attrs
	}
	r.Validators = append(r.Validators, timeoutValue{})
	r.MarkdownDescription = fmt.Sprintf("How long the read may take (default `%s`).", shortDuration(defaultReadTimeout))
	a.Attributes["read"] = r
	a.MarkdownDescription = "How long the read may take, as a duration such as `30s` or `5m`."
	attrs["timeouts"] = a
	return attrs
}

// readTimeout bounds a data source's read: the configured read timeout, or
// defaultReadTimeout, so that a Graph that does not answer fails the plan
// instead of hanging it.
func readTimeout(ctx context.Context, t dstimeouts.Value) (context.Context, context.CancelFunc, diag.Diagnostics) {
	d, diags := t.Read(ctx, defaultReadTimeout)
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, diags
}
