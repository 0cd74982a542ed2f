package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// Diagnostics follow one style, the random provider's: the summary says what
// failed in Terraform's terms, title-cased ("Error creating access package
// assignment"); the detail says what happened and names the ids involved,
// then, after a blank line, "Original Error: " and Graph's error with its
// status, code, message and request-id (graph.Error renders them).

// explain renders an error as the last paragraph of a detail.
func explain(err error) string {
	return "Original Error: " + err.Error()
}

// addGraphError adds an error whose detail is what happened, then the error.
func addGraphError(diags *diag.Diagnostics, summary, what string, err error) {
	if what == "" {
		diags.AddError(summary, explain(err))
		return
	}
	diags.AddError(summary, what+"\n\n"+explain(err))
}

// addAttributeGraphError is addGraphError for one attribute.
func addAttributeGraphError(diags *diag.Diagnostics, p path.Path, summary, what string, err error) {
	diags.AddAttributeError(p, summary, what+"\n\n"+explain(err))
}

// calloutDetail lists the custom-extension callouts of a request that have
// something to say, as a paragraph to append to a detail.
func calloutDetail(q *graph.Request) string {
	var parts []string
	for _, c := range q.Callouts {
		if c.Detail != "" {
			parts = append(parts, fmt.Sprintf("custom extension %s (%s): %s", c.CustomExtensionID, c.Status, c.Detail))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n\n" + strings.Join(parts, "\n")
}

// policyClause is " under policy <id>", or nothing without a policy.
func policyClause(policyID string) string {
	if policyID == "" {
		return ""
	}
	return " under policy " + policyID
}

// describeTarget names an adminAdd's target for a message.
func describeTarget(in graph.AddInput) string {
	if in.TargetObjectID != "" {
		return "user " + in.TargetObjectID
	}
	return "email " + in.TargetEmail
}
