package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// guid validates a Graph object id.
func guid() validator.String {
	return stringvalidator.RegexMatches(guidRE, "must be a GUID such as 46184453-e63b-4f20-86c2-c557ed5d5df9")
}

// stringCheck is a validator from a function that explains what is wrong.
// The summary is "Invalid <summary>", or "Invalid <desc>" without one.
type stringCheck struct {
	desc    string
	summary string
	check   func(string) error
}

func (v stringCheck) Description(context.Context) string         { return v.desc }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.desc }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		what := v.summary
		if what == "" {
			what = v.desc
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+what, err.Error())
	}
}

func rfc3339() validator.String {
	return stringCheck{desc: "RFC 3339 timestamp", check: func(s string) error {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("%q is not an RFC 3339 timestamp such as 2026-12-01T00:00:00Z", s)
		}
		return nil
	}}
}

// scheduleTime is an RFC 3339 timestamp in whole seconds. The Graph SDK
// writes dates to the second, so a fraction would not reach Graph: the date
// Graph records would differ from the configuration's, and every plan would
// show it as a change.
func scheduleTime() validator.String {
	return stringCheck{desc: "RFC 3339 timestamp in whole seconds", check: func(s string) error {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 timestamp such as 2026-12-01T00:00:00Z", s)
		}
		if t.Nanosecond() != 0 {
			return fmt.Errorf("%q has a fraction of a second; schedules are sent to Graph in whole seconds, so the fraction would be lost and the plan would show a change on every run: write %s", s, t.Truncate(time.Second).Format(time.RFC3339))
		}
		return nil
	}}
}

// graphDuration accepts the durations Graph accepts: days and time, such as
// P90D, PT8H or P1DT12H; it refuses years, months, weeks and fractions of
// hours with a message that says what to write instead.
func graphDuration() validator.String {
	return stringCheck{desc: "ISO 8601 duration in days and time, such as P90D or PT8H", check: func(s string) error {
		if err := graph.CheckDuration(s); err != nil {
			return err
		}
		if d, ok := graph.DurationLength(s); ok && d == 0 {
			return fmt.Errorf("%q is a zero duration: the access would end as it starts", s)
		}
		return nil
	}}
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func email() validator.String {
	return stringvalidator.RegexMatches(emailRE, "must be an email address")
}

// sameIDReplace is RequiresReplace for ids and email addresses, which Graph
// compares without regard to case: A914B616-… and a914b616-… are the same
// package, and a change of case alone is recorded in place, never a
// replacement (which would remove and add the access).
func sameIDReplace() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !strings.EqualFold(req.PlanValue.ValueString(), req.StateValue.ValueString())
	}, "Changing it (other than its letter case) replaces the resource.", "Changing it (other than its letter case) replaces the resource.")
}

// keepCase returns the prior value when Graph's means the same id or
// address in another letter case, so that a configuration written in upper
// case plans no change after Graph answers in lower case.
func keepCase(prior types.String, graphValue string) types.String {
	if !prior.IsNull() && !prior.IsUnknown() && strings.EqualFold(prior.ValueString(), graphValue) {
		return prior
	}
	return types.StringValue(graphValue)
}

// timeoutValue checks a timeout: positive (an error otherwise), and long
// enough for a Graph call (a warning below minUsefulTimeout).
type timeoutValue struct{}

// minUsefulTimeout is about what one Graph call can take under load.
const minUsefulTimeout = 10 * time.Second

func (timeoutValue) Description(context.Context) string {
	return "a positive duration, long enough for a Graph call"
}
func (v timeoutValue) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (timeoutValue) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	switch {
	case err != nil:
		// The timeouts package reports it.
	case d <= 0:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid timeout",
			fmt.Sprintf("A timeout of %s is not positive: give how long the operation may take, such as 30m.", req.ConfigValue.ValueString()))
	case d < minUsefulTimeout:
		resp.Diagnostics.AddAttributeWarning(req.Path, "Very short timeout",
			fmt.Sprintf("A timeout of %s is shorter than one Graph call can take (seconds, more under throttling): the operation will likely run out of time.", req.ConfigValue.ValueString()))
	}
}
