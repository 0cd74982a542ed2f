package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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

// rootOf is the emulator's own root for the links Entra's documents carry:
// the same as Graph's links (baseFor), so that an arbitrary Host header is
// never reflected into a discovery document.
func (s *Server) rootOf(r *http.Request) string { return s.baseFor(r) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// entraError is a refusal by Entra's token endpoint: an HTTP status, the
// OAuth error and the AADSTS code with its message. The checks return one;
// writeEntraError is the one place that writes it.
type entraError struct {
	status   int
	oauthErr string
	code     int
	msg      string
}

func entraErr(status int, oauthErr string, code int, format string, args ...any) *entraError {
	return &entraError{status: status, oauthErr: oauthErr, code: code, msg: fmt.Sprintf(format, args...)}
}

// internalEntraError is an emulator failure, answered as Entra's AADSTS50000.
func internalEntraError(err error) *entraError {
	return entraErr(500, "server_error", 50000, "There was an error issuing a token: %v", err)
}

// writeEntraError writes Entra's OAuth error body: the AADSTS code in the
// description and in error_codes, with trace and correlation ids.
func (s *Server) writeEntraError(w http.ResponseWriter, r *http.Request, e *entraError) {
	status, oauthErr, code := e.status, e.oauthErr, e.code
	trace, corr := newID(), r.Header.Get("client-request-id")
	if corr == "" {
		corr = newID()
	}
	ts := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	s.countAuth(fmt.Sprintf("error AADSTS%d", code))
	writeJSON(w, status, map[string]any{
		"error":             oauthErr,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", code, e.msg, trace, corr, ts),
		"error_codes":       []int{code},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         s.rootOf(r) + "/error?code=" + strconv.Itoa(code),
	})
}

func (s *Server) knownTenant(t string) bool { return strings.EqualFold(t, s.opts.TenantID) }
