package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// fakeCloud answers as Entra and Graph of whatever cloud is asked, and
// records who was asked what.
type fakeCloud struct {
	mu    sync.Mutex
	calls []string // "POST login.microsoftonline.us/<tenant>/oauth2/v2.0/token scope=..."
}

func (f *fakeCloud) RoundTrip(r *http.Request) (*http.Response, error) {
	reply := func(status int, v any) (*http.Response, error) {
		b, _ := json.Marshal(v)
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(string(b))),
			ContentLength: int64(len(b)), Request: r}, nil
	}
	host, p := r.URL.Host, r.URL.Path
	line := r.Method + " " + host + p
	defer func() {
		f.mu.Lock()
		f.calls = append(f.calls, line)
		f.mu.Unlock()
	}()
	tenant := strings.Split(strings.Trim(p, "/"), "/")[0]
	switch {
	case strings.HasSuffix(p, "/common/discovery/instance"):
		ae, err := url.Parse(r.URL.Query().Get("authorization_endpoint"))
		if err != nil {
			return nil, err
		}
		tenant = strings.Split(strings.Trim(ae.Path, "/"), "/")[0]
		return reply(200, map[string]any{"tenant_discovery_endpoint": "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration",
			"api-version": "1.1", "metadata": []any{map[string]any{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}}})
	case strings.HasSuffix(p, "/.well-known/openid-configuration"):
		root := "https://" + host + "/" + tenant
		return reply(200, map[string]any{"token_endpoint": root + "/oauth2/v2.0/token", "authorization_endpoint": root + "/oauth2/v2.0/authorize", "issuer": root + "/v2.0"})
	case strings.HasSuffix(p, "/oauth2/v2.0/token"):
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		line += " scope=" + r.PostForm.Get("scope")
		return reply(200, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": "token-for-" + host})
	case strings.HasPrefix(p, "/v1.0/"):
		line += " auth=" + r.Header.Get("Authorization")
		return reply(200, map[string]any{"value": []any{}})
	}
	return nil, errors.New("fake cloud: unexpected " + line)
}

// Each environment sends the token request to its own authority, asks for its
// own Graph scope, and sends that token to its own Graph host only.
func TestEnvironmentHostsAndScopes(t *testing.T) {
	clearAuthEnv(t)
	for _, tc := range []struct{ env, login, graph string }{
		{"global", "login.microsoftonline.com", "graph.microsoft.com"},
		{"public", "login.microsoftonline.com", "graph.microsoft.com"},
		{"usgovernmentl4", "login.microsoftonline.us", "graph.microsoft.us"},
		{"usgovernment", "login.microsoftonline.us", "graph.microsoft.us"},
		{"usgovernmentl5", "login.microsoftonline.us", "dod-graph.microsoft.us"},
		{"china", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			fc := &fakeCloud{}
			authTransport = fc
			t.Cleanup(func() { authTransport = nil })
			d, diags := configureDiags(t, map[string]string{"environment": tc.env, "tenant_id": "46184453-e63b-4f20-86c2-c557ed5d5df9",
				"client_id": "56184453-e63b-4f20-86c2-c557ed5d5df9", "client_secret": "s"})
			if diags.HasError() {
				t.Fatal(diags)
			}
			if _, err := d.client.ListAssignments(t.Context(), graph.AssignmentFilter{}); err != nil {
				t.Fatal(err)
			}
			var token, graphCall string
			for _, c := range fc.calls {
				if strings.Contains(c, "/oauth2/v2.0/token") {
					token = c
				}
				if strings.Contains(c, "/v1.0/") {
					graphCall = c
				}
				if h := strings.Fields(c)[1]; !strings.HasPrefix(h, tc.login+"/") && !strings.HasPrefix(h, tc.graph+"/") {
					t.Errorf("a call left the cloud: %s", c)
				}
			}
			wantToken := fmt.Sprintf("POST %s/46184453-e63b-4f20-86c2-c557ed5d5df9/oauth2/v2.0/token scope=https://%s/.default", tc.login, tc.graph)
			if !strings.HasPrefix(token, wantToken) {
				t.Errorf("token request %q, want %q", token, wantToken)
			}
			wantGraph := fmt.Sprintf("GET %s/v1.0/identityGovernance/entitlementManagement/assignments auth=Bearer token-for-%s", tc.graph, tc.login)
			if graphCall != wantGraph {
				t.Errorf("Graph call %q, want %q", graphCall, wantGraph)
			}
		})
	}
}

// Settings resolve to a credential in the documented order, and an
// incomplete or conflicting one is an error that names what is missing.
func TestCredentialPrecedenceAndErrors(t *testing.T) {
	clearAuthEnv(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const tenant, client = "46184453-e63b-4f20-86c2-c557ed5d5df9", "56184453-e63b-4f20-86c2-c557ed5d5df9"
	noAz := authEnv{httpClient: http.DefaultClient, lookPath: func(string) (string, error) { return "", errors.New("not found") }}
	withAz := noAz
	withAz.lookPath = func(string) (string, error) { return "/usr/bin/az", nil }
	for _, tc := range []struct {
		name  string
		env   map[string]string
		model authModel
		ae    authEnv
		want  string // method, or "error: <summary>"
	}{
		{"secret beats OIDC and MSI", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_CLIENT_SECRET": "s", "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "x", "ARM_USE_MSI": "true"}, authModel{}, noAz, "client secret"},
		{"secret file", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_CLIENT_SECRET_FILE_PATH": secretFile}, authModel{}, noAz, "client secret"},
		{"client id from a file", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID_FILE_PATH": secretFile, "ARM_CLIENT_SECRET": "s"}, authModel{}, noAz, "client secret"},
		{"missing secret file", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_CLIENT_SECRET_FILE_PATH": secretFile + ".nope"}, authModel{}, noAz, "error: Cannot read client_secret_file_path"},
		{"OIDC beats MSI", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "x", "ARM_USE_MSI": "true"}, authModel{}, noAz, "OIDC token"},
		{"GitHub variables", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_USE_OIDC": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://pipelines.actions.githubusercontent.com/x?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, authModel{}, noAz, "GitHub Actions OIDC"},
		{"GitHub without its token", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_USE_OIDC": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://pipelines.actions.githubusercontent.com/x"}, authModel{}, noAz, "error: Incomplete OIDC token request credential"},
		{"Azure Pipelines variables", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_USE_OIDC": "true", "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID": "c", "SYSTEM_OIDCREQUESTURI": "https://dev.azure.com/o/p/_apis/x", "SYSTEM_ACCESSTOKEN": "t"}, authModel{}, noAz, "Azure Pipelines OIDC"},
		{"Azure Pipelines without System.AccessToken", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_USE_OIDC": "true", "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID": "c", "SYSTEM_OIDCREQUESTURI": "https://dev.azure.com/o/p/_apis/x"}, authModel{}, noAz, "error: Incomplete Azure Pipelines service connection credential"},
		{"plain-http request URL", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_USE_OIDC": "true", "ARM_OIDC_REQUEST_URL": "http://example.com/token", "ARM_OIDC_REQUEST_TOKEN": "t"}, authModel{}, noAz, "error: Invalid oidc_request_url"},
		{"AKS without its file", map[string]string{"ARM_USE_AKS_WORKLOAD_IDENTITY": "true", "AZURE_CLIENT_ID": client, "AZURE_TENANT_ID": tenant}, authModel{}, noAz, "error: Incomplete AKS workload identity credential"},
		{"MSI", map[string]string{"ARM_USE_MSI": "true"}, authModel{}, noAz, "managed identity"},
		{"bad MSI endpoint", map[string]string{"ARM_USE_MSI": "true", "ARM_MSI_ENDPOINT": "169.254.169.254"}, authModel{}, noAz, "error: Invalid msi_endpoint"},
		{"not a boolean", map[string]string{"ARM_USE_MSI": "yes please"}, authModel{}, noAz, "error: Invalid use_msi"},
		{"CLI by default", nil, authModel{}, withAz, "Azure CLI"},
		{"nothing, no az", nil, authModel{}, noAz, "error: No credentials"},
		{"a secret with no tenant", map[string]string{"ARM_CLIENT_ID": client, "ARM_CLIENT_SECRET": "s"}, authModel{}, noAz, "error: Incomplete client secret credential"},
		{"a certificate that is not base64", map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client, "ARM_CLIENT_CERTIFICATE": "%%%"}, authModel{}, noAz, "error: Invalid client_certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			plan, cerr := resolveCredential(tc.model, tc.ae)
			got := ""
			if cerr != nil {
				got = "error: " + cerr.summary
			} else {
				got = plan.method
			}
			if got != tc.want {
				t.Errorf("got %q, want %q (%v)", got, tc.want, cerr)
			}
		})
	}
}

// msi_endpoint takes azidentity's IMDS requests, query and headers intact.
func TestIMDSRedirect(t *testing.T) {
	var seen *http.Request
	next := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	})}
	to, _ := url.Parse("http://127.0.0.1:9999/msi/token?x=1")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fgraph.microsoft.com", nil)
	req.Header.Set("Metadata", "true")
	resp, err := (&imdsRedirect{to: to, next: next}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen.URL.Host != "127.0.0.1:9999" || seen.URL.Path != "/msi/token" || seen.URL.Query().Get("resource") != "https://graph.microsoft.com" ||
		seen.URL.Query().Get("x") != "1" || seen.Header.Get("Metadata") != "true" {
		t.Fatalf("redirected to %s with %v", seen.URL, seen.Header)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
