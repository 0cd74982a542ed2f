package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The targets of the authoritative resource are write-only lists, recorded
// as the keys of assignment_ids: any order, a set or toset() as input, a
// change of letter case alone changes nothing, the same target twice in any
// case is refused at plan, and the plan shows, key by key, who gains access
// and who loses it.
func TestAccAccessPackageAssignments_targetLists(t *testing.T) {
	needWriteOnly(t)
	srv, p := testEmulator(t, emulator.Options{})
	withTargets := func(expr string) string {
		return p + fmt.Sprintf(`
resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = %s
  justification        = "declared in Git"
}
`, pkgSales, polDirect, expr)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// A create plan lists every target, person by person.
				Config: withTargets(hclList([]string{uAlice, uBob, uCarol})),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(setRes, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uAlice)),
					plancheck.ExpectUnknownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uBob)),
					plancheck.ExpectUnknownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uCarol)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob, uCarol),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("target_object_ids"), knownvalue.Null()),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids"), knownvalue.MapSizeExact(3)),
				},
			},
			{
				// Another order: no change.
				Config:   withTargets(hclList([]string{uCarol, uAlice, uBob})),
				PlanOnly: true,
			},
			{
				// A set, as toset() or a data source gives: no change.
				Config:   withTargets("toset(" + hclList([]string{uBob, uCarol, uAlice}) + ")"),
				PlanOnly: true,
			},
			{
				// Another letter case: no change, and no request.
				PreConfig: func() { srv.ResetMetrics() },
				Config:    withTargets(hclList([]string{strings.ToUpper(uAlice), uBob, uCarol})),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectCalls(srv, "POST /assignmentRequests", 0),
					statecheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uAlice), knownvalue.StringRegexp(guidRE)),
				},
			},
			{
				// Neither list is an error, not "remove everyone" — what
				// plan -generate-config-out writes after an import — and it
				// gives the lines that keep who holds the access now.
				Config: p + fmt.Sprintf(`
resource "entitlement_access_package_assignments" "sales" {
  access_package_id    = %q
  assignment_policy_id = %q
}
`, pkgSales, polDirect),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)No targets.*target_object_ids = \["` + uAlice + `", "` + uBob + `", "` + uCarol + `"\]`),
			},
			{
				Config:      withTargets(hclList([]string{uAlice, uBob, strings.ToUpper(uBob)})),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Same target twice`),
			},
			{
				// A null element is refused: an empty target would match anyone.
				Config:      withTargets(`["` + uAlice + `", null]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?i)null`),
			},
			{
				Config:      withTargets(hclList([]string{uAlice, uAlice})),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Same target twice.*listed twice`),
			},
			{
				// Carol goes, the manager comes: the plan shows both in
				// assignment_ids, and only they get a request.
				PreConfig: func() { srv.ResetMetrics() },
				Config:    withTargets(hclList([]string{uAlice, uBob, uManager})),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(setRes, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uManager)),
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids").AtMapKey(uAlice), knownvalue.StringRegexp(guidRE)),
					// The known entries: Alice's and Bob's (Carol's is gone).
					plancheck.ExpectKnownValue(setRes, tfjsonpath.New("assignment_ids"), knownvalue.MapSizeExact(2)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectHolders(srv, polDirect, uAlice, uBob, uManager),
					expectCalls(srv, "POST /assignmentRequests", 2),
				},
			},
		},
	})
}

// A state written at schema version 0 (the targets as two sets) upgrades
// in the provider alone: the upgrade is not configured, so it has no Graph
// client to call, and it returns the same state with the targets null.
func TestUpgradeTargetSetsCallsNothing(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	v0 := map[string]any{
		"id": pkgSales + "/" + polDirect, "access_package_id": pkgSales, "assignment_policy_id": polDirect,
		"target_object_ids": []string{uAlice, uBob}, "target_emails": []string{"dana@example.com"},
		"justification": "declared in Git", "schedule": nil, "answers": nil, "renew": nil, "timeouts": nil,
		"assignment_ids":          map[string]string{uAlice: "11111111-0000-4000-8000-000000000001", "dana@example.com": "11111111-0000-4000-8000-000000000003"},
		"undelivered":             map[string]string{},
		"invited_object_ids":      map[string]string{"dana@example.com": "22222222-0000-4000-8000-000000000001"},
		"ended":                   map[string]string{},
		"access_start_date_times": map[string]string{uAlice: "2026-01-01T00:00:00Z"},
		"access_end_date_times":   map[string]string{},
	}
	raw, err := json.Marshal(v0)
	must(t, err)
	resp, err := server.UpgradeResourceState(context.Background(), &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "entitlement_access_package_assignments", Version: 0, RawState: &tfprotov6.RawState{JSON: raw},
	})
	must(t, err)
	for _, d := range resp.Diagnostics {
		t.Errorf("%s: %s", d.Summary, d.Detail)
	}
	schemas, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	must(t, err)
	typ := schemas.ResourceSchemas["entitlement_access_package_assignments"].ValueType()
	v, err := resp.UpgradedState.Unmarshal(typ)
	must(t, err)
	var obj map[string]tftypes.Value
	must(t, v.As(&obj))
	for _, name := range []string{"target_object_ids", "target_emails"} {
		if !obj[name].IsNull() {
			t.Errorf("%s after the upgrade: %v, want null", name, obj[name])
		}
	}
	var ids map[string]tftypes.Value
	must(t, obj["assignment_ids"].As(&ids))
	if len(ids) != 2 {
		t.Errorf("assignment_ids after the upgrade: %v", ids)
	}
	var just string
	must(t, obj["justification"].As(&just))
	if just != "declared in Git" {
		t.Errorf("justification after the upgrade: %q", just)
	}
}

// Through the CLI: a state of schema version 0, as the provider wrote it
// before the targets were write-only, upgrades with no request to Graph and
// no change planned; then a plan that adds one target and removes another
// renders them, key by key, in assignment_ids.
func TestAccCLI_upgradeFromTargetSets(t *testing.T) {
	needWriteOnly(t)
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := exampleEmulator(t, false)
	r := newExampleRun(t, srv, url)
	config := func(targets ...string) string {
		return fmt.Sprintf(`resource "entitlement_access_package_assignments" "team" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = %s
}
`, exPkg, exDirect, hclList(targets))
	}
	r.write("main.tf", config(exAlice, exBob))
	r.tf(0, "init", "-input=false")
	r.tf(0, "apply", "-input=false", "-auto-approve")

	// Rewrite the state as version 0 held it: the targets as sets.
	statePath := filepath.Join(r.dir, "terraform.tfstate")
	b, err := os.ReadFile(statePath)
	must(t, err)
	var st map[string]any
	must(t, json.Unmarshal(b, &st))
	inst := st["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any)
	attrs := inst["attributes"].(map[string]any)
	if attrs["target_object_ids"] != nil {
		t.Fatalf("the state records the write-only targets: %v", attrs["target_object_ids"])
	}
	inst["schema_version"] = 0
	attrs["target_object_ids"] = []string{exAlice, exBob}
	b, err = json.MarshalIndent(st, "", "  ")
	must(t, err)
	must(t, os.WriteFile(statePath, b, 0o644))

	srv.ResetMetrics()
	out := r.tf(0, "plan", "-input=false", "-refresh=false", "-detailed-exitcode")
	if !strings.Contains(out, "No changes") {
		t.Fatalf("the plan after the upgrade:\n%s", out)
	}
	if n := srv.Count("POST /assignmentRequests"); n != 0 {
		t.Fatalf("the upgrade sent %d requests", n)
	}
	out = r.tf(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "0 added, 0 changed, 0 destroyed") || srv.Count("POST /assignmentRequests") != 0 {
		t.Fatalf("the apply after the upgrade (%d requests):\n%s", srv.Count("POST /assignmentRequests"), out)
	}
	b, err = os.ReadFile(statePath)
	must(t, err)
	if !strings.Contains(string(b), `"schema_version": 1`) || !strings.Contains(string(b), `"target_object_ids": null`) {
		t.Fatalf("the state after the apply:\n%s", b)
	}

	// Bob goes, Dmitri comes: the human plan names both, in assignment_ids.
	r.write("main.tf", config(exAlice, exDmitri))
	out = r.tf(2, "plan", "-input=false", "-detailed-exitcode")
	added := regexp.MustCompile(`\+ "` + exDmitri + `" += \(known after apply\)`)
	removed := regexp.MustCompile(`- "` + exBob + `" += "[0-9a-f-]{36}" -> null`)
	// Alice keeps her access and her dates: she is not named at all.
	if !added.MatchString(out) || !removed.MatchString(out) || strings.Contains(out, exAlice) {
		t.Fatalf("the plan does not show who gains and who loses access:\n%s", out)
	}
}
