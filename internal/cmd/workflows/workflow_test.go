package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseWorkflowMatrixAndExpressions(t *testing.T) {
	src := `
name: t
on:
  workflow_dispatch:
    inputs:
      cloud:
        default: global
env:
  TOP: "1"
jobs:
  b:
    runs-on: ubuntu-24.04
    env:
      CLOUD: ${{ inputs.cloud }}
      TENANT: ${{ vars.ARM_TENANT_ID }}
    steps:
      - run: echo b
  a:
    runs-on: ubuntu-24.04
    strategy:
      matrix:
        tf: ["1.11.*", "1.14.*"]
        os: [linux]
    steps:
      - uses: hashicorp/setup-terraform@abc # v4
        with:
          terraform_version: ${{ matrix.tf }}
      - name: test
        env:
          TF_ACC: "1"
        run: |
          echo ${{ matrix.os }} > "${{ runner.temp }}/x"
`
	jobs, err := parseWorkflow("t.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 {
		t.Fatalf("got %d jobs, want 3 (a twice for its matrix, b once)", len(jobs))
	}
	if jobs[0].ID != "a" || jobs[1].ID != "a" || jobs[2].ID != "b" {
		t.Fatalf("job order %s %s %s, want a a b", jobs[0].ID, jobs[1].ID, jobs[2].ID)
	}
	if got := jobs[0].Title(); got != "t/a (os=linux, tf=1.11.*)" {
		t.Errorf("title %q", got)
	}
	if got := jobs[1].Steps[0].With["terraform_version"]; got != "1.14.*" {
		t.Errorf("terraform_version %q, want the matrix value 1.14.*", got)
	}
	if got := jobs[0].Steps[1].Run; got != "echo linux > \"${RUNNER_TEMP}/x\"\n" {
		t.Errorf("run %q", got)
	}
	if got := jobs[0].Steps[1].Env["TF_ACC"]; got != "1" {
		t.Errorf("step env TF_ACC %q", got)
	}
	if len(jobs[0].Needs) != 0 {
		t.Errorf("job a needs %v, want nothing", jobs[0].Needs)
	}
	b := jobs[2]
	if b.Env["CLOUD"] != "global" || b.Env["TOP"] != "1" {
		t.Errorf("job b env %v: want the input's default and the workflow env", b.Env)
	}
	if !reflect.DeepEqual(b.Needs, []string{"vars.ARM_TENANT_ID"}) {
		t.Errorf("job b needs %v, want [vars.ARM_TENANT_ID]", b.Needs)
	}
}

func TestParseWorkflowRefusesWhatItCannotReplay(t *testing.T) {
	for name, src := range map[string]string{
		"include":    "jobs:\n  a:\n    strategy:\n      matrix:\n        include: [{x: 1}]\n    steps:\n      - run: true\n",
		"container":  "jobs:\n  a:\n    container: golang\n    steps:\n      - run: true\n",
		"no steps":   "jobs:\n  a:\n    runs-on: x\n",
		"empty step": "jobs:\n  a:\n    steps:\n      - name: nothing\n",
		"not yaml":   "jobs: [",
	} {
		if _, err := parseWorkflow(name+".yml", []byte(src)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

// The repository's own workflows parse, every job is found with its matrix,
// and each run: step passes the replay's checks.
func TestRepositoryWorkflows(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	jobs, err := loadWorkflows(filepath.Join(root, ".github", "workflows"))
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, j := range jobs {
		titles[j.Title()] = true
	}
	for _, want := range []string{"test/lint", "test/docs", "test/actionlint", "test/opentofu",
		"test/acceptance (terraform=1.8.*)", "test/acceptance (terraform=1.14.*)", "release/goreleaser", "tenant/tenant"} {
		if !titles[want] {
			t.Errorf("no job %s among %v", want, titles)
		}
	}
	mk, err := os.ReadFile(filepath.Join(root, "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := makeTargets(string(mk))
	for _, j := range jobs {
		for _, s := range j.Steps {
			for _, tg := range referencedMakeTargets(s.Run) {
				if !targets[tg] {
					t.Errorf("%s: make %s: no such target", j.Title(), tg)
				}
			}
		}
	}
}

func TestScriptReferences(t *testing.T) {
	script := "# make nothing here\nmake lint\ngo test -count=1 ./internal/provider/ ./...\ncd x && make -s docs-check\n"
	if got := referencedMakeTargets(script); !reflect.DeepEqual(got, []string{"lint", "docs-check"}) {
		t.Errorf("make targets %v", got)
	}
	if got := referencedPaths(script); !reflect.DeepEqual(got, []string{"./internal/provider"}) {
		t.Errorf("paths %v", got)
	}
	for s, want := range map[string]bool{
		"go build -v ./...":                     true,
		"go mod download\n# c\nmake actionlint": true,
		"make lint":                             false,
		"go build ./...\ngo test ./...":         false,
		"":                                      false,
	} {
		if got := isCheap(s); got != want {
			t.Errorf("isCheap(%q) = %v, want %v", s, got, want)
		}
	}
	mk := "lint: a b\n\tx\nVAR := 1\nX ?= 2\n$(TOOLS)/y:\nwork-flows:\n"
	got := makeTargets(mk)
	if !got["lint"] || !got["work-flows"] || got["VAR"] || got["X"] {
		t.Errorf("makeTargets %v", got)
	}
}

func TestVersions(t *testing.T) {
	if goModVersion("module m\n\ngo 1.26.8\n") != "1.26.8" {
		t.Error("go line")
	}
	if goModVersion("module m\ngo 1.26\ntoolchain go1.26.8\n") != "1.26.8" {
		t.Error("toolchain line wins, as setup-go reads it")
	}
	if compareVersions("1.26.8", "1.26.8") != 0 || compareVersions("1.26.7", "1.26.8") >= 0 || compareVersions("1.27", "1.26.8") <= 0 {
		t.Error("compareVersions")
	}
	have := map[string]string{"1.11.4": "/a", "1.14.9": "/b", "1.14.2": "/c"}
	for spec, want := range map[string]string{"1.14.*": "/b", "1.14.2": "/c", "": "/b", "1.8.*": "", "1.1.*": ""} {
		if bin, _ := pick(have, spec); bin != want {
			t.Errorf("pick(%q) = %q, want %q", spec, bin, want)
		}
	}
	if !strings.Contains(listVersions(have), "1.11.4, 1.14.2, 1.14.9") {
		t.Errorf("listVersions %q", listVersions(have))
	}
}

// A replay of a repository whose workflow names a make target, a path and
// a working directory that do not exist fails and names each; the cheap
// step that exists runs.
func TestReplayReportsBrokenReferences(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	wf := `on: push
jobs:
  j:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@x
      - run: go vet ./cmd/...
      - run: make lint
      - run: make missing-target
      - run: go test ./nowhere/
      - run: echo hi
        working-directory: nodir
      - run: "if then"
`
	must(t, os.WriteFile(filepath.Join(root, ".github", "workflows", "ci.yml"), []byte(wf), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "GNUmakefile"), []byte("lint:\n\ttrue\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module m\n\ngo 1.26\n"), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "cmd"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "cmd", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	var out strings.Builder
	r := &replay{root: root, out: &out}
	ok, err := r.run()
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatalf("the replay passed:\n%s", out.String())
	}
	for _, want := range []string{
		"ran      step 2 (go vet ./cmd/...): passed",
		"checked  step 3 (make lint): not run in cheap mode",
		"make missing-target: no such target in GNUmakefile",
		"./nowhere does not exist",
		"working-directory nodir does not exist",
		"step 7 (if then): the script does not parse",
		"1 steps ran and passed, 0 failed, 1 only checked",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the replay's output:\n%s", want, out.String())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
