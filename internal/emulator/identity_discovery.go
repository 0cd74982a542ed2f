package emulator

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// Entra's discovery documents: openid-configuration, instance discovery and
// the signing keys.

func (s *Server) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !s.knownTenant(tenant) {
		s.writeEntraError(w, r, entraErr(400, "invalid_tenant", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	root := s.rootOf(r)
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
		s.writeEntraError(w, r, entraErr(400, "invalid_instance", 50049, "Unknown or invalid instance."))
		return
	}
	tenant := strings.Split(strings.Trim(ae.Path, "/"), "/")[0]
	root := s.rootOf(r)
	host := root[strings.Index(root, "://")+3:]
	writeJSON(w, 200, map[string]any{
		"tenant_discovery_endpoint": root + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata":                  []map[string]any{{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}},
	})
}

func (s *Server) serveKeys(w http.ResponseWriter, r *http.Request, tenant string) {
	if !s.knownTenant(tenant) {
		s.writeEntraError(w, r, entraErr(400, "invalid_tenant", 90002, "Tenant '%s' not found.", tenant))
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
