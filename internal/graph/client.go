// Package graph is the provider's one Microsoft Graph client. It builds the
// msgraph-sdk-go request adapter (credential, base URL, allowed hosts,
// middleware), offers typed entitlement-management operations that take and
// return small structs of our own, classifies Graph's errors, retries what is
// safe to retry, and follows assignment requests until they settle.
//
// It knows Graph and nothing about Terraform. It deliberately does not import
// the root msgraph-sdk-go package (it makes cold builds about three times slower): only the identitygovernance
// request builders and the models.
package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
	ig "github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"
)

// Config says where Graph is and how to authenticate.
type Config struct {
	// BaseURL is the Graph root including the version, e.g.
	// "https://graph.microsoft.com/v1.0".
	BaseURL string
	// Exactly one of Credential (with Scopes) or StaticToken.
	Credential  azcore.TokenCredential
	Scopes      []string
	StaticToken string
	// Transport replaces the network transport under kiota's middleware (tests).
	Transport http.RoundTripper
	// Timeout bounds one HTTP exchange (default 100 s, kiota's).
	Timeout time.Duration
	// Retry tunes the retry policy; zero values take the defaults.
	Retry RetryPolicy
	// UserAgent is added to kiota's User-Agent.
	UserAgent string
	// Log receives the client's notes on recovery and waiting (the provider
	// routes them to tflog); nil discards them.
	Log Logger
	// Concurrency bounds the Graph calls in flight at once, for the whole
	// client (default DefaultConcurrency); Graph's throttling lowers it
	// for a while.
	Concurrency int
	// Trace logs every HTTP exchange with Graph (see Tracer).
	Trace Tracer
}

// Logger records a note with structured fields.
type Logger func(ctx context.Context, msg string, fields map[string]any)

// Client is safe for concurrent use; build one per provider configuration.
type Client struct {
	origin  origin
	tokens  absauth.AccessTokenProvider
	adapter *core.GraphRequestAdapterBase
	em      *ig.EntitlementManagementRequestBuilder
	base    string
	retry   RetryPolicy
	settle  settleTimes
	logger  Logger
	gate    throttleGate
	limit   *limiter
}

func (c *Client) log(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger(ctx, msg, fields)
	}
}

var registerSerializers sync.Once

// sdkOptions identifies the SDK in Graph's telemetry header, as the root
// package would.
var sdkOptions = core.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}

// New builds a client. The base URL's scheme, host and port are the only
// place that receives a token: kiota's allowed-hosts check compares host
// names only (another port of the same host would pass it), so the token
// providers compare the whole origin, and a nextLink that leaves it is not
// followed (listAll).
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("graph base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("graph base URL %q: plain http is only allowed for a loopback emulator", cfg.BaseURL)
	}
	hosts, err := absauth.NewAllowedHostsValidatorErrorCheck([]string{strings.ToLower(u.Hostname())})
	if err != nil {
		return nil, fmt.Errorf("graph base URL %q: %w", cfg.BaseURL, err)
	}
	home := originOf(u)
	var tokens absauth.AccessTokenProvider
	switch {
	case cfg.StaticToken != "" && cfg.Credential != nil:
		return nil, fmt.Errorf("graph client: a static token and a credential were both given")
	case cfg.StaticToken != "":
		tokens = &staticToken{token: cfg.StaticToken, hosts: hosts, home: home}
	case cfg.Credential != nil:
		if len(cfg.Scopes) == 0 {
			return nil, fmt.Errorf("graph client: a credential needs the cloud's .default scope")
		}
		tokens = &credentialToken{cred: cfg.Credential, scopes: cfg.Scopes, hosts: hosts, home: home}
	default:
		return nil, fmt.Errorf("graph client: no credential and no token")
	}
	registerSerializers.Do(func() {
		abs.RegisterDefaultSerializer(func() absser.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
		abs.RegisterDefaultSerializer(func() absser.SerializationWriterFactory { return textser.NewTextSerializationWriterFactory() })
		abs.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
		abs.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return textser.NewTextParseNodeFactory() })
	})

	// kiota's retry handler would re-send a POST after a 503 or 504, which can
	// duplicate an assignment request whose first attempt Graph had accepted
	//. It is switched off; Client.call retries instead, knowing
	// which operations are safe to repeat.
	//
	// kiota also gzips every request body. Ours are a few hundred bytes, and
	// each gzip writer allocates over a megabyte: at 20,000 requests that is
	// most of an apply's CPU, in the garbage collector (profiled). Graph
	// reads plain JSON, as every other client sends it.
	kiotaMW, err := khttp.GetDefaultMiddlewaresWithOptions(&khttp.RetryHandlerOptions{
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false },
	}, khttp.NewCompressionOptionsReference(false))
	if err != nil {
		return nil, err
	}
	mw := append([]khttp.Middleware{core.NewGraphTelemetryHandler(&sdkOptions)}, kiotaMW...)
	parent := cfg.Transport
	if parent == nil {
		parent = khttp.GetDefaultTransport()
	}
	if cfg.Trace.Debug != nil || cfg.Trace.Trace != nil {
		parent = &traceTransport{next: parent, tracer: cfg.Trace}
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 100 * time.Second
	}
	httpClient := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(parent, mw...), Timeout: timeout}

	adapter, err := core.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		absauth.NewBaseBearerTokenAuthenticationProvider(tokens), sdkOptions, nil, nil, httpClient)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	adapter.SetBaseUrl(base)
	c := &Client{
		origin:  home,
		tokens:  tokens,
		adapter: adapter,
		// Built from the "baseurl" path parameter, not from a raw URL: kiota
		// copies a raw URL ("request-raw-url") into every child builder, so
		// NewIdentityGovernanceRequestBuilder(base+"/identityGovernance", …)
		// would send every call to /identityGovernance itself.
		em:     ig.NewIdentityGovernanceRequestBuilderInternal(map[string]string{"baseurl": base}, adapter).EntitlementManagement(),
		base:   base,
		retry:  cfg.Retry.withDefaults(),
		logger: cfg.Log,
		limit:  newLimiter(cfg.Concurrency),
	}
	return c, nil
}

// origin is a URL's scheme, host and port: where a token may go.
type origin struct{ scheme, host, port string }

func originOf(u *url.URL) origin {
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(strings.Trim(u.Hostname(), "[]")), port: u.Port()}
	if o.port == "" {
		o.port = map[string]string{"https": "443", "http": "80"}[o.scheme]
	}
	return o
}

func (o origin) String() string { return o.scheme + "://" + net.JoinHostPort(o.host, o.port) }

// sameOrigin says whether a URL is on the configured Graph: same scheme,
// host and port.
func (o origin) holds(u *url.URL) bool { return u != nil && originOf(u) == o }

type staticToken struct {
	token string
	hosts *absauth.AllowedHostsValidator
	home  origin
}

func (p *staticToken) GetAuthorizationToken(_ context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !p.home.holds(u) {
		return "", nil
	}
	return p.token, nil
}

func (p *staticToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return p.hosts }

// credentialToken asks the credential for a token and keeps it until five
// minutes before it expires. MSAL-based credentials cache tokens themselves,
// but the Azure CLI credential runs `az` on every call, which would run it
// once per Graph request; and the lock makes concurrent requests share one
// token request instead of racing to the token endpoint.
type credentialToken struct {
	cred   azcore.TokenCredential
	scopes []string
	hosts  *absauth.AllowedHostsValidator
	home   origin

	mu     sync.Mutex
	cached azcore.AccessToken
}

func (p *credentialToken) GetAuthorizationToken(ctx context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !p.home.holds(u) {
		return "", nil
	}
	if u.Scheme != "https" && !IsLoopback(u.Hostname()) {
		return "", fmt.Errorf("refusing to send a token over plain http to %s", u.Host)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cached.Token != "" && time.Until(p.cached.ExpiresOn) > 5*time.Minute &&
		(p.cached.RefreshOn.IsZero() || time.Now().Before(p.cached.RefreshOn)) {
		return p.cached.Token, nil
	}
	tok, err := p.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: p.scopes})
	if err != nil {
		return "", &TokenError{Err: err}
	}
	p.cached = tok
	return tok.Token, nil
}

func (p *credentialToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return p.hosts }

// Authenticate gets a token for Graph now, so that a credential that cannot
// get one fails where it is configured rather than at the first call. The
// token is kept for the calls that follow.
func (c *Client) Authenticate(ctx context.Context) error {
	u, err := url.Parse(c.base)
	if err != nil {
		return err
	}
	if _, err := c.tokens.GetAuthorizationToken(ctx, u, nil); err != nil {
		return classify("authenticate", err)
	}
	return nil
}

// checkNextLink says whether Graph's @odata.nextLink may be followed: it must
// be an absolute URL on the configured Graph (scheme, host and port) under
// its version path. Anything else would send the token, or the listing,
// somewhere else.
func (c *Client) checkNextLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("the @odata.nextLink Graph returned, %q, is not an absolute URL; the listing was stopped", link)
	}
	base, _ := url.Parse(c.base)
	if !c.origin.holds(u) || !strings.HasPrefix(strings.ToLower(u.Path), strings.ToLower(strings.TrimRight(base.Path, "/"))+"/") {
		return fmt.Errorf("the @odata.nextLink Graph returned leads to %s, outside the configured Graph %s; it was not followed, so that the token goes nowhere else", u.Redacted(), c.base)
	}
	return nil
}

// EntitlementManagement returns the SDK's request builder, for tests and
// tools that need a Graph call the typed operations do not offer.
func (c *Client) EntitlementManagement() *ig.EntitlementManagementRequestBuilder { return c.em }

// BaseURL is the Graph root with its version, as configured.
func (c *Client) BaseURL() string { return c.base }

// CheckToken asks Graph for a first page of assignment policies' ids (the
// list page documents $select) to learn whether it accepts the token and can
// be reached at all: it returns an error when Graph refuses the token itself
// (401), or when no request reached Graph (nothing listens there, or the
// address cannot work: see Error.Permanent). A missing permission (403) is
// left to the calls that need it, which name the role they need.
func (c *Client) CheckToken(ctx context.Context) error {
	err := c.call(ctx, "check the access token", true, func(ctx context.Context) error {
		_, err := c.em.AssignmentPolicies().Get(ctx, &ig.EntitlementManagementAssignmentPoliciesRequestBuilderGetRequestConfiguration{
			QueryParameters: &ig.EntitlementManagementAssignmentPoliciesRequestBuilderGetQueryParameters{Select: []string{"id"}}})
		return err
	})
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.NotSent) {
		return err
	}
	return nil
}
