package provider

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/accessgov/terraform-provider-entitlement/internal/iso8601"
)

// The answers of a configuration, checked against its assignment policy's
// questions, shared by the resources that send answers.

// resolveAnswers turns the configured answers into Graph answers, reading
// the policy's questions once to know each one's type and to say clearly,
// before any request is sent, which answer does not fit.
func resolveAnswers(ctx context.Context, pd *providerData, policyID string, list types.List) ([]graph.Answer, diag.Diagnostics) {
	ams, diags := expandAnswers(ctx, list)
	if len(ams) == 0 || diags.HasError() {
		return nil, diags
	}
	pol, err := pd.policies.get(ctx, pd.client, policyID)
	if err != nil {
		addGraphError(&diags, "Error Reading the Policy's Questions", fmt.Sprintf("The answers cannot be sent without the questions of policy %s.", policyID), err)
		return nil, diags
	}
	out, d := answersAgainst(pol, ams)
	diags.Append(d...)
	return out, diags
}

// answersAgainst checks answers against the policy's questions: each names
// a question of the policy, and a choice is one the question offers.
func answersAgainst(pol *graph.Policy, ams []answerModel) ([]graph.Answer, diag.Diagnostics) {
	var diags diag.Diagnostics
	policyID := pol.ID
	byID := map[string]graph.Question{}
	var ids []string
	for _, q := range pol.Questions {
		byID[strings.ToLower(q.ID)] = q
		ids = append(ids, q.ID)
	}
	out := make([]graph.Answer, 0, len(ams))
	seen := map[string]int{}
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
		if q.Pattern != "" {
			re, err := regexp.Compile(`^(?:` + q.Pattern + `)$`)
			if err == nil && !re.MatchString(a.Value.ValueString()) {
				diags.AddAttributeError(p.AtName("value"), "Answer does not match the question's pattern",
					fmt.Sprintf("Question %s (%q) takes answers that match %s; %q does not.", q.ID, q.Text, q.Pattern, a.Value.ValueString()))
				continue
			}
		}
		seen[strings.ToLower(q.ID)]++
		if seen[strings.ToLower(q.ID)] > 1 && !q.MultipleChoices {
			diags.AddAttributeError(p.AtName("question_id"), "Question answered twice",
				fmt.Sprintf("Question %s (%q) takes one answer.", q.ID, q.Text))
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

// policyCache keeps the policies read during one Terraform command, so that
// a plan of many assignments under one policy reads it once. A failed read
// is not kept.
type policyCache struct {
	mu sync.Mutex
	m  map[string]*policyEntry
}

type policyEntry struct {
	done chan struct{}
	p    *graph.Policy
	err  error
}

func newPolicyCache() *policyCache { return &policyCache{m: map[string]*policyEntry{}} }

func (c *policyCache) get(ctx context.Context, client *graph.Client, id string) (*graph.Policy, error) {
	key := strings.ToLower(id)
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		e = &policyEntry{done: make(chan struct{})}
		c.m[key] = e
		c.mu.Unlock()
		e.p, e.err = client.GetPolicy(ctx, id)
		if e.err != nil {
			c.mu.Lock()
			delete(c.m, key)
			c.mu.Unlock()
		}
		close(e.done)
		return e.p, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.p, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// scheduleAgainstPolicy says where a direct assignment's schedule goes
// beyond the policy's expiration. Graph documents the policy's limits for
// requests users make, not for direct assignments (the portal lets an
// administrator choose dates under any policy), so this is a warning. The
// policy's allowCustomAssignmentSchedule is not checked here for the same
// reason: it governs requestors, and most direct-assignment policies leave
// it off.
func scheduleAgainstPolicy(pol *graph.Policy, sch *graph.Schedule, now time.Time) []string {
	if sch == nil {
		return nil
	}
	var out []string
	start := now
	if sch.Start != nil && sch.Start.After(now) {
		start = *sch.Start
	}
	end := sch.End
	if sch.ExpirationType == "afterDuration" {
		if d, ok := graph.DurationLength(sch.Duration); ok {
			e := start.Add(d)
			end = &e
		}
	}
	limit, what := policyLimit(pol, start)
	switch {
	case limit == nil:
	case sch.ExpirationType == "noExpiration" || (sch.ExpirationType == "afterDateTime" || sch.ExpirationType == "afterDuration") && end != nil && end.After(*limit):
		out = append(out, fmt.Sprintf("Policy %s ends access %s; this schedule asks for longer. Graph may refuse it or shorten it.", pol.ID, what))
	}
	return out
}

// policyLimit is when access under the policy ends for a start, if it ends.
func policyLimit(pol *graph.Policy, start time.Time) (*time.Time, string) {
	e := pol.Expiration
	if e == nil {
		return nil, ""
	}
	switch e.ExpirationType {
	case "afterDateTime":
		if e.End != nil {
			return e.End, "on " + e.End.Format(time.RFC3339)
		}
	case "afterDuration":
		if d, ok := graph.DurationLength(e.Duration); ok {
			t := start.Add(d)
			return &t, "after " + e.Duration
		}
	}
	return nil, ""
}

// requiredUnanswered is an error for each required question of the policy
// that the answers leave out.
func requiredUnanswered(pol *graph.Policy, ams []answerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	answered := map[string]bool{}
	for _, a := range ams {
		answered[strings.ToLower(a.QuestionID.ValueString())] = true
	}
	for _, q := range pol.Questions {
		if q.Required && !answered[strings.ToLower(q.ID)] {
			diags.AddAttributeError(path.Root("answers"), "Required question not answered",
				fmt.Sprintf("Policy %s requires an answer to question %s (%q).", pol.ID, q.ID, q.Text))
		}
	}
	return diags
}

// checkAssignmentPlan runs the plan-time checks of the resources that assign
// under a policy, with read-only calls (one read of each policy per
// command): an end already past, that the policy exists and belongs to the
// access package, that the answers fit its questions (and, for a new
// assignment, answer every required one), and whether the schedule goes
// beyond the policy (a warning).
func checkAssignmentPlan(ctx context.Context, pd *providerData, pkgAttr, policyAttr types.String, scheduleAttr types.Object, answersAttr types.List, creating bool, diags *diag.Diagnostics) {
	sch, d := expandSchedule(ctx, scheduleAttr)
	diags.Append(d...)
	if sch != nil && sch.ExpirationType == "afterDateTime" && sch.End != nil && !sch.End.After(time.Now()) {
		diags.AddAttributeError(path.Root("schedule").AtName("expiration").AtName("end_date_time"), "Expiration in the past",
			fmt.Sprintf("end_date_time %s has already passed: the access would end before it is delivered. Set a later end, or remove the resource to end the access.", sch.End.Format(time.RFC3339)))
	}
	if policyAttr.IsUnknown() || pkgAttr.IsUnknown() {
		return
	}
	policyID, pkgID := policyAttr.ValueString(), pkgAttr.ValueString()
	pol, err := pd.policies.get(ctx, pd.client, policyID)
	switch {
	case graph.IsNotFound(err):
		if missing := packageMissing(ctx, pd, pkgID, diags); missing {
			return
		}
		addAttributeGraphError(diags, path.Root("assignment_policy_id"), "Unknown assignment policy",
			fmt.Sprintf("Graph has no assignment policy %s.", policyID), err)
		return
	case err != nil:
		planCheckFailed(diags, fmt.Sprintf("assignment policy %s", policyID), err)
		return
	}
	if pol.AccessPackageID != "" && !strings.EqualFold(pol.AccessPackageID, pkgID) {
		if missing := packageMissing(ctx, pd, pkgID, diags); missing {
			return
		}
		diags.AddAttributeError(path.Root("assignment_policy_id"), "Policy of another access package",
			fmt.Sprintf("Assignment policy %s belongs to access package %s, not to %s.", policyID, pol.AccessPackageID, pkgID))
		return
	}
	if !answersAttr.IsUnknown() {
		ams, d := expandAnswers(ctx, answersAttr)
		diags.Append(d...)
		if len(ams) > 0 {
			_, d = answersAgainst(pol, ams)
			diags.Append(d...)
		}
		if creating {
			// A new assignment answers every required question.
			diags.Append(requiredUnanswered(pol, ams)...)
		}
	}
	for _, w := range scheduleAgainstPolicy(pol, sch, time.Now()) {
		diags.AddAttributeWarning(path.Root("schedule"), "Schedule beyond the policy", w)
	}
}

// packageMissing reads the access package and, when Graph has none, says so
// on access_package_id: a policy that does not belong to a package that
// does not exist is first of all a missing package. It returns whether it
// said so (a failed read is said too).
func packageMissing(ctx context.Context, pd *providerData, pkgID string, diags *diag.Diagnostics) bool {
	_, err := pd.client.GetAccessPackage(ctx, pkgID)
	switch {
	case err == nil:
		return false
	case graph.IsNotFound(err):
		addAttributeGraphError(diags, path.Root("access_package_id"), "Unknown access package",
			fmt.Sprintf("Graph has no access package %s: check the id (a package deleted in Entra, or one of another tenant or cloud).", pkgID), err)
	default:
		planCheckFailed(diags, "access package "+pkgID, err)
	}
	return true
}

// planCheckFailed is the error of a plan-time check that could not ask
// Graph. It is an error, not a warning: the checks are part of what a plan
// promises (a saved plan is approved on the strength of them), and an apply
// against a Graph that cannot be reached, or that refuses this identity,
// cannot succeed either. The detail says why it failed and, for a refusal
// (403), which role the read needs.
func planCheckFailed(diags *diag.Diagnostics, what string, err error) {
	var detail string
	switch {
	case graph.IsForbidden(err):
		detail = fmt.Sprintf("Graph refused to let this identity read %s. The plan reads it to check the configuration, and the apply needs more: "+
			"give the provider's identity the role Access package assignment manager (or Access package manager, or Catalog owner) on the access package's catalog, "+
			"or the application permission EntitlementManagement.ReadWrite.All. Reading alone needs Catalog reader or EntitlementManagement.Read.All.", what)
	case graph.IsNotReached(err) || graph.IsPermanent(err):
		detail = fmt.Sprintf("Graph could not be reached to read %s, so the plan's checks did not run; nothing can be applied until it can be reached.", what)
	default:
		detail = fmt.Sprintf("Graph could not be asked for %s, so the plan's checks did not run.", what)
	}
	diags.AddError("Plan-time check could not run", detail+"\n\n"+explain(err))
}

// validateSchedule checks what the schema alone cannot: that a configured
// expiration's fields agree with its type, and that the dates are in order.
func validateSchedule(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var sch types.Object
	diags.Append(config.GetAttribute(ctx, path.Root("schedule"), &sch)...)
	if sch.IsNull() || sch.IsUnknown() {
		return
	}
	var sm scheduleModel
	diags.Append(sch.As(ctx, &sm, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	if sm.Expiration.IsNull() || sm.Expiration.IsUnknown() {
		return
	}
	var em expirationModel
	diags.Append(sm.Expiration.As(ctx, &em, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	if em.Type.IsUnknown() || em.EndDateTime.IsUnknown() || em.Duration.IsUnknown() {
		return
	}
	p := path.Root("schedule").AtName("expiration")
	hasEnd, hasDur := !em.EndDateTime.IsNull(), !em.Duration.IsNull()
	switch em.Type.ValueString() {
	case "":
		diags.AddAttributeError(p.AtName("type"), "Missing expiration type",
			"An expiration needs a type: noExpiration, afterDateTime (with end_date_time) or afterDuration (with duration).")
	case "noExpiration":
		if hasEnd || hasDur {
			diags.AddAttributeError(p, "Inconsistent expiration", "An expiration of type noExpiration takes neither end_date_time nor duration.")
		}
	case "afterDateTime":
		if !hasEnd || hasDur {
			diags.AddAttributeError(p, "Inconsistent expiration", "An expiration of type afterDateTime needs end_date_time, and no duration.")
		}
		if start, end := parseTime(sm.StartDateTime), parseTime(em.EndDateTime); start != nil && end != nil && !end.After(*start) {
			diags.AddAttributeError(p.AtName("end_date_time"), "Expiration before start",
				fmt.Sprintf("end_date_time %s is not after start_date_time %s.", end.Format(time.RFC3339), start.Format(time.RFC3339)))
		}
	case "afterDuration":
		if !hasDur || hasEnd {
			diags.AddAttributeError(p, "Inconsistent expiration", "An expiration of type afterDuration needs duration (such as P90D), and no end_date_time.")
		}
		if hasDur && graph.CheckDuration(em.Duration.ValueString()) == nil {
			start := time.Now()
			if t := parseTime(sm.StartDateTime); t != nil {
				start = *t
			}
			checkDurationLength(p.AtName("duration"), em.Duration.ValueString(), start, diags)
		}
	}
}

// Durations Graph takes but that make no access worth giving.
const (
	// minDuration: access shorter than this ends before Graph has
	// delivered it (delivery takes seconds, often a minute or more), so
	// every apply would request it again for nothing. An error.
	minDuration = time.Minute
	// shortDuration: access shorter than this may end before it is
	// delivered, or between two runs of a pipeline. A warning.
	shortDurationWarning = time.Hour
)

// checkDurationLength checks how long an afterDuration expiration lasts from
// start: not so short that the access ends as it is delivered, and not so
// long that its end is past what a date can express (Graph would refuse it).
func checkDurationLength(p path.Path, d string, start time.Time, diags *diag.Diagnostics) {
	length, ok := durationLength(d)
	switch {
	case !ok || start.Add(length).After(lastRepresentable) || start.Add(length).Before(start):
		diags.AddAttributeError(p, "Schedule beyond the calendar",
			fmt.Sprintf("Access from %s for %s would end after %s, which dates cannot express, and Graph refuses it. Give a shorter duration, or type = \"noExpiration\" for access that does not end.", start.Format(time.RFC3339), d, lastRepresentable.Format(time.RFC3339)))
	case length < minDuration:
		diags.AddAttributeError(p, "Duration too short",
			fmt.Sprintf("%s is %s of access: it would end before Graph has delivered it (delivery takes seconds to minutes), and the assignment would be born expired. Give at least PT1M; an access package is usually assigned for hours or days.", d, length))
	case length < shortDurationWarning:
		diags.AddAttributeWarning(p, "Short duration",
			fmt.Sprintf("%s is %s of access: it may end before Graph delivers it, and it will end long before the next run of most pipelines. Once it ends, the provider does not request it again by itself (see the resource's lifecycle table).", d, length))
	}
}

// durationLength is a day-time duration's length, or false when it is too
// long for a time.Duration (about 290 years) or cannot be read.
func durationLength(d string) (time.Duration, bool) {
	p, err := iso8601.Parse(d)
	if err != nil || p.Years > 0 || p.Months > 0 || p.Clock < 0 {
		return 0, false
	}
	days := int64(p.Weeks*7 + p.Days)
	const maxDays = math.MaxInt64 / int64(24*time.Hour)
	if days > maxDays || time.Duration(maxDays-days)*24*time.Hour < p.Clock {
		return 0, false
	}
	return time.Duration(days)*24*time.Hour + p.Clock, true
}
