package emulator_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

const (
	appID  = "a1a1a1a1-0000-4000-8000-000000000001"
	spID   = "b1b1b1b1-0000-4000-8000-000000000001"
	secret = "emulator-test-secret"
)

// tlsEmulator serves an emulator over TLS with one application, and returns
// an HTTP client that trusts it.
func tlsEmulator(t *testing.T, opts emulator.Options) (*emulator.Server, string, *http.Client) {
	t.Helper()
	if opts.Fixture == nil {
		opts.Fixture = testFixture()
	}
	opts.Fixture.Applications = []emulator.Application{{ClientID: appID, ObjectID: spID, DisplayName: "test app", Secrets: []string{secret}}}
	srv, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs, ca, err := emulator.NewTLSTestServer(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
	return srv, hs.URL, &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func secretCredential(t *testing.T, root, tenant, clientSecret string, hc *http.Client) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, appID, clientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: root + "/"}, Transport: hc},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func graphCall(t *testing.T, hc *http.Client, root, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, root+"/v1.0/identityGovernance/entitlementManagement/assignments", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return doJSON(t, hc, req)
}

// doJSON sends req and decodes the JSON answer, whatever its status.
func doJSON(t *testing.T, hc *http.Client, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func errorMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	return fmt.Sprint(e["code"], ": ", e["message"])
}

// azidentity, unmodified, gets a token from the emulator; Graph accepts it
// and records the service principal as the caller; the token endpoint
// refuses a wrong secret and an unknown tenant with Entra's codes.
func TestTokenEndpointWithAzidentity(t *testing.T) {
	srv, root, hc := tlsEmulator(t, emulator.Options{})
	ctx := context.Background()
	scope := policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}

	tok, err := secretCredential(t, root, srv.TenantID(), secret, hc).GetToken(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := graphCall(t, hc, root, tok.Token); status != 200 {
		t.Fatalf("Graph refused an issued token: %d %v", status, body)
	}
	// The SDK, through our client, makes a request as the application.
	c, err := graph.New(graph.Config{BaseURL: root + "/v1.0", Credential: secretCredential(t, root, srv.TenantID(), secret, hc),
		Scopes: scope.Scopes, Transport: hc.Transport})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitAdd(ctx, graph.AddInput{AccessPackageID: pkgA, PolicyID: polDirect, TargetObjectID: alice}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if got := reqs[len(reqs)-1].CallerObjectID; got != spID {
		t.Fatalf("caller %q, want the service principal %s", got, spID)
	}
	// Graph's requestor of a direct assignment is the subject who was assigned.
	if got := reqs[len(reqs)-1].RequestorObjectID; got != alice {
		t.Fatalf("requestor %q, want the target %s", got, alice)
	}

	for _, tc := range []struct {
		name, tenant, secret, want string
	}{
		{"wrong secret", srv.TenantID(), "nope", "AADSTS7000215"},
		{"unknown tenant", "0badc0de-0000-4000-8000-000000000000", secret, "AADSTS90002"},
	} {
		_, err := secretCredential(t, root, tc.tenant, tc.secret, hc).GetToken(ctx, scope)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
		}
	}
	// A scope for another cloud's Graph is not a resource in this tenant.
	_, err = secretCredential(t, root, srv.TenantID(), secret, hc).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.us/.default"}})
	if err == nil || !strings.Contains(err.Error(), "AADSTS500011") {
		t.Errorf("US Gov scope on the global cloud: got %v, want AADSTS500011", err)
	}
	if c := srv.AuthCounts(); c["token client_secret"] != 2 || c["error AADSTS7000215"] != 1 {
		t.Errorf("auth counts %v", c)
	}
}

// Graph accepts only tokens this emulator issued for its cloud's Graph:
// not garbage, not another tenant's, not another cloud's audience.
func TestGraphAcceptsOnlyIssuedTokens(t *testing.T) {
	srv, root, hc := tlsEmulator(t, emulator.Options{})
	usgov, usRoot, usHC := tlsEmulator(t, emulator.Options{Cloud: emulator.CloudUSGov})
	other, otherRoot, otherHC := tlsEmulator(t, emulator.Options{TenantID: "0e0e0e0e-0000-4000-8000-000000000001"})
	ctx := context.Background()
	get := func(root, tenant string, hc *http.Client, scope string) string {
		tok, err := secretCredential(t, root, tenant, secret, hc).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	usTok := get(usRoot, usgov.TenantID(), usHC, "https://dod-graph.microsoft.us/.default")
	otherTok := get(otherRoot, other.TenantID(), otherHC, "https://graph.microsoft.com/.default")
	if status, body := graphCall(t, usHC, usRoot, usTok); status != 200 {
		t.Fatalf("the US Gov emulator refused its own L5 token: %d %v", status, body)
	}
	for _, tc := range []struct{ name, token, want string }{
		{"not a JWT", "emulator-tokenX", "IDX14100"},
		{"another cloud's audience", usTok, "Invalid audience"},
		{"another tenant's token", otherTok, "Invalid issuer"},
		{"tampered", otherTok[:len(otherTok)-4] + "AAAA", "Invalid signature"},
	} {
		status, body := graphCall(t, hc, root, tc.token)
		if status != 401 || !strings.Contains(errorMessage(body), tc.want) {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, status, errorMessage(body), tc.want)
		}
	}
	_ = srv
}

// The managed-identity endpoint speaks IMDS: the Metadata header is
// required, the resource must be Graph, and the identity must exist.
func TestIMDS(t *testing.T) {
	f := testFixture()
	f.Applications = []emulator.Application{{ClientID: appID, ObjectID: spID, ManagedIdentity: "user"}}
	srv := emulator.MustNew(emulator.Options{Fixture: f})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	get := func(query string, metadata bool) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, hs.URL+"/metadata/identity/oauth2/token?api-version=2018-02-01&"+query, nil)
		if metadata {
			req.Header.Set("Metadata", "true")
		}
		return doJSON(t, http.DefaultClient, req)
	}
	res := "resource=" + url.QueryEscape("https://graph.microsoft.com")
	if s, b := get(res+"&client_id="+appID, false); s != 400 || !strings.Contains(fmt.Sprint(b), "metadata header") {
		t.Errorf("no Metadata header: %d %v", s, b)
	}
	if s, b := get(res, true); s != 400 || b["error_description"] != "Identity not found" {
		t.Errorf("no system-assigned identity: %d %v", s, b)
	}
	if s, b := get("resource="+url.QueryEscape("https://management.azure.com"), true); s != 400 || b["error"] != "invalid_resource" {
		t.Errorf("another resource: %d %v", s, b)
	}
	s, b := get(res+"&client_id="+appID, true)
	if s != 200 || b["token_type"] != "Bearer" || b["expires_on"] == nil {
		t.Fatalf("user-assigned identity: %d %v", s, b)
	}
	status, body := graphCall(t, http.DefaultClient, hs.URL, b["access_token"].(string))
	if status != 200 {
		t.Fatalf("Graph refused the managed identity's token: %d %v", status, body)
	}
}

// The CI token services hand out workload tokens only for a known job.
func TestCITokenServices(t *testing.T) {
	srv := emulator.MustNew(emulator.Options{Fixture: testFixture()})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	gh, err := srv.AddCIJob(emulator.CIJob{Kind: "github", RequestToken: "rt", Subject: "repo:o/r:ref:refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	ado, err := srv.AddCIJob(emulator.CIJob{Kind: "azurepipelines", RequestToken: "st", Subject: "sc://o/p/c", ServiceConnectionID: "conn"})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token string) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(context.Background(), method, hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return doJSON(t, http.DefaultClient, req)
	}
	if s, _ := call("GET", gh+"&audience=api://AzureADTokenExchange", "wrong"); s != 401 {
		t.Errorf("GitHub, bad request token: %d", s)
	}
	if s, b := call("GET", gh+"&audience=api://AzureADTokenExchange", "rt"); s != 200 || strings.Count(fmt.Sprint(b["value"]), ".") != 2 {
		t.Errorf("GitHub: %d %v", s, b)
	}
	if s, _ := call("POST", ado+"?api-version=7.1&serviceConnectionId=other", "st"); s != 400 {
		t.Errorf("Azure Pipelines, unknown service connection: %d", s)
	}
	if s, b := call("POST", ado+"?api-version=7.1&serviceConnectionId=conn", "st"); s != 200 || b["oidcToken"] == nil {
		t.Errorf("Azure Pipelines: %d %v", s, b)
	}
	if got := srv.AuthCounts(); got["oidc github"] != 1 || got["oidc azurepipelines"] != 1 {
		t.Errorf("counts %v", got)
	}
}

// Over TLS the nextLink is https, and the SDK's pager follows it.
func TestTLSNextLink(t *testing.T) {
	srv, root, hc := tlsEmulator(t, emulator.Options{PageSize: 2})
	for _, u := range []string{alice, bob, carol} {
		srv.MustAdd(pkgA, polDirect, u, nil)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, root+"/v1.0/identityGovernance/entitlementManagement/assignments", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token())
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		NextLink string `json:"@odata.nextLink"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if !strings.HasPrefix(page.NextLink, root+"/v1.0/") {
		t.Fatalf("nextLink %q is not on %s", page.NextLink, root)
	}
	c, err := graph.New(graph.Config{BaseURL: root + "/v1.0", StaticToken: srv.Token(), Transport: hc.Transport})
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.ListAssignments(context.Background(), graph.AssignmentFilter{AccessPackageID: pkgA})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("listed %d assignments over TLS, want 3", len(all))
	}
}
