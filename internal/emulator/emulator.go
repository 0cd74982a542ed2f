// Package emulator is a local stand-in for the Microsoft Graph v1.0
// entitlement-management API: users, catalogs, access packages, assignment
// policies, assignment requests and assignments, with the request lifecycle,
// OData conventions, errors and faults of Graph as Microsoft documents them.
// Where Microsoft's documentation is silent, the emulator's choice is marked
// [INF] (our inference) in a comment; DESIGN.md lists those choices.
//
// A Server is an http.Handler, so tests can run one with httptest.NewServer;
// cmd/emulator runs one standalone. Test controls live under /_emulator/.
package emulator

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Cloud profiles (national cloud deployments, per Microsoft's v1.0 metadata of each cloud). The US Government and China clouds have no
// v1.0 resume action and no justification on requests.
const (
	CloudGlobal = "global"
	CloudUSGov  = "usgov"
	CloudChina  = "china"
)

// DefaultToken is the static bearer token a new emulator accepts.
const DefaultToken = "emulator-token"

// Options configure a Server. The zero value is a global-cloud emulator with
// no delays that accepts DefaultToken.
type Options struct {
	// Token is the static bearer token accepted as an application identity.
	Token string
	// Cloud is CloudGlobal (default), CloudUSGov or CloudChina.
	Cloud string
	// ProcessingDelay is how long a request stays submitted before it moves on;
	// DeliveryDelay how long it stays delivering. Zero for fast tests.
	ProcessingDelay, DeliveryDelay time.Duration
	// PageSize is the server-driven page size of collections when the caller
	// sends no $top (default 100).
	PageSize int
	// BaseURL is the emulator's own root (scheme and authority), for
	// @odata.context, nextLink and Location; empty: see baseFor.
	BaseURL string
	// HostNames are extra host names the emulator answers to (those of its
	// TLS certificate), which may appear in the links it writes.
	HostNames []string
	// Observe, when set, sees every Graph call after it is answered: the
	// contract test checks the bodies against Microsoft's metadata.
	Observe func(Exchange)
	// ErrorCodes renames the error codes the emulator answers with, for
	// example {"ExistingOpenRequest": "Conflict"}: Graph documents no code for
	// several refusals, and a client must not depend on the ones we chose.
	ErrorCodes map[string]string
	// Seed makes probabilistic faults repeatable (0: a fixed default seed).
	Seed int64
	// Fixture, if set, is loaded at start and again on reset.
	Fixture *Fixture
	// TenantID is the directory the token endpoint answers for
	// (default DefaultTenantID).
	TenantID string
	// AcceptDuplicates makes the emulator accept a second open request for
	// a target and package, and an adminAdd for a target that already holds
	// a live assignment under the policy. Microsoft documents neither
	// refusal (ExistingOpenRequest is third-party evidence, ExistingAssignment
	// our choice), so the provider must stay duplicate-free without them:
	// tests turn this on to show that it does.
	AcceptDuplicates bool
	// Permissive accepts filters, operators and $select names that Graph
	// does not document (the emulator's older, lenient reading), for
	// probing by hand only: by default the emulator refuses what Microsoft
	// does not document, and nothing in the test suite turns this on.
	Permissive bool
}

// Identity is who a bearer token stands for, and what it holds (see
// authorization.go).
type Identity struct {
	// Kind is "application" or "delegated".
	Kind string `json:"kind"`
	// ObjectID is the service principal's or the signed-in user's object id.
	ObjectID    string `json:"objectId"`
	DisplayName string `json:"displayName,omitempty"`
	// Roles are directory roles, which reach every catalog (Identity
	// Governance Administrator, Global Reader, ...).
	Roles []string `json:"roles,omitempty"`
	// CatalogRoles are entitlement-management roles by catalog id (Catalog
	// owner, Catalog reader, Access package manager, Access package
	// assignment manager).
	CatalogRoles map[string][]string `json:"catalogRoles,omitempty"`
	// Permissions are the application's permissions, or the user's
	// delegated ones (EntitlementManagement.Read.All, .ReadWrite.All).
	// Nil means EntitlementManagement.ReadWrite.All; an empty list, none:
	// an application that holds catalog roles only.
	Permissions []string `json:"permissions"`
}

// Server is the emulator. It is safe for concurrent use.
type Server struct {
	mu         sync.Mutex
	opts       Options
	st         *store
	offset     time.Duration // clock offset from real time
	tokens     map[string]Identity
	faults     []*Fault
	throttle   *Throttle
	behaviours []*Behaviour
	lag        time.Duration
	latency    [2]time.Duration // every Graph request waits a random time in [min, max)
	metrics    map[string]*RouteMetrics
	rnd        *mrand.Rand
	ident      identityState
	controls   *http.ServeMux // the test controls under /_emulator/
}

// New returns an emulator with the given options, its fixture loaded.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	switch opts.Cloud {
	case "":
		opts.Cloud = CloudGlobal
	case CloudGlobal, CloudUSGov, CloudChina:
	default:
		return nil, fmt.Errorf("unknown cloud profile %q: use %q, %q or %q", opts.Cloud, CloudGlobal, CloudUSGov, CloudChina)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.TenantID == "" {
		opts.TenantID = DefaultTenantID
	}
	if !isGUID(opts.TenantID) {
		return nil, fmt.Errorf("tenant id %q must be a GUID", opts.TenantID)
	}
	s := &Server{opts: opts}
	s.controls = s.controlMux()
	if err := s.Reset(); err != nil {
		return nil, err
	}
	return s, nil
}

// MustNew is New for tests and examples whose options are known to be good.
func MustNew(opts Options) *Server {
	s, err := New(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Reset empties the store, faults, behaviours, metrics and clock offset, and
// loads the fixture again.
func (s *Server) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newStore()
	s.offset = 0
	s.faults = nil
	s.throttle = nil
	s.behaviours = nil
	s.lag = 0
	s.latency = [2]time.Duration{}
	s.metrics = map[string]*RouteMetrics{}
	s.rnd = mrand.New(mrand.NewSource(s.opts.Seed))
	s.tokens = map[string]Identity{s.opts.Token: {Kind: "application", ObjectID: "00000000-0000-0000-0000-0000000000a1", DisplayName: "Terraform"}}
	s.ident = newIdentityState()
	if s.opts.Fixture != nil {
		return s.loadFixtureLocked(s.opts.Fixture)
	}
	return nil
}

// Token returns the static token the emulator accepts.
func (s *Server) Token() string { return s.opts.Token }

// now is the emulator's clock: real time plus the offset tests set. Times are
// kept to the millisecond, as Graph renders them.
func (s *Server) now() time.Time {
	return time.Now().UTC().Add(s.offset).Truncate(time.Millisecond)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// call is one Graph request as the handlers see it.
type call struct {
	r        *http.Request
	segs     []string // path segments after /v1.0
	route    string   // the route's name
	body     []byte
	identity Identity
	base     string // scheme://host of this emulator, for @odata.nextLink
	requestID,
	clientRequestID string
	// fixedRequestID and fixedAssignmentID are the ids a fixture request
	// gives itself and the assignment it makes (empty: new ones).
	fixedRequestID, fixedAssignmentID string
}

// response is what a handler answers; body is JSON-encoded unless text is set.
type response struct {
	status  int
	body    any
	text    string
	headers map[string]string
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.controls.ServeHTTP(w, r)
		return
	}
	if s.serveIdentity(w, r) {
		return
	}
	c := &call{r: r, requestID: newID(), clientRequestID: r.Header.Get("client-request-id")}
	if c.clientRequestID == "" {
		c.clientRequestID = c.requestID
	}
	c.base = s.baseFor(r)

	rt, segs, gerr := s.route(r.Method, r.URL.Path)
	c.segs = segs
	name := "unrouted"
	if rt != nil {
		name = rt.name
		c.route = rt.name
	}
	m := s.countRequest(name)
	if gerr != nil {
		s.finish(w, c, m, nil, gerr)
		return
	}

	if gerr := s.authenticate(c); gerr != nil {
		s.finish(w, c, m, nil, gerr)
		return
	}

	if gerr := s.throttled(); gerr != nil {
		s.finish(w, c, m, nil, gerr)
		return
	}

	if wait := s.baseLatency(); wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	if gerr := checkQueryBounds(r.URL.RawQuery); gerr != nil {
		s.finish(w, c, m, nil, gerr)
		return
	}
	body, gerr := readBody(r)
	if gerr != nil {
		s.finish(w, c, m, nil, gerr)
		return
	}
	c.body = body

	fault := s.pickFault(r.Method, name, r.URL.Path, r.URL.RawQuery, body)
	if fault != nil && fault.Latency.D > 0 {
		select {
		case <-time.After(fault.Latency.D):
		case <-r.Context().Done():
			return
		}
	}
	if fault != nil && fault.Status != 0 {
		gerr := faultError(fault)
		s.finish(w, c, m, nil, gerr)
		return
	}

	s.mu.Lock()
	s.advance(s.now())
	resp, gerr := rt.handle(s, c)
	s.mu.Unlock()

	if fault != nil && fault.DropResponse {
		// The change is committed; the caller never hears of it.
		s.mu.Lock()
		m.Dropped++
		s.mu.Unlock()
		dropConnection(w)
		return
	}
	s.finish(w, c, m, resp, gerr)
}

// readBody reads the request body, undoing the gzip that kiota applies to
// every request body by default.
// maxBody bounds a request body, before and after gzip.
const maxBody = 16 << 20

func readBody(r *http.Request) ([]byte, *graphError) {
	if r.Body == nil {
		return nil, nil
	}
	tooLarge := errf(413, "RequestEntityTooLarge", "The request body is larger than %d bytes.", maxBody)
	rd := io.LimitReader(r.Body, maxBody+1)
	switch lower(strings.TrimSpace(r.Header.Get("Content-Encoding"))) {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(rd)
		if err != nil {
			return nil, badRequest("The request body is not valid gzip: %v.", err)
		}
		defer gz.Close()
		rd = io.LimitReader(gz, maxBody+1)
	default:
		return nil, errf(415, "UnsupportedMediaType", "Content-Encoding '%s' is not supported.", r.Header.Get("Content-Encoding"))
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, badRequest("The request body could not be read: %v.", err)
	}
	if len(b) > maxBody {
		return nil, tooLarge
	}
	return b, nil
}

// Bounds on query options, checked before the store's lock is taken so that
// one request cannot hold it while a huge or deeply nested option parses.
const (
	maxFilterLength = 4096
	maxExpandLength = 2048
	maxExpandDepth  = 4
)

// checkQueryBounds refuses query options beyond those bounds, as Graph
// refuses queries beyond its own limits (the exact limits are [INF]).
func checkQueryBounds(rawQuery string) *graphError {
	for k, vals := range splitQuery(rawQuery) {
		for _, v := range vals {
			switch lower(k) {
			case "$filter":
				if len(v) > maxFilterLength {
					return badRequest("The $filter is longer than %d characters.", maxFilterLength)
				}
			case "$expand":
				if len(v) > maxExpandLength {
					return badRequest("The $expand is longer than %d characters.", maxExpandLength)
				}
				depth, most := 0, 0
				for _, ch := range v {
					switch ch {
					case '(':
						depth++
						most = max(most, depth)
					case ')':
						depth--
					}
				}
				if most > maxExpandDepth {
					return badRequest("The $expand is nested %d levels deep; at most %d are supported.", most, maxExpandDepth)
				}
			}
		}
	}
	return nil
}

// baseFor is the scheme and authority that @odata.context, nextLink and
// Location use: the configured address, else the Host the client used when
// it names a loopback address or one of the certificate's extra host names,
// else the address the connection arrived at. An arbitrary Host header is
// never reflected.
func (s *Server) baseFor(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return strings.TrimRight(s.opts.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(lower(name), "[]")
	if ip := net.ParseIP(name); (ip != nil && ip.IsLoopback()) || name == "localhost" || slices.Contains(s.opts.HostNames, name) {
		return scheme + "://" + host
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return scheme + "://" + a.String()
	}
	return scheme + "://127.0.0.1"
}

func (s *Server) authenticate(c *call) *graphError {
	h := c.r.Header.Get("Authorization")
	if h == "" {
		return errf(401, "InvalidAuthenticationToken", "Access token is empty.")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return errf(401, "InvalidAuthenticationToken", "Access token validation failure: the Authorization header must be 'Bearer <token>'.")
	}
	tok = strings.TrimSpace(tok)
	s.mu.Lock()
	id, known := s.tokens[tok]
	s.mu.Unlock()
	if !known {
		// Not a static token: only a token this emulator's token endpoint
		// issued is accepted.
		if strings.Count(tok, ".") != 2 {
			return errf(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).")
		}
		var gerr *graphError
		if id, gerr = s.identityFromAccessToken(tok); gerr != nil {
			return gerr
		}
	}
	c.identity = id
	return nil
}

// finish writes the response or the error envelope with Graph's headers.
func (s *Server) finish(w http.ResponseWriter, c *call, m *RouteMetrics, resp *response, gerr *graphError) {
	h := w.Header()
	h.Set("request-id", c.requestID)
	h.Set("client-request-id", c.clientRequestID)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"Emulator","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"EMULATOR"}}`)
	status := 0
	var payload []byte
	if gerr != nil {
		status = gerr.status
		for k, v := range gerr.headers {
			h.Set(k, v)
		}
		inner := map[string]any{
			"date":              s.nowLocked().Format("2006-01-02T15:04:05"),
			"request-id":        c.requestID,
			"client-request-id": c.clientRequestID,
		}
		code := gerr.code
		s.mu.Lock()
		if renamed, ok := s.opts.ErrorCodes[code]; ok {
			code = renamed
		}
		s.mu.Unlock()
		payload, _ = json.Marshal(map[string]any{"error": map[string]any{
			"code": code, "message": gerr.message, "details": []any{}, "innerError": inner,
		}})
		h.Set("Content-Type", "application/json")
	} else {
		status = resp.status
		for k, v := range resp.headers {
			h.Set(k, v)
		}
		switch {
		case resp.text != "":
			h.Set("Content-Type", "text/plain; charset=utf-8")
			payload = []byte(resp.text)
		case resp.body != nil:
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(resp.body)
			payload = bytes.TrimRight(buf.Bytes(), "\n")
			h.Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
		}
	}
	s.mu.Lock()
	m.record(status)
	s.mu.Unlock()
	w.WriteHeader(status)
	if len(payload) > 0 {
		_, _ = w.Write(payload)
	}
	if s.opts.Observe != nil {
		s.opts.Observe(Exchange{Method: c.r.Method, Route: c.route, Query: c.r.URL.RawQuery, Status: status, Request: c.body, Response: payload, Cloud: s.opts.Cloud})
	}
}

// Exchange is one Graph call as the emulator served it, for Options.Observe.
type Exchange struct {
	Method, Route string // the route's name, as in metrics ("" when no route matched)
	// Query is the raw query string the caller sent.
	Query  string
	Status int
	// Request is the request body (gzip undone); Response the body answered.
	Request, Response []byte
	Cloud             string
}

func (s *Server) nowLocked() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// dropConnection closes the connection without an answer, as a network fault
// after the server committed the change would.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func decodeJSON(body []byte) (map[string]any, *graphError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("Empty Payload. JSON content expected.")
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, badRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format: %v.", err)
	}
	if dec.More() {
		return nil, badRequest("Unable to read JSON request payload: unexpected data after the JSON object.")
	}
	return m, nil
}
