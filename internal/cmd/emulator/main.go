// Command emulator runs the local Microsoft Graph entitlement-management
// emulator in the foreground on a loopback address.
//
//	EMULATOR_ADDR     listen address (default 127.0.0.1:8787); loopback only
//	EMULATOR_FIXTURE  fixture file to load (default examples/emulator/fixture.json)
//	EMULATOR_TOKEN    bearer token to accept (default emulator-token)
//	EMULATOR_CLOUD    global (default), usgov or china
//	EMULATOR_PROCESSING_DELAY, EMULATOR_DELIVERY_DELAY  Go durations (default 0s, 1s)
//	EMULATOR_TLS      1 to serve https with a certificate from a CA made at start
//	EMULATOR_CA_FILE  where to write that CA's certificate (default: a new temporary file)
//	EMULATOR_TLS_HOSTS  extra host names for the certificate, comma-separated
//	                  (for example graph.microsoft.com,login.microsoftonline.com)
//
// It prints EMULATOR_URL=<root without /v1.0>, EMULATOR_TOKEN=<token> and
// EMULATOR_TENANT_ID=<directory id> (and with TLS, EMULATOR_CA_FILE=<path of
// the CA certificate to trust>) before serving, so scripts can read them.
// The same root serves the Entra token endpoint
// (<root>/<tenant>/oauth2/v2.0/token) for the fixture's applications.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
}

// tlsSetup makes a CA, writes its certificate for clients to trust, and
// returns the server's TLS configuration.
func tlsSetup(caFile string) (string, *tls.Config, error) {
	ca, err := emulator.NewCA()
	if err != nil {
		return "", nil, err
	}
	cfg, err := ca.ServerConfig(strings.Split(os.Getenv("EMULATOR_TLS_HOSTS"), ",")...)
	if err != nil {
		return "", nil, err
	}
	if caFile == "" {
		f, err := os.CreateTemp("", "entitlement-emulator-ca-*.pem")
		if err != nil {
			return "", nil, err
		}
		caFile = f.Name()
		_ = f.Close()
	}
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o600); err != nil {
		return "", nil, err
	}
	return caFile, cfg, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run() error {
	addr := env("EMULATOR_ADDR", "127.0.0.1:8787")
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("EMULATOR_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("EMULATOR_ADDR %q: the emulator listens on loopback addresses only", addr)
	}
	opts := emulator.Options{Token: env("EMULATOR_TOKEN", emulator.DefaultToken), Cloud: env("EMULATOR_CLOUD", emulator.CloudGlobal)}
	for _, h := range strings.Split(os.Getenv("EMULATOR_TLS_HOSTS"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			opts.HostNames = append(opts.HostNames, h)
		}
	}
	for _, d := range []struct {
		name, def string
		into      *time.Duration
	}{{"EMULATOR_PROCESSING_DELAY", "0s", &opts.ProcessingDelay}, {"EMULATOR_DELIVERY_DELAY", "1s", &opts.DeliveryDelay}} {
		v, err := time.ParseDuration(env(d.name, d.def))
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.into = v
	}
	if path := env("EMULATOR_FIXTURE", "examples/emulator/fixture.json"); path != "none" {
		f, err := emulator.LoadFixture(path)
		if err != nil {
			return err
		}
		opts.Fixture = f
	}
	srv, err := emulator.New(opts)
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	// Bounded reads: a client that trickles its headers or body cannot hold
	// a connection (and its goroutine) for ever.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	scheme := "http"
	if os.Getenv("EMULATOR_TLS") == "1" {
		caFile, cfg, err := tlsSetup(env("EMULATOR_CA_FILE", ""))
		if err != nil {
			return err
		}
		hs.TLSConfig = cfg
		ln = tls.NewListener(ln, cfg)
		scheme = "https"
		fmt.Printf("EMULATOR_CA_FILE=%s\n", caFile)
	}
	fmt.Printf("EMULATOR_URL=%s://%s\nEMULATOR_TOKEN=%s\nEMULATOR_TENANT_ID=%s\n", scheme, ln.Addr(), srv.Token(), srv.TenantID())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
