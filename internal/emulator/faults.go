package emulator

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/iso8601"
)

// Duration is a time.Duration that reads from JSON as a Go duration ("2s",
// "150ms"), an ISO 8601 duration ("PT2S", "P15D") or a number of seconds.
type Duration struct{ D time.Duration }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var n float64
	if err := json.Unmarshal(b, &n); err == nil {
		d.D = time.Duration(n * float64(time.Second))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string or a number of seconds")
	}
	v, err := parseDuration(s)
	d.D = v
	return err
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.D.String()) }

func parseDuration(s string) (time.Duration, error) {
	if strings.HasPrefix(strings.ToUpper(s), "P") {
		iso, err := iso8601.Parse(s)
		if err != nil {
			return 0, err
		}
		var zero time.Time
		return iso.AddTo(zero).Sub(zero), nil
	}
	return time.ParseDuration(s)
}

// Fault is a rule of the fault injector. A rule matches a request by method,
// by route (the route's name, such as "POST /assignmentRequests", or a
// regular expression on the URL path) and by query (a regular expression on
// the decoded query string, so that a test can make Graph refuse one kind
// of listing); the first matching rule that fires applies.
type Fault struct {
	// Method matches the HTTP method; empty matches any.
	Method string `json:"method,omitempty"`
	// Route matches the route name exactly (case-insensitive), e.g.
	// "POST /assignmentRequests" or "GET /assignments/{id}".
	Route string `json:"route,omitempty"`
	// Path is a regular expression matched against the URL path; empty matches any.
	Path string `json:"path,omitempty"`
	// Body is a regular expression matched against the request body (after
	// gzip), for a fault that strikes one target's request, say; empty
	// matches any.
	Body string `json:"body,omitempty"`
	// Query is a regular expression matched against the decoded query
	// string (for example "createdDateTime gt"); empty matches any.
	Query string `json:"query,omitempty"`
	// Status answers the request with this status (429, 503, 504, ...)
	// without processing it. Zero: no status fault.
	Status int `json:"status,omitempty"`
	// RetryAfter is sent in the Retry-After header (seconds, fractions
	// allowed as in Microsoft's throttling sample) with Status.
	RetryAfter float64 `json:"retryAfter,omitempty"`
	// Latency is added before the request is processed.
	Latency Duration `json:"latency,omitempty"`
	// DropResponse processes the request (the change is committed) and then
	// closes the connection without answering.
	DropResponse bool `json:"dropResponse,omitempty"`
	// Probability that the rule fires for a matching request (0 or 1: always).
	Probability float64 `json:"probability,omitempty"`
	// Count is how many times the rule may fire (0: no limit).
	Count int `json:"count,omitempty"`
	// Fired is how many times it has fired (read-only).
	Fired int `json:"fired"`

	re, qre, bodyRE *regexp.Regexp
}

func (f *Fault) compile() error {
	if f.Path != "" {
		re, err := regexp.Compile("(?i)" + f.Path)
		if err != nil {
			return fmt.Errorf("fault path %q: %w", f.Path, err)
		}
		f.re = re
	}
	if f.Body != "" {
		re, err := regexp.Compile("(?i)" + f.Body)
		if err != nil {
			return fmt.Errorf("fault body %q: %w", f.Body, err)
		}
		f.bodyRE = re
	}
	if f.Query != "" {
		re, err := regexp.Compile("(?i)" + f.Query)
		if err != nil {
			return fmt.Errorf("fault query %q: %w", f.Query, err)
		}
		f.qre = re
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("fault status %d is not an error status", f.Status)
	}
	if f.Probability < 0 || f.Probability > 1 {
		return fmt.Errorf("fault probability %v is not between 0 and 1", f.Probability)
	}
	if err := checkDelay("fault latency", f.Latency.D, maxFaultLatency); err != nil {
		return err
	}
	if f.RetryAfter < 0 || f.RetryAfter > maxRetryAfter {
		return fmt.Errorf("fault retryAfter %v: give 0 to %v seconds", f.RetryAfter, maxRetryAfter)
	}
	if f.Count < 0 {
		return fmt.Errorf("fault count %d is negative", f.Count)
	}
	return nil
}

// Bounds of the controls: a test that asks for more is mistaken, and a
// control must not let one request hold the emulator for hours.
const (
	maxFaultLatency = 5 * time.Minute
	maxRetryAfter   = 3600 // seconds
	maxLag          = time.Hour
	maxDelay        = 30 * 24 * time.Hour // processing, delivery and callback delays
	maxLatency      = time.Minute
	maxThrottleRate = 1e6
)

// checkDelay refuses a negative delay, or one beyond its bound.
func checkDelay(what string, d, most time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s %s is negative", what, d)
	}
	if d > most {
		return fmt.Errorf("%s %s is longer than %s", what, d, most)
	}
	return nil
}

func (s *Server) pickFault(method, route, path, rawQuery string, body []byte) *Fault {
	query, err := url.QueryUnescape(rawQuery)
	if err != nil {
		query = rawQuery
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Route != "" && !strings.EqualFold(f.Route, route) {
			continue
		}
		if f.re != nil && !f.re.MatchString(path) {
			continue
		}
		if f.qre != nil && !f.qre.MatchString(query) {
			continue
		}
		if f.bodyRE != nil && !f.bodyRE.Match(body) {
			continue
		}
		if f.Count > 0 && f.Fired >= f.Count {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && s.rnd.Float64() >= f.Probability {
			continue
		}
		f.Fired++
		cp := *f
		return &cp
	}
	return nil
}

func faultError(f *Fault) *graphError {
	var g *graphError
	switch f.Status {
	case 429:
		g = errf(429, "TooManyRequests", "Please retry again later.")
	case 503:
		g = errf(503, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.")
	case 504:
		g = errf(504, "GatewayTimeout", "The gateway timed out waiting for the service.")
	case 403:
		g = errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	default:
		g = errf(f.Status, "UnknownError", "Injected fault.")
	}
	if f.RetryAfter > 0 {
		g.headers = map[string]string{"Retry-After": strconv.FormatFloat(f.RetryAfter, 'f', -1, 64)}
	}
	return g
}

// SetFaults replaces the fault rules.
func (s *Server) SetFaults(rules []Fault) error {
	compiled := make([]*Fault, 0, len(rules))
	for i := range rules {
		f := rules[i]
		f.Fired = 0
		if err := f.compile(); err != nil {
			return err
		}
		compiled = append(compiled, &f)
	}
	s.mu.Lock()
	s.faults = compiled
	s.mu.Unlock()
	return nil
}

// Faults returns the fault rules with how often each has fired.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, len(s.faults))
	for i, f := range s.faults {
		out[i] = *f
	}
	return out
}

// SetConsistencyLag makes new requests and assignments invisible to get and
// list for d after they are created, as Graph's replication lag does. It
// panics on a negative lag or one over an hour (a mistaken test).
func (s *Server) SetConsistencyLag(d time.Duration) {
	if err := checkDelay("consistency lag", d, maxLag); err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.lag = d
	s.mu.Unlock()
}

// SetLatency makes every Graph request wait a random time in [lo, hi),
// beside whatever the fault rules add. It panics on a negative latency, one
// over a minute, or hi below lo.
func (s *Server) SetLatency(lo, hi time.Duration) {
	if err := checkLatency(lo, hi); err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.latency = [2]time.Duration{lo, hi}
	s.mu.Unlock()
}

func checkLatency(lo, hi time.Duration) error {
	if err := checkDelay("latency", lo, maxLatency); err != nil {
		return err
	}
	if err := checkDelay("latency", hi, maxLatency); err != nil {
		return err
	}
	if hi != 0 && hi < lo {
		return fmt.Errorf("latency range [%s, %s) is empty", lo, hi)
	}
	return nil
}

func (s *Server) baseLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	lo, hi := s.latency[0], s.latency[1]
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rnd.Int63n(int64(hi-lo)))
}

// Behaviour steers the lifecycle for requests that match it, standing in for
// what a real tenant's resources and custom extensions do. Empty match fields
// match everything; the first matching behaviour with uses left applies.
type Behaviour struct {
	AccessPackageID string `json:"accessPackageId,omitempty"`
	PolicyID        string `json:"policyId,omitempty"`
	TargetObjectID  string `json:"targetObjectId,omitempty"`
	TargetEmail     string `json:"targetEmail,omitempty"`
	// Delivery is the outcome of delivery: "delivered" (default),
	// "deliveryFailed", "partiallyDelivered", or "stuck" (stays delivering).
	Delivery string `json:"delivery,omitempty"`
	// Times is how many deliveries get that outcome (0: every one). A
	// behaviour with Times 1 and "deliveryFailed" fails once, so that a
	// reprocess then delivers.
	Times int `json:"times,omitempty"`
	// DeliveryDelay overrides the server's delivery delay.
	DeliveryDelay *Duration `json:"deliveryDelay,omitempty"`
	// Callback makes the custom extension answer by itself, as a Logic App
	// would: after the delay, the waiting request is resumed with State
	// ("" to proceed, "denied" or "canceled").
	Callback *Callback `json:"callback,omitempty"`

	used int
}

// Callback is an automatic custom-extension callback.
type Callback struct {
	After Duration `json:"after"`
	State string   `json:"state,omitempty"`
}

// SetBehaviours replaces the behaviours.
func (s *Server) SetBehaviours(bs []Behaviour) error {
	out, err := checkBehaviours(bs)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.behaviours = out
	s.mu.Unlock()
	return nil
}

// checkBehaviours validates behaviours and returns fresh copies of them.
func checkBehaviours(bs []Behaviour) ([]*Behaviour, error) {
	out := make([]*Behaviour, 0, len(bs))
	for i := range bs {
		b := bs[i]
		switch b.Delivery {
		case "", "delivered", "deliveryFailed", "partiallyDelivered", "stuck":
		default:
			return nil, fmt.Errorf("behaviour delivery %q: use delivered, deliveryFailed, partiallyDelivered or stuck", b.Delivery)
		}
		if b.Callback != nil {
			switch b.Callback.State {
			case "", "denied", "canceled":
			default:
				return nil, fmt.Errorf("behaviour callback state %q: use \"\", denied or canceled", b.Callback.State)
			}
			if err := checkDelay("behaviour callback after", b.Callback.After.D, maxDelay); err != nil {
				return nil, err
			}
		}
		if b.DeliveryDelay != nil {
			if err := checkDelay("behaviour delivery delay", b.DeliveryDelay.D, maxDelay); err != nil {
				return nil, err
			}
		}
		if b.Times < 0 {
			return nil, fmt.Errorf("behaviour times %d is negative", b.Times)
		}
		b.used = 0
		out = append(out, &b)
	}
	return out, nil
}

func (s *Server) behaviourFor(r *request, forDelivery bool) *Behaviour {
	subj := s.st.subjects[r.targetID]
	for _, b := range s.behaviours {
		if b.AccessPackageID != "" && !strings.EqualFold(b.AccessPackageID, r.packageID) {
			continue
		}
		if b.PolicyID != "" && !strings.EqualFold(b.PolicyID, r.policyID) {
			continue
		}
		if b.TargetObjectID != "" && (subj == nil || !strings.EqualFold(b.TargetObjectID, subj.objectID)) {
			continue
		}
		if b.TargetEmail != "" && (subj == nil || !strings.EqualFold(b.TargetEmail, subj.email)) {
			continue
		}
		if forDelivery && b.Times > 0 && b.used >= b.Times {
			continue
		}
		return b
	}
	return nil
}

// RouteMetrics counts what a route received and how it answered.
type RouteMetrics struct {
	Requests  int         `json:"requests"`
	Throttled int         `json:"throttled"`
	Failed    int         `json:"failed"`
	Dropped   int         `json:"dropped"`
	ByStatus  map[int]int `json:"byStatus"`
}

func (m *RouteMetrics) record(status int) {
	m.ByStatus[status]++
	switch {
	case status == 429:
		m.Throttled++
	case status >= 500:
		m.Failed++
	}
}

func (s *Server) countRequest(route string) *RouteMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.metrics[route]
	if m == nil {
		m = &RouteMetrics{ByStatus: map[int]int{}}
		s.metrics[route] = m
	}
	m.Requests++
	return m
}

// Metrics returns a copy of the per-route counters, keyed by route name such
// as "POST /assignmentRequests" or "GET /assignments/{id}".
func (s *Server) Metrics() map[string]RouteMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]RouteMetrics, len(s.metrics))
	for k, m := range s.metrics {
		cp := *m
		cp.ByStatus = make(map[int]int, len(m.ByStatus))
		for st, n := range m.ByStatus {
			cp.ByStatus[st] = n
		}
		out[k] = cp
	}
	return out
}

// Count returns how many requests a route received.
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.metrics[route]; m != nil {
		return m.Requests
	}
	return 0
}

// ResetMetrics zeroes the counters.
func (s *Server) ResetMetrics() {
	s.mu.Lock()
	s.metrics = map[string]*RouteMetrics{}
	s.mu.Unlock()
}

// Throttle is a limit on the rate of Graph requests, as Graph throttles an
// application in a tenant: over the limit it answers 429 TooManyRequests
// with Retry-After, and does nothing. Microsoft documents that behaviour
// (the throttling guidance), not the limits of entitlement management;
// a token bucket of Rate requests a second with Burst to spare is our
// inference [INF].
type Throttle struct {
	// Rate is the requests a second allowed over time.
	Rate float64 `json:"rate"`
	// Burst is how many may come at once (default: one second's worth).
	Burst int `json:"burst,omitempty"`
	// RetryAfter is the Retry-After Graph sends, in seconds (default 1);
	// fractions are sent as fractions, as in Microsoft's throttling sample.
	RetryAfter float64 `json:"retryAfter,omitempty"`

	tokens float64
	last   time.Time
}

// SetThrottle sets the rate limit; nil removes it.
func (s *Server) SetThrottle(t *Throttle) error {
	if t != nil {
		if t.Rate <= 0 || t.Rate > maxThrottleRate {
			return fmt.Errorf("throttle rate %v: give requests a second, above 0 and at most %v", t.Rate, maxThrottleRate)
		}
		if t.Burst < 0 || t.Burst > maxThrottleRate {
			return fmt.Errorf("throttle burst %d: give 0 (a second's worth) to %v", t.Burst, maxThrottleRate)
		}
		if t.RetryAfter < 0 || t.RetryAfter > maxRetryAfter {
			return fmt.Errorf("throttle retryAfter %v: give 0 (1 s) to %v seconds", t.RetryAfter, maxRetryAfter)
		}
		cp := *t
		if cp.Burst <= 0 {
			cp.Burst = max(1, int(cp.Rate))
		}
		if cp.RetryAfter <= 0 {
			cp.RetryAfter = 1
		}
		cp.tokens, cp.last = float64(cp.Burst), time.Now()
		t = &cp
	}
	s.mu.Lock()
	s.throttle = t
	s.mu.Unlock()
	return nil
}

// throttled takes a token for a Graph request, or says it is over the limit.
func (s *Server) throttled() *graphError {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.throttle
	if t == nil {
		return nil
	}
	now := time.Now()
	t.tokens = min(float64(t.Burst), t.tokens+now.Sub(t.last).Seconds()*t.Rate)
	t.last = now
	if t.tokens >= 1 {
		t.tokens--
		return nil
	}
	return faultError(&Fault{Status: 429, RetryAfter: t.RetryAfter})
}
