package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// What the plan can know by asking Graph read-only is an error at plan time,
// before anything is sent: a policy that does not exist or belongs to
// another package, answers that do not fit the policy's questions, an end
// that has already passed.
func TestAccAccessPackageAssignment_planTimeChecks(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	answers := func(region string) string {
		return fmt.Sprintf("  answers = [{ question_id = %q, value = %q }]", qRegion, region)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps: []resource.TestStep{
			{Config: assignmentConfig(p, "00000000-0000-4000-8000-00000000dead", uAlice, ""), PlanOnly: true, ExpectError: errRE(`(?s)Unknown assignment policy.*no assignment policy`)},
			{Config: assignmentConfig(p, polSelf, uAlice, ""), PlanOnly: true, ExpectError: errRE(`(?s)Policy of another access package.*belongs to access package ` + pkgData)},
			{Config: assignmentConfig(p, polQuiz, uAlice, answers("MARS")), PlanOnly: true, ExpectError: errRE(`(?s)Not one of the choices.*EMEA, AMER`)},
			{Config: assignmentConfig(p, polQuiz, uAlice, fmt.Sprintf("  answers = [{ question_id = %q, value = \"x\" }]", uBob)), PlanOnly: true, ExpectError: errRE(`(?s)Unknown question.*has no question`)},
			{Config: assignmentConfig(p, polDirect, uAlice, `  schedule = { expiration = { type = "afterDateTime", end_date_time = "2020-01-01T00:00:00Z" } }`), PlanOnly: true, ExpectError: errRE(`(?s)Expiration in the past.*has already passed`)},
			{Config: assignmentConfig(p, polDirect, uAlice, `  schedule = { start_date_time = "9999-06-01T00:00:00Z", expiration = { type = "afterDuration", duration = "P365D" } }`), PlanOnly: true, ExpectError: errRE(`(?s)Schedule beyond the calendar`)},
			{
				// Nothing of the above reached Graph as a request.
				PreConfig: func() {
					if n := srv.Count("POST /assignmentRequests"); n != 0 {
						t.Fatalf("%d requests sent by plans", n)
					}
				},
				Config: assignmentConfig(p, polQuiz, uAlice, answers("EMEA")),
			},
		},
	})
}

func TestScheduleAgainstPolicy(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	pol := &graph.Policy{ID: "q", Expiration: &graph.Schedule{ExpirationType: "afterDuration", Duration: "P365D"}}
	end := func(s string) *time.Time { t, _ := time.Parse(time.RFC3339, s); return &t }
	for _, tc := range []struct {
		sch  *graph.Schedule
		warn bool
	}{
		{&graph.Schedule{ExpirationType: "afterDuration", Duration: "P90D"}, false},
		{&graph.Schedule{ExpirationType: "afterDuration", Duration: "P3650D"}, true},
		{&graph.Schedule{ExpirationType: "afterDateTime", End: end("2027-06-01T00:00:00Z")}, false},
		{&graph.Schedule{ExpirationType: "afterDateTime", End: end("2036-01-01T00:00:00Z")}, true},
		{&graph.Schedule{ExpirationType: "noExpiration"}, true},
		{nil, false},
	} {
		w := scheduleAgainstPolicy(pol, tc.sch, now)
		if (len(w) > 0) != tc.warn || (tc.warn && !strings.Contains(w[0], "after P365D")) {
			t.Errorf("%+v: %v", tc.sch, w)
		}
	}
	if w := scheduleAgainstPolicy(&graph.Policy{ID: "q"}, &graph.Schedule{ExpirationType: "noExpiration"}, now); len(w) != 0 {
		t.Errorf("a policy without an expiration: %v", w)
	}
}

// A token that Graph refuses, and a userRemove for someone else, are plan-time errors.
func TestAccPlanTimeChecks_tokenAndTarget(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	bad := strings.Replace(p, leastPrivilegeToken(t, srv), "not-a-token-graph-knows", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: assignmentConfig(bad, polDirect, uAlice, ""), PlanOnly: true, ExpectError: errRE(`(?s)Access token refused.*401`)},
			{Config: userRequestConfig(p, fmt.Sprintf("  request_type      = \"userRemove\"\n  access_package_id = %q\n  target = { object_id = %q }", pkgData, uBob)),
				PlanOnly: true, ExpectError: errRE(`(?s)Target only for userAdd.*userRemove request acts on your own assignment`)},
		},
	})
}
