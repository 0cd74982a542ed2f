package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Terraform core alone, by the representation of N targets: the built-in
// terraform_data resource, whose input takes any value, holds the roster
// as a set, a list or a map keyed by target (a map(string), as tomap makes
// it: without it the for expression makes an object, with a type per key).
// No provider process and no
// Graph call: what is measured is what Terraform core does with a value of
// that shape — the check after apply that the new value is compatible with
// the planned one, the rendering of a plan for a person, and the refresh.
// The floor is the same configuration with input = length(var.users): it
// reads the same variables and writes the same number of files, and holds a
// number.

// representation is one shape of input.
type representation struct {
	name, expr string
	// holds says whether the input in the state (its JSON value) holds n
	// targets.
	holds func(v any, n int) bool
	// typ is the state's JSON type of the input for users, for seeding a
	// state when the create did not finish within the cap.
	typ   func(users []string) any
	value func(users []string) any
}

func representations() []representation {
	arr := func(v any, n int) bool { a, ok := v.([]any); return ok && len(a) == n }
	return []representation{
		{name: "floor (a number)", expr: "length(var.users)",
			holds: func(v any, n int) bool { f, ok := v.(float64); return ok && int(f) == n },
			typ:   func([]string) any { return "number" }, value: func(u []string) any { return len(u) }},
		{name: "map", expr: `tomap({ for u in var.users : u => "" })`,
			holds: func(v any, n int) bool { m, ok := v.(map[string]any); return ok && len(m) == n },
			typ:   func([]string) any { return []any{"map", "string"} },
			value: func(u []string) any {
				m := make(map[string]string, len(u))
				for _, x := range u {
					m[x] = ""
				}
				return m
			}},
		{name: "list", expr: "var.users", holds: arr,
			typ: func([]string) any { return []any{"list", "string"} }, value: func(u []string) any { return u }},
		{name: "set", expr: "toset(var.users)", holds: arr,
			typ: func([]string) any { return []any{"set", "string"} }, value: func(u []string) any { return u }},
	}
}

// outcome is one capped phase: its figures, or that it was stopped at the
// cap, or that it did not run.
type outcome struct {
	d       time.Duration
	use     usage
	stopped bool
	skipped string
	note    string
}

var candidatePhases = []string{"create (apply)", "plan adding one target (rendered)", "apply adding one target", "plan -refresh-only"}

// benchCandidates measures every representation at every n; each phase is
// stopped at limit.
func benchCandidates(dir, rc string, ns []int, limit time.Duration) (string, error) {
	tfVersion := "terraform"
	var out strings.Builder
	if err := sh(dir, []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1"}, io{keep: &out}, "terraform", "version"); err == nil {
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "Terraform v") || strings.HasPrefix(l, "OpenTofu v") {
				tfVersion = l
				break
			}
		}
	}
	reps := representations()
	res := map[string][]outcome{}
	for _, n := range ns {
		for _, rep := range reps {
			fmt.Printf("\n==> terraform_data.input as %s, N=%d\n", rep.name, n)
			o, err := candidate(dir, rc, rep, n, limit)
			if err != nil {
				return "", fmt.Errorf("%s at N=%d: %w", rep.name, n, err)
			}
			res[fmt.Sprintf("%s/%d", rep.name, n)] = o
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Terraform core by representation: terraform_data.input holding N targets, %s, each phase capped at %s\n", tfVersion, limit)
	fmt.Fprintf(&b, "(wall time, CPU time of terraform, its peak RSS; × floor: wall time over the floor's at the same N)\n")
	for i, ph := range candidatePhases {
		fmt.Fprintf(&b, "%s\n", ph)
		fmt.Fprintf(&b, "  %-18s %6s %14s %8s %10s %12s\n", "representation", "N", "wall", "× floor", "core CPU", "core RSS")
		for _, n := range ns {
			fl := res[fmt.Sprintf("%s/%d", reps[0].name, n)][i]
			for _, rep := range reps {
				o := res[fmt.Sprintf("%s/%d", rep.name, n)][i]
				switch {
				case o.skipped != "":
					fmt.Fprintf(&b, "  %-18s %6d %14s\n", rep.name, n, o.skipped)
				case o.stopped:
					fmt.Fprintf(&b, "  %-18s %6d %14s %8s %10s %8.0f MiB   %s\n", rep.name, n, ">"+short(o.d)+" (stopped)", "—",
						o.use.coreCPU.Round(100*time.Millisecond), float64(o.use.coreHWM)/(1<<20), o.note)
				default:
					ratio := "—"
					if fl.d > 0 && !fl.stopped && fl.skipped == "" {
						ratio = fmt.Sprintf("%.1f×", o.d.Seconds()/fl.d.Seconds())
					}
					fmt.Fprintf(&b, "  %-18s %6d %14s %8s %10s %8.0f MiB   %s\n", rep.name, n, o.d.Round(10*time.Millisecond), ratio,
						o.use.coreCPU.Round(10*time.Millisecond), float64(o.use.coreHWM)/(1<<20), o.note)
				}
			}
		}
	}
	return b.String(), nil
}

// short renders a cap: 10m, 90s.
func short(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return d.Round(time.Second).String()
}

func candidate(dir, rc string, rep representation, n int, limit time.Duration) ([]outcome, error) {
	work := filepath.Join(dir, fmt.Sprintf("candidate-%s-%d", strings.Fields(rep.name)[0], n))
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	_, all := fixture(n + 1)
	users, extra := all[:n], all[n]
	cfg := fmt.Sprintf("variable \"users\" { type = list(string) }\nresource \"terraform_data\" \"t\" {\n  input = %s\n}\n", rep.expr)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	for name, u := range map[string][]string{"terraform.tfvars.json": users, plusOne: all} {
		vars, _ := json.Marshal(map[string]any{"users": u})
		if err := os.WriteFile(filepath.Join(work, name), vars, 0o644); err != nil {
			return nil, err
		}
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}
	if err := sh(work, env, io{quiet: true}, "terraform", "init", "-input=false", "-no-color"); err != nil {
		return nil, err
	}
	run := func(name string, args ...string) (outcome, string, error) {
		fmt.Printf("    terraform %s … ", strings.Join(args, " "))
		var keep strings.Builder
		stop := watchProcesses()
		start := time.Now()
		var ru syscall.Rusage
		stopped, err := capped(work, env, &keep, limit, &ru, "terraform", append(args, "-input=false", "-no-color")...)
		o := outcome{d: time.Since(start), use: stop(), stopped: stopped}
		if ru.Maxrss > 0 {
			o.use.coreHWM = ru.Maxrss * 1024
			o.use.coreCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		if stopped {
			o.d = limit
			fmt.Printf("stopped at %s\n", limit)
			return o, "", nil
		}
		if err != nil {
			return o, "", fmt.Errorf("%s: %w", name, err)
		}
		fmt.Printf("%s, core CPU %s, core RSS %.0f MiB\n", o.d.Round(10*time.Millisecond), o.use.coreCPU.Round(10*time.Millisecond), float64(o.use.coreHWM)/(1<<20))
		return o, keep.String(), nil
	}
	holds := func(k int) error {
		v, err := stateInput(filepath.Join(work, "terraform.tfstate"))
		if err != nil {
			return err
		}
		if !rep.holds(v, k) {
			return fmt.Errorf("the state's input does not hold %d targets", k)
		}
		return nil
	}
	out := make([]outcome, len(candidatePhases))
	var err error
	// create
	if out[0], _, err = run(candidatePhases[0], "apply", "-auto-approve"); err != nil {
		return nil, err
	}
	if out[0].stopped {
		// Seed the state the create would have written, so that the
		// phases after it are measured all the same.
		if err := seedState(work, rep, users); err != nil {
			return nil, err
		}
		out[0].note = "state seeded for the phases after it"
	}
	if err := holds(n); err != nil {
		return nil, fmt.Errorf("after create: %w", err)
	}
	// plan adding one target, rendered
	o, text, err := run(candidatePhases[1], "plan", "-var-file="+plusOne)
	if err != nil {
		return nil, err
	}
	want := extra
	if rep.name == reps0 {
		want = fmt.Sprintf("%d -> %d", n, n+1)
	}
	if !o.stopped {
		if !strings.Contains(text, want) {
			return nil, fmt.Errorf("the rendered plan adding one target does not show %q:\n%s", want, tail(text))
		}
		o.note = fmt.Sprintf("%d bytes rendered", len(text))
	}
	out[1] = o
	// apply adding one target
	if out[2], _, err = run(candidatePhases[2], "apply", "-auto-approve", "-var-file="+plusOne); err != nil {
		return nil, err
	}
	if !out[2].stopped {
		if err := holds(n + 1); err != nil {
			return nil, fmt.Errorf("after the apply adding one: %w", err)
		}
	} else {
		if err := seedState(work, rep, all); err != nil {
			return nil, err
		}
		out[2].note = "state seeded for the refresh"
	}
	// refresh
	o, text, err = run(candidatePhases[3], "plan", "-refresh-only", "-var-file="+plusOne)
	if err != nil {
		return nil, err
	}
	if !o.stopped && !strings.Contains(text, "No changes") {
		return nil, fmt.Errorf("the refresh-only plan found changes:\n%s", tail(text))
	}
	out[3] = o
	return out, nil
}

// reps0 is the floor's name.
const reps0 = "floor (a number)"

// stateInput is terraform_data.t's input in a local state file.
func stateInput(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st struct {
		Resources []struct {
			Instances []struct {
				Attributes struct {
					Input struct {
						Value any `json:"value"`
					} `json:"input"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	if len(st.Resources) != 1 || len(st.Resources[0].Instances) != 1 {
		return nil, errors.New("the state does not hold one terraform_data instance")
	}
	return st.Resources[0].Instances[0].Attributes.Input.Value, nil
}

// seedState writes the local state that an apply of users would have
// written, with a serial above any the directory's state had.
func seedState(work string, rep representation, users []string) error {
	path := filepath.Join(work, "terraform.tfstate")
	serial, lineage := 1, "b0000000-0000-4000-8000-00000000bead"
	if b, err := os.ReadFile(path); err == nil {
		var prev struct {
			Serial  int    `json:"serial"`
			Lineage string `json:"lineage"`
		}
		if json.Unmarshal(b, &prev) == nil && prev.Lineage != "" {
			serial, lineage = prev.Serial+1, prev.Lineage
		}
	}
	v := map[string]any{"value": rep.value(users), "type": rep.typ(users)}
	st := map[string]any{
		"version": 4, "terraform_version": "1.11.4", "serial": serial, "lineage": lineage, "outputs": map[string]any{},
		"resources": []any{map[string]any{
			"mode": "managed", "type": "terraform_data", "name": "t", "provider": `provider["terraform.io/builtin/terraform"]`,
			"instances": []any{map[string]any{"schema_version": 0, "sensitive_attributes": []any{},
				"attributes": map[string]any{"id": "b0000000-0000-4000-8000-0000000000da", "input": v, "output": v, "triggers_replace": nil}}},
		}},
		"check_results": nil,
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// capped runs a command in its own process group and kills the group
// when it runs longer than limit; stopped says it did. A command that
// finished leaves its CPU time and peak RSS in ru, from wait4 (exact for a
// command shorter than the 50 ms sampling).
func capped(dir string, env []string, keep *strings.Builder, limit time.Duration, ru *syscall.Rusage, name string, args ...string) (stopped bool, err error) {
	cmd := exec.CommandContext(context.Background(), name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = keep, keep
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return false, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if r, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			*ru = *r
		}
		if err != nil {
			return false, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(keep.String()))
		}
		return false, nil
	case <-time.After(limit):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		// A command that finished as it was stopped was not stopped.
		return <-done != nil, nil
	}
}

// candidatesLimit parses the cap of a phase.
func candidatesLimit(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	if m, err := strconv.Atoi(s); err == nil && m > 0 {
		return time.Duration(m) * time.Minute, nil
	}
	return 0, fmt.Errorf("bad cap %q: give a duration such as 10m", s)
}
