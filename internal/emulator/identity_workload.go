package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The token sources of workloads: IMDS for managed identities, and the OIDC
// token services of GitHub Actions and Azure Pipelines.

// serveIMDS is the Azure Instance Metadata Service's managed-identity
// endpoint: GET with "Metadata: true", resource, and optionally the
// client_id, object_id or msi_res_id of a user-assigned identity.
func (s *Server) serveIMDS(w http.ResponseWriter, r *http.Request) {
	body, e := s.imdsToken(r)
	if e != nil {
		writeJSON(w, e.status, map[string]string{"error": e.err, "error_description": e.desc})
		return
	}
	writeJSON(w, 200, body)
}

// imdsError is IMDS's refusal of a token request.
type imdsError struct {
	status    int
	err, desc string
}

// imdsToken checks an IMDS token request and issues the token.
func (s *Server) imdsToken(r *http.Request) (map[string]string, *imdsError) {
	if r.Method != http.MethodGet {
		return nil, &imdsError{405, "invalid_request", "The request method is not allowed"}
	}
	if r.Header.Get("Metadata") != "true" {
		return nil, &imdsError{400, "invalid_request", "Required metadata header not specified"}
	}
	q := r.URL.Query()
	resource := q.Get("resource")
	if resource == "" {
		return nil, &imdsError{400, "invalid_request", "Required audience parameter not specified"}
	}
	if !s.isGraphResource(resource) {
		return nil, &imdsError{400, "invalid_resource", fmt.Sprintf("AADSTS500011: The resource principal named %s was not found in the tenant named %s.", resource, s.opts.TenantID)}
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
		return nil, &imdsError{400, "invalid_request", "Identity not found"}
	}
	tok, exp, err := s.issueAccessToken(app, resource, 24*time.Hour)
	if err != nil {
		return nil, &imdsError{500, "server_error", err.Error()}
	}
	s.countAuth("token managed_identity")
	now := time.Now()
	secs := strconv.Itoa(int(exp.Seconds()))
	return map[string]string{
		"access_token": tok, "client_id": app.ClientID, "expires_in": secs, "ext_expires_in": secs,
		"expires_on": strconv.FormatInt(now.Add(exp).Unix(), 10), "not_before": strconv.FormatInt(now.Unix(), 10),
		"resource": resource, "token_type": "Bearer",
	}, nil
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
