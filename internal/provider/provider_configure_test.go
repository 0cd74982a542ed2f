package provider

import (
	"context"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

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
		// The azuread provider's aliases, dod among them.
		"public": "https://graph.microsoft.com/v1.0", "usgovernment": "https://graph.microsoft.us/v1.0",
		"dod": "https://dod-graph.microsoft.us/v1.0", "DoD": "https://dod-graph.microsoft.us/v1.0",
	} {
		d, ok := configure(t, map[string]string{"environment": env, "access_token": "t"})
		if !ok || d.client.BaseURL() != base {
			t.Errorf("%s: %v", env, d)
		}
		if want := base[:len(base)-len("/v1.0")] + "/.default"; d.cloud.Scope != want {
			t.Errorf("%s scope %s", env, d.cloud.Scope)
		}
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
	for _, bad := range []string{"https://graph.microsoft.com", "http://10.0.0.1:8787", "http://127.0.0.1.evil.com",
		"http://127.attacker.example.com:8080", "http://user:pa55word@127.0.0.1:8787", "http://127.0.0.1:8787/?x=1", "http://127.0.0.1:8787/#f",
		"http://127.0.0.1:8787/v2", "http://127.1:8787", "http://0.0.0.0:8787", "ftp://127.0.0.1", ""} {
		if _, ok := configure(t, map[string]string{"graph_url": bad}); ok {
			t.Errorf("graph_url %s accepted", bad)
		}
	}
}

func mustCloud(name string) graph.Cloud {
	c, ok := graph.LookupCloud(name)
	if !ok {
		panic("no cloud " + name)
	}
	return c
}
