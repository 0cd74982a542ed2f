package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

func TestParseAssignmentImportID(t *testing.T) {
	const p, q, u = "a914b616-e04e-476b-aa37-91038f0b165b", "2264bf65-76ba-417b-a27d-54d291f0cbc8", "46184453-e63b-4f20-86c2-c557ed5d5df9"
	for _, tc := range []struct {
		in   string
		want assignmentImportID
		ok   bool
	}{
		{u, assignmentImportID{AssignmentID: u}, true},
		{" " + u + " ", assignmentImportID{AssignmentID: u}, true},
		{p + "/" + u, assignmentImportID{AccessPackageID: p, TargetObjectID: u}, true},
		{p + "/" + q + "/" + u, assignmentImportID{AccessPackageID: p, PolicyID: q, TargetObjectID: u}, true},
		{"", assignmentImportID{}, false},
		{"alice", assignmentImportID{}, false},
		{p + "/", assignmentImportID{}, false},
		{p + "/" + q + "/" + u + "/" + u, assignmentImportID{}, false},
		{p + "/bob", assignmentImportID{}, false},
	} {
		got, err := parseAssignmentImportID(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAssignmentImportID(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func ts(s string) *time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return &t
}

func exp(typ, end, dur string) expirationModel {
	v := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	return expirationModel{Type: v(typ), EndDateTime: v(end), Duration: v(dur)}
}

func TestExpirationEquivalent(t *testing.T) {
	start := ts("2026-01-01T00:00:00Z")
	for _, tc := range []struct {
		name string
		em   expirationModel
		g    graph.Schedule
		want bool
	}{
		{"no expiration", exp("noExpiration", "", ""), graph.Schedule{ExpirationType: "noExpiration"}, true},
		{"notSpecified reads as none", exp("noExpiration", "", ""), graph.Schedule{ExpirationType: "notSpecified"}, true},
		{"same end, other spelling", exp("afterDateTime", "2027-01-01T01:00:00+01:00", ""), graph.Schedule{ExpirationType: "afterDateTime", End: ts("2027-01-01T00:00:00Z")}, true},
		{"other end", exp("afterDateTime", "2027-01-02T00:00:00Z", ""), graph.Schedule{ExpirationType: "afterDateTime", End: ts("2027-01-01T00:00:00Z")}, false},
		{"duration as end date", exp("afterDuration", "", "P90D"), graph.Schedule{Start: start, ExpirationType: "afterDateTime", End: ts("2026-04-01T00:00:00Z")}, true},
		{"duration drifted", exp("afterDuration", "", "P90D"), graph.Schedule{Start: start, ExpirationType: "afterDateTime", End: ts("2026-05-01T00:00:00Z")}, false},
		{"duration kept as duration", exp("afterDuration", "", "PT12H"), graph.Schedule{Start: start, ExpirationType: "afterDuration", Duration: "PT12H"}, true},
		{"removed expiry", exp("afterDateTime", "2027-01-01T00:00:00Z", ""), graph.Schedule{ExpirationType: "noExpiration"}, false},
	} {
		if got := expirationEquivalent(tc.em, &tc.g); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMergeSchedule(t *testing.T) {
	ctx := context.Background()
	g := &graph.Schedule{Start: ts("2026-01-01T00:00:00Z"), ExpirationType: "afterDateTime", End: ts("2026-04-01T00:00:00Z")}
	// Unknown prior (create without a schedule, or import): Graph's values.
	got, diags := mergeSchedule(ctx, types.ObjectUnknown(scheduleAttrTypes), g)
	if diags.HasError() {
		t.Fatal(diags)
	}
	want, _ := types.ObjectValue(scheduleAttrTypes, map[string]attr.Value{
		"start_date_time": types.StringValue("2026-01-01T00:00:00Z"),
		"expiration":      expirationObject(types.StringValue("afterDateTime"), types.StringValue("2026-04-01T00:00:00Z"), types.StringNull()),
	})
	if !got.Equal(want) {
		t.Fatalf("from Graph: %v", got)
	}
	// The user's spelling survives while it means the same.
	prior, _ := types.ObjectValue(scheduleAttrTypes, map[string]attr.Value{
		"start_date_time": types.StringValue("2026-01-01T01:00:00+01:00"),
		"expiration":      expirationObject(types.StringValue("afterDuration"), types.StringNull(), types.StringValue("P90D")),
	})
	if got, _ = mergeSchedule(ctx, prior, g); !got.Equal(prior) {
		t.Fatalf("equivalent prior not kept: %v", got)
	}
	// Drift shows.
	g.End = ts("2026-03-01T00:00:00Z")
	if got, _ = mergeSchedule(ctx, prior, g); got.Equal(prior) {
		t.Fatal("drift hidden")
	}
}

func TestSchemasAreValid(t *testing.T) {
	ctx := context.Background()
	var pr fwprovider.SchemaResponse
	New("test")().Schema(ctx, fwprovider.SchemaRequest{}, &pr)
	if d := pr.Schema.ValidateImplementation(ctx); d.HasError() {
		t.Fatal(d)
	}
	var rr fwresource.SchemaResponse
	NewAccessPackageAssignmentResource().Schema(ctx, fwresource.SchemaRequest{}, &rr)
	if d := rr.Schema.ValidateImplementation(ctx); d.HasError() {
		t.Fatal(d)
	}
	// The model and the schema agree.
	var m accessPackageAssignmentModel
	typ := rr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	nulls := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		nulls[name] = tftypes.NewValue(at, nil)
	}
	state := tfsdk.State{Schema: rr.Schema, Raw: tftypes.NewValue(typ, nulls)}
	if d := state.Get(ctx, &m); d.HasError() {
		t.Fatal(d)
	}
}

// configure runs the provider's Configure with the given attributes set.
func configure(t *testing.T, attrs map[string]string) (*providerData, bool) {
	t.Helper()
	d, diags := configureDiags(t, attrs)
	return d, !diags.HasError()
}

// configureDiags runs the provider's Configure with attributes given as
// strings ("true" for booleans) and returns what it produced.
func configureDiags(t *testing.T, attrs map[string]string) (*providerData, diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	p := New("test")()
	var sr fwprovider.SchemaResponse
	p.Schema(ctx, fwprovider.SchemaRequest{}, &sr)
	vals := map[string]tftypes.Value{}
	for name, a := range sr.Schema.Attributes {
		typ := a.GetType().TerraformType(ctx)
		v, ok := attrs[name]
		switch {
		case !ok:
			vals[name] = tftypes.NewValue(typ, nil)
		case typ.Is(tftypes.Bool):
			vals[name] = tftypes.NewValue(typ, v == "true")
		default:
			vals[name] = tftypes.NewValue(typ, v)
		}
	}
	cfg := tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), vals)}
	var resp fwprovider.ConfigureResponse
	p.Configure(ctx, fwprovider.ConfigureRequest{Config: cfg}, &resp)
	if resp.Diagnostics.HasError() {
		return nil, resp.Diagnostics
	}
	return resp.ResourceData.(*providerData), resp.Diagnostics
}

func TestEnvironments(t *testing.T) {
	for _, k := range []string{"ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_ENVIRONMENT", "ENTITLEMENT_GRAPH_URL", "ENTITLEMENT_ACCESS_TOKEN"} {
		t.Setenv(k, "")
	}
	for env, base := range map[string]string{
		"global": "https://graph.microsoft.com/v1.0", "usgovernmentl4": "https://graph.microsoft.us/v1.0",
		"usgovernmentl5": "https://dod-graph.microsoft.us/v1.0", "china": "https://microsoftgraph.chinacloudapi.cn/v1.0",
	} {
		d, ok := configure(t, map[string]string{"environment": env, "access_token": "t"})
		if !ok || d.client.BaseURL() != base {
			t.Errorf("%s: %v", env, d)
		}
		if want := base[:len(base)-len("/v1.0")] + "/.default"; environments[env].scope != want {
			t.Errorf("%s scope %s", env, environments[env].scope)
		}
	}
	if environments["usgovernmentl4"].hasResume || environments["china"].hasResume || !environments["global"].hasResume {
		t.Error("resume availability per cloud is wrong")
	}
	// Environment variables stand in for attributes.
	t.Setenv("ARM_ENVIRONMENT", "china")
	t.Setenv("ENTITLEMENT_ACCESS_TOKEN", "t")
	if d, ok := configure(t, nil); !ok || d.client.BaseURL() != "https://microsoftgraph.chinacloudapi.cn/v1.0" {
		t.Errorf("ARM_ENVIRONMENT: %v", d)
	}
	t.Setenv("ENTITLEMENT_GRAPH_URL", "http://127.0.0.1:8787/")
	if d, ok := configure(t, nil); !ok || d.client.BaseURL() != "http://127.0.0.1:8787/v1.0" {
		t.Errorf("ENTITLEMENT_GRAPH_URL: %v", d)
	}
	for _, bad := range []string{"https://graph.microsoft.com", "http://10.0.0.1:8787", "http://127.0.0.1.evil.com"} {
		if _, ok := configure(t, map[string]string{"graph_url": bad}); ok {
			t.Errorf("graph_url %s accepted", bad)
		}
	}
}
