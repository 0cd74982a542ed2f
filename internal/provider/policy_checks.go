package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// The answers of a configuration, checked against its assignment policy's
// questions, shared by the resources that send answers.

// resolveAnswers turns the configured answers into Graph answers, reading
// the policy's questions once to know each one's type and to say clearly,
// before any request is sent, which answer does not fit.
func resolveAnswers(ctx context.Context, client *graph.Client, policyID string, list types.List) ([]graph.Answer, diag.Diagnostics) {
	ams, diags := expandAnswers(ctx, list)
	if len(ams) == 0 || diags.HasError() {
		return nil, diags
	}
	pol, err := client.GetPolicy(ctx, policyID)
	if err != nil {
		addGraphError(&diags, "Error Reading the Policy's Questions", fmt.Sprintf("The answers cannot be sent without the questions of policy %s.", policyID), err)
		return nil, diags
	}
	byID := map[string]graph.Question{}
	var ids []string
	for _, q := range pol.Questions {
		byID[strings.ToLower(q.ID)] = q
		ids = append(ids, q.ID)
	}
	out := make([]graph.Answer, 0, len(ams))
	for i, a := range ams {
		q, ok := byID[strings.ToLower(a.QuestionID.ValueString())]
		p := path.Root("answers").AtListIndex(i)
		if !ok {
			diags.AddAttributeError(p.AtName("question_id"), "Unknown question",
				fmt.Sprintf("Policy %s has no question %s; its questions are: %s.", policyID, a.QuestionID.ValueString(), strings.Join(ids, ", ")))
			continue
		}
		if q.Type == "choice" && !slices.Contains(q.Choices, a.Value.ValueString()) {
			diags.AddAttributeError(p.AtName("value"), "Not one of the choices",
				fmt.Sprintf("Question %s (%q) accepts %s, not %q.", q.ID, q.Text, strings.Join(q.Choices, ", "), a.Value.ValueString()))
			continue
		}
		out = append(out, graph.Answer{QuestionID: q.ID, QuestionType: q.Type, Value: a.Value.ValueString(), DisplayValue: a.DisplayValue.ValueString()})
	}
	return out, diags
}

// answersFor types the answers with the policy's questions when the policy
// is known, and as text questions otherwise (Graph reads the id).
func answersFor(pol *graph.Policy, ams []answerModel) []graph.Answer {
	kinds := map[string]string{}
	if pol != nil {
		for _, q := range pol.Questions {
			kinds[strings.ToLower(q.ID)] = q.Type
		}
	}
	out := make([]graph.Answer, 0, len(ams))
	for _, a := range ams {
		out = append(out, graph.Answer{QuestionID: a.QuestionID.ValueString(), QuestionType: kinds[strings.ToLower(a.QuestionID.ValueString())],
			Value: a.Value.ValueString(), DisplayValue: a.DisplayValue.ValueString()})
	}
	return out
}
