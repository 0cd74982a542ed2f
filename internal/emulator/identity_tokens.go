package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The keys the emulated Entra signs with, and the access tokens it issues
// and Graph accepts.

// signingKeys are made once per process: RSA key generation is slow, and one
// key for access tokens and one for the workload-token issuers is enough.
type signingKeys struct {
	access, workload       *rsa.PrivateKey
	accessKID, workloadKID string
}

var (
	keysOnce sync.Once
	keysVal  signingKeys
	keysErr  error
)

func keys() (signingKeys, error) {
	keysOnce.Do(func() {
		a, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			keysErr = err
			return
		}
		w, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			keysErr = err
			return
		}
		keysVal = signingKeys{access: a, workload: w, accessKID: kid(&a.PublicKey), workloadKID: kid(&w.PublicKey)}
	})
	return keysVal, keysErr
}

func kid(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// issueAccessToken mints an app-only access token for Graph.
func (s *Server) issueAccessToken(app *Application, resource string, lifetime time.Duration) (string, time.Duration, error) {
	k, err := keys()
	if err != nil {
		return "", 0, err
	}
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"aud": strings.TrimRight(resource, "/"), "iss": "https://sts.windows.net/" + s.opts.TenantID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(lifetime).Unix(),
		"appid": app.ClientID, "appidacr": "1", "idtyp": "app", "oid": app.ObjectID, "sub": app.ObjectID,
		"tid": s.opts.TenantID, "roles": Identity{Permissions: app.Permissions}.permissions(), "ver": "1.0", "uti": newID(),
		"app_displayname": app.DisplayName,
	})
	t.Header["kid"] = k.accessKID
	signed, err := t.SignedString(k.access)
	if err != nil {
		return "", 0, err
	}
	s.mu.Lock()
	s.ident.issued = append(s.ident.issued, signed)
	s.mu.Unlock()
	return signed, lifetime - time.Second, nil
}

// identityFromAccessToken checks a bearer token the emulator issued: its
// signature, lifetime, issuer and audience (this cloud's Graph).
func (s *Server) identityFromAccessToken(tok string) (Identity, *graphError) {
	k, err := keys()
	if err != nil {
		return Identity{}, errf(500, "InternalServerError", "%v", err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired()).
		ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return &k.access.PublicKey, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	case err != nil:
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature.")
	}
	aud, _ := claims.GetAudience()
	if len(aud) != 1 || !s.isGraphResource(aud[0]) {
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	}
	if iss, _ := claims["iss"].(string); iss != "https://sts.windows.net/"+s.opts.TenantID+"/" {
		return Identity{}, errf(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer.")
	}
	oid, _ := claims["oid"].(string)
	name, _ := claims["app_displayname"].(string)
	id := Identity{Kind: "application", ObjectID: oid, DisplayName: name, Permissions: []string{}}
	if roles, ok := claims["roles"].([]any); ok {
		for _, r := range roles {
			if v, ok := r.(string); ok {
				id.Permissions = append(id.Permissions, v)
			}
		}
	}
	appID, _ := claims["appid"].(string)
	s.mu.Lock()
	if app := s.ident.apps[lower(appID)]; app != nil {
		id.Roles, id.CatalogRoles = app.Roles, app.CatalogRoles
	}
	s.mu.Unlock()
	return id, nil
}
