package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The shipped examples run as they are, through the real Terraform CLI,
// against an emulator. terraform-plugin-testing cannot be used for them: its
// legacy state shim rejects for_each keys, which the examples use. The
// provider is served in-process in debug mode and Terraform reattaches to it
// (TF_REATTACH_PROVIDERS), as terraform-plugin-testing itself does.

// providerAddress is where the configurations' source "accessgov/entitlement"
// resolves: on the registry host the CLI uses by default, which
// TF_ACC_PROVIDER_HOST names for OpenTofu (registry.opentofu.org).
var providerAddress = providerHost() + "/accessgov/entitlement"

func providerHost() string {
	if h := os.Getenv("TF_ACC_PROVIDER_HOST"); h != "" {
		return h
	}
	return "registry.terraform.io"
}

// cliPath is the CLI the tests that run it themselves use: the one
// terraform-plugin-testing uses (TF_ACC_TERRAFORM_PATH), else terraform on PATH.
func cliPath() string {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	return "terraform"
}

// reattach serves the provider for one test and returns TF_REATTACH_PROVIDERS.
func reattach(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfgCh := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		_ = tf6server.Serve(providerAddress, providerserver.NewProtocol6(New("test")()), tf6server.WithDebug(ctx, cfgCh, closed),
			tf6server.WithoutLogStderrOverride(), tf6server.WithLoggingSink(t), tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
		}
	})
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-cfgCh:
	case <-time.After(30 * time.Second):
		t.Fatal("the provider did not start")
	}
	b, _ := json.Marshal(map[string]any{providerAddress: map[string]any{
		"Protocol": string(cfg.Protocol), "ProtocolVersion": cfg.ProtocolVersion, "Pid": cfg.Pid, "Test": true,
		"Addr": map[string]string{"Network": cfg.Addr.Network(), "String": cfg.Addr.String()},
	}})
	return string(b)
}

// exampleRun is a working directory with an example and a provider on an emulator.
type exampleRun struct {
	t   *testing.T
	dir string
	env []string
}

func newExampleRun(t *testing.T, srv *emulator.Server, url string, files ...string) *exampleRun {
	t.Helper()
	if _, err := exec.LookPath(cliPath()); err != nil {
		t.Skipf("no CLI to run: %s is not found", cliPath())
	}
	dir := t.TempDir()
	own := false
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		own = own || strings.Contains(string(src), "required_providers")
		if err := os.WriteFile(filepath.Join(dir, strings.ReplaceAll(f, "/", "_")), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !own {
		versions := `terraform {
  required_providers {
    entitlement = { source = "accessgov/entitlement" }
  }
}
`
		if err := os.WriteFile(filepath.Join(dir, "versions.tf"), []byte(versions), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rc := filepath.Join(dir, ".terraformrc")
	must(t, os.WriteFile(rc, []byte("# empty\n"), 0o644))
	// The provider runs in this process, not as Terraform's child: it reads
	// this process's environment (so these tests are not parallel).
	t.Setenv("ENTITLEMENT_GRAPH_URL", url)
	t.Setenv("ENTITLEMENT_ACCESS_TOKEN", leastPrivilegeToken(t, srv))
	return &exampleRun{t: t, dir: dir, env: []string{"TF_REATTACH_PROVIDERS=" + reattach(t), "TF_CLI_CONFIG_FILE=" + rc,
		"TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}}
}

// tf runs terraform and returns its output; wantExit is the exit code expected.
func (r *exampleRun) tf(wantExit int, args ...string) string {
	r.t.Helper()
	cmd := exec.Command(cliPath(), append(args, "-no-color")...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), r.env...)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	if code != wantExit {
		r.t.Fatalf("terraform %s exited %d, want %d:\n%s", strings.Join(args, " "), code, wantExit, out)
	}
	return string(out)
}

// The example of entitlement_access_package_assignment_request_reprocess: every failed
// request of a package reprocessed with for_each over the list data source.
func TestAccExample_reprocessFailedRequests(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	srv, url := startEmulator(t, emulator.Options{Fixture: fixture})
	const pkg, policy = "a914b616-e04e-476b-aa37-91038f0b165b", "2264bf65-76ba-417b-a27d-54d291f0cbc8"
	const alice, bob, chloe = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01", "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02", "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e03"
	must(t, srv.SetBehaviours([]emulator.Behaviour{
		{TargetObjectID: alice, Delivery: "deliveryFailed", Times: 1},
		{TargetObjectID: bob, Delivery: "partiallyDelivered", Times: 1},
	}))
	// With the fixture's own failed delivery (Erik's), three requests to reprocess.
	const erikFailed = "3d1f6c2e-8b4a-4f0e-9a57-2c6e1b9d4f83"
	if st := requestByID(srv, erikFailed).State; st != "deliveryFailed" {
		t.Fatalf("the fixture's failed request is %s", st)
	}
	failed := []string{srv.MustAdd(pkg, policy, alice, nil), srv.MustAdd(pkg, policy, bob, nil), erikFailed}
	fine := srv.MustAdd(pkg, policy, chloe, nil)

	r := newExampleRun(t, srv, url, "examples/resources/entitlement_access_package_assignment_request_reprocess/resource.tf")
	r.tf(0, "init", "-input=false")
	out := r.tf(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "Resources: 3 added") {
		t.Fatalf("apply:\n%s", out)
	}
	if n := srv.Count("POST /assignmentRequests/{id}/reprocess"); n != 3 {
		t.Fatalf("%d reprocess calls, want 3:\n%s", n, out)
	}
	for _, id := range append(failed, fine) {
		if st := requestByID(srv, id).State; st != "delivered" {
			t.Fatalf("request %s is %s", id, st)
		}
	}
	// Nothing is failed any more: the next plan only forgets the three records.
	if out := r.tf(2, "plan", "-input=false", "-detailed-exitcode"); !strings.Contains(out, "3 to destroy") || strings.Contains(out, "to add") && !strings.Contains(out, "0 to add") {
		t.Fatalf("plan after the reprocess:\n%s", out)
	}
	r.tf(0, "apply", "-input=false", "-auto-approve")
	if n := srv.Count("POST /assignmentRequests/{id}/reprocess"); n != 3 {
		t.Fatalf("forgetting the records made %d reprocess calls", n-3)
	}
}

// The adoption example: 50 assignments made outside Terraform are imported
// with for_each in one apply, the next plan is empty, and destroying them
// removes each through adminRemove.
func TestAccExample_adoptAccessPackage(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	fixture, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	const pkg, direct = "a914b616-e04e-476b-aa37-91038f0b165b", "2264bf65-76ba-417b-a27d-54d291f0cbc8"
	// The fixture's failed delivery (Erik's) is delivered here: a failed one
	// is retried in the same apply, which the examples test covers.
	fixture.Behaviours = nil
	var users []string
	for i := 0; i < 47; i++ {
		id := fmt.Sprintf("aaaaaaaa-2222-4000-8000-%012d", i)
		users = append(users, id)
		fixture.Users = append(fixture.Users, map[string]any{"id": id, "displayName": fmt.Sprintf("Seller %d", i), "userPrincipalName": fmt.Sprintf("seller%d@contoso.test", i)})
		fixture.AssignmentRequests = append(fixture.AssignmentRequests, map[string]any{"requestType": "adminAdd",
			"assignment": map[string]any{"targetId": id, "assignmentPolicyId": direct, "accessPackageId": pkg},
			"schedule":   map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": fmt.Sprintf("P%dD", 100+i)}}})
	}
	srv, url := startEmulator(t, emulator.Options{Fixture: fixture}) // the fixture's own three (Dmitri, Grace, Erik) make 50
	live := func() int {
		n := 0
		for _, a := range srv.Assignments() {
			if a.AccessPackageID == pkg && a.State != "expired" {
				n++
			}
		}
		return n
	}
	if live() != 50 {
		t.Fatalf("%d assignments to adopt", live())
	}
	r := newExampleRun(t, srv, url, "examples/adopt-access-package/main.tf")
	r.tf(0, "init", "-input=false")
	srv.ResetMetrics()
	out := r.tf(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "Resources: 50 imported, 0 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply:\n%s", out)
	}
	if n := srv.Count("POST /assignmentRequests"); n != 0 {
		t.Fatalf("adoption sent %d requests to Graph", n)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
	if out := r.tf(0, "output", "adopted"); strings.TrimSpace(out) != "50" {
		t.Fatalf("adopted %q", out)
	}
	// Destroying one adopted assignment removes it through adminRemove.
	target := `entitlement_access_package_assignment.member["` + direct + "/" + users[7] + `"]`
	r.tf(0, "destroy", "-input=false", "-auto-approve", "-target", target)
	removed := 0
	for _, q := range srv.Requests() {
		if q.RequestType == "adminRemove" {
			removed++
			if q.TargetObjectID != users[7] || q.State != "delivered" {
				t.Fatalf("adminRemove %+v", q)
			}
		}
	}
	if removed != 1 || live() != 49 {
		t.Fatalf("%d adminRemove requests, %d live assignments", removed, live())
	}
}
