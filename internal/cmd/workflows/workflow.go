package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The parts of a GitHub Actions workflow the replay reads. Anything else in
// the file is ignored, and a construct the replay cannot honour (a matrix
// include or exclude, a container, services) is an error rather than a
// replay that differs from GitHub's.
type workflow struct {
	File string                `yaml:"-"`
	Name string                `yaml:"name"`
	Env  map[string]string     `yaml:"env"`
	On   yaml.Node             `yaml:"on"` // a string, a list or a map
	Jobs map[string]*jobSource `yaml:"jobs"`
}

type jobSource struct {
	Name      string            `yaml:"name"`
	RunsOn    string            `yaml:"runs-on"`
	Needs     yaml.Node         `yaml:"needs"`
	Env       map[string]string `yaml:"env"`
	Container yaml.Node         `yaml:"container"`
	Services  yaml.Node         `yaml:"services"`
	Strategy  struct {
		Matrix map[string]yaml.Node `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type step struct {
	Name       string            `yaml:"name"`
	ID         string            `yaml:"id"`
	Uses       string            `yaml:"uses"`
	With       map[string]string `yaml:"with"`
	Run        string            `yaml:"run"`
	Env        map[string]string `yaml:"env"`
	WorkingDir string            `yaml:"working-directory"`
	Shell      string            `yaml:"shell"`
}

// job is one job of a workflow for one combination of its matrix, with the
// matrix values and the workflow_dispatch inputs' defaults substituted.
type job struct {
	Workflow string
	ID       string
	Matrix   map[string]string
	Env      map[string]string // workflow env, then job env
	Steps    []step
	// Needs lists the secrets, variables and step outputs the job refers
	// to: a job that needs any cannot be replayed here, only checked.
	Needs []string
}

func (j job) Title() string {
	t := j.Workflow + "/" + j.ID
	if len(j.Matrix) > 0 {
		keys := sortedKeys(j.Matrix)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+j.Matrix[k])
		}
		t += " (" + strings.Join(parts, ", ") + ")"
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// loadWorkflows reads every .yml and .yaml file of dir.
func loadWorkflows(dir string) ([]job, error) {
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no workflow in %s", dir)
	}
	sort.Strings(files)
	var jobs []job
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		js, err := parseWorkflow(filepath.Base(f), b)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	return jobs, nil
}

// parseWorkflow returns the jobs of one workflow file, one per matrix
// combination, in the order of their ids.
func parseWorkflow(name string, b []byte) ([]job, error) {
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(w.Jobs) == 0 {
		return nil, fmt.Errorf("%s: no jobs", name)
	}
	inputs := dispatchDefaults(w.On)
	var out []job
	for _, id := range sortedKeys(w.Jobs) {
		src := w.Jobs[id]
		if src == nil || len(src.Steps) == 0 {
			return nil, fmt.Errorf("%s: job %s has no steps", name, id)
		}
		if !src.Container.IsZero() || !src.Services.IsZero() {
			return nil, fmt.Errorf("%s: job %s: containers and services are not replayed", name, id)
		}
		combos, err := expandMatrix(src.Strategy.Matrix)
		if err != nil {
			return nil, fmt.Errorf("%s: job %s: %w", name, id, err)
		}
		for _, m := range combos {
			j := job{Workflow: strings.TrimSuffix(strings.TrimSuffix(name, ".yml"), ".yaml"), ID: id, Matrix: m, Env: map[string]string{}}
			needs := map[string]bool{}
			sub := func(s string) string { return substitute(s, m, inputs, needs) }
			for k, v := range w.Env {
				j.Env[k] = sub(v)
			}
			for k, v := range src.Env {
				j.Env[k] = sub(v)
			}
			for _, s := range src.Steps {
				s.Run = sub(s.Run)
				s.WorkingDir = sub(s.WorkingDir)
				with := map[string]string{}
				for k, v := range s.With {
					with[k] = sub(v)
				}
				s.With = with
				env := map[string]string{}
				for k, v := range s.Env {
					env[k] = sub(v)
				}
				s.Env = env
				if s.Run == "" && s.Uses == "" {
					return nil, fmt.Errorf("%s: job %s: a step with neither run nor uses", name, id)
				}
				j.Steps = append(j.Steps, s)
			}
			j.Needs = sortedKeys(needs)
			out = append(out, j)
		}
	}
	return out, nil
}

// dispatchDefaults returns the defaults of the workflow_dispatch inputs.
func dispatchDefaults(onNode yaml.Node) map[string]string {
	d := map[string]string{}
	var on map[string]yaml.Node
	if onNode.Kind != yaml.MappingNode || onNode.Decode(&on) != nil {
		return d
	}
	n, ok := on["workflow_dispatch"]
	if !ok {
		return d
	}
	var wd struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if n.Decode(&wd) == nil {
		for k, v := range wd.Inputs {
			d[k] = v.Default
		}
	}
	return d
}

// expandMatrix returns every combination of the matrix's lists (one empty
// combination without a matrix).
func expandMatrix(m map[string]yaml.Node) ([]map[string]string, error) {
	combos := []map[string]string{{}}
	for _, k := range sortedKeys(m) {
		if k == "include" || k == "exclude" {
			return nil, fmt.Errorf("matrix %s is not replayed", k)
		}
		var vals []string
		n := m[k]
		if err := n.Decode(&vals); err != nil {
			return nil, fmt.Errorf("matrix %s: a list of scalars is expected: %w", k, err)
		}
		var next []map[string]string
		for _, c := range combos {
			for _, v := range vals {
				nc := map[string]string{k: v}
				for ck, cv := range c {
					nc[ck] = cv
				}
				next = append(next, nc)
			}
		}
		combos = next
	}
	return combos, nil
}

var exprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// substitute replaces the expressions the replay knows: matrix values,
// workflow_dispatch inputs (their defaults) and runner.temp (the shell's
// RUNNER_TEMP). Secrets, variables and step outputs are recorded in needs
// and left in place; any other expression is recorded too.
func substitute(s string, matrix, inputs map[string]string, needs map[string]bool) string {
	return exprRE.ReplaceAllStringFunc(s, func(e string) string {
		x := strings.TrimSpace(exprRE.FindStringSubmatch(e)[1])
		switch {
		case strings.HasPrefix(x, "matrix."):
			if v, ok := matrix[strings.TrimPrefix(x, "matrix.")]; ok {
				return v
			}
		case strings.HasPrefix(x, "inputs."):
			if v, ok := inputs[strings.TrimPrefix(x, "inputs.")]; ok {
				return v
			}
		case x == "runner.temp":
			return "${RUNNER_TEMP}"
		case x == "secrets.GITHUB_TOKEN":
			// GitHub's own token: a job that uses it is marked by the step
			// that needs it (goreleaser), not here.
			return e
		}
		needs[x] = true
		return e
	})
}
