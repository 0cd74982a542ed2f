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

	//nolint:gosec // x5t is a SHA-1 thumbprint by definition (RFC 7515 §4.1.7)

	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
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
	// Permissions are the application permissions its tokens carry (the
	// roles claim); nil means EntitlementManagement.ReadWrite.All, an empty
	// list none.
	Permissions []string `json:"permissions,omitempty"`
	// Roles are the directory roles of its service principal, and
	// CatalogRoles its entitlement-management roles by catalog id.
	Roles        []string            `json:"roles,omitempty"`
	CatalogRoles map[string][]string `json:"catalogRoles,omitempty"`

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
