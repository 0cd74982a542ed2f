// Command workflows replays the jobs of .github/workflows on this machine,
// with the versions their uses: steps pin, to show before a push what
// GitHub's runners will do.
//
//	go run ./internal/cmd/workflows         # cheap mode (make workflows; make test runs it)
//	go run ./internal/cmd/workflows -full   # full mode (make workflows-full)
//	go run ./internal/cmd/workflows -full -job test/lint   # one job
//
// For every job and every combination of its matrix it resolves the uses:
// steps: actions/checkout is the working tree; actions/setup-go must find
// the local Go (run with GOTOOLCHAIN=local, as setup-go sets it) at or above
// the version go.mod names; hashicorp/setup-terraform and
// opentofu/setup-opentofu must find the pinned CLI on PATH or in .tools/
// (make tools-extra), put first on PATH for the job's steps. Then, for each
// run: step, it always checks that the script parses (bash -n), that every
// make target it names exists in GNUmakefile, and that every ./path it
// names and its working-directory exist.
//
// Cheap mode runs the cheap steps (go build, go vet, go mod download,
// make actionlint) and only checks the others; full mode runs every step of
// every job whose tools are here, as GitHub would (bash -eo pipefail, the
// job's and step's env, RUNNER_TEMP and GITHUB_ENV). A job that needs a
// secret, a repository variable or a step's output (release, tenant) is
// only checked in both modes, and a job whose pinned CLI is missing is not
// run; the summary says which steps ran, which were only checked and why.
// The exit status is non-zero when a check or a step that ran failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	full := flag.Bool("full", false, "run every step of every job whose tools are here, not only the cheap ones")
	dir := flag.String("C", ".", "the repository root")
	only := flag.String("job", "", "replay only the jobs whose name (workflow/job, as printed) starts with this")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r := &replay{ctx: ctx, root: *dir, full: *full, only: *only, out: os.Stdout}
	ok, err := r.run()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "workflows:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

type replay struct {
	ctx  context.Context // ends the step that runs (Ctrl-C)
	root string
	full bool
	only string // a prefix of the job titles to replay
	out  io.Writer

	makeTargets map[string]bool
	tempDirs    []string        // removed at the end
	ran         map[string]bool // cheap scripts already run, by script
	counts      map[string]int
	failures    []string
}

func (r *replay) printf(format string, args ...any) { fmt.Fprintf(r.out, format, args...) }

func (r *replay) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.failures = append(r.failures, msg)
	r.printf("    FAIL  %s\n", msg)
}

func (r *replay) run() (bool, error) {
	root, err := filepath.Abs(r.root)
	if err != nil {
		return false, err
	}
	r.root = root
	if r.ctx == nil {
		r.ctx = context.Background()
	}
	r.ran = map[string]bool{}
	r.counts = map[string]int{}
	defer func() {
		for _, d := range r.tempDirs {
			_ = os.RemoveAll(d)
		}
	}()
	jobs, err := loadWorkflows(filepath.Join(root, ".github", "workflows"))
	if err != nil {
		return false, err
	}
	mk, err := os.ReadFile(filepath.Join(root, "GNUmakefile"))
	if err != nil {
		return false, err
	}
	r.makeTargets = makeTargets(string(mk))
	tools, err := discoverTools(root)
	if err != nil {
		return false, err
	}
	mode := "cheap mode: runs the cheap steps, checks the others (-full runs them)"
	if r.full {
		mode = "full mode: runs every step of every job whose tools are here"
	}
	r.printf("workflow replay, %s\n", mode)
	r.printf("local tools: %s\n", tools.describe())
	// The jobs that can be replayed first, those that need GitHub's
	// secrets or variables last.
	sort.SliceStable(jobs, func(a, b int) bool { return len(jobs[a].Needs) == 0 && len(jobs[b].Needs) > 0 })
	for _, j := range jobs {
		if strings.HasPrefix(j.Title(), r.only) {
			r.replayJob(j, tools)
		}
	}
	r.printf("\nsummary: %d steps ran and passed, %d failed, %d only checked, %d not run (tool missing)\n",
		r.counts["ran"], r.counts["failed"], r.counts["checked"], r.counts["missing"])
	if len(r.failures) > 0 {
		r.printf("failures:\n")
		for _, f := range r.failures {
			r.printf("  - %s\n", f)
		}
		return false, nil
	}
	return true, nil
}

func (r *replay) replayJob(j job, t *localTools) {
	r.printf("\n== %s\n", j.Title())
	env := map[string]string{}
	for k, v := range j.Env {
		env[k] = v
	}
	var path []string // directories put first on PATH by setup steps
	var missing []string
	for _, s := range j.Steps {
		if s.Uses == "" {
			continue
		}
		dirs, miss, err := r.resolveUses(s, t, env)
		if err != nil {
			r.fail("%s: %s: %v", j.Title(), s.Uses, err)
			continue
		}
		path = append(path, dirs...)
		missing = append(missing, miss...)
	}
	why := ""
	switch {
	case len(j.Needs) > 0:
		why = "needs " + strings.Join(j.Needs, ", ") + ", which only GitHub has"
	case len(missing) > 0:
		why = strings.Join(missing, "; ")
	}
	var tmp string
	for i, s := range j.Steps {
		if s.Run == "" {
			continue
		}
		label := s.Name
		if label == "" {
			label = firstLine(s.Run)
		}
		label = fmt.Sprintf("step %d (%s)", i+1, label)
		if !r.check(j, s, label) {
			continue
		}
		cheap := isCheap(s.Run)
		switch {
		case why != "" && len(j.Needs) == 0:
			r.counts["missing"]++
			r.printf("    not run  %s: %s\n", label, why)
			continue
		case why != "":
			r.counts["checked"]++
			r.printf("    checked  %s: not run, the job %s\n", label, why)
			continue
		case !r.full && !cheap:
			r.counts["checked"]++
			r.printf("    checked  %s: not run in cheap mode (make workflows-full runs it)\n", label)
			continue
		case !r.full && r.ran[s.Run]:
			r.counts["checked"]++
			r.printf("    checked  %s: the same script ran above\n", label)
			continue
		}
		if tmp == "" {
			var err error
			if tmp, err = os.MkdirTemp("", "workflow-replay-"); err != nil {
				r.fail("%s: %v", j.Title(), err)
				return
			}
			defer os.RemoveAll(tmp)
		}
		start := time.Now()
		if err := r.exec(s, env, path, tmp); err != nil {
			r.counts["failed"]++
			r.fail("%s %s: %v", j.Title(), label, err)
			if r.full {
				r.printf("    (the job stops at its first failed step, as on GitHub)\n")
				return
			}
			continue
		}
		r.ran[s.Run] = true
		r.counts["ran"]++
		r.printf("    ran      %s: passed in %s\n", label, time.Since(start).Round(100*time.Millisecond))
	}
}

// resolveUses checks one uses: step and returns the directories it puts
// first on PATH, or what is missing to run the job here.
func (r *replay) resolveUses(s step, t *localTools, env map[string]string) ([]string, []string, error) {
	action, _, _ := strings.Cut(s.Uses, "@")
	switch action {
	case "actions/checkout":
		r.printf("    uses     %s: the working tree\n", s.Uses)
	case "actions/setup-go":
		want := s.With["go-version"]
		from := "go-version"
		if f := s.With["go-version-file"]; f != "" {
			b, err := os.ReadFile(filepath.Join(r.root, f))
			if err != nil {
				return nil, nil, err
			}
			if want = goModVersion(string(b)); want == "" {
				return nil, nil, fmt.Errorf("%s names no go version", f)
			}
			from = f
		}
		if want == "" {
			return nil, nil, fmt.Errorf("neither go-version nor go-version-file")
		}
		if compareVersions(t.goVersion, want) < 0 {
			return nil, nil, fmt.Errorf("%s asks for Go %s; the local Go is %s (GOTOOLCHAIN=local, as setup-go sets it, does not download another)", from, want, t.goVersion)
		}
		env["GOTOOLCHAIN"] = "local"
		r.printf("    uses     %s: Go %s from %s; local go%s satisfies it (GOTOOLCHAIN=local)\n", s.Uses, want, from, t.goVersion)
	case "hashicorp/setup-terraform", "opentofu/setup-opentofu":
		name, key, have := "terraform", "terraform_version", t.terraform
		if action == "opentofu/setup-opentofu" {
			name, key, have = "tofu", "tofu_version", t.tofu
		}
		spec := s.With[key]
		bin, v := pick(have, spec)
		if bin == "" {
			return nil, []string{fmt.Sprintf("%s %s is not here (have %s; make tools-extra unpacks 1.14.9 and OpenTofu 1.12.6)", name, orLatest(spec), listVersions(have))}, nil
		}
		d, err := os.MkdirTemp("", "workflow-replay-bin-")
		if err != nil {
			return nil, nil, err
		}
		r.tempDirs = append(r.tempDirs, d)
		if err := os.Symlink(bin, filepath.Join(d, name)); err != nil {
			return nil, nil, err
		}
		r.printf("    uses     %s: %s %s (%s) for %s\n", s.Uses, name, v, bin, orLatest(spec))
		return []string{d}, nil, nil
	case "crazy-max/ghaction-import-gpg":
		r.printf("    uses     %s: imports the signing key from secrets\n", s.Uses)
	case "goreleaser/goreleaser-action":
		if _, err := os.Stat(filepath.Join(r.root, ".goreleaser.yml")); err != nil {
			return nil, nil, err
		}
		r.printf("    uses     %s: publishes a release; not replayed (make release-snapshot builds the same archives unsigned)\n", s.Uses)
	default:
		return nil, nil, fmt.Errorf("the replay does not know this action: teach internal/cmd/workflows what it does")
	}
	return nil, nil, nil
}

func orLatest(spec string) string {
	if spec == "" {
		return "latest (unpinned)"
	}
	return spec
}

var (
	makeRE = regexp.MustCompile(`(?:^|[\s;&|(])make\s+((?:-[A-Za-z]+\s+)*)([A-Za-z][\w.-]*)`)
	pathRE = regexp.MustCompile(`(?:^|\s)(\./[\w./-]+)`)
)

// check runs the checks that need no execution; false when one failed.
func (r *replay) check(j job, s step, label string) bool {
	ok := true
	cmd := exec.CommandContext(r.ctx, "bash", "-n")
	cmd.Stdin = strings.NewReader(s.Run)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.fail("%s %s: the script does not parse: %s", j.Title(), label, strings.TrimSpace(string(out)))
		ok = false
	}
	for _, t := range referencedMakeTargets(s.Run) {
		if !r.makeTargets[t] {
			r.fail("%s %s: make %s: no such target in GNUmakefile", j.Title(), label, t)
			ok = false
		}
	}
	wd := r.root
	if s.WorkingDir != "" {
		wd = filepath.Join(r.root, s.WorkingDir)
		if fi, err := os.Stat(wd); err != nil || !fi.IsDir() {
			r.fail("%s %s: working-directory %s does not exist", j.Title(), label, s.WorkingDir)
			return false
		}
	}
	for _, p := range referencedPaths(s.Run) {
		if _, err := os.Stat(filepath.Join(wd, p)); err != nil {
			r.fail("%s %s: %s does not exist", j.Title(), label, p)
			ok = false
		}
	}
	return ok
}

// referencedMakeTargets returns the make targets a script names.
func referencedMakeTargets(script string) []string {
	var out []string
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range makeRE.FindAllStringSubmatch(line, -1) {
			out = append(out, m[2])
		}
	}
	return out
}

// referencedPaths returns the ./relative paths a script names, with a
// trailing /... (a Go package pattern) removed.
func referencedPaths(script string) []string {
	var out []string
	for _, m := range pathRE.FindAllStringSubmatch(script, -1) {
		p := strings.TrimSuffix(strings.TrimSuffix(m[1], "..."), "/")
		if p == "." || p == "" {
			continue
		}
		out = append(out, p)
	}
	return out
}

var cheapRE = regexp.MustCompile(`^(go (build|vet|mod download|mod verify)\b|make actionlint$)`)

// isCheap says whether every command of a script is a cheap one.
func isCheap(script string) bool {
	n := 0
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !cheapRE.MatchString(line) {
			return false
		}
		n++
	}
	return n > 0
}

// makeTargets returns the targets a makefile defines (rules and .PHONY).
func makeTargets(mk string) map[string]bool {
	t := map[string]bool{}
	rule := regexp.MustCompile(`(?m)^([A-Za-z][\w.-]*)\s*:([^=]|$)`)
	for _, m := range rule.FindAllStringSubmatch(mk, -1) {
		t[m[1]] = true
	}
	return t
}

// exec runs one run: step as GitHub's ubuntu runner does:
// bash --noprofile --norc -eo pipefail, in the working directory, with the
// job's and the step's env, RUNNER_TEMP, and GITHUB_ENV read back after it.
func (r *replay) exec(s step, env map[string]string, path []string, tmp string) error {
	ghEnv := filepath.Join(tmp, "github_env")
	if _, err := os.Stat(ghEnv); err != nil {
		if err := os.WriteFile(ghEnv, nil, 0o600); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(r.ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s.Run)
	cmd.Dir = filepath.Join(r.root, s.WorkingDir)
	cmd.Env = os.Environ()
	vars := map[string]string{"RUNNER_TEMP": tmp, "GITHUB_ENV": ghEnv, "GITHUB_WORKSPACE": r.root, "CI": "true"}
	for k, v := range env {
		vars[k] = v
	}
	for k, v := range s.Env {
		vars[k] = v
	}
	if len(path) > 0 {
		vars["PATH"] = strings.Join(path, string(os.PathListSeparator)) + string(os.PathListSeparator) + os.Getenv("PATH")
	}
	for _, k := range sortedKeys(vars) {
		cmd.Env = append(cmd.Env, k+"="+vars[k])
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	b, err := os.ReadFile(ghEnv)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k != "" {
			env[k] = v
		}
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(l) > 60 {
		l = l[:57] + "..."
	}
	return l
}

// goModVersion returns the toolchain go.mod names (its toolchain line, else
// its go line), as setup-go reads it.
func goModVersion(mod string) string {
	if m := regexp.MustCompile(`(?m)^toolchain\s+go(\S+)`).FindStringSubmatch(mod); m != nil {
		return m[1]
	}
	if m := regexp.MustCompile(`(?m)^go\s+(\S+)`).FindStringSubmatch(mod); m != nil {
		return m[1]
	}
	return ""
}

// compareVersions compares dotted numeric versions (1.26 < 1.26.0 is not
// distinguished: missing parts are 0).
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
