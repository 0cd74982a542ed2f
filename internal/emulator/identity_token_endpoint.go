package emulator

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Entra's token endpoint: the client credentials grant with a secret, a
// certificate-signed assertion or a federated assertion.

// serveToken is POST /{tenant}/oauth2/v2.0/token for the client credentials
// grant, with a secret, a certificate-signed assertion or a federated
// assertion.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	body, e := s.clientCredentialsToken(r, tenant)
	if e != nil {
		s.writeEntraError(w, r, e)
		return
	}
	writeJSON(w, 200, body)
}

// clientCredentialsToken checks a token request and issues the token.
func (s *Server) clientCredentialsToken(r *http.Request, tenant string) (map[string]any, *entraError) {
	if r.Method != http.MethodPost {
		return nil, entraErr(405, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a %s request.", r.Method)
	}
	if !s.knownTenant(tenant) {
		return nil, entraErr(400, "invalid_request", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant)
	}
	if err := r.ParseForm(); err != nil {
		return nil, entraErr(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			return nil, entraErr(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		}
		return nil, entraErr(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", gt)
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		return nil, entraErr(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
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
		return nil, entraErr(400, "invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)
	}
	if !s.isGraphResource(resource) {
		return nil, entraErr(400, "invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenant)
	}
	s.mu.Lock()
	app := s.ident.apps[lower(clientID)]
	s.mu.Unlock()
	if app == nil {
		return nil, entraErr(400, "unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)
	}
	var grant string
	switch secret, assertion := f.Get("client_secret"), f.Get("client_assertion"); {
	case secret != "" && assertion != "":
		return nil, entraErr(401, "invalid_client", 7000218, "The request body must contain only one of the following parameters: 'client_assertion', 'client_secret'.")
	case secret != "":
		if !app.hasSecret(secret) {
			return nil, entraErr(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)
		}
		grant = "client_secret"
	case assertion != "":
		if t := f.Get("client_assertion_type"); t != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return nil, entraErr(400, "invalid_request", 50027, "Invalid client_assertion_type '%s'.", t)
		}
		endpoint := s.rootOf(r) + r.URL.Path
		var e *entraError
		if grant, e = s.checkAssertion(app, assertion, endpoint); e != nil {
			return nil, e
		}
	default:
		return nil, entraErr(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	}
	tok, exp, err := s.issueAccessToken(app, resource, time.Hour)
	if err != nil {
		return nil, internalEntraError(err)
	}
	s.countAuth("token " + grant)
	return map[string]any{"token_type": "Bearer", "expires_in": int(exp.Seconds()), "ext_expires_in": int(exp.Seconds()), "access_token": tok}, nil
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
func (s *Server) checkAssertion(app *Application, assertion, endpoint string) (string, *entraError) {
	unverified, _, err := jwt.NewParser().ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		return "", entraErr(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
	}
	if _, s256 := unverified.Header["x5t#S256"]; s256 || unverified.Header["x5t"] != nil {
		return "client_certificate", checkCertificateAssertion(app, unverified.Header, assertion, endpoint)
	}
	return "federated", checkFederatedAssertion(app, assertion)
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

func checkCertificateAssertion(app *Application, header map[string]any, assertion, endpoint string) *entraError {
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
		return entraErr(401, "invalid_client", 700027, "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", strings.ToUpper(hex.EncodeToString(tp)), app.ClientID)
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"PS256", "RS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Minute)).
		ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return cert.PublicKey, nil })
	if e := assertionTimeOrSignature(err); e != nil {
		return e
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	if !strings.EqualFold(iss, app.ClientID) || !strings.EqualFold(sub, app.ClientID) {
		return entraErr(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .")
	}
	aud, _ := claims.GetAudience()
	for _, a := range aud {
		if strings.EqualFold(strings.TrimRight(a, "/"), endpoint) {
			return nil
		}
	}
	return entraErr(401, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .")
}

// assertionTimeOrSignature is the refusal of a failed assertion parse; nil when err is nil.
func assertionTimeOrSignature(err error) *entraError {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return entraErr(401, "invalid_client", 700024, "Client assertion is not within its valid time range. Current time: %s, assertion valid from %s.", time.Now().UTC().Format(time.RFC3339), "its nbf claim")
	default:
		return entraErr(401, "invalid_client", 700027, "Client assertion failed signature validation.")
	}
}

func checkFederatedAssertion(app *Application, assertion string) *entraError {
	k, err := keys()
	if err != nil {
		return internalEntraError(err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired()).
		ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
			if t.Header["kid"] != k.workloadKID {
				return nil, errors.New("unknown signing key")
			}
			return &k.workload.PublicKey, nil
		})
	if e := assertionTimeOrSignature(err); e != nil {
		return e
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
					return nil
				}
			}
		}
	}
	switch {
	case !issuerKnown:
		return entraErr(400, "invalid_client", 700211, "No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", iss)
	case !subjectKnown:
		return entraErr(400, "invalid_client", 700213, "No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sub)
	default:
		return entraErr(400, "invalid_client", 700212, "No matching federated identity record found for presented assertion audience '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", strings.Join(aud, ","))
	}
}
