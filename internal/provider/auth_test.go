package provider

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Applications registered in the authentication tests' directory.
const (
	appSecret   = "a0000000-0000-4000-8000-000000000001"
	spSecret    = "50000000-0000-4000-8000-000000000001"
	appCert     = "a0000000-0000-4000-8000-000000000002"
	spCert      = "50000000-0000-4000-8000-000000000002"
	appFed      = "a0000000-0000-4000-8000-000000000003"
	spFed       = "50000000-0000-4000-8000-000000000003"
	appMSI      = "a0000000-0000-4000-8000-000000000004"
	spMSI       = "50000000-0000-4000-8000-000000000004"
	adoOrg      = "0a000000-0000-4000-8000-00000000000a"
	adoConn     = "c0000000-0000-4000-8000-00000000000c"
	testSecret  = "emulated~secret.value-7Qx"
	certPass    = "pfx-password-3vB"
	ghSubject   = "repo:accessgov/identity:environment:production"
	adoSubject  = "sc://accessgov/identity/entitlement-prod"
	aksIssuer   = "https://oidc.prod-aks.azure.com/9a1b2c3d-0000-4000-8000-000000000000/"
	aksSubject  = "system:serviceaccount:identity:terraform"
	fileIssuer  = "https://gitlab.example.com"
	fileSubject = "project_path:accessgov/identity:ref_type:branch:ref:main"
)

// testCert is a certificate with its key, as PEM and as a password-protected
// PKCS#12 file.
type testCert struct {
	certPEM, bundlePEM []byte
	pfx                []byte
}

func newTestCert(t *testing.T, cn string) testCert {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pfx, err := pkcs12.LegacyDES.Encode(key, cert, nil, certPass)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, key)})
	return testCert{certPEM: certPEM, bundlePEM: append(append([]byte{}, certPEM...), keyPEM...), pfx: pfx}
}

func mustPKCS8(t *testing.T, k *rsa.PrivateKey) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// authWorld is an emulator serving Graph and the Entra token endpoint over
// TLS, with applications for each kind of credential.
type authWorld struct {
	srv  *emulator.Server
	root string
	cert testCert
}

// clearAuthEnv removes what the machine's environment could add to a test's
// provider configuration.
func clearAuthEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ARM_") || strings.HasPrefix(name, "ACTIONS_ID_TOKEN_") || strings.HasPrefix(name, "AZURE_") ||
			name == "SYSTEM_OIDCREQUESTURI" || name == "SYSTEM_ACCESSTOKEN" || strings.HasPrefix(name, "ENTITLEMENT_") ||
			name == "IDENTITY_ENDPOINT" || name == "IDENTITY_HEADER" || name == "MSI_ENDPOINT" || name == "IMDS_ENDPOINT" {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

func newAuthWorld(t *testing.T) *authWorld {
	t.Helper()
	return newCloudAuthWorld(t, emulator.CloudGlobal)
}

// newCloudAuthWorld is newAuthWorld for an emulator of a national cloud.
func newCloudAuthWorld(t *testing.T, cloud string) *authWorld {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	clearAuthEnv(t)
	srv, err := emulator.New(observed(emulator.Options{Fixture: accFixture(), Cloud: cloud}))
	if err != nil {
		t.Fatal(err)
	}
	w := &authWorld{srv: srv, cert: newTestCert(t, "terraform-entitlement")}
	fed := []emulator.FederatedCredential{
		{Issuer: emulator.IssuerGitHubActions, Subject: ghSubject, Audiences: []string{emulator.FederationAudience}},
		{Issuer: emulator.IssuerAzurePipelines(adoOrg), Subject: adoSubject, Audiences: []string{emulator.FederationAudience}},
		{Issuer: aksIssuer, Subject: aksSubject, Audiences: []string{emulator.FederationAudience}},
		{Issuer: fileIssuer, Subject: fileSubject, Audiences: []string{emulator.FederationAudience}},
	}
	for _, a := range []emulator.Application{
		{ClientID: appSecret, ObjectID: spSecret, DisplayName: "terraform-secret", Secrets: []string{testSecret}},
		{ClientID: appCert, ObjectID: spCert, DisplayName: "terraform-cert", Certificates: []string{string(w.cert.certPEM)}},
		{ClientID: appFed, ObjectID: spFed, DisplayName: "terraform-oidc", FederatedCredentials: fed},
		{ClientID: appMSI, ObjectID: spMSI, DisplayName: "runner-identity", ManagedIdentity: "system"},
	} {
		if err := srv.RegisterApplication(a); err != nil {
			t.Fatal(err)
		}
	}
	hs, ca, err := emulator.NewTLSTestServer(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Close)
	w.root = hs.URL
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envTestAuthority, hs.URL)
	t.Setenv(envTestCAFile, caFile)
	return w
}

// provider is a provider block pointing Graph at the emulator, with settings.
func (w *authWorld) provider(settings string) string {
	return fmt.Sprintf("provider \"entitlement\" {\n  graph_url = %q\n%s\n}\n", w.root, settings)
}

func (w *authWorld) file(t *testing.T, name string, content []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// madeBy checks that Graph saw the assignment request come from the service
// principal, and that the emulator issued a token through that grant.
func (w *authWorld) madeBy(sp, grant string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		adds := requestsOf(w.srv, "adminAdd", uAlice)
		if len(adds) != 1 {
			return fmt.Errorf("want 1 adminAdd request, got %d", len(adds))
		}
		if adds[0].CallerObjectID != sp {
			return fmt.Errorf("the request was made by %q, want the service principal %s", adds[0].CallerObjectID, sp)
		}
		if n := w.srv.AuthCounts()[grant]; n < 1 {
			return fmt.Errorf("the emulator issued no token through %q: %v", grant, w.srv.AuthCounts())
		}
		return nil
	}
}

func (w *authWorld) test(t *testing.T, settings, sp, grant string) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(w.srv, uAlice),
		Steps: []resource.TestStep{{
			Config: assignmentConfig(w.provider(settings), polDirect, uAlice, ""),
			Check:  w.madeBy(sp, grant),
		}},
	})
}

func TestAccAuth_clientSecret(t *testing.T) {
	w := newAuthWorld(t)
	w.test(t, fmt.Sprintf("tenant_id = %q\nclient_id = %q\nclient_secret = %q", emulator.DefaultTenantID, appSecret, testSecret), spSecret, "token client_secret")
}

// The secret from a mounted file, the ids from the environment, as a
// Kubernetes-hosted runner passes them.
func TestAccAuth_clientSecretFileAndEnvironment(t *testing.T) {
	w := newAuthWorld(t)
	t.Setenv("ARM_TENANT_ID", emulator.DefaultTenantID)
	t.Setenv("ARM_CLIENT_ID", appSecret)
	t.Setenv("ARM_CLIENT_SECRET_FILE_PATH", w.file(t, "secret", []byte(testSecret+"\n")))
	w.test(t, "", spSecret, "token client_secret")
}

func TestAccAuth_clientCertificatePFX(t *testing.T) {
	w := newAuthWorld(t)
	w.test(t, fmt.Sprintf("tenant_id = %q\nclient_id = %q\nclient_certificate = %q\nclient_certificate_password = %q",
		emulator.DefaultTenantID, appCert, base64.StdEncoding.EncodeToString(w.cert.pfx), certPass), spCert, "token client_certificate")
}

func TestAccAuth_clientCertificatePEMPath(t *testing.T) {
	w := newAuthWorld(t)
	w.test(t, fmt.Sprintf("tenant_id = %q\nclient_id = %q\nclient_certificate_path = %q",
		emulator.DefaultTenantID, appCert, w.file(t, "cert.pem", w.cert.bundlePEM)), spCert, "token client_certificate")
}

func TestAccAuth_oidcTokenFile(t *testing.T) {
	w := newAuthWorld(t)
	tok, err := w.srv.MintWorkloadToken(fileIssuer, fileSubject, emulator.FederationAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w.test(t, fmt.Sprintf("tenant_id = %q\nclient_id = %q\nuse_oidc = true\noidc_token_file_path = %q",
		emulator.DefaultTenantID, appFed, w.file(t, "token", []byte(tok))), spFed, "token federated")
}

// As in a GitHub Actions job with `permissions: id-token: write`: the
// runner's variables and the ARM_* ones, an empty provider block.
func TestAccAuth_githubActions(t *testing.T) {
	w := newAuthWorld(t)
	path, err := w.srv.AddCIJob(emulator.CIJob{Kind: "github", RequestToken: "gh-request-token-5Hq", Subject: ghSubject})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", w.root+path)
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token-5Hq")
	t.Setenv("ARM_USE_OIDC", "true")
	t.Setenv("ARM_TENANT_ID", emulator.DefaultTenantID)
	t.Setenv("ARM_CLIENT_ID", appFed)
	w.test(t, "", spFed, "oidc github")
}

// As in an Azure Pipelines job with a workload identity federation service
// connection, SYSTEM_ACCESSTOKEN mapped into the step.
func TestAccAuth_azurePipelines(t *testing.T) {
	w := newAuthWorld(t)
	path, err := w.srv.AddCIJob(emulator.CIJob{Kind: "azurepipelines", RequestToken: "ado-system-token-9Lm", Subject: adoSubject,
		ServiceConnectionID: adoConn, OrgID: adoOrg})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SYSTEM_OIDCREQUESTURI", w.root+path)
	t.Setenv("SYSTEM_ACCESSTOKEN", "ado-system-token-9Lm")
	w.test(t, fmt.Sprintf("tenant_id = %q\nclient_id = %q\nuse_oidc = true\nado_pipeline_service_connection_id = %q",
		emulator.DefaultTenantID, appFed, adoConn), spFed, "oidc azurepipelines")
}

// As in a pod with the AKS workload identity webhook's variables.
func TestAccAuth_aksWorkloadIdentity(t *testing.T) {
	w := newAuthWorld(t)
	tok, err := w.srv.MintWorkloadToken(aksIssuer, aksSubject, emulator.FederationAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", w.file(t, "azure-identity-token", []byte(tok)))
	t.Setenv("AZURE_CLIENT_ID", appFed)
	t.Setenv("AZURE_TENANT_ID", emulator.DefaultTenantID)
	w.test(t, "use_aks_workload_identity = true", spFed, "token federated")
}

func TestAccAuth_managedIdentity(t *testing.T) {
	w := newAuthWorld(t)
	w.test(t, fmt.Sprintf("use_msi = true\nmsi_endpoint = %q", w.root+"/metadata/identity/oauth2/token"), spMSI, "token managed_identity")
}

// The Azure CLI fallback with an empty provider block: azidentity runs
// `az account get-access-token`, here the test binary standing in for az,
// signed in as the secret application.
func TestAccAuth_azureCLI(t *testing.T) {
	w := newAuthWorld(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "az")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_AZ_AUTHORITY", w.root)
	t.Setenv("FAKE_AZ_CLIENT_ID", appSecret)
	t.Setenv("FAKE_AZ_CLIENT_SECRET", testSecret)
	w.test(t, "", spSecret, "token client_secret")
}

// fakeAz answers `az account get-access-token -o json --resource R [--tenant
// T]` as the CLI does for a signed-in service principal: it gets the token
// from the (emulated) token endpoint and prints the CLI's JSON.
func fakeAz(args []string) int {
	var resource, tenant string
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--resource":
			resource = args[i+1]
		case "--tenant":
			tenant = args[i+1]
		}
	}
	if len(args) < 2 || args[0] != "account" || args[1] != "get-access-token" || resource == "" {
		fmt.Fprintln(os.Stderr, "fake az: unexpected arguments", args)
		return 2
	}
	if tenant == "" {
		tenant = emulator.DefaultTenantID
	}
	ae, err := newAuthEnv(mustCloud("global"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {os.Getenv("FAKE_AZ_CLIENT_ID")},
		"client_secret": {os.Getenv("FAKE_AZ_CLIENT_SECRET")}, "scope": {resource + "/.default"}}
	resp, err := ae.httpClient.PostForm(os.Getenv("FAKE_AZ_AUTHORITY")+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		return 1
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "ERROR:", body.Error, err)
		return 1
	}
	exp := time.Now().Add(time.Duration(body.ExpiresIn) * time.Second)
	out, _ := json.Marshal(map[string]any{"accessToken": body.AccessToken, "expiresOn": exp.Format("2006-01-02 15:04:05.000000"),
		"expires_on": exp.Unix(), "subscription": "00000000-0000-0000-0000-000000000000", "tenant": tenant, "tokenType": "Bearer"})
	fmt.Println(string(out))
	return 0
}

// Each way authentication goes wrong gives an error that says why, with
// Entra's code; none of them sends anything to Graph.
func TestAccAuth_errors(t *testing.T) {
	w := newAuthWorld(t)
	other := newTestCert(t, "not-registered")
	expired, err := w.srv.MintWorkloadToken(fileIssuer, fileSubject, emulator.FederationAudience, -10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := w.srv.MintWorkloadToken(fileIssuer, "project_path:someone/else:ref_type:branch:ref:main", emulator.FederationAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// step expects an error holding each phrase in turn, wherever Terraform
	// wraps the lines.
	step := func(settings string, phrases ...string) resource.TestStep {
		parts := make([]string, len(phrases))
		for i, p := range phrases {
			parts[i] = strings.Join(strings.Fields(regexp.QuoteMeta(p)), `\s+`)
		}
		return resource.TestStep{Config: assignmentConfig(w.provider(settings), polDirect, uAlice, ""),
			ExpectError: regexp.MustCompile(`(?s)` + strings.Join(parts, ".*"))}
	}
	ids := func(client string) string {
		return fmt.Sprintf("tenant_id = %q\nclient_id = %q\n", emulator.DefaultTenantID, client)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(ids(appSecret)+`client_secret = "not-the-secret"`,
				"Authentication failed", "client secret failed: AADSTS7000215: Invalid client secret provided"),
			step(ids(appCert)+fmt.Sprintf("client_certificate_path = %q", w.file(t, "other.pem", other.bundlePEM)),
				"Authentication failed", "client certificate failed: AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application"),
			step(ids(appCert)+fmt.Sprintf("client_certificate = %q\nclient_certificate_password = \"wrong\"", base64.StdEncoding.EncodeToString(w.cert.pfx)),
				"Invalid client certificate", "The certificate could not be read"),
			step(ids(appFed)+fmt.Sprintf("use_oidc = true\noidc_token = %q", expired),
				"Authentication failed", "OIDC token failed: AADSTS700024: Client assertion is not within its valid time range"),
			step(ids(appFed)+fmt.Sprintf("use_oidc = true\noidc_token = %q", stranger),
				"Authentication failed", "AADSTS700213: No matching federated identity record found for presented assertion subject"),
			step(fmt.Sprintf("tenant_id = %q\nclient_id = %q\nclient_secret = %q", "0badc0de-0000-4000-8000-000000000000", appSecret, testSecret),
				"Authentication failed", "AADSTS90002: Tenant '0badc0de-0000-4000-8000-000000000000' not found"),
			step(ids(appSecret)+"client_secret = \"x\"\nclient_secret_file_path = \"/x\"", "Invalid Attribute Combination"),
			step(fmt.Sprintf("client_id = %q\nclient_secret = %q", appSecret, testSecret),
				"Incomplete client secret credential", "Missing: tenant_id (ARM_TENANT_ID)"),
			step(ids(appFed)+"use_oidc = true", "No OIDC token source", "id-token: write"),
			step("use_cli = false", "No credentials", "use_cli is false"),
			// GitHub's token service refuses a bad request token.
			step(ids(appFed)+fmt.Sprintf("use_oidc = true\noidc_request_url = %q\noidc_request_token = \"nope\"", w.root+"/_ci/github/idtoken?api-version=2.0"),
				"Authentication failed", "GitHub Actions OIDC token service answered 401", "Bad credentials"),
		},
	})
	if n := len(w.srv.Requests()); n != len(accFixtureRequests()) {
		t.Fatalf("%d requests reached Graph, want none beyond the fixture's", n-len(accFixtureRequests()))
	}
}

func accFixtureRequests() []map[string]any { return accFixture().AssignmentRequests }

// On a US Government emulator, the provider with environment
// usgovernmentl5 asks for the DoD Graph scope and the token works; with the
// global environment, the scope is not a resource of that cloud's tenant.
func TestAccAuth_nationalCloud(t *testing.T) {
	w := newCloudAuthWorld(t, emulator.CloudUSGov)
	settings := func(env string) string {
		return fmt.Sprintf("environment = %q\ntenant_id = %q\nclient_id = %q\nclient_secret = %q", env, emulator.DefaultTenantID, appSecret, testSecret)
	}
	cfg := func(env string) string {
		return w.provider(settings(env)) + fmt.Sprintf(`
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
}
`, pkgSales, polDirect, uAlice)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(w.srv, uAlice),
		Steps: []resource.TestStep{
			{Config: cfg("global"), ExpectError: regexp.MustCompile(`(?s)Authentication failed.*AADSTS500011:\s+The\s+resource\s+principal\s+named\s+https://graph.microsoft.com\s+was\s+not\s+found`)},
			{Config: cfg("usgovernmentl5"), Check: w.madeBy(spSecret, "token client_secret")},
		},
	})
}
