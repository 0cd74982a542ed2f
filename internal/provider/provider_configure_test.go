package provider

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
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
		case typ.Is(tftypes.Number):
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			vals[name] = tftypes.NewValue(typ, n)
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

// answering is a Graph that answers every call with an empty collection:
// Configure checks a static token with one call, and these tests run
// offline.
type answering struct{}

func (answering) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"value":[]}`)), Request: r}, nil
}

func TestEnvironments(t *testing.T) {
	for _, k := range []string{"ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_ENVIRONMENT", "ENTITLEMENT_GRAPH_URL", "ENTITLEMENT_ACCESS_TOKEN"} {
		t.Setenv(k, "")
	}
	authTransport = answering{}
	t.Cleanup(func() { authTransport = nil })
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

// max_concurrent_requests, or its environment variable, sets the client's
// bound; a bad environment value is an error that names it.
func TestMaxConcurrentRequests(t *testing.T) {
	srv, url := startEmulator(t, emulator.Options{})
	base := map[string]string{"graph_url": url, "access_token": srv.Token()}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range base {
			m[a] = b
		}
		return m
	}
	if d, ok := configure(t, base); !ok || d.client.Concurrency() != graph.DefaultConcurrency {
		t.Fatalf("default: %v", d)
	}
	if d, ok := configure(t, with("max_concurrent_requests", "25")); !ok || d.client.Concurrency() != 25 {
		t.Fatal("the attribute was not used")
	}
	t.Setenv("ENTITLEMENT_MAX_CONCURRENT_REQUESTS", "7")
	if d, ok := configure(t, base); !ok || d.client.Concurrency() != 7 {
		t.Fatal("the environment variable was not used")
	}
	if d, ok := configure(t, with("max_concurrent_requests", "3")); !ok || d.client.Concurrency() != 3 {
		t.Fatal("the attribute did not take precedence over the environment")
	}
	t.Setenv("ENTITLEMENT_MAX_CONCURRENT_REQUESTS", "lots")
	_, diags := configureDiags(t, base)
	if !diags.HasError() || !strings.Contains(diags.Errors()[0].Detail(), "ENTITLEMENT_MAX_CONCURRENT_REQUESTS") {
		t.Fatalf("a bad environment value: %v", diags)
	}
}

// Every boolean environment variable is parsed alike, whichever credential
// is configured: ARM_USE_CLI=perhaps was ignored when an access token or a
// client secret was set, while ARM_USE_MSI=perhaps was refused only when
// the managed identity was the method chosen.
func TestBooleanEnvironmentVariablesParsedAlike(t *testing.T) {
	srv, url := startEmulator(t, emulator.Options{})
	token := map[string]string{"graph_url": url, "access_token": srv.Token()}
	for _, f := range envFlags {
		t.Run(f.env, func(t *testing.T) {
			t.Setenv(f.env, "perhaps")
			_, diags := configureDiags(t, token)
			if !diags.HasError() || !strings.Contains(diags.Errors()[0].Detail(), f.env+`="perhaps" is not a boolean`) ||
				!strings.Contains(diags.Errors()[0].Summary(), f.attr) {
				t.Fatalf("%v", diags)
			}
			t.Setenv(f.env, "true")
			if _, diags := configureDiags(t, token); diags.HasError() {
				t.Fatalf("true refused: %v", diags)
			}
		})
	}
}
