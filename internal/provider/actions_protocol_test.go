package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The Terraform 1.14 actions, tested at the protocol level: the Terraform
// CLI on our machines (1.11) ignores action blocks, so these tests play
// Terraform's part — GetProviderSchema, ConfigureProvider, PlanAction,
// InvokeAction — against the provider server and an emulator.

type protoHarness struct {
	t *testing.T
	// ProviderServerWithActions is deprecated only because its methods are to
	// move into ProviderServer; until then it is how actions are reached.
	server  tfprotov6.ProviderServerWithActions //nolint:staticcheck
	schemas *tfprotov6.GetProviderSchemaResponse
}

func newProtoHarness(t *testing.T, providerConfig map[string]string) *protoHarness {
	t.Helper()
	ctx := context.Background()
	base, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	server, ok := base.(tfprotov6.ProviderServerWithActions) //nolint:staticcheck
	if !ok {
		t.Fatal("the provider server does not serve actions")
	}
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	h := &protoHarness{t: t, server: server, schemas: schemas}
	vals := map[string]tftypes.Value{}
	for k, v := range providerConfig {
		vals[k] = tftypes.NewValue(tftypes.String, v)
	}
	resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.14.0", Config: h.value(schemas.Provider, vals)})
	if err != nil || hasError(resp.Diagnostics) {
		t.Fatalf("ConfigureProvider: %v %v", err, diagText(resp.Diagnostics))
	}
	return h
}

// value builds a DynamicValue of a schema's type, null where vals has nothing.
func (h *protoHarness) value(s *tfprotov6.Schema, vals map[string]tftypes.Value) *tfprotov6.DynamicValue {
	h.t.Helper()
	typ := s.ValueType().(tftypes.Object)
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := vals[name]; ok {
			all[name] = v
		} else {
			all[name] = tftypes.NewValue(at, nil)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, all))
	if err != nil {
		h.t.Fatal(err)
	}
	return &dv
}

func (h *protoHarness) config(action string, vals map[string]any) *tfprotov6.DynamicValue {
	h.t.Helper()
	s, ok := h.schemas.ActionSchemas[action]
	if !ok {
		h.t.Fatalf("no action schema %s", action)
	}
	tv := map[string]tftypes.Value{}
	for k, v := range vals {
		switch x := v.(type) {
		case bool:
			tv[k] = tftypes.NewValue(tftypes.Bool, x)
		default:
			tv[k] = tftypes.NewValue(tftypes.String, x)
		}
	}
	return h.value(s.Schema, tv)
}

func (h *protoHarness) plan(action string, vals map[string]any) []*tfprotov6.Diagnostic {
	h.t.Helper()
	resp, err := h.server.PlanAction(context.Background(), &tfprotov6.PlanActionRequest{ActionType: action, Config: h.config(action, vals)})
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.Diagnostics
}

// invoke runs an action and returns its progress messages and final diagnostics.
func (h *protoHarness) invoke(action string, vals map[string]any) ([]string, []*tfprotov6.Diagnostic) {
	h.t.Helper()
	stream, err := h.server.InvokeAction(context.Background(), &tfprotov6.InvokeActionRequest{ActionType: action, Config: h.config(action, vals)})
	if err != nil {
		h.t.Fatal(err)
	}
	var progress []string
	var final []*tfprotov6.Diagnostic
	completed := false
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			progress = append(progress, e.Message)
		case tfprotov6.CompletedInvokeActionEventType:
			final, completed = e.Diagnostics, true
		}
	}
	if !completed {
		h.t.Fatal("the action stream ended without a completed event")
	}
	return progress, final
}

func hasError(ds []*tfprotov6.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func diagText(ds []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

func TestActionReprocess_protocol(t *testing.T) {
	srv, url := startEmulator(t, emulator.Options{})
	h := newProtoHarness(t, map[string]string{"graph_url": url, "access_token": srv.Token()})
	const act = "entitlement_access_package_assignment_request_reprocess"
	id := failedRequest(t, srv, uAlice, "partiallyDelivered", 1)
	delivered := srv.MustAdd(pkgSales, polDirect, uCarol, nil)

	if d := h.plan(act, map[string]any{"request_id": id}); len(d) != 0 {
		t.Fatalf("plan of a valid reprocess: %s", diagText(d))
	}
	if d := h.plan(act, map[string]any{"request_id": delivered}); hasError(d) || !strings.Contains(diagText(d), "already delivered") {
		t.Fatalf("plan of a delivered request: %s", diagText(d))
	}
	if d := h.plan(act, map[string]any{"request_id": "99999999-9999-4999-8999-999999999999"}); !hasError(d) || !strings.Contains(diagText(d), "Unknown assignment request") {
		t.Fatalf("plan of an unknown request: %s", diagText(d))
	}
	progress, final := h.invoke(act, map[string]any{"request_id": id})
	if hasError(final) || len(progress) == 0 || !strings.Contains(strings.Join(progress, "\n"), "delivered (Delivered)") {
		t.Fatalf("invoke: progress %q, diagnostics %s", progress, diagText(final))
	}
	if r := requestByID(srv, id); r.State != "delivered" || srv.Count(reprocessURL) != 1 {
		t.Fatalf("after the action: %+v, %d calls", r, srv.Count(reprocessURL))
	}
	// Invoking on a delivered request makes no call and warns.
	_, final = h.invoke(act, map[string]any{"request_id": id})
	if hasError(final) || !strings.Contains(diagText(final), "nothing to do") || srv.Count(reprocessURL) != 1 {
		t.Fatalf("second invoke: %s, %d calls", diagText(final), srv.Count(reprocessURL))
	}
}

func TestActionResume_protocol(t *testing.T) {
	srv, url := startEmulator(t, emulator.Options{})
	h := newProtoHarness(t, map[string]string{"graph_url": url, "access_token": srv.Token()})
	const act = "entitlement_access_package_assignment_request_resume"
	waiting := waitingRequest(t, srv, uBob)

	bad := map[string]any{"request_id": waiting, "source": "test", "stage": "assignmentRequestApproved", "callback_state": "denied"}
	resp, err := h.server.ValidateActionConfig(context.Background(), &tfprotov6.ValidateActionConfigRequest{ActionType: act, Config: h.config(act, bad)})
	if err != nil || !hasError(resp.Diagnostics) || !strings.Contains(diagText(resp.Diagnostics), "assignmentRequestCreated") {
		t.Fatalf("validate a state at the wrong stage: %v %s", err, diagText(resp.Diagnostics))
	}
	progress, final := h.invoke(act, map[string]any{"request_id": waiting, "source": "test", "stage": "assignmentRequestCreated"})
	if hasError(final) || !strings.Contains(strings.Join(progress, "\n"), "delivered") {
		t.Fatalf("invoke: %q %s", progress, diagText(final))
	}
	if r := requestByID(srv, waiting); r.State != "delivered" {
		t.Fatalf("after the action: %+v", r)
	}
	_, final = h.invoke(act, map[string]any{"request_id": waiting, "source": "test", "stage": "assignmentRequestCreated"})
	if !hasError(final) || !strings.Contains(diagText(final), "not waiting for a custom-extension callback") {
		t.Fatalf("resume of a request that does not wait: %s", diagText(final))
	}

	// In the China cloud, resume does not exist: refused at plan time.
	csrv, curl := startEmulator(t, emulator.Options{Cloud: emulator.CloudChina})
	ch := newProtoHarness(t, map[string]string{"graph_url": curl, "access_token": csrv.Token(), "environment": "china"})
	if d := ch.plan(act, map[string]any{"request_id": waiting, "source": "test", "stage": "assignmentRequestCreated"}); !hasError(d) || !strings.Contains(diagText(d), "not available in this cloud") {
		t.Fatalf("plan in China: %s", diagText(d))
	}
}
