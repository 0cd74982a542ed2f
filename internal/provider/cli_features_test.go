package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The features of newer CLIs, through the real CLI: actions (apply -invoke
// and action_trigger), terraform query with the list resource and
// -generate-config-out, and import by identity. Each needs a CLI that has
// the feature: TF_ACC_TERRAFORM_PATH, or terraform on PATH; without one the
// test skips and says which.

// cliKind is the CLI the tests run: "terraform" or "tofu", and its version.
func cliKind(t *testing.T) (name string, major, minor int) {
	t.Helper()
	out, err := exec.Command(cliPath(), "version", "-json").Output()
	if err != nil {
		t.Skipf("no CLI to run (%s: %v)", cliPath(), err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	// A CLI may print a warning (about its configuration file) before the JSON.
	if i := strings.IndexByte(string(out), '{'); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v", cliPath(), err)
	}
	parts := strings.SplitN(v.Version, ".", 3)
	if len(parts) < 2 {
		t.Fatalf("%s version %q", cliPath(), v.Version)
	}
	major, _ = strconv.Atoi(parts[0])
	minor, _ = strconv.Atoi(parts[1])
	name = "terraform"
	if human, err := exec.Command(cliPath(), "version").Output(); err == nil && strings.Contains(string(human), "OpenTofu") {
		name = "tofu"
	}
	return name, major, minor
}

// needTerraform skips unless the CLI is Terraform at or after the version.
func needTerraform(t *testing.T, major, minor int, feature string) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	name, ma, mi := cliKind(t)
	if name != "terraform" || ma < major || (ma == major && mi < minor) {
		t.Skipf("%s needs Terraform %d.%d or later (set TF_ACC_TERRAFORM_PATH to such a CLI); this run uses %s %d.%d", feature, major, minor, name, ma, mi)
	}
}

// write puts a file into the run's directory.
func (r *exampleRun) write(name, content string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Actions by -invoke: a reprocess that delivers, with its progress shown; a
// reprocess of a delivered request that makes no call and says so; a resume
// of a request that does not exist, refused before anything is called.
func TestAccCLI_actionsInvoke(t *testing.T) {
	needTerraform(t, 1, 14, "actions")
	srv, url := startEmulator(t, emulator.Options{Fixture: accFixture()})
	failed := failedRequest(t, srv, uAlice, "deliveryFailed", 1)
	delivered := srv.MustAdd(pkgSales, polDirect, uBob, nil)
	r := newExampleRun(t, srv, url)
	r.write("main.tf", fmt.Sprintf(`
action "entitlement_access_package_assignment_request_reprocess" "retry" {
  config {
    request_id = %q
  }
}
action "entitlement_access_package_assignment_request_reprocess" "done" {
  config {
    request_id = %q
  }
}
action "entitlement_access_package_assignment_request_resume" "missing" {
  config {
    request_id = "00000000-0000-4000-8000-00000000dead"
    source     = "ci"
    stage      = "assignmentRequestCreated"
  }
}
`, failed, delivered))
	r.tf(0, "init", "-input=false")
	out := r.tf(0, "apply", "-input=false", "-auto-approve", "-invoke=action.entitlement_access_package_assignment_request_reprocess.retry")
	if !strings.Contains(out, "assignment request "+failed+": delivered") {
		t.Errorf("no progress shown:\n%s", out)
	}
	if got := requestByID(srv, failed); got.State != "delivered" || srv.Count(reprocessURL) != 1 {
		t.Fatalf("after the action: %+v, %d reprocess calls", got, srv.Count(reprocessURL))
	}
	out = r.tf(0, "apply", "-input=false", "-auto-approve", "-invoke=action.entitlement_access_package_assignment_request_reprocess.done")
	if !strings.Contains(out, "already delivered") || srv.Count(reprocessURL) != 1 {
		t.Fatalf("a delivered request: %d calls\n%s", srv.Count(reprocessURL), out)
	}
	out = r.tf(1, "apply", "-input=false", "-auto-approve", "-invoke=action.entitlement_access_package_assignment_request_resume.missing")
	if !strings.Contains(out, "There is no assignment request") || srv.Count("POST /assignmentRequests/{id}/resume") != 0 {
		t.Fatalf("a missing request:\n%s", out)
	}
}

// An action_trigger runs the action after its resource is created.
func TestAccCLI_actionTrigger(t *testing.T) {
	needTerraform(t, 1, 14, "action_trigger")
	srv, url := startEmulator(t, emulator.Options{Fixture: accFixture()})
	failed := failedRequest(t, srv, uBob, "deliveryFailed", 1)
	r := newExampleRun(t, srv, url)
	r.write("main.tf", fmt.Sprintf(`
action "entitlement_access_package_assignment_request_reprocess" "bob" {
  config {
    request_id = %q
  }
}
resource "entitlement_access_package_assignment" "alice" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.entitlement_access_package_assignment_request_reprocess.bob]
    }
  }
}
`, failed, pkgSales, polDirect, uAlice))
	r.tf(0, "init", "-input=false")
	r.tf(0, "apply", "-input=false", "-auto-approve")
	if got := requestByID(srv, failed); got.State != "delivered" || srv.Count(reprocessURL) != 1 {
		t.Fatalf("the triggered action: %+v, %d reprocess calls", got, srv.Count(reprocessURL))
	}
	if len(liveAssignments(srv, pkgSales, uAlice)) != 1 {
		t.Fatal("the resource was not created")
	}
	// The trigger fires on create only: a plan now is empty.
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}

// terraform query finds a package's assignments, -generate-config-out
// writes their resources and import blocks, the apply imports them without
// any request, and the next plan is empty.
func TestAccCLI_queryGenerateImport(t *testing.T) {
	needTerraform(t, 1, 14, "terraform query")
	srv, url := startEmulator(t, emulator.Options{Fixture: accFixture()})
	for _, u := range []string{uAlice, uBob, uCarol} {
		srv.MustAdd(pkgSales, polDirect, u, nil)
	}
	r := newExampleRun(t, srv, url)
	r.write("main.tf", "provider \"entitlement\" {}\n")
	r.write("sales.tfquery.hcl", fmt.Sprintf(`
list "entitlement_access_package_assignment" "sales" {
  provider = entitlement
  config {
    access_package_id = %q
  }
}
`, pkgSales))
	r.tf(0, "init", "-input=false")
	out := r.tf(0, "query", "-generate-config-out=generated.tf")
	for _, u := range []string{uAlice, uBob, uCarol} {
		live := liveAssignments(srv, pkgSales, u)
		if len(live) != 1 || !strings.Contains(out, "id="+live[0].ID) {
			t.Fatalf("the query does not show the assignment of %s (%+v):\n%s", u, live, out)
		}
	}
	gen, err := os.ReadFile(filepath.Join(r.dir, "generated.tf"))
	must(t, err)
	if n := strings.Count(string(gen), "import {"); n != 3 {
		t.Fatalf("%d import blocks generated:\n%s", n, gen)
	}
	adds := len(requestsOf(srv, "adminAdd", ""))
	out = r.tf(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "3 imported") {
		t.Fatalf("the apply did not import the three:\n%s", out)
	}
	if n := len(requestsOf(srv, "adminAdd", "")); n != adds {
		t.Fatalf("the import sent %d requests", n-adds)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}

// An import block by identity adopts an assignment; the next plan is empty.
// OpenTofu 1.12 has it too.
func TestAccCLI_importByIdentity(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	if name, ma, mi := cliKind(t); ma < 1 || (ma == 1 && mi < 12) {
		t.Skipf("import by identity needs Terraform or OpenTofu 1.12 or later; this run uses %s %d.%d", name, ma, mi)
	}
	srv, url := startEmulator(t, emulator.Options{Fixture: accFixture()})
	asg := requestByID(srv, srv.MustAdd(pkgSales, polDirect, uAlice, nil)).AssignmentID
	r := newExampleRun(t, srv, url)
	r.write("main.tf", fmt.Sprintf(`
import {
  to = entitlement_access_package_assignment.alice
  identity = {
    id = %q
  }
}
resource "entitlement_access_package_assignment" "alice" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
}
`, asg, pkgSales, polDirect, uAlice))
	r.tf(0, "init", "-input=false")
	out := r.tf(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "1 imported") {
		t.Fatalf("no import:\n%s", out)
	}
	if n := len(requestsOf(srv, "adminAdd", uAlice)); n != 1 {
		t.Fatalf("%d adminAdd requests after the import", n)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}

var cliOnce struct {
	sync.Once
	name         string
	major, minor int
}

// needWriteOnly skips a test of entitlement_access_package_assignments,
// whose targets are write-only attributes, on a CLI older than Terraform
// or OpenTofu 1.11 (which refuse a write-only value). Without TF_ACC it
// does nothing: the acceptance framework skips the test itself.
func needWriteOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		return
	}
	cliOnce.Do(func() { cliOnce.name, cliOnce.major, cliOnce.minor = cliKind(t) })
	if cliOnce.major < 1 || (cliOnce.major == 1 && cliOnce.minor < 11) {
		t.Skipf("entitlement_access_package_assignments has write-only targets, which need Terraform or OpenTofu 1.11 or later; this run uses %s %d.%d", cliOnce.name, cliOnce.major, cliOnce.minor)
	}
}
