package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Tracer receives one line per Graph call (Debug) and, when Bodies is set,
// the call's headers and bodies (Trace). The provider routes them to tflog.
type Tracer struct {
	Debug Logger
	Trace Logger
	// Bodies says whether the headers and bodies are read for Trace: they
	// are copied and masked for every call, which costs time and memory a
	// run that does not log at trace level need not pay.
	Bodies bool
}

// callInfo is what Client.call puts in the context of each attempt, for
// the trace line.
type callInfo struct {
	op      string
	attempt int
}

type callInfoKey struct{}

func withCallInfo(ctx context.Context, op string, attempt int) context.Context {
	return context.WithValue(ctx, callInfoKey{}, callInfo{op: op, attempt: attempt})
}

// traceTransport sits under kiota's middleware, so it sees each HTTP
// exchange as sent: one Debug line per exchange (method, path and query,
// status, duration, attempt, request-id and client-request-id), and at
// Trace the headers and bodies with every secret masked.
type traceTransport struct {
	next   http.RoundTripper
	tracer Tracer
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	info, _ := ctx.Value(callInfoKey{}).(callInfo)
	if info.attempt == 0 {
		info.attempt = 1
	}
	var reqBody []byte
	if t.tracer.Bodies && req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	elapsed := time.Since(start)
	fields := map[string]any{
		"graph_method":            req.Method,
		"graph_path":              req.URL.EscapedPath(),
		"graph_query":             MaskSecrets(req.URL.RawQuery),
		"graph_operation":         info.op,
		"graph_attempt":           info.attempt,
		"graph_duration_ms":       elapsed.Milliseconds(),
		"graph_client_request_id": req.Header.Get("client-request-id"),
	}
	if err != nil {
		fields["graph_error"] = MaskSecrets(err.Error())
	}
	var respBody []byte
	if resp != nil {
		fields["graph_status"] = resp.StatusCode
		fields["graph_request_id"] = resp.Header.Get("request-id")
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			fields["graph_retry_after"] = ra
		}
		if t.tracer.Bodies && resp.Body != nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(b))
			if rerr != nil {
				// Hand the part read on, and the error with it, as the
				// network would have.
				resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{rerr}))
			}
			respBody = b
		}
	}
	if t.tracer.Debug != nil {
		t.tracer.Debug(ctx, "graph call", fields)
	}
	if t.tracer.Bodies && t.tracer.Trace != nil {
		tf := map[string]any{
			"graph_method":            req.Method,
			"graph_path":              req.URL.EscapedPath(),
			"graph_client_request_id": req.Header.Get("client-request-id"),
			"graph_request_headers":   maskHeaders(req.Header),
			"graph_request_body":      MaskSecrets(readable(reqBody, req.Header)),
		}
		if resp != nil {
			tf["graph_response_headers"] = maskHeaders(resp.Header)
			tf["graph_response_body"] = MaskSecrets(readable(respBody, resp.Header))
		}
		t.tracer.Trace(ctx, "graph call bodies", tf)
	}
	return resp, err
}

// readable is a body as text: kiota gzips the bodies it sends
// (Content-Encoding: gzip), which the trace shows decompressed.
func readable(body []byte, h http.Header) string {
	if strings.EqualFold(h.Get("Content-Encoding"), "gzip") && len(body) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return "(gzip body that does not decompress)"
		}
		b, err := io.ReadAll(io.LimitReader(zr, 1<<20))
		if err != nil {
			return "(gzip body that does not decompress)"
		}
		return string(b)
	}
	return string(body)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// secretHeaders are masked whole in the trace.
var secretHeaders = map[string]bool{"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-identity-header": true}

// maskHeaders renders headers on one line ("Name: value; …"), sorted, with
// the secret ones masked.
func maskHeaders(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := strings.Join(h[k], ", ")
		if secretHeaders[strings.ToLower(k)] {
			scheme, _, found := strings.Cut(v, " ")
			if found && strings.EqualFold(k, "authorization") {
				v = scheme + " " + masked
			} else {
				v = masked
			}
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + MaskSecrets(v))
	}
	return b.String()
}

const masked = "***"

var (
	// jwtLike is anything shaped like a JWT: access tokens, client and
	// federated assertions.
	jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	// secretJSON is a JSON member whose name says it holds a secret.
	secretJSON = regexp.MustCompile(`(?i)("[A-Za-z_]*(?:token|secret|assertion|password|passwd|pwd|credential|key)[A-Za-z_]*"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// secretForm is a form or query pair whose name says it holds a secret.
	secretForm = regexp.MustCompile(`(?i)\b([A-Za-z_]*(?:token|secret|assertion|password|passwd|pwd)[A-Za-z_]*=)[^&\s"]*`)
	// bearer is a bearer token written out anywhere.
	bearer = regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+`)
)

// MaskSecrets replaces, in a header value, a query or a body, whatever
// looks like a secret: JSON members and form pairs named like a token,
// secret, assertion or password, bearer tokens, and anything shaped like a
// JWT.
func MaskSecrets(s string) string {
	if s == "" {
		return s
	}
	s = secretJSON.ReplaceAllString(s, `$1"`+masked+`"`)
	s = secretForm.ReplaceAllString(s, `${1}`+masked)
	s = bearer.ReplaceAllString(s, `${1}`+masked)
	return jwtLike.ReplaceAllString(s, masked)
}
