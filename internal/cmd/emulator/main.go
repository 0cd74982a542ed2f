// Command emulator runs the local Microsoft Graph entitlement-management
// emulator in the foreground on a loopback address. It is released beside
// the provider (entitlement-emulator_<version>_<os>_<arch>.zip)
// with the shipped fixture (examples/emulator/fixture.json) built in, so it
// runs from any folder.
//
//	-addr, EMULATOR_ADDR  listen address (default 127.0.0.1:8787); loopback only
//	-fixture, EMULATOR_FIXTURE  a fixture file to load instead of the built-in
//	                  one, or none for an empty tenant (the flag wins over the variable)
//	-version          print the version and exit
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
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	fixture "github.com/accessgov/terraform-provider-entitlement/examples/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// version is set by the release build (-X main.version=...).
var version = "dev"

func main() {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	addr := fs.String("addr", env("EMULATOR_ADDR", "127.0.0.1:8787"), "listen address, loopback only (EMULATOR_ADDR)")
	fix := fs.String("fixture", os.Getenv("EMULATOR_FIXTURE"), "fixture file to load instead of the built-in one, or none for an empty tenant (EMULATOR_FIXTURE)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "emulator: unexpected argument %q (the settings are flags and EMULATOR_* variables; -h lists the flags)\n", fs.Arg(0))
		os.Exit(2)
	}
	if *showVersion {
		fmt.Println("entitlement-emulator", version)
		return
	}
	if err := run(*addr, *fix); err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
}

// loadFixture returns the fixture to start with: the built-in one when
// path is empty, none when path is "none", else the file at path.
func loadFixture(path string) (*emulator.Fixture, string, error) {
	switch path {
	case "":
		f, err := emulator.ParseFixture("built-in", fixture.JSON)
		return f, "the built-in fixture", err
	case "none":
		return nil, "no fixture (an empty tenant)", nil
	}
	f, err := emulator.LoadFixture(path)
	return f, path, err
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

func run(addr, fixturePath string) error {
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
	f, from, err := loadFixture(fixturePath)
	if err != nil {
		return err
	}
	opts.Fixture = f
	fmt.Fprintf(os.Stderr, "emulator %s: serving %s\n", version, from)
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
