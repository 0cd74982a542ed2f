package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Terraform 1.12+ import by identity and Terraform 1.14 list resources
// (`terraform query`), tested at the protocol level: the CLI here is 1.11.

const assignmentType = "entitlement_access_package_assignment"

func (h *protoHarness) identity(id string) *tfprotov6.ResourceIdentityData {
	h.t.Helper()
	resp, err := h.server.GetResourceIdentitySchemas(context.Background(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil || len(resp.Diagnostics) > 0 {
		h.t.Fatalf("GetResourceIdentitySchemas: %v %v", err, resp.Diagnostics)
	}
	typ := resp.IdentitySchemas[assignmentType].ValueType().(tftypes.Object)
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, id)}))
	if err != nil {
		h.t.Fatal(err)
	}
	return &tfprotov6.ResourceIdentityData{IdentityData: &dv}
}

func stringAttr(t *testing.T, dv *tfprotov6.DynamicValue, typ tftypes.Type, name string) string {
	t.Helper()
	v, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := m[name].As(&s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func TestImportByIdentity_protocol(t *testing.T) {
	srv, url := startEmulator(t, emulator.Options{})
	h := newProtoHarness(t, map[string]string{"graph_url": url, "access_token": srv.Token()})
	asg := requestByID(srv, srv.MustAdd(pkgSales, polDirect, uBob, nil)).AssignmentID
	ctx := context.Background()

	imp, err := h.server.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: assignmentType, Identity: h.identity(asg),
		ClientCapabilities: &tfprotov6.ImportResourceStateClientCapabilities{DeferralAllowed: false}})
	if err != nil || hasError(imp.Diagnostics) || len(imp.ImportedResources) != 1 {
		t.Fatalf("ImportResourceState: %v %s", err, diagText(imp.Diagnostics))
	}
	resType := h.schemas.ResourceSchemas[assignmentType].ValueType()
	got := imp.ImportedResources[0]
	if id := stringAttr(t, got.State, resType, "id"); id != asg {
		t.Fatalf("imported id %q, want %q", id, asg)
	}
	// The read that follows an import fills the state from Graph and keeps the identity.
	read, err := h.server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: assignmentType, CurrentState: got.State, CurrentIdentity: got.Identity})
	if err != nil || hasError(read.Diagnostics) {
		t.Fatalf("ReadResource: %v %s", err, diagText(read.Diagnostics))
	}
	if tgt := stringAttr(t, read.NewState, resType, "target_object_id"); tgt != uBob {
		t.Fatalf("target after read: %q", tgt)
	}
	if read.NewIdentity == nil {
		t.Fatal("no identity after read")
	}
	// An identity that names nothing is a clear error.
	imp, _ = h.server.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: assignmentType, Identity: h.identity("not-an-id")})
	if !hasError(imp.Diagnostics) {
		t.Fatal("an invalid identity was imported")
	}
}

// listAll drives the list resource like `terraform query`.
func (h *protoHarness) list(cfg map[string]string, includeResource bool, limit int64) []tfprotov6.ListResourceResult {
	h.t.Helper()
	s := h.schemas.ListResourceSchemas[assignmentType]
	if s == nil {
		h.t.Fatal("no list resource schema")
	}
	vals := map[string]tftypes.Value{}
	for k, v := range cfg {
		vals[k] = tftypes.NewValue(tftypes.String, v)
	}
	ls, ok := h.server.(tfprotov6.ProviderServerWithListResource) //nolint:staticcheck // the interface is deprecated only because it is to merge into ProviderServer
	if !ok {
		h.t.Fatal("the provider server does not serve list resources")
	}
	stream, err := ls.ListResource(context.Background(), &tfprotov6.ListResourceRequest{TypeName: assignmentType, Config: h.value(s, vals), IncludeResource: includeResource, Limit: limit})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []tfprotov6.ListResourceResult
	for r := range stream.Results {
		if hasError(r.Diagnostics) {
			h.t.Fatalf("list result: %s", diagText(r.Diagnostics))
		}
		out = append(out, r)
	}
	return out
}

func TestListResource_protocol(t *testing.T) {
	srv, url := startEmulator(t, emulator.Options{})
	h := newProtoHarness(t, map[string]string{"graph_url": url, "access_token": srv.Token()})
	a := requestByID(srv, srv.MustAdd(pkgSales, polDirect, uAlice, nil)).AssignmentID
	srv.MustAdd(pkgSales, polDirect, uBob, nil)
	gone := requestByID(srv, srv.MustAdd(pkgSales, polQuiz, uCarol, map[string]string{qRegion: "EMEA"})).AssignmentID
	must(t, srv.ExpireAssignment(gone))

	results := h.list(map[string]string{"access_package_id": pkgSales}, true, 0)
	if len(results) != 2 {
		t.Fatalf("%d results, want the 2 live assignments", len(results))
	}
	idType := h.identityType()
	resType := h.schemas.ResourceSchemas[assignmentType].ValueType()
	first := results[0]
	if id := stringAttr(t, first.Identity.IdentityData, idType, "id"); id != a {
		t.Fatalf("identity %q, want %q", id, a)
	}
	if first.DisplayName != "alice@contoso.test in "+pkgSales || first.Resource == nil {
		t.Fatalf("display name %q, resource %v", first.DisplayName, first.Resource)
	}
	if pol := stringAttr(t, first.Resource, resType, "assignment_policy_id"); pol != polDirect {
		t.Fatalf("resource data: policy %q", pol)
	}
	if got := h.list(map[string]string{"access_package_id": pkgSales, "target_object_id": uBob}, false, 0); len(got) != 1 || got[0].Resource != nil {
		t.Fatalf("filtered list without resources: %+v", got)
	}
	if got := h.list(map[string]string{"state": "expired"}, false, 0); len(got) != 1 {
		t.Fatalf("expired: %d", len(got))
	}
	if got := h.list(nil, false, 1); len(got) != 1 {
		t.Fatalf("limit 1: %d", len(got))
	}
}

func (h *protoHarness) identityType() tftypes.Type {
	resp, _ := h.server.GetResourceIdentitySchemas(context.Background(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	return resp.IdentitySchemas[assignmentType].ValueType()
}

// TestAdoptionScale measures the data source and the list resource over a
// package of 5,000 assignments: the Graph call count is asserted (one list
// call per page of 100), the wall time is only reported.
func TestAdoptionScale(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 5,000 assignments")
	}
	const n = 5000
	f := accFixture()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("aaaaaaaa-1111-4000-8000-%012d", i)
		f.Users = append(f.Users, map[string]any{"id": id, "displayName": fmt.Sprintf("User %d", i), "userPrincipalName": fmt.Sprintf("u%d@scale.test", i)})
		f.AssignmentRequests = append(f.AssignmentRequests, map[string]any{"requestType": "adminAdd",
			"assignment": map[string]any{"targetId": id, "assignmentPolicyId": polDirect, "accessPackageId": pkgSales}})
	}
	srv, url := startEmulator(t, emulator.Options{Fixture: f})
	h := newProtoHarness(t, map[string]string{"graph_url": url, "access_token": srv.Token()})

	srv.ResetMetrics()
	start := time.Now()
	ds := h.schemas.DataSourceSchemas["entitlement_access_package_assignments"]
	resp, err := h.server.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "entitlement_access_package_assignments",
		Config: h.value(ds, map[string]tftypes.Value{"access_package_id": tftypes.NewValue(tftypes.String, pkgSales)})})
	if err != nil || hasError(resp.Diagnostics) {
		t.Fatalf("ReadDataSource: %v %s", err, diagText(resp.Diagnostics))
	}
	dsTime, dsCalls := time.Since(start), srv.Count("GET /assignments")
	v, err := resp.State.Unmarshal(ds.ValueType())
	must(t, err)
	var m map[string]tftypes.Value
	must(t, v.As(&m))
	var ids []tftypes.Value
	must(t, m["ids"].As(&ids))
	if len(ids) != n || dsCalls != n/100 || len(srv.Metrics()) != 1 {
		t.Fatalf("data source: %d ids with %d list calls (%v)", len(ids), dsCalls, srv.Metrics())
	}

	srv.ResetMetrics()
	start = time.Now()
	results := h.list(map[string]string{"access_package_id": pkgSales}, true, 0)
	listTime, listCalls := time.Since(start), srv.Count("GET /assignments")
	if len(results) != n || listCalls != n/100 || len(srv.Metrics()) != 1 {
		t.Fatalf("list resource: %d results with %d list calls (%v)", len(results), listCalls, srv.Metrics())
	}
	t.Logf("5,000 assignments: data source %d Graph calls in %v; list resource (with resource data) %d Graph calls in %v",
		dsCalls, dsTime.Round(time.Millisecond), listCalls, listTime.Round(time.Millisecond))
}
