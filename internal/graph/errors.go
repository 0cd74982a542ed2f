package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Error is a failed Graph call, classified. Status is 0 when no HTTP answer
// arrived (connection reset, timeout): the call may or may not have reached
// Graph. Auth is set when no token could be had: then nothing was sent.
type Error struct {
	Op   string
	Auth bool
	// NotSent is set when the request provably never reached Graph: the
	// connection was refused, the host name did not resolve, or the TLS
	// handshake failed. Nothing was applied, so any call may be repeated.
	NotSent bool
	// Permanent is set when no retry can succeed: the address speaks plain
	// http where the URL says https, the certificate is not trusted or not
	// for this host, or the host name does not exist. Hint says what to fix.
	Permanent       bool
	Hint            string
	Status          int
	Code            string
	Message         string
	RequestID       string
	ClientRequestID string
	RetryAfter      time.Duration
	Attempts        int
	Err             error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", e.Op)
	if e.Auth {
		fmt.Fprintf(&b, "no token for Graph, so nothing was sent: %v", e.Err)
		return b.String()
	}
	switch {
	case e.NotSent:
		fmt.Fprintf(&b, "Graph was not reached, so nothing was sent: %v", e.Err)
		if e.Hint != "" {
			fmt.Fprintf(&b, " (%s)", e.Hint)
		}
	case e.Status == 0:
		fmt.Fprintf(&b, "no answer from Graph: %v", e.Err)
	default:
		fmt.Fprintf(&b, "Graph answered %d", e.Status)
		if e.Code != "" {
			fmt.Fprintf(&b, " %s", e.Code)
		}
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s", e.RequestID)
		if e.ClientRequestID != "" && e.ClientRequestID != e.RequestID {
			fmt.Fprintf(&b, ", client-request-id %s", e.ClientRequestID)
		}
		b.WriteString(")")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsNotFound reports a 404 from Graph.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// HasCode reports a Graph error with the given code (case-insensitive).
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && strings.EqualFold(e.Code, code)
}

// IsForbidden reports a 403: Graph refused the caller (a missing permission
// or role, or an application where Graph wants a signed-in user).
func IsForbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusForbidden
}

// TokenError is a failure to get an access token: the credential's error,
// which names the cause (an AADSTS code from Entra, a missing file, ...).
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// IsAuth reports a failure to authenticate, before anything reached Graph.
func IsAuth(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Auth
}

// IsAmbiguous reports a failure after which a write may or may not have been
// applied by Graph: no answer at all, or a gateway-style 5xx.
func IsAmbiguous(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return !e.Auth && !e.NotSent && (e.Status == 0 || e.Status == 500 || e.Status == 502 || e.Status == 503 || e.Status == 504)
}

// IsNotReached reports a failure before anything reached Graph.
func IsNotReached(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.NotSent
}

// AsError classifies an error returned by an SDK call made outside the typed
// operations (through EntitlementManagement()).
func AsError(op string, err error) *Error { return classify(op, err) }

// classify turns what kiota returned into an *Error.
func classify(op string, err error) *Error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	e := &Error{Op: op, Err: err}
	var oe *odataerrors.ODataError
	var ae *abs.ApiError
	var te *TokenError
	switch {
	case errors.As(err, &te):
		e.Auth = true
		e.Err = te
	case errors.As(err, &oe):
		e.Status = oe.ResponseStatusCode
		if me := oe.GetErrorEscaped(); me != nil {
			e.Code = deref(me.GetCode())
			e.Message = deref(me.GetMessage())
			if ie := me.GetInnerError(); ie != nil {
				e.RequestID = deref(ie.GetRequestId())
				e.ClientRequestID = deref(ie.GetClientRequestId())
			}
		}
		readHeaders(e, oe.GetResponseHeaders())
	case errors.As(err, &ae):
		e.Status = ae.ResponseStatusCode
		e.Message = ae.Message
		readHeaders(e, ae.GetResponseHeaders())
	default:
		e.NotSent = notSent(err)
		e.Hint = permanentCause(err)
		e.Permanent = e.Hint != ""
		// Every permanent cause fails before the request is written (the
		// handshake or the name), so nothing reached Graph.
		e.NotSent = e.NotSent || e.Permanent
	}
	return e
}

// IsPermanent reports a failure that no retry can fix (see Error.Permanent).
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// permanentCause says why a transport error can never succeed on retry, or
// "" when it might (a refused connection: the service may be starting).
func permanentCause(err error) string {
	var dns *net.DNSError
	var tlsRecord tls.RecordHeaderError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var tlsVerify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &tlsRecord), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http turns a TLS record that looks like HTTP into a plain
		// error with this text, so the text is all there is to match.
		return "the server at this address answers in plain http, not TLS: the URL says https but the server does not speak it; use http:// for a plain-http emulator, or serve it with TLS"
	case errors.As(err, &hostname):
		return "the server's certificate is not valid for this host name"
	case errors.As(err, &unknownAuthority), errors.As(err, &certInvalid), errors.As(err, &tlsVerify):
		return "the server's certificate is not trusted"
	case errors.As(err, &dns) && dns.IsNotFound:
		return "the host name does not exist"
	}
	return ""
}

// notSent says whether a transport error proves that the request never
// reached the server: a refused connection, a name that did not resolve, a
// failed TLS handshake. A reset or a timeout after the request was written
// proves nothing.
func notSent(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var tlsRecord tls.RecordHeaderError
	var tlsVerify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dns), errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &certInvalid),
		errors.As(err, &tlsRecord), errors.As(err, &tlsVerify):
		return true
	case errors.As(err, &op):
		return op.Op == "dial"
	}
	return false
}

func readHeaders(e *Error, h *abs.ResponseHeaders) {
	if h == nil {
		return
	}
	first := func(name string) string {
		for _, k := range h.ListKeys() {
			if strings.EqualFold(k, name) {
				if v := h.Get(k); len(v) > 0 {
					return v[0]
				}
			}
		}
		return ""
	}
	if v := first("request-id"); v != "" {
		e.RequestID = v
	}
	if v := first("client-request-id"); v != "" {
		e.ClientRequestID = v
	}
	e.RetryAfter = ParseRetryAfter(first("Retry-After"), time.Now())
}

// ParseRetryAfter reads Retry-After as seconds or as an HTTP date.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// RetryPolicy says how Client.call retries. Retries are bounded by the
// context's deadline, which comes from the resource's timeout: a Retry-After
// longer than what is left ends the call at once with the throttling error.
type RetryPolicy struct {
	// BaseDelay and MaxDelay shape the exponential backoff used when Graph
	// sends no Retry-After (defaults 1 s and 30 s).
	BaseDelay, MaxDelay time.Duration
	// MaxAttempts caps attempts when the context has no deadline (default 8).
	MaxAttempts int
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.BaseDelay == 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 8
	}
	return p
}

// retryable says whether a failed attempt may be repeated. A 429 means Graph
// refused the call before doing anything, so even a POST may be re-sent. A
// 5xx or a lost answer may hide a change that was made: only idempotent
// calls (reads) repeat those.
func retryable(e *Error, idempotent bool) bool {
	if e.Auth {
		// The credential retries its own token endpoint.
		return false
	}
	if e.Permanent || errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
		return false
	}
	if e.NotSent {
		// Nothing was applied: safe to repeat, a few times (see call).
		return true
	}
	switch e.Status {
	case http.StatusTooManyRequests:
		return true
	case 0, 500, 502, 503, 504:
		return idempotent
	}
	return false
}

// throttleGate holds every call of a client back while Graph throttles it:
// a 429 with Retry-After names a time before which any call would be
// refused too, so the client's other calls wait rather than spend requests.
type throttleGate struct {
	mu        sync.Mutex
	notBefore time.Time
}

func (g *throttleGate) hold(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := time.Now().Add(d); t.After(g.notBefore) {
		g.notBefore = t
	}
}

// notBeforeTime is when the gate opens (the zero time when it never closed).
func (g *throttleGate) notBeforeTime() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.notBefore
}

// wait returns once the gate is open, or false when ctx ends first.
func (g *throttleGate) wait(ctx context.Context) bool {
	g.mu.Lock()
	d := time.Until(g.notBefore)
	g.mu.Unlock()
	if d <= 0 {
		return ctx.Err() == nil
	}
	return sleep(ctx, d)
}

// notReachedAttempts bounds the attempts at a Graph that cannot be reached.
const notReachedAttempts = 3

// call runs fn, retrying per the policy.
func (c *Client) call(ctx context.Context, op string, idempotent bool, fn func(context.Context) error) error {
	var last *Error
	for attempt := 1; ; attempt++ {
		if !c.gate.wait(ctx) {
			if last != nil {
				return last
			}
			return classify(op, ctx.Err())
		}
		if !c.limit.acquire(ctx) {
			if last != nil {
				return last
			}
			return classify(op, ctx.Err())
		}
		err := fn(withCallInfo(ctx, op, attempt))
		if err == nil {
			c.limit.release(false)
			return nil
		}
		last = classify(op, err)
		last.Attempts = attempt
		if last.Status == http.StatusTooManyRequests && last.RetryAfter > 0 {
			// Graph throttles the application in the tenant, not one call:
			// every call of this client holds back until the time it named.
			c.gate.hold(last.RetryAfter)
		}
		c.limit.release(last.Status == http.StatusTooManyRequests)
		if ctx.Err() != nil {
			return last
		}
		if !retryable(last, idempotent) {
			return last
		}
		if last.NotSent && attempt >= notReachedAttempts {
			// A Graph that cannot be reached fails in seconds, not at the
			// end of the operation's timeout.
			return last
		}
		delay := last.RetryAfter
		if delay == 0 {
			delay = c.retry.BaseDelay << min(attempt-1, 10)
			if delay > c.retry.MaxDelay {
				delay = c.retry.MaxDelay
			}
			delay += time.Duration(rand.Int63n(int64(delay)/4 + 1))
		}
		dl, hasDeadline := ctx.Deadline()
		if !hasDeadline && attempt >= c.retry.MaxAttempts {
			return last
		}
		if hasDeadline && time.Until(dl) < delay {
			return last
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return last
		case <-t.C:
		}
	}
}
