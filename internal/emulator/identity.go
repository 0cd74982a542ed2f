package emulator

// The Entra ID side of the emulator: the token endpoint that azidentity
// talks to, the discovery documents MSAL asks for, the managed-identity
// endpoint (IMDS), and the OIDC token services of GitHub Actions and Azure
// Pipelines that workload identity federation starts from. Tokens it issues
// are RS256 JWTs with the cloud's Graph audience; the Graph routes accept them
// (and the static tokens), and nothing else.
//
// Entra's protocol is documented (Microsoft identity platform: client
// credentials flow, certificate credentials, workload identity federation,
// IMDS); where the emulator has to choose (error texts, claims it does not
// check) the choice is marked [INF] (our inference).

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is a SHA-1 thumbprint by definition (RFC 7515 §4.1.7)
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTenantID is the directory the emulator plays unless Options.TenantID
// says otherwise.
const DefaultTenantID = "c0ffee00-7e57-4a1d-8e2b-00000000e1a0"

// Issuers of the workload tokens the emulator mints, as the real services
// name themselves.
const (
	IssuerGitHubActions = "https://token.actions.githubusercontent.com"
	// FederationAudience is the audience Entra expects in federated assertions.
	FederationAudience = "api://AzureADTokenExchange"
)

// IssuerAzurePipelines is the issuer of Azure DevOps OIDC tokens for an
// organization id.
func IssuerAzurePipelines(orgID string) string { return "https://vstoken.dev.azure.com/" + orgID }

// Application is an app registration with its service principal: the
// identity a credential authenticates as.
type Application struct {
	// ClientID is the application (client) id.
	ClientID string `json:"appId"`
	// ObjectID is the service principal's object id: who Graph sees.
	ObjectID    string `json:"servicePrincipalId"`
	DisplayName string `json:"displayName,omitempty"`
	// Secrets are client secret values.
	Secrets []string `json:"secrets,omitempty"`
	// Certificates are PEM-encoded public certificates whose keys may sign
	// client assertions.
	Certificates []string `json:"certificates,omitempty"`
	// FederatedCredentials are the external tokens the app trusts.
	FederatedCredentials []FederatedCredential `json:"federatedIdentityCredentials,omitempty"`
	// ManagedIdentity is "system" or "user" when the app is a managed identity
	// that the IMDS endpoint hands tokens for; empty otherwise.
	ManagedIdentity string `json:"managedIdentity,omitempty"`

	certs []*x509.Certificate
}

// FederatedCredential is a federated identity credential on an app.
type FederatedCredential struct {
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// CIJob is a pipeline run whose OIDC token service the emulator plays.
type CIJob struct {
	// Kind is "github" (GitHub Actions) or "azurepipelines".
	Kind string
	// RequestToken is ACTIONS_ID_TOKEN_REQUEST_TOKEN or SYSTEM_ACCESSTOKEN.
	RequestToken string
	// Subject goes into the minted token: "repo:org/repo:environment:prod",
	// or "sc://org/project/connection".
	Subject string
	// ServiceConnectionID is the Azure DevOps service connection (azurepipelines).
	ServiceConnectionID string
	// OrgID names the Azure DevOps organization in the issuer.
	OrgID string
}

// signingKeys are made once per process: RSA key generation is slow, and one
// key for access tokens and one for the workload-token issuers is enough.
type signingKeys struct {
	access, workload       *rsa.PrivateKey
	accessKID, workloadKID string
}

var (
	keysOnce sync.Once
	keysVal  signingKeys
	keysErr  error
)

func keys() (signingKeys, error) {
	keysOnce.Do(func() {
		a, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			keysErr = err
			return
		}
		w, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			keysErr = err
			return
		}
		keysVal = signingKeys{access: a, workload: w, accessKID: kid(&a.PublicKey), workloadKID: kid(&w.PublicKey)}
	})
	return keysVal, keysErr
}

func kid(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// identityState is the directory side of the emulator.
type identityState struct {
	apps   map[string]*Application // by lower-case client id
	jobs   map[string]CIJob        // by request token
	issued []string                // every token minted, for tests that search logs
	counts map[string]int          // "token client_secret", "error AADSTS7000215", ...
}

func newIdentityState() identityState {
	return identityState{apps: map[string]*Application{}, jobs: map[string]CIJob{}, counts: map[string]int{}}
}

// TenantID is the directory id the token endpoint answers for.
func (s *Server) TenantID() string { return s.opts.TenantID }

// RegisterApplication adds an app registration (and its service principal).
func (s *Server) RegisterApplication(a Application) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registerApplicationLocked(a)
}

func (s *Server) registerApplicationLocked(a Application) error {
	if !isGUID(a.ClientID) {
		return fmt.Errorf("application appId %q must be a GUID", a.ClientID)
	}
	if a.ObjectID == "" {
		a.ObjectID = newID()
	}
	if !isGUID(a.ObjectID) {
		return fmt.Errorf("application %s: servicePrincipalId %q must be a GUID", a.ClientID, a.ObjectID)
	}
	switch a.ManagedIdentity {
	case "", "system", "user":
	default:
		return fmt.Errorf("application %s: managedIdentity %q: use system, user or nothing", a.ClientID, a.ManagedIdentity)
	}
	a.certs = nil
	for i, p := range a.Certificates {
		rest := []byte(p)
		found := false
		for {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return fmt.Errorf("application %s: certificates[%d]: %w", a.ClientID, i, err)
			}
			a.certs = append(a.certs, c)
			found = true
		}
		if !found {
			return fmt.Errorf("application %s: certificates[%d] holds no PEM certificate", a.ClientID, i)
		}
	}
	s.ident.apps[lower(a.ClientID)] = &a
	return nil
}

// AddCIJob makes the emulator's GitHub Actions or Azure Pipelines token
// service answer for a job. It returns the path of the request URL: prefix it
// with the emulator's root to get ACTIONS_ID_TOKEN_REQUEST_URL or
// SYSTEM_OIDCREQUESTURI.
func (s *Server) AddCIJob(j CIJob) (string, error) {
	if j.RequestToken == "" || j.Subject == "" {
		return "", errors.New("a CI job needs a request token and a subject")
	}
	var path string
	switch j.Kind {
	case "github":
		path = "/_ci/github/idtoken?api-version=2.0"
	case "azurepipelines":
		if j.ServiceConnectionID == "" {
			return "", errors.New("an Azure Pipelines job needs a service connection id")
		}
		if j.OrgID == "" {
			j.OrgID = newID()
		}
		path = "/_ci/azurepipelines/oidctoken"
	default:
		return "", fmt.Errorf("CI job kind %q: use github or azurepipelines", j.Kind)
	}
	s.mu.Lock()
	s.ident.jobs[j.RequestToken] = j
	s.mu.Unlock()
	return path, nil
}

// MintWorkloadToken signs an OIDC token as one of the workload issuers
// (GitHub Actions, Azure Pipelines, an AKS cluster): what a pipeline or a pod
// would hand to Entra. A negative lifetime makes an expired token.
func (s *Server) MintWorkloadToken(issuer, subject, audience string, lifetime time.Duration) (string, error) {
	k, err := keys()
	if err != nil {
		return "", err
	}
	now := time.Now()
	iat := now
	if lifetime < 0 {
		iat = now.Add(2 * lifetime)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer, "sub": subject, "aud": audience, "jti": newID(),
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": now.Add(lifetime).Unix(),
	})
	t.Header["kid"] = k.workloadKID
	signed, err := t.SignedString(k.workload)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.ident.issued = append(s.ident.issued, signed)
	s.mu.Unlock()
	return signed, nil
}

// IssuedTokens returns every access token and workload token the emulator
// has minted, so that tests can search logs for them.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ident.issued...)
}

// AuthCounts returns how many tokens were issued per grant ("token
// client_secret", "token client_certificate", "token federated", "token
// managed_identity", "oidc github", "oidc azurepipelines") and how many
// token requests failed per error code ("error AADSTS7000215").
func (s *Server) AuthCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.ident.counts))
	for k, v := range s.ident.counts {
		out[k] = v
	}
	return out
}

// countAuth counts a token issued or refused, for AuthCounts.
func (s *Server) countAuth(key string) {
	s.mu.Lock()
	s.ident.counts[key]++
	s.mu.Unlock()
}

// graphResources are the audiences Graph accepts on this cloud (national cloud deployments, per Microsoft's v1.0 metadata of each cloud).
func (s *Server) graphResources() []string {
	switch s.opts.Cloud {
	case CloudUSGov:
		return []string{"https://graph.microsoft.us", "https://dod-graph.microsoft.us"}
	case CloudChina:
		return []string{"https://microsoftgraph.chinacloudapi.cn"}
	default:
		return []string{"https://graph.microsoft.com"}
	}
}

func (s *Server) isGraphResource(res string) bool {
	res = strings.TrimRight(res, "/")
	for _, g := range s.graphResources() {
		if strings.EqualFold(res, g) {
			return true
		}
	}
	return false
}

// ---- HTTP ---------------------------------------------------------------------------

// serveIdentity answers the Entra and CI routes, or returns false for any
// other path.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	segs := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(segs) == 4 && lower(segs[1]) == "oauth2" && lower(segs[2]) == "v2.0" && lower(segs[3]) == "token":
		s.serveToken(w, r, segs[0])
	case len(segs) == 4 && lower(segs[1]) == "v2.0" && segs[2] == ".well-known" && segs[3] == "openid-configuration":
		s.serveOpenIDConfiguration(w, r, segs[0])
	case len(segs) == 4 && lower(segs[1]) == "discovery" && lower(segs[2]) == "v2.0" && lower(segs[3]) == "keys":
		s.serveKeys(w, r, segs[0])
	case lower(p) == "/common/discovery/instance":
		s.serveInstanceDiscovery(w, r)
	case lower(p) == "/metadata/identity/oauth2/token":
		s.serveIMDS(w, r)
	case p == "/_ci/github/idtoken":
		s.serveGitHubIDToken(w, r)
	case p == "/_ci/azurepipelines/oidctoken":
		s.serveAzurePipelinesToken(w, r)
	default:
		return false
	}
	return true
}

func rootOf(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// aadError writes Entra's OAuth error body: the AADSTS code in the
// description and in error_codes, with trace and correlation ids.
func (s *Server) aadError(w http.ResponseWriter, r *http.Request, status int, oauthErr string, code int, format string, args ...any) {
	trace, corr := newID(), r.Header.Get("client-request-id")
	if corr == "" {
		corr = newID()
	}
	ts := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	s.countAuth(fmt.Sprintf("error AADSTS%d", code))
	writeJSON(w, status, map[string]any{
		"error":             oauthErr,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", code, fmt.Sprintf(format, args...), trace, corr, ts),
		"error_codes":       []int{code},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         rootOf(r) + "/error?code=" + strconv.Itoa(code),
	})
}

func (s *Server) knownTenant(t string) bool { return strings.EqualFold(t, s.opts.TenantID) }

func (s *Server) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !s.knownTenant(tenant) {
		s.aadError(w, r, 400, "invalid_tenant", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant)
		return
	}
	root := rootOf(r)
	t := s.opts.TenantID
	writeJSON(w, 200, map[string]any{
		"token_endpoint":                        root + "/" + t + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              root + "/" + t + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                root + "/" + t + "/v2.0",
		"authorization_endpoint":                root + "/" + t + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         root + "/" + t + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  root + "/" + t + "/oauth2/v2.0/logout",
		"tenant_region_scope":                   "WW",
		"cloud_instance_name":                   "emulator",
	})
}

func (s *Server) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	ae, err := url.Parse(r.URL.Query().Get("authorization_endpoint"))
	if err != nil || ae.Host == "" {
		s.aadError(w, r, 400, "invalid_instance", 50049, "Unknown or invalid instance.")
		return
	}
	tenant := strings.Split(strings.Trim(ae.Path, "/"), "/")[0]
	writeJSON(w, 200, map[string]any{
		"tenant_discovery_endpoint": rootOf(r) + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata":                  []map[string]any{{"preferred_network": r.Host, "preferred_cache": r.Host, "aliases": []string{r.Host}}},
	})
}

func (s *Server) serveKeys(w http.ResponseWriter, r *http.Request, tenant string) {
	if !s.knownTenant(tenant) {
		s.aadError(w, r, 400, "invalid_tenant", 90002, "Tenant '%s' not found.", tenant)
		return
	}
	k, err := keys()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	pub := k.access.PublicKey
	writeJSON(w, 200, map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": k.accessKID, "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(bigEndian(pub.E)),
	}}})
}

func bigEndian(e int) []byte {
	var b []byte
	for ; e > 0; e >>= 8 {
		b = append([]byte{byte(e)}, b...)
	}
	return b
}

// serveToken is POST /{tenant}/oauth2/v2.0/token for the client credentials
// grant, with a secret, a certificate-signed assertion or a federated
// assertion.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		s.aadError(w, r, 405, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a %s request.", r.Method)
		return
	}
	if !s.knownTenant(tenant) {
		s.aadError(w, r, 400, "invalid_request", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.aadError(w, r, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			s.aadError(w, r, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		} else {
			s.aadError(w, r, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", gt)
		}
		return
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		s.aadError(w, r, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	scope := f.Get("scope")
	// MSAL adds the OIDC scopes to every request; Entra ignores them in the
	// client credentials flow.
	var rest []string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "offline_access", "profile", "email":
		default:
			rest = append(rest, sc)
		}
	}
	var resource string
	ok := len(rest) == 1
	if ok {
		resource, ok = strings.CutSuffix(rest[0], "/.default")
	}
	if !ok {
		s.aadError(w, r, 400, "invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)
		return
	}
	if !s.isGraphResource(resource) {
		s.aadError(w, r, 400, "invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenant)
		return
	}
	s.mu.Lock()
	app := s.ident.apps[lower(clientID)]
	s.mu.Unlock()
	if app == nil {
		s.aadError(w, r, 400, "unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)
		return
	}
	var grant string
	switch secret, assertion := f.Get("client_secret"), f.Get("client_assertion"); {
	case secret != "" && assertion != "":
		s.aadError(w, r, 401, "invalid_client", 7000218, "The request body must contain only one of the following parameters: 'client_assertion', 'client_secret'.")
		return
	case secret != "":
		if !app.hasSecret(secret) {
			s.aadError(w, r, 401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)
			return
		}
		grant = "client_secret"
	case assertion != "":
		if t := f.Get("client_assertion_type"); t != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			s.aadError(w, r, 400, "invalid_request", 50027, "Invalid client_assertion_type '%s'.", t)
			return
		}
		endpoint := rootOf(r) + r.URL.Path
		var ok bool
		grant, ok = s.checkAssertion(w, r, app, assertion, endpoint)
		if !ok {
			return
		}
	default:
		s.aadError(w, r, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	tok, exp, err := s.issueAccessToken(app, resource, time.Hour)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s.countAuth("token " + grant)
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": int(exp.Seconds()), "ext_expires_in": int(exp.Seconds()), "access_token": tok})
}

func (a *Application) hasSecret(v string) bool {
	for _, s := range a.Secrets {
		if subtle.ConstantTimeCompare([]byte(s), []byte(v)) == 1 {
			return true
		}
	}
	return false
}

// checkAssertion verifies a client assertion: signed by a certificate of the
// app (x5t or x5t#S256 header), or a federated token from a trusted issuer.
func (s *Server) checkAssertion(w http.ResponseWriter, r *http.Request, app *Application, assertion, endpoint string) (string, bool) {
	unverified, _, err := jwt.NewParser().ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		s.aadError(w, r, 400, "invalid_request", 50027, "JWT token is invalid or malformed.")
		return "", false
	}
	if _, s256 := unverified.Header["x5t#S256"]; s256 || unverified.Header["x5t"] != nil {
		return "client_certificate", s.checkCertificateAssertion(w, r, app, unverified.Header, assertion, endpoint)
	}
	return "federated", s.checkFederatedAssertion(w, r, app, assertion)
}

func thumbprintOf(h map[string]any) (sum []byte, sha256Sum bool) {
	v, s256 := h["x5t#S256"].(string)
	if !s256 {
		v, _ = h["x5t"].(string)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b, s256
		}
	}
	return nil, s256
}

func (s *Server) checkCertificateAssertion(w http.ResponseWriter, r *http.Request, app *Application, header map[string]any, assertion, endpoint string) bool {
	tp, s256 := thumbprintOf(header)
	var cert *x509.Certificate
	for _, c := range app.certs {
		var sum []byte
		if s256 {
			h := sha256.Sum256(c.Raw)
			sum = h[:]
		} else {
			h := sha1.Sum(c.Raw) //nolint:gosec // see the import
			sum = h[:]
		}
		if subtle.ConstantTimeCompare(sum, tp) == 1 {
			cert = c
			break
		}
	}
	if cert == nil {
		s.aadError(w, r, 401, "invalid_client", 700027, "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", strings.ToUpper(hex.EncodeToString(tp)), app.ClientID)
		return false
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"PS256", "RS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Minute)).
		ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return cert.PublicKey, nil })
	if s.assertionTimeOrSignature(w, r, err) {
		return false
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	if !strings.EqualFold(iss, app.ClientID) || !strings.EqualFold(sub, app.ClientID) {
		s.aadError(w, r, 401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .")
		return false
	}
	aud, _ := claims.GetAudience()
	for _, a := range aud {
		if strings.EqualFold(strings.TrimRight(a, "/"), endpoint) {
			return true
		}
	}
	s.aadError(w, r, 401, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .")
	return false
}

// assertionTimeOrSignature answers a failed assertion parse; false when err is nil.
func (s *Server) assertionTimeOrSignature(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		s.aadError(w, r, 401, "invalid_client", 700024, "Client assertion is not within its valid time range. Current time: %s, assertion valid from %s.", time.Now().UTC().Format(time.RFC3339), "its nbf claim")
	default:
		s.aadError(w, r, 401, "invalid_client", 700027, "Client assertion failed signature validation.")
	}
	return true
}

func (s *Server) checkFederatedAssertion(w http.ResponseWriter, r *http.Request, app *Application, assertion string) bool {
	k, err := keys()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return false
	}
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired()).
		ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
			if t.Header["kid"] != k.workloadKID {
				return nil, errors.New("unknown signing key")
			}
			return &k.workload.PublicKey, nil
		})
	if s.assertionTimeOrSignature(w, r, err) {
		return false
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	aud, _ := claims.GetAudience()
	var issuerKnown, subjectKnown bool
	for _, fc := range app.FederatedCredentials {
		if fc.Issuer != iss {
			continue
		}
		issuerKnown = true
		if fc.Subject != sub {
			continue
		}
		subjectKnown = true
		for _, want := range fc.Audiences {
			for _, got := range aud {
				if want == got {
					return true
				}
			}
		}
	}
	switch {
	case !issuerKnown:
		s.aadError(w, r, 400, "invalid_client", 700211, "No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", iss)
	case !subjectKnown:
		s.aadError(w, r, 400, "invalid_client", 700213, "No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sub)
	default:
		s.aadError(w, r, 400, "invalid_client", 700212, "No matching federated identity record found for presented assertion audience '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", strings.Join(aud, ","))
	}
	return false
}

// issueAccessToken mints an app-only access token for Graph.
func (s *Server) issueAccessToken(app *Application, resource string, lifetime time.Duration) (string, time.Duration, error) {
	k, err := keys()
	if err != nil {
		return "", 0, err
	}
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"aud": strings.TrimRight(resource, "/"), "iss": "https://sts.windows.net/" + s.opts.TenantID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(lifetime).Unix(),
		"appid": app.ClientID, "appidacr": "1", "idtyp": "app", "oid": app.ObjectID, "sub": app.ObjectID,
		"tid": s.opts.TenantID, "roles": []string{"EntitlementManagement.ReadWrite.All"}, "ver": "1.0", "uti": newID(),
		"app_displayname": app.DisplayName,
	})
	t.Header["kid"] = k.accessKID
	signed, err := t.SignedString(k.access)
	if err != nil {
		return "", 0, err
	}
	s.mu.Lock()
	s.ident.issued = append(s.ident.issued, signed)
	s.mu.Unlock()
	return signed, lifetime - time.Second, nil
}

// identityFromAccessToken checks a bearer token the emulator issued: its
// signature, lifetime, issuer and audience (this cloud's Graph).
func (s *Server) identityFromAccessToken(tok string) (Identity, *graphError) {
	k, err := keys()
	if err != nil {
		return Identity{}, errf(500, "InternalServerError", "%v", err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired()).
		ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return &k.access.PublicKey, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	case err != nil:
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature.")
	}
	aud, _ := claims.GetAudience()
	if len(aud) != 1 || !s.isGraphResource(aud[0]) {
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	}
	if iss, _ := claims["iss"].(string); iss != "https://sts.windows.net/"+s.opts.TenantID+"/" {
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer.")
	}
	oid, _ := claims["oid"].(string)
	name, _ := claims["app_displayname"].(string)
	return Identity{Kind: "application", ObjectID: oid, DisplayName: name}, nil
}

// serveIMDS is the Azure Instance Metadata Service's managed-identity
// endpoint: GET with "Metadata: true", resource, and optionally the
// client_id, object_id or msi_res_id of a user-assigned identity.
func (s *Server) serveIMDS(w http.ResponseWriter, r *http.Request) {
	imdsError := func(status int, e, desc string) {
		writeJSON(w, status, map[string]string{"error": e, "error_description": desc})
	}
	if r.Method != http.MethodGet {
		imdsError(405, "invalid_request", "The request method is not allowed")
		return
	}
	if r.Header.Get("Metadata") != "true" {
		imdsError(400, "invalid_request", "Required metadata header not specified")
		return
	}
	q := r.URL.Query()
	resource := q.Get("resource")
	if resource == "" {
		imdsError(400, "invalid_request", "Required audience parameter not specified")
		return
	}
	if !s.isGraphResource(resource) {
		imdsError(400, "invalid_resource", fmt.Sprintf("AADSTS500011: The resource principal named %s was not found in the tenant named %s.", resource, s.opts.TenantID))
		return
	}
	want := q.Get("client_id")
	if want == "" {
		want = q.Get("object_id")
	}
	var app *Application
	s.mu.Lock()
	for _, a := range s.ident.apps {
		switch {
		case want == "" && a.ManagedIdentity == "system",
			want != "" && a.ManagedIdentity != "" && (strings.EqualFold(want, a.ClientID) || strings.EqualFold(want, a.ObjectID)):
			app = a
		}
	}
	s.mu.Unlock()
	if app == nil {
		imdsError(400, "invalid_request", "Identity not found")
		return
	}
	tok, exp, err := s.issueAccessToken(app, resource, 24*time.Hour)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s.countAuth("token managed_identity")
	now := time.Now()
	secs := strconv.Itoa(int(exp.Seconds()))
	writeJSON(w, 200, map[string]string{
		"access_token": tok, "client_id": app.ClientID, "expires_in": secs, "ext_expires_in": secs,
		"expires_on": strconv.FormatInt(now.Add(exp).Unix(), 10), "not_before": strconv.FormatInt(now.Unix(), 10),
		"resource": resource, "token_type": "Bearer",
	})
}

func (s *Server) ciJob(r *http.Request, kind string) (CIJob, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return CIJob{}, false
	}
	s.mu.Lock()
	j, found := s.ident.jobs[tok]
	s.mu.Unlock()
	return j, found && j.Kind == kind
}

// serveGitHubIDToken plays the GitHub Actions OIDC token service:
// GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=... with the request token.
func (s *Server) serveGitHubIDToken(w http.ResponseWriter, r *http.Request) {
	j, ok := s.ciJob(r, "github")
	if !ok {
		writeJSON(w, 401, map[string]string{"message": "Bad credentials"})
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = "https://github.com/" + strings.SplitN(strings.TrimPrefix(j.Subject, "repo:"), "/", 2)[0]
	}
	tok, err := s.MintWorkloadToken(IssuerGitHubActions, j.Subject, aud, 5*time.Minute)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s.countAuth("oidc github")
	writeJSON(w, 200, map[string]any{"count": len(tok), "value": tok})
}

// serveAzurePipelinesToken plays Azure DevOps' OIDC token endpoint:
// POST $SYSTEM_OIDCREQUESTURI?api-version=7.1&serviceConnectionId=... with
// the job's System.AccessToken.
func (s *Server) serveAzurePipelinesToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	j, ok := s.ciJob(r, "azurepipelines")
	if !ok {
		writeJSON(w, 401, map[string]string{"message": "TF400813: The user is not authorized to access this resource."})
		return
	}
	if got := r.URL.Query().Get("serviceConnectionId"); !strings.EqualFold(got, j.ServiceConnectionID) {
		writeJSON(w, 400, map[string]string{"message": fmt.Sprintf("Service connection %q not found or the pipeline is not authorized to use it.", got)})
		return
	}
	tok, err := s.MintWorkloadToken(IssuerAzurePipelines(j.OrgID), j.Subject, FederationAudience, 15*time.Minute)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s.countAuth("oidc azurepipelines")
	writeJSON(w, 200, map[string]string{"oidcToken": tok})
}
