package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// localTools are the Go, Terraform and OpenTofu this machine has.
type localTools struct {
	goVersion string
	terraform map[string]string // version -> binary
	tofu      map[string]string
}

var versionRE = regexp.MustCompile(`(?m)^(?:Terraform|OpenTofu) v(\d+\.\d+\.\d+)`)

// cliVersion asks a Terraform or OpenTofu binary its version.
func cliVersion(bin string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// OpenTofu warns about a missing CLI configuration file before the
	// version line: look for the line, not at the first one.
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return ""
	}
	if m := versionRE.FindStringSubmatch(string(out)); m != nil {
		return m[1]
	}
	return ""
}

func discoverTools(root string) (*localTools, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	t := &localTools{goVersion: strings.TrimPrefix(strings.TrimSpace(string(out)), "go"), terraform: map[string]string{}, tofu: map[string]string{}}
	for name, into := range map[string]map[string]string{"terraform": t.terraform, "tofu": t.tofu} {
		cands, _ := filepath.Glob(filepath.Join(root, ".tools", name+"-*", name))
		if p, err := exec.LookPath(name); err == nil {
			cands = append(cands, p)
		}
		for _, c := range cands {
			abs, err := filepath.Abs(c)
			if err != nil {
				continue
			}
			if v := cliVersion(abs); v != "" {
				if _, seen := into[v]; !seen {
					into[v] = abs
				}
			}
		}
	}
	return t, nil
}

func (t *localTools) describe() string {
	return fmt.Sprintf("go%s; Terraform %s; OpenTofu %s", t.goVersion, listVersions(t.terraform), listVersions(t.tofu))
}

func listVersions(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	vs := sortedKeys(m)
	sort.Slice(vs, func(a, b int) bool { return compareVersions(vs[a], vs[b]) < 0 })
	return strings.Join(vs, ", ")
}

// pick returns the binary and version that a setup action's version spec
// selects among those here: an exact version, a 1.14.* pattern, or the
// newest here for an unpinned one (GitHub would take the newest release).
func pick(have map[string]string, spec string) (string, string) {
	vs := sortedKeys(have)
	sort.Slice(vs, func(a, b int) bool { return compareVersions(vs[a], vs[b]) > 0 })
	for _, v := range vs {
		if matchVersion(spec, v) {
			return have[v], v
		}
	}
	return "", ""
}

func matchVersion(spec, v string) bool {
	spec = strings.TrimPrefix(strings.TrimSpace(spec), "v")
	switch {
	case spec == "" || spec == "latest":
		return true
	case strings.HasSuffix(spec, ".*"):
		return strings.HasPrefix(v, strings.TrimSuffix(spec, "*"))
	}
	return spec == v
}
