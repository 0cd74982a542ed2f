package provider

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// TestAccExamplesCopiedAlone copies every example the docs render, and every
// example folder, alone into an empty directory and runs it as a user would:
// through the real CLI, against a fresh emulator loaded with the shipped
// fixture (examples/emulator/fixture.json), with the provider installed by
// `init` from a filesystem mirror that holds a provider built once for the
// run, and configured from the environment only (ENTITLEMENT_GRAPH_URL and
// ENTITLEMENT_ACCESS_TOKEN, as `make demo` does). Nothing in an example is
// edited. Each example gets its own emulator, so they run in parallel.
//
// A configuration runs init, apply, a plan that must be empty, and destroy;
// an import block runs with plan -generate-config-out (the block alone has
// no resource); import.sh runs each of its commands; a .tfquery.hcl runs
// terraform query; an action runs apply -invoke. What the CLI cannot do
// (actions and queries before Terraform 1.14 and on OpenTofu, identity
// import before 1.12) is "not run", with the reason. The per-example results
// are printed as a table (go test -v shows it).
func TestAccExamplesCopiedAlone(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	cli, err := exec.LookPath(cliPath())
	if err != nil {
		t.Skipf("no CLI to run: %s is not found", cliPath())
	}
	ver := cliVersionOf(t, cli)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	must(t, err)
	rc := buildProviderMirror(t, root)
	cases := discoverExamples(t, root)

	var mu sync.Mutex
	var results []exampleResult
	record := func(r exampleResult) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	start := time.Now()
	t.Run("examples", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				res := exampleResult{example: c.name, cli: ver.String(), status: "FAIL"}
				began := time.Now()
				defer func() {
					res.took = time.Since(began)
					record(res)
				}()
				if why := ver.cannot(c); why != "" {
					res.status, res.reason = "not run", why
					t.Log(why)
					return
				}
				if c.skip != "" {
					res.status, res.reason = "skip", c.skip
					t.Log(c.skip)
					return
				}
				res.reason = runCopiedExample(t, c, root, rc, cli)
				if !t.Failed() {
					res.status = "pass"
				}
			})
		}
	})
	sort.Slice(results, func(i, j int) bool { return results[i].example < results[j].example })
	var b strings.Builder
	fmt.Fprintf(&b, "examples copied alone, on %s (%s in all):\n", ver, time.Since(start).Round(time.Second))
	fmt.Fprintf(&b, "%-88s %-18s %-8s %6s  %s\n", "example", "CLI", "result", "time", "reason / what ran")
	for _, r := range results {
		fmt.Fprintf(&b, "%-88s %-18s %-8s %5.1fs  %s\n", r.example, r.cli, r.status, r.took.Seconds(), r.reason)
	}
	t.Log("\n" + b.String())
}

type exampleResult struct {
	example, cli, status, reason string
	took                         time.Duration
}

// The kinds of example, by what the CLI does with them.
const (
	kindConfig      = "configuration"
	kindImportBlock = "import block"
	kindImportSh    = "import commands"
	kindQuery       = "query"
	kindAction      = "action"
)

type exampleCase struct {
	name  string   // the example's path under examples/
	files []string // what is copied, relative to the repository root
	kind  string
	skip  string // why it cannot run offline, if it cannot
	// token, if set, returns the access token the example runs with in
	// place of an application's (a signed-in user, for requests a person
	// makes for themselves).
	token func(t *testing.T, srv *emulator.Server) string
	// settle, if set, says why the plan after the first apply only
	// destroys (forgets) records: a second apply makes it empty.
	settle string
}

// Signed-in people of the shipped fixture, for the examples that a person
// runs under their own login.
const fixtureGrace = "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e05" // Grace Okafor, Alice's and Bob's manager

func signedIn(objectID, name string) func(t *testing.T, srv *emulator.Server) string {
	return func(t *testing.T, srv *emulator.Server) string {
		token := "signed-in-" + objectID
		must(t, srv.AddToken(token, emulator.Identity{Kind: "delegated", ObjectID: objectID, DisplayName: name}))
		return token
	}
}

// exampleSetup is what an example needs that its configuration cannot say:
// who runs it, or why it cannot run offline.
var exampleSetup = map[string]func(*exampleCase){
	"resources/entitlement_access_package_assignment_request/resource.tf": func(c *exampleCase) {
		// "Run under a person's delegated login": Grace requests for herself and for Bob, her direct report.
		c.token = signedIn(fixtureGrace, "Grace Okafor")
	},
	"resources/entitlement_access_package_assignment_request_reprocess/resource.tf": func(c *exampleCase) {
		// Its comment says so: once the failed requests are delivered, the next apply only forgets their records.
		c.settle = "the plan after the first apply only forgets the reprocessed records, as the example says; empty after the second"
	},
}

// discoverExamples lists the examples: each file of the docs' example
// folders, the provider's configurations, and each example folder.
func discoverExamples(t *testing.T, root string) []exampleCase {
	t.Helper()
	var out []exampleCase
	add := func(c exampleCase) {
		if f := exampleSetup[c.name]; f != nil {
			f(&c)
		}
		out = append(out, c)
	}
	for _, group := range []string{"resources", "data-sources", "actions", "list-resources"} {
		files, err := filepath.Glob(filepath.Join(root, "examples", group, "*", "*"))
		must(t, err)
		for _, f := range files {
			rel, err := filepath.Rel(root, f)
			must(t, err)
			base := filepath.Base(f)
			c := exampleCase{name: strings.TrimPrefix(filepath.ToSlash(rel), "examples/"), files: []string{rel}}
			switch {
			case base == "import.sh":
				c.kind = kindImportSh
			case strings.HasPrefix(base, "import-by-") && strings.HasSuffix(base, ".tf"):
				c.kind = kindImportBlock
			case strings.HasSuffix(base, ".tfquery.hcl"):
				c.kind = kindQuery
			case group == "actions" && strings.HasSuffix(base, ".tf"):
				c.kind = kindAction
			case strings.HasSuffix(base, ".tf"):
				c.kind = kindConfig
			default:
				t.Fatalf("%s: an example file of a kind this test does not know how to run", rel)
			}
			add(c)
		}
	}
	provider, err := filepath.Glob(filepath.Join(root, "examples", "provider", "*.tf"))
	must(t, err)
	for _, f := range provider {
		rel, _ := filepath.Rel(root, f)
		add(exampleCase{name: strings.TrimPrefix(filepath.ToSlash(rel), "examples/"), files: []string{rel}, kind: kindConfig})
	}
	// Every other folder under examples/ that holds configuration files is
	// an example of its own (the emulator's fixture folder holds none).
	err = filepath.WalkDir(filepath.Join(root, "examples"), func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		switch filepath.ToSlash(rel) {
		case "examples/resources", "examples/data-sources", "examples/actions", "examples/list-resources", "examples/provider":
			return filepath.SkipDir
		}
		tfs, err := filepath.Glob(filepath.Join(path, "*.tf"))
		if err != nil || len(tfs) == 0 {
			return err
		}
		c := exampleCase{name: strings.TrimPrefix(filepath.ToSlash(rel), "examples/") + "/", kind: kindConfig}
		for _, f := range tfs {
			r, _ := filepath.Rel(root, f)
			c.files = append(c.files, r)
		}
		add(c)
		return nil
	})
	must(t, err)
	if len(out) < 20 {
		t.Fatalf("found %d examples: the layout of examples/ changed", len(out))
	}
	return out
}

// cliVersion is the CLI the test runs and what it can do.
type cliVersion struct {
	tofu                bool
	major, minor, patch int
}

func (v cliVersion) String() string {
	name := "Terraform"
	if v.tofu {
		name = "OpenTofu"
	}
	return fmt.Sprintf("%s %d.%d.%d", name, v.major, v.minor, v.patch)
}

func (v cliVersion) atLeast(major, minor int) bool {
	return v.major > major || v.major == major && v.minor >= minor
}

// declares says whether one of the example's files contains s.
func (c exampleCase) declares(s string) bool {
	for _, f := range c.files {
		if b, err := os.ReadFile(filepath.Join("..", "..", f)); err == nil && strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

// cannot says why the CLI cannot run the example, or "".
func (v cliVersion) cannot(c exampleCase) string {
	switch {
	case c.kind == kindAction && (v.tofu || !v.atLeast(1, 14)):
		return "actions (apply -invoke) need Terraform 1.14 or later; " + v.String() + " has none"
	case c.kind == kindQuery && (v.tofu || !v.atLeast(1, 14)):
		return "list resources (terraform query) need Terraform 1.14 or later; " + v.String() + " has none"
	case strings.HasSuffix(c.name, "import-by-identity.tf") && !v.atLeast(1, 12):
		return "import by resource identity needs Terraform or OpenTofu 1.12 or later"
	case !v.atLeast(1, 11) && c.declares(`resource "entitlement_access_package_assignments"`):
		return "entitlement_access_package_assignments has write-only targets, which need Terraform or OpenTofu 1.11 or later"
	}
	return ""
}

var cliVersionRE = regexp.MustCompile(`(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)`)

func cliVersionOf(t *testing.T, cli string) cliVersion {
	t.Helper()
	cmd := exec.Command(cli, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	must(t, err)
	m := cliVersionRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("%s version: %q", cli, out)
	}
	v := cliVersion{tofu: m[1] == "OpenTofu"}
	v.major, _ = strconv.Atoi(m[2])
	v.minor, _ = strconv.Atoi(m[3])
	v.patch, _ = strconv.Atoi(m[4])
	return v
}

// buildProviderMirror builds the provider once into a filesystem mirror and
// returns a CLI configuration that installs it from there, and only there:
// `init` resolves, checks and locks it as it would a released provider.
func buildProviderMirror(t *testing.T, root string) string {
	t.Helper()
	const version = "0.1.0" // the examples ask for ">= 0.1.0"
	dir := t.TempDir()
	mirror := filepath.Join(dir, "mirror")
	bin := filepath.Join(mirror, providerHost(), "accessgov", "entitlement", version, runtime.GOOS+"_"+runtime.GOARCH,
		"terraform-provider-entitlement_v"+version)
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	rc := filepath.Join(dir, "terraformrc")
	must(t, os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = [%q]
  }
}
`, mirror, providerAddress)), 0o644))
	return rc
}

// exampleEnv is the environment of the CLI: the test's own, without any
// provider or CLI setting that could leak in, and the emulator's address
// and token.
func exampleEnv(rc, url, token string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "ARM_"), strings.HasPrefix(name, "ENTITLEMENT_"), strings.HasPrefix(name, "TF_"),
			strings.HasPrefix(name, "ACTIONS_ID_TOKEN_"), strings.HasPrefix(name, "AZURE_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"ENTITLEMENT_GRAPH_URL="+url, "ENTITLEMENT_ACCESS_TOKEN="+token,
		// The sensitive variables of the credential examples, as a pipeline
		// would set them (the static token above is what authenticates).
		"TF_VAR_client_secret=from-the-environment", "TF_VAR_certificate_password=from-the-environment")
}

// copiedRun is one example's directory, emulator and CLI.
type copiedRun struct {
	t        *testing.T
	cli, dir string
	env      []string
	srv      *emulator.Server
	ran      []string
}

func (r *copiedRun) run(want int, args ...string) string {
	r.t.Helper()
	out, code := r.runCode(args...)
	if code != want {
		r.t.Fatalf("%s exited %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
	}
	return out
}

func (r *copiedRun) runCode(args ...string) (string, int) {
	r.t.Helper()
	cmd := exec.Command(r.cli, append(args, "-no-color")...)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		r.t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	r.ran = append(r.ran, args[0])
	return string(out), code
}

// runCopiedExample runs one example and returns what ran.
func runCopiedExample(t *testing.T, c exampleCase, root, rc, cli string) string {
	fixture, err := emulator.LoadFixture(filepath.Join(root, "examples", "emulator", "fixture.json"))
	must(t, err)
	srv, url := startEmulator(t, emulator.Options{Fixture: fixture})
	token := leastPrivilegeToken(t, srv)
	if c.token != nil {
		token = c.token(t, srv)
	}
	r := &copiedRun{t: t, cli: cli, dir: t.TempDir(), env: exampleEnv(rc, url, token), srv: srv}
	note := ""
	for _, f := range c.files {
		src, err := os.ReadFile(filepath.Join(root, f))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(r.dir, filepath.Base(f)), src, 0o644))
	}
	switch c.kind {
	case kindConfig:
		r.run(0, "init", "-input=false")
		r.run(0, "apply", "-input=false", "-auto-approve")
		if c.settle != "" {
			out, code := r.runCode("plan", "-input=false", "-detailed-exitcode")
			if code != 2 || !regexp.MustCompile(`Plan: 0 to add, 0 to change, [1-9]\d* to destroy`).MatchString(out) {
				t.Fatalf("the plan after the first apply (exit %d) is not the forgetting the example describes:\n%s", code, out)
			}
			r.run(0, "apply", "-input=false", "-auto-approve")
			note = c.settle
		}
		r.emptyPlan()
		r.run(0, "destroy", "-input=false", "-auto-approve")
		if !regexp.MustCompile(`(?m)^\s*(resource|data|import|list|action)\s`).MatchString(r.config()) {
			// A provider block alone: the CLI validates it (the provider's
			// ValidateProviderConfig) but configures no provider that nothing
			// uses, so its credential settings are not exercised.
			note = fmt.Sprintf("provider block alone: validated by the provider; not configured, as nothing uses it (%d Graph calls)", r.graphCalls())
		}
	case kindImportBlock:
		r.run(0, "init", "-input=false")
		r.generateConfig()
		note = r.imported(r.run(0, "apply", "-input=false", "-auto-approve"))
		r.emptyPlan()
		r.run(0, "destroy", "-input=false", "-auto-approve")
	case kindImportSh:
		r.importCommands(filepath.Join(root, c.files[0]))
	case kindQuery:
		// A .tfquery.hcl cannot hold required_providers: it runs in a
		// directory whose configuration has them, as the docs' own pages do.
		must(t, os.WriteFile(filepath.Join(r.dir, "versions.tf"), []byte(versionsTF), 0o644))
		note = "with a versions.tf that declares the provider"
		r.run(0, "init", "-input=false")
		out := r.run(0, "query")
		if !strings.Contains(out, "entitlement_access_package_assignment") {
			t.Fatalf("query listed nothing:\n%s", out)
		}
		r.run(0, "query", "-generate-config-out=generated.tf")
		note += "; " + r.imported(r.run(0, "apply", "-input=false", "-auto-approve"))
		r.emptyPlan()
		r.run(0, "destroy", "-input=false", "-auto-approve")
	case kindAction:
		src, err := os.ReadFile(filepath.Join(root, c.files[0]))
		must(t, err)
		actions := regexp.MustCompile(`(?m)^action\s+"([^"]+)"\s+"([^"]+)"`).FindAllStringSubmatch(string(src), -1)
		if len(actions) == 0 {
			t.Fatal("no action block")
		}
		// The request the action names must move: a failed delivery is
		// delivered, a request waiting for its callback goes on.
		m := regexp.MustCompile(`request_id\s*=\s*"([0-9a-f-]{36})"`).FindStringSubmatch(string(src))
		if m == nil {
			t.Fatal("no request_id in the action")
		}
		before := requestByID(srv, m[1])
		if before.ID == "" {
			t.Fatalf("the fixture has no request %s", m[1])
		}
		r.run(0, "init", "-input=false")
		for _, a := range actions {
			r.run(0, "apply", "-input=false", "-auto-approve", "-invoke=action."+a[1]+"."+a[2])
		}
		after := requestByID(srv, m[1])
		if after.State+after.Status == before.State+before.Status {
			t.Fatalf("request %s is still %s (%s) after the action", m[1], after.State, after.Status)
		}
		note = fmt.Sprintf("request %s: %s (%s) -> %s (%s)", m[1][:8], before.State, before.Status, after.State, after.Status)
	}
	what := c.kind + ": " + strings.Join(r.ran, ", ")
	if note != "" {
		what += " (" + note + ")"
	}
	return what
}

const versionsTF = `terraform {
  required_providers {
    entitlement = { source = "accessgov/entitlement" }
  }
}
`

// config is the example's configuration, all files together.
func (r *copiedRun) config() string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(r.dir, "*.tf"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		must(r.t, err)
		b.Write(src)
	}
	return b.String()
}

// graphCalls counts the Graph calls the emulator answered.
func (r *copiedRun) graphCalls() int {
	n := 0
	for _, m := range r.srv.Metrics() {
		n += m.Requests
	}
	return n
}

var importedRE = regexp.MustCompile(`Resources: ([1-9]\d*) imported`)

// imported checks that an apply imported something, and says how much.
func (r *copiedRun) imported(apply string) string {
	r.t.Helper()
	m := importedRE.FindStringSubmatch(apply)
	if m == nil {
		r.t.Fatalf("the apply imported nothing:\n%s", apply)
	}
	return m[1] + " imported"
}

// emptyPlan runs plan -detailed-exitcode and fails unless it is empty.
func (r *copiedRun) emptyPlan() {
	r.t.Helper()
	if out, code := r.runCode("plan", "-input=false", "-detailed-exitcode"); code != 0 {
		r.t.Fatalf("the plan after apply is not empty (exit %d):\n%s", code, out)
	}
}

var (
	targetLinesRE = regexp.MustCompile(`(?m)^\s*(target_object_ids|target_emails)\s*= \[.*\]\s*$`)
	nullTargetsRE = regexp.MustCompile(`(?m)^\s*(target_object_ids|target_emails)\s*=\s*null.*\n`)
)

// generateConfig runs plan -generate-config-out. The CLI cannot write
// write-only attributes, so for entitlement_access_package_assignments the
// plan stops with "No targets" and gives the lines that keep everyone who
// holds the access: they go into the generated block, as the resource's
// documentation tells users to do, and the plan runs again.
func (r *copiedRun) generateConfig() {
	r.t.Helper()
	out, code := r.runCode("plan", "-input=false", "-generate-config-out=generated.tf")
	if code == 0 {
		return
	}
	lines := targetLinesRE.FindAllString(out, -1)
	if !strings.Contains(out, "Error: No targets") || len(lines) == 0 {
		r.t.Fatalf("plan -generate-config-out exited %d:\n%s", code, out)
	}
	gen := filepath.Join(r.dir, "generated.tf")
	b, err := os.ReadFile(gen)
	must(r.t, err)
	src := nullTargetsRE.ReplaceAllString(string(b), "")
	i := strings.LastIndex(src, "}")
	if i < 0 {
		r.t.Fatalf("generated.tf has no block:\n%s", b)
	}
	for j := range lines {
		lines[j] = "  " + strings.TrimSpace(lines[j])
	}
	must(r.t, os.WriteFile(gen, []byte(src[:i]+strings.Join(lines, "\n")+"\n"+src[i:]), 0o644))
	r.run(0, "plan", "-input=false")
}

var importLineRE = regexp.MustCompile(`^terraform\s+import\s+(\S+)\s+(\S+)\s*$`)

// importCommands runs each `terraform import` line of an import.sh as the
// docs show it, in a directory whose configuration has the resource (written
// by plan -generate-config-out from an import block of the same address and
// id, then the block removed): the import succeeds, the plan after it is
// empty, and the resource is forgotten before the next line.
func (r *copiedRun) importCommands(path string) {
	r.t.Helper()
	f, err := os.Open(path)
	must(r.t, err)
	defer f.Close()
	var lines [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := importLineRE.FindStringSubmatch(line)
		if m == nil {
			r.t.Fatalf("%s: a line this test cannot run: %q", path, line)
		}
		lines = append(lines, m[1:])
	}
	must(r.t, sc.Err())
	if len(lines) == 0 {
		r.t.Fatalf("%s has no terraform import command", path)
	}
	must(r.t, os.WriteFile(filepath.Join(r.dir, "versions.tf"), []byte(versionsTF), 0o644))
	r.run(0, "init", "-input=false")
	for i, l := range lines {
		addr, id := l[0], l[1]
		block := filepath.Join(r.dir, "import.tf")
		must(r.t, os.WriteFile(block, []byte(fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", addr, id)), 0o644))
		gen := filepath.Join(r.dir, "generated.tf")
		if i == 0 {
			r.generateConfig()
		}
		must(r.t, os.Remove(block))
		r.run(0, "import", "-input=false", addr, id)
		r.emptyPlan()
		r.run(0, "state", "rm", addr)
		if _, err := os.Stat(gen); err != nil {
			r.t.Fatal(err)
		}
	}
}
