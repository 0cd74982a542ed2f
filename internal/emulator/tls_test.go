package emulator_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// With extra host names in its certificate, a client that speaks only to
// graph.microsoft.com reaches the emulator once the name resolves to it (a
// hosts-file entry; here, the test's dialer) and verifies the certificate.
func TestTLSCertificateCarriesExtraHosts(t *testing.T) {
	ca, err := emulator.NewCA()
	must(t, err)
	cfg, err := ca.ServerConfig("graph.microsoft.com", "login.microsoftonline.com")
	must(t, err)
	srv := emulator.MustNew(emulator.Options{})
	hs := httptest.NewUnstartedServer(srv)
	hs.TLS = cfg
	hs.StartTLS()
	t.Cleanup(hs.Close)
	addr := hs.Listener.Addr().String()
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	for _, host := range []string{"graph.microsoft.com", "login.microsoftonline.com"} {
		req, err := http.NewRequestWithContext(context.Background(), "GET", "https://"+host+"/v1.0/users", nil)
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", host, resp.StatusCode)
		}
	}
	// A name the certificate does not carry is refused by the client.
	req, err := http.NewRequestWithContext(context.Background(), "GET", "https://graph.microsoft.us/v1.0/users", nil)
	must(t, err)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a host outside the certificate was accepted")
	}
}
