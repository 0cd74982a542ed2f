// Command demo runs the provider's main job end to end with nothing to
// configure and no network: it builds the provider into a local filesystem
// mirror, starts the Graph emulator with the shipped fixture, runs a real
// terraform init / apply of examples/demo, shows what Graph then holds, and
// destroys it again. `make demo` runs it from the repository root.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

const version = "0.1.0"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func step(format string, args ...any) { fmt.Printf("\n==> "+format+"\n", args...) }

func run() error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "examples", "demo", "main.tf")); err != nil {
		return fmt.Errorf("run from the repository root (make demo): %w", err)
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		return fmt.Errorf("the Terraform CLI is not on PATH: %w", err)
	}
	dir := filepath.Join(root, ".demo")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	work := filepath.Join(dir, "work")
	plugins := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}

	platform := runtime.GOOS + "_" + runtime.GOARCH
	bin := filepath.Join(plugins, "registry.terraform.io", "accessgov", "entitlement", version, platform, "terraform-provider-entitlement_v"+version)
	step("Building the provider (version %s, %s) from this repository with go build, into a local plugin mirror", version, platform)
	fmt.Printf("    %s\n", bin)
	fmt.Println("    The first build compiles the provider and its dependencies (the Terraform plugin framework,")
	fmt.Println("    the Azure SDK, kiota and the Graph models) and takes a few minutes; later runs reuse Go's")
	fmt.Println("    build cache and take seconds.")
	start := time.Now()
	if err := sh(root, nil, "go", "build", "-trimpath", "-ldflags", "-X main.version="+version, "-o", bin, "."); err != nil {
		return err
	}
	fmt.Printf("(built in %s)\n", time.Since(start).Round(100*time.Millisecond))

	step("Starting the Graph emulator (in this process) with examples/emulator/fixture.json")
	fixture, err := emulator.LoadFixture(filepath.Join(root, "examples", "emulator", "fixture.json"))
	if err != nil {
		return err
	}
	srv, err := emulator.New(emulator.Options{Fixture: fixture, DeliveryDelay: time.Second})
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	fmt.Printf("EMULATOR_URL=%s\nEMULATOR_TOKEN=%s\n", url, srv.Token())

	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/accessgov/entitlement"]
  }
}
`, plugins)), 0o644); err != nil {
		return err
	}
	src, err := os.ReadFile(filepath.Join(root, "examples", "demo", "main.tf"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "main.tf"), src, 0o644); err != nil {
		return err
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"ENTITLEMENT_GRAPH_URL=" + url, "ENTITLEMENT_ACCESS_TOKEN=" + srv.Token()}

	step("terraform init (offline, from the local mirror)")
	if err := sh(work, env, "terraform", "init", "-input=false", "-no-color"); err != nil {
		return err
	}
	step("terraform apply: four assignments requested with adminAdd, one adopted with an import block")
	start = time.Now()
	if err := sh(work, env, "terraform", "apply", "-input=false", "-auto-approve", "-no-color"); err != nil {
		return err
	}
	fmt.Printf("(apply took %s)\n", time.Since(start).Round(time.Millisecond))

	step("What Graph (the emulator) now holds")
	printGraph(srv)

	step("terraform plan: nothing to change")
	if err := sh(work, env, "terraform", "plan", "-input=false", "-detailed-exitcode", "-no-color"); err != nil {
		return fmt.Errorf("the plan after apply is not empty: %w", err)
	}

	step("terraform destroy: every assignment removed with adminRemove")
	if err := sh(work, env, "terraform", "destroy", "-input=false", "-auto-approve", "-no-color"); err != nil {
		return err
	}
	printGraph(srv)
	step("Graph calls made, by route")
	m := srv.Metrics()
	routes := make([]string, 0, len(m))
	for r := range m {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		fmt.Printf("  %-45s %d\n", r, m[r].Requests)
	}
	step("Done; the emulator stops now.")
	return nil
}

func printGraph(srv *emulator.Server) {
	for _, a := range srv.Assignments() {
		who := a.TargetEmail
		if who == "" {
			who = a.TargetObjectID
		}
		end := a.ExpirationType
		if a.End != nil {
			end = "until " + a.End.Format(time.RFC3339)
		}
		fmt.Printf("  assignment %s  %-10s  package %s…  %s  (%s)\n", a.ID, a.State, a.AccessPackageID[:8], who, end)
	}
	counts := map[string]int{}
	for _, r := range srv.Requests() {
		counts[r.RequestType+"/"+r.State]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	fmt.Printf("  requests: %s\n", strings.Join(parts, ", "))
}

func sh(dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(context.Background(), name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}
