package provider

// Authentication: which azidentity credential the provider builds from its
// settings, with the azuread provider's attribute and environment-variable
// names so that existing pipelines work unchanged.
//
// Order of precedence (the first that is configured is used; the docs'
// index page says the same):
//
//  1. access_token                       a bearer token used as is
//  2. client_certificate[_path]          client certificate
//  3. client_secret[_file_path]          client secret
//  4. use_oidc                           workload identity federation, the token from
//     oidc_token, oidc_token_file_path, Azure Pipelines
//     (ado_pipeline_service_connection_id) or a token
//     request URL (GitHub Actions)
//  5. use_aks_workload_identity          the AKS workload identity token file
//  6. use_msi                            managed identity
//  7. use_cli (on by default)            the Azure CLI's login
//
// A method that is chosen but incomplete is an error that names what is
// missing; the provider never falls through to the next method silently.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// Test-only settings, read from the environment and never documented: they
// point azidentity at the emulator's token endpoint (which must be an https
// loopback address, so no secret can be sent anywhere else) and make the
// provider trust the CA that the tests generated for it.
const (
	envTestAuthority = "ENTITLEMENT_TEST_AUTHORITY_HOST"
	envTestCAFile    = "ENTITLEMENT_TEST_CA_FILE"
)

// authTransport, when set by a unit test, carries every request the
// credentials and the Graph client make (a fake cloud). Nil in use.
var authTransport http.RoundTripper

// federationAudience is the audience Entra expects in a federated token.
const federationAudience = "api://AzureADTokenExchange"

// authModel is the part of the provider configuration that authenticates.
type authModel struct {
	TenantID                  types.String `tfsdk:"tenant_id"`
	ClientID                  types.String `tfsdk:"client_id"`
	ClientIDFilePath          types.String `tfsdk:"client_id_file_path"`
	ClientSecret              types.String `tfsdk:"client_secret"`
	ClientSecretFilePath      types.String `tfsdk:"client_secret_file_path"`
	ClientCertificate         types.String `tfsdk:"client_certificate"`
	ClientCertificatePath     types.String `tfsdk:"client_certificate_path"`
	ClientCertificatePassword types.String `tfsdk:"client_certificate_password"`
	UseOIDC                   types.Bool   `tfsdk:"use_oidc"`
	OIDCToken                 types.String `tfsdk:"oidc_token"`
	OIDCTokenFilePath         types.String `tfsdk:"oidc_token_file_path"`
	OIDCRequestURL            types.String `tfsdk:"oidc_request_url"`
	OIDCRequestToken          types.String `tfsdk:"oidc_request_token"`
	ADOServiceConnectionID    types.String `tfsdk:"ado_pipeline_service_connection_id"`
	UseAKSWorkloadIdentity    types.Bool   `tfsdk:"use_aks_workload_identity"`
	UseMSI                    types.Bool   `tfsdk:"use_msi"`
	MSIEndpoint               types.String `tfsdk:"msi_endpoint"`
	UseCLI                    types.Bool   `tfsdk:"use_cli"`
}

// firstSet returns the configuration value if set, else the first
// environment variable that is set.
func firstSet(v types.String, envs ...string) string {
	if !v.IsNull() && !v.IsUnknown() && v.ValueString() != "" {
		return v.ValueString()
	}
	for _, e := range envs {
		if x := os.Getenv(e); x != "" {
			return x
		}
	}
	return ""
}

// envFlags are the boolean settings read from the environment, with their
// attributes. Every one set is parsed when the provider is configured,
// whichever credential is used: ARM_USE_CLI=perhaps is as much a mistake
// when a client secret is configured as when nothing else is.
var envFlags = []struct{ env, attr string }{
	{"ARM_USE_OIDC", "use_oidc"}, {"ARM_USE_AKS_WORKLOAD_IDENTITY", "use_aks_workload_identity"}, {"ARM_USE_MSI", "use_msi"},
	{"ARM_USE_CLI", "use_cli"}, {"ENTITLEMENT_ADOPT_EXISTING_ASSIGNMENTS", "adopt_existing_assignments"},
}

// checkEnvFlags parses every boolean environment variable that is set, and
// names the first that is not a boolean, with its attribute.
func checkEnvFlags() (attr string, err error) {
	for _, f := range envFlags {
		if _, err := flag(types.BoolNull(), f.env, false); err != nil {
			return f.attr, err
		}
	}
	return "", nil
}

// flag is a boolean setting with its environment fallback and default.
func flag(v types.Bool, env string, def bool) (bool, error) {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueBool(), nil
	}
	if x := os.Getenv(env); x != "" {
		b, err := strconv.ParseBool(x)
		if err != nil {
			return false, fmt.Errorf("%s=%q is not a boolean (use true or false)", env, x)
		}
		return b, nil
	}
	return def, nil
}

// readSecretFile reads a file holding one value (a secret, a client id).
func readSecretFile(path, what string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s from %s: %w", what, path, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s file %s is empty", what, path)
	}
	return v, nil
}

// credentialPlan is the outcome of resolving the settings: the credential
// and how it was chosen, or a configuration error.
type credentialPlan struct {
	cred azcore.TokenCredential
	// method names the credential in logs and errors, e.g. "client secret".
	method string
}

// configError is a configuration problem found before any token request,
// with the attribute it concerns.
type configError struct {
	attr    string
	summary string
	detail  string
}

func (e *configError) Error() string { return e.summary + ": " + e.detail }

func cfgErr(attr, summary, format string, args ...any) *configError {
	return &configError{attr: attr, summary: summary, detail: fmt.Sprintf(format, args...)}
}

// authEnv is what the credentials need to know of the world: the cloud's
// authority, how to reach it, and where to find the Azure CLI.
type authEnv struct {
	authority                cloud.Configuration
	disableInstanceDiscovery bool
	httpClient               *http.Client
	lookPath                 func(string) (string, error)
}

// newAuthEnv is the real world, or the emulator's when the test-only
// settings are present.
func newAuthEnv(c graph.Cloud) (authEnv, error) {
	ae := authEnv{authority: c.Authority, httpClient: &http.Client{Timeout: 60 * time.Second, Transport: authTransport}, lookPath: exec.LookPath}
	if ca := os.Getenv(envTestCAFile); ca != "" {
		pemBytes, err := os.ReadFile(ca)
		if err != nil {
			return ae, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return ae, fmt.Errorf("%s: no PEM certificate in %s", envTestCAFile, ca)
		}
		ae.httpClient.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true,
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	if a := os.Getenv(envTestAuthority); a != "" {
		u, err := url.Parse(a)
		if err != nil || u.Scheme != "https" || !graph.IsLoopback(u.Hostname()) {
			return ae, fmt.Errorf("%s must be an https loopback URL, not %q", envTestAuthority, a)
		}
		ae.authority.ActiveDirectoryAuthorityHost = strings.TrimRight(a, "/") + "/"
		// MSAL sends instance discovery for an unknown host to
		// login.microsoftonline.com; a private authority must skip it.
		ae.disableInstanceDiscovery = true
	}
	return ae, nil
}

func (ae authEnv) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Cloud: ae.authority, Transport: ae.httpClient}
}

// resolveCredential picks and builds the credential (see the order above).
func resolveCredential(m authModel, ae authEnv) (*credentialPlan, *configError) {
	c := &credentialContext{m: m, ae: ae, tenant: firstSet(m.TenantID, "ARM_TENANT_ID"), client: firstSet(m.ClientID, "ARM_CLIENT_ID")}
	if c.client == "" {
		if p := firstSet(m.ClientIDFilePath, "ARM_CLIENT_ID_FILE_PATH"); p != "" {
			v, err := readSecretFile(p, "the client id")
			if err != nil {
				return nil, cfgErr("client_id_file_path", "Cannot read client_id_file_path", "%v", err)
			}
			c.client = v
		}
	}
	for _, method := range credentialMethods {
		if plan, cerr, applies := method(c); applies || cerr != nil {
			return plan, cerr
		}
	}
	return nil, cfgErr("", "No credentials",
		"use_cli is false and no other credential is configured. Configure one of: access_token; a client certificate or secret with client_id and tenant_id; use_oidc; use_aks_workload_identity; use_msi.")
}

// credentialContext is what every method starts from: the configuration, the
// authentication environment, and the tenant and client ids.
type credentialContext struct {
	m              authModel
	ae             authEnv
	tenant, client string
}

func (c *credentialContext) tenantPair() [2]string {
	return [2]string{c.tenant, "tenant_id (ARM_TENANT_ID)"}
}
func (c *credentialContext) clientPair() [2]string {
	return [2]string{c.client, "client_id (ARM_CLIENT_ID)"}
}

// need reports the settings a method lacks: pairs of a value and its name.
func need(method string, pairs ...[2]string) *configError {
	var missing []string
	for _, p := range pairs {
		if p[0] == "" {
			missing = append(missing, p[1])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return cfgErr("", "Incomplete "+method+" credential",
		"Authenticating with a %s needs %s. Missing: %s.", method, joinNames(pairs), strings.Join(missing, ", "))
}

// credentialMethods are tried in the documented order after access_token.
// The first whose settings are present decides: applies is true (or an error
// is returned), and the provider never falls through to the next method.
var credentialMethods = []func(*credentialContext) (plan *credentialPlan, err *configError, applies bool){
	certificateCredential, secretCredential, oidcMethod, aksCredential, managedIdentityCredential, cliCredential,
}

// certificateCredential is method 2: a client certificate.
func certificateCredential(c *credentialContext) (*credentialPlan, *configError, bool) {
	m, ae := c.m, c.ae
	certB64 := firstSet(m.ClientCertificate, "ARM_CLIENT_CERTIFICATE")
	certPath := firstSet(m.ClientCertificatePath, "ARM_CLIENT_CERTIFICATE_PATH")
	if certB64 == "" && certPath == "" {
		return nil, nil, false
	}
	if e := need("client certificate", c.tenantPair(), c.clientPair()); e != nil {
		return nil, e, true
	}
	var data []byte
	attr := "client_certificate"
	if certB64 != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(certB64))
		if err != nil {
			return nil, cfgErr(attr, "Invalid client_certificate", "client_certificate (ARM_CLIENT_CERTIFICATE) must be the base64 encoding of a PKCS#12 (.pfx) or PEM file: %v", err), true
		}
		data = b
	} else {
		attr = "client_certificate_path"
		b, err := os.ReadFile(certPath)
		if err != nil {
			return nil, cfgErr(attr, "Cannot read client_certificate_path", "%v", err), true
		}
		data = b
	}
	pw := firstSet(m.ClientCertificatePassword, "ARM_CLIENT_CERTIFICATE_PASSWORD")
	certs, key, err := azidentity.ParseCertificates(data, []byte(pw))
	if err != nil {
		hint := ""
		if pw == "" {
			hint = " If the file is protected, set client_certificate_password (ARM_CLIENT_CERTIFICATE_PASSWORD)."
		}
		return nil, cfgErr(attr, "Invalid client certificate", "The certificate could not be read: %v. It must be a PKCS#12 (.pfx) or PEM file holding the certificate and its private key.%s", err, hint), true
	}
	cred, err := azidentity.NewClientCertificateCredential(c.tenant, c.client, certs, key, &azidentity.ClientCertificateCredentialOptions{
		ClientOptions: ae.clientOptions(), DisableInstanceDiscovery: ae.disableInstanceDiscovery,
	})
	if err != nil {
		return nil, cfgErr("", "Invalid client certificate credential", "%v", err), true
	}
	return &credentialPlan{cred: cred, method: "client certificate"}, nil, true
}

// secretCredential is method 3: a client secret, or a file holding one.
func secretCredential(c *credentialContext) (*credentialPlan, *configError, bool) {
	secret := firstSet(c.m.ClientSecret, "ARM_CLIENT_SECRET")
	if secret == "" {
		if p := firstSet(c.m.ClientSecretFilePath, "ARM_CLIENT_SECRET_FILE_PATH"); p != "" {
			v, err := readSecretFile(p, "the client secret")
			if err != nil {
				return nil, cfgErr("client_secret_file_path", "Cannot read client_secret_file_path", "%v", err), true
			}
			secret = v
		}
	}
	if secret == "" {
		return nil, nil, false
	}
	if e := need("client secret", c.tenantPair(), c.clientPair()); e != nil {
		return nil, e, true
	}
	cred, err := azidentity.NewClientSecretCredential(c.tenant, c.client, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: c.ae.clientOptions(), DisableInstanceDiscovery: c.ae.disableInstanceDiscovery,
	})
	if err != nil {
		return nil, cfgErr("", "Invalid client secret credential", "%v", err), true
	}
	return &credentialPlan{cred: cred, method: "client secret"}, nil, true
}

// oidcMethod is method 4: workload identity federation (use_oidc).
func oidcMethod(c *credentialContext) (*credentialPlan, *configError, bool) {
	useOIDC, err := flag(c.m.UseOIDC, "ARM_USE_OIDC", false)
	if err != nil {
		return nil, cfgErr("use_oidc", "Invalid use_oidc", "%v", err), true
	}
	if !useOIDC {
		return nil, nil, false
	}
	plan, cerr := oidcCredential(c)
	return plan, cerr, true
}

// aksCredential is method 5: the AKS workload identity of the pod.
func aksCredential(c *credentialContext) (*credentialPlan, *configError, bool) {
	useAKS, err := flag(c.m.UseAKSWorkloadIdentity, "ARM_USE_AKS_WORKLOAD_IDENTITY", false)
	if err != nil {
		return nil, cfgErr("use_aks_workload_identity", "Invalid use_aks_workload_identity", "%v", err), true
	}
	if !useAKS {
		return nil, nil, false
	}
	tenant, client := c.tenant, c.client
	if tenant == "" {
		tenant = os.Getenv("AZURE_TENANT_ID")
	}
	if client == "" {
		client = os.Getenv("AZURE_CLIENT_ID")
	}
	file := os.Getenv("AZURE_FEDERATED_TOKEN_FILE")
	if e := need("AKS workload identity",
		[2]string{tenant, "tenant_id (ARM_TENANT_ID, AZURE_TENANT_ID)"},
		[2]string{client, "client_id (ARM_CLIENT_ID, AZURE_CLIENT_ID)"},
		[2]string{file, "AZURE_FEDERATED_TOKEN_FILE (set by the AKS workload identity webhook on pods labelled azure.workload.identity/use: \"true\")"}); e != nil {
		return nil, e, true
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: c.ae.clientOptions(), DisableInstanceDiscovery: c.ae.disableInstanceDiscovery,
		TenantID: tenant, ClientID: client, TokenFilePath: file,
	})
	if err != nil {
		return nil, cfgErr("", "Invalid AKS workload identity credential", "%v", err), true
	}
	return &credentialPlan{cred: cred, method: "AKS workload identity"}, nil, true
}

// managedIdentityCredential is method 6: a managed identity (use_msi).
func managedIdentityCredential(c *credentialContext) (*credentialPlan, *configError, bool) {
	useMSI, err := flag(c.m.UseMSI, "ARM_USE_MSI", false)
	if err != nil {
		return nil, cfgErr("use_msi", "Invalid use_msi", "%v", err), true
	}
	if !useMSI {
		return nil, nil, false
	}
	opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: c.ae.clientOptions()}
	if c.client != "" {
		// A user-assigned identity; without client_id, the system-assigned one.
		opts.ID = azidentity.ClientID(c.client)
	}
	if ep := firstSet(c.m.MSIEndpoint, "ARM_MSI_ENDPOINT"); ep != "" {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, cfgErr("msi_endpoint", "Invalid msi_endpoint", "msi_endpoint (ARM_MSI_ENDPOINT) %q must be an absolute http(s) URL of an IMDS-compatible token endpoint, such as http://169.254.169.254/metadata/identity/oauth2/token.", ep), true
		}
		opts.Transport = &imdsRedirect{to: u, next: c.ae.httpClient}
	}
	cred, err := azidentity.NewManagedIdentityCredential(opts)
	if err != nil {
		return nil, cfgErr("", "Invalid managed identity credential", "%v", err), true
	}
	return &credentialPlan{cred: cred, method: "managed identity"}, nil, true
}

// cliCredential is method 7: the Azure CLI's login, on unless switched off.
func cliCredential(c *credentialContext) (*credentialPlan, *configError, bool) {
	useCLI, err := flag(c.m.UseCLI, "ARM_USE_CLI", true)
	if err != nil {
		return nil, cfgErr("use_cli", "Invalid use_cli", "%v", err), true
	}
	if !useCLI {
		return nil, nil, false
	}
	if _, err := c.ae.lookPath("az"); err != nil {
		return nil, cfgErr("", "No credentials",
			"No credential is configured, and the Azure CLI fallback is not available (az is not on PATH). Configure one of: access_token; client_id and tenant_id with client_certificate, client_certificate_path, client_secret or client_secret_file_path; use_oidc with oidc_token, oidc_token_file_path, oidc_request_url and oidc_request_token, or ado_pipeline_service_connection_id; use_aks_workload_identity; use_msi; or sign in with `az login`. Each setting can also come from its ARM_* environment variable."), true
	}
	cred, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: c.tenant})
	if err != nil {
		return nil, cfgErr("", "Invalid Azure CLI credential", "%v", err), true
	}
	return &credentialPlan{cred: cred, method: "Azure CLI"}, nil, true
}

func joinNames(pairs [][2]string) string {
	names := make([]string, len(pairs))
	for i, p := range pairs {
		names[i] = p[1]
	}
	return strings.Join(names, " and ")
}

// oidcCredential builds the federated credential: a ClientAssertionCredential
// whose assertion comes from the first configured source.
func oidcCredential(c *credentialContext) (*credentialPlan, *configError) {
	m, ae, tenant, client := c.m, c.ae, c.tenant, c.client
	tenantPair, clientPair := c.tenantPair(), c.clientPair()
	token := firstSet(m.OIDCToken, "ARM_OIDC_TOKEN")
	file := firstSet(m.OIDCTokenFilePath, "ARM_OIDC_TOKEN_FILE_PATH")
	ado := firstSet(m.ADOServiceConnectionID, "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID")
	var reqURL, reqToken string
	if ado != "" {
		reqURL = firstSet(m.OIDCRequestURL, "ARM_OIDC_REQUEST_URL", "SYSTEM_OIDCREQUESTURI")
		reqToken = firstSet(m.OIDCRequestToken, "ARM_OIDC_REQUEST_TOKEN", "SYSTEM_ACCESSTOKEN")
	} else {
		reqURL = firstSet(m.OIDCRequestURL, "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL")
		reqToken = firstSet(m.OIDCRequestToken, "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	}
	var (
		get    func(context.Context) (string, error)
		method string
	)
	switch {
	case token != "":
		method = "OIDC token"
		get = func(context.Context) (string, error) { return token, nil }
	case file != "":
		method = "OIDC token file"
		if _, err := os.Stat(file); err != nil {
			return nil, cfgErr("oidc_token_file_path", "Cannot read oidc_token_file_path", "%v", err)
		}
		// Read at every token request: the file is rotated under us.
		get = func(context.Context) (string, error) { return readSecretFile(file, "the OIDC token") }
	case ado != "":
		method = "Azure Pipelines OIDC"
		if e := need("Azure Pipelines service connection", tenantPair, clientPair,
			[2]string{reqURL, "oidc_request_url (ARM_OIDC_REQUEST_URL, SYSTEM_OIDCREQUESTURI)"},
			[2]string{reqToken, "oidc_request_token (ARM_OIDC_REQUEST_TOKEN, SYSTEM_ACCESSTOKEN: map it into the step's env with SYSTEM_ACCESSTOKEN: $(System.AccessToken))"}); e != nil {
			return nil, e
		}
		if e := checkRequestURL(reqURL); e != nil {
			return nil, e
		}
		get = adoAssertion(ae.httpClient, reqURL, reqToken, ado)
	case reqURL != "" || reqToken != "":
		method = "GitHub Actions OIDC"
		if e := need("OIDC token request", tenantPair, clientPair,
			[2]string{reqURL, "oidc_request_url (ARM_OIDC_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_URL)"},
			[2]string{reqToken, "oidc_request_token (ARM_OIDC_REQUEST_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN)"}); e != nil {
			return nil, e
		}
		if e := checkRequestURL(reqURL); e != nil {
			return nil, e
		}
		get = githubAssertion(ae.httpClient, reqURL, reqToken)
	default:
		return nil, cfgErr("use_oidc", "No OIDC token source",
			"use_oidc is true, but there is no token to present: set oidc_token (ARM_OIDC_TOKEN) or oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH); in GitHub Actions give the job `permissions: id-token: write`, which sets ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN; in Azure Pipelines set ado_pipeline_service_connection_id (ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID) and map SYSTEM_ACCESSTOKEN into the step.")
	}
	if e := need(method, tenantPair, clientPair); e != nil {
		return nil, e
	}
	cred, err := azidentity.NewClientAssertionCredential(tenant, client, get, &azidentity.ClientAssertionCredentialOptions{
		ClientOptions: ae.clientOptions(), DisableInstanceDiscovery: ae.disableInstanceDiscovery,
	})
	if err != nil {
		return nil, cfgErr("", "Invalid OIDC credential", "%v", err)
	}
	return &credentialPlan{cred: cred, method: method}, nil
}

func checkRequestURL(raw string) *configError {
	u, err := url.Parse(raw)
	if err != nil {
		return cfgErr("oidc_request_url", "Invalid oidc_request_url", "oidc_request_url is not a URL.")
	}
	plainLoopback := u.Scheme == "http" && graph.IsLoopback(u.Hostname())
	switch {
	case u.User != nil:
		return cfgErr("oidc_request_url", "Invalid oidc_request_url", "oidc_request_url %s carries a user name or password: leave them out (the request token authenticates).", u.Redacted())
	case u.Host == "" || (u.Scheme != "https" && !plainLoopback):
		return cfgErr("oidc_request_url", "Invalid oidc_request_url", "oidc_request_url %s must be an https URL (the pipeline's token service), or http to a loopback address.", u.Redacted())
	}
	return nil
}

// githubAssertion fetches an ID token from the GitHub Actions token service.
func githubAssertion(hc *http.Client, reqURL, reqToken string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		sep := "&"
		if !strings.Contains(reqURL, "?") {
			sep = "?"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, reqURL+sep+"audience="+url.QueryEscape(federationAudience), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+reqToken)
		req.Header.Set("Accept", "application/json; api-version=2.0")
		var body struct {
			Value string `json:"value"`
		}
		if err := fetchJSON(hc, req, "the GitHub Actions OIDC token service", &body); err != nil {
			return "", err
		}
		if body.Value == "" {
			return "", errors.New("the GitHub Actions OIDC token service answered without a token")
		}
		return body.Value, nil
	}
}

// adoAssertion fetches an ID token for a service connection from Azure
// DevOps, as azidentity's AzurePipelinesCredential does; that credential
// reads the request URL only from SYSTEM_OIDCREQUESTURI, and the provider
// must honour oidc_request_url.
func adoAssertion(hc *http.Client, reqURL, reqToken, connection string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		u, err := url.Parse(reqURL)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("api-version", "7.1")
		q.Set("serviceConnectionId", connection)
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+reqToken)
		req.Header.Set("Content-Type", "application/json")
		// Answer 401 rather than redirect to a sign-in page on a bad token.
		req.Header.Set("X-TFS-FedAuthRedirect", "Suppress")
		var body struct {
			OIDCToken string `json:"oidcToken"`
		}
		if err := fetchJSON(hc, req, "the Azure Pipelines OIDC endpoint (check ado_pipeline_service_connection_id and that the pipeline may use the service connection)", &body); err != nil {
			return "", err
		}
		if body.OIDCToken == "" {
			return "", errors.New("the Azure Pipelines OIDC endpoint answered without a token")
		}
		return body.OIDCToken, nil
	}
}

// fetchJSON sends req and decodes a 200 answer. An error answer's body is
// quoted (it explains the refusal and holds no token); a 200's never is.
func fetchJSON(hc *http.Client, req *http.Request, what string, into any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("requesting a token from %s: %w", what, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", what, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(b))
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		return fmt.Errorf("%s answered %s: %s", what, resp.Status, msg)
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("the answer of %s is not JSON: %w", what, err)
	}
	return nil
}

// imdsRedirect sends azidentity's IMDS requests to msi_endpoint instead of
// 169.254.169.254, keeping the protocol (query, Metadata header) as is.
type imdsRedirect struct {
	to   *url.URL
	next *http.Client
}

func (t *imdsRedirect) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "169.254.169.254" && req.URL.Path == "/metadata/identity/oauth2/token" {
		r2 := req.Clone(req.Context())
		u := *t.to
		q := u.Query()
		for k, vs := range req.URL.Query() {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		r2.URL = &u
		r2.Host = u.Host
		req = r2
	}
	return t.next.Do(req)
}

var _ policy.Transporter = (*imdsRedirect)(nil)

// describedCredential makes token failures say which credential failed and
// why, with Entra's AADSTS text up front.
type describedCredential struct {
	cred   azcore.TokenCredential
	method string
}

func (d *describedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := d.cred.GetToken(ctx, opts)
	if err != nil {
		return tok, fmt.Errorf("authenticating with the %s failed%s\n\n%w", d.method, aadstsSummary(err), err)
	}
	return tok, nil
}

// aadstsSummary pulls ": AADSTS7000215: Invalid client secret provided. …"
// out of an azidentity error whose response carries Entra's error body.
func aadstsSummary(err error) string {
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil || afe.RawResponse.Body == nil {
		return ""
	}
	b, rerr := azruntime.Payload(afe.RawResponse)
	if rerr != nil {
		return ""
	}
	var body struct {
		Description string `json:"error_description"`
	}
	if json.Unmarshal(b, &body) != nil || body.Description == "" {
		return ""
	}
	// Keep the sentence, drop the trace lines that follow it.
	d := body.Description
	if i := strings.Index(d, " Trace ID:"); i > 0 {
		d = d[:i]
	}
	if i := strings.Index(d, "\r\nTrace ID:"); i > 0 {
		d = d[:i]
	}
	return ": " + d
}
