package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	fixture "github.com/accessgov/terraform-provider-entitlement/examples/emulator"
)

// The built emulator, run from an empty folder as a user of the released
// binary would, serves the built-in fixture; -fixture none serves an empty
// tenant; EMULATOR_FIXTURE names a file that replaces the fixture.
func TestBinaryRunsFromAnEmptyFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the emulator")
	}
	bin := filepath.Join(t.TempDir(), "entitlement-emulator")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	var shipped struct {
		AccessPackages []struct {
			DisplayName string `json:"displayName"`
		} `json:"accessPackages"`
	}
	if err := json.Unmarshal(fixture.JSON, &shipped); err != nil {
		t.Fatal(err)
	}
	if len(shipped.AccessPackages) == 0 {
		t.Fatal("the shipped fixture has no access package")
	}
	names := func(t *testing.T, env []string, args ...string) []string {
		t.Helper()
		url, token := start(t, bin, env, args...)
		return packageNames(t, url, token)
	}

	t.Run("built-in fixture", func(t *testing.T) {
		got := names(t, nil)
		if len(got) != len(shipped.AccessPackages) || !contains(got, shipped.AccessPackages[0].DisplayName) {
			t.Errorf("access packages %v, want the %d of the shipped fixture", got, len(shipped.AccessPackages))
		}
	})
	t.Run("none", func(t *testing.T) {
		if got := names(t, []string{"EMULATOR_FIXTURE=x.json"}, "-fixture", "none"); len(got) != 0 {
			t.Errorf("access packages %v, want none (the flag wins over EMULATOR_FIXTURE)", got)
		}
	})
	t.Run("file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "mine.json")
		mine := `{"catalogs":[{"id":"0d1e2f30-0000-4000-8000-000000000001","displayName":"Mine"}],
"accessPackages":[{"id":"0d1e2f30-0000-4000-8000-000000000002","displayName":"Only mine","catalog":{"id":"0d1e2f30-0000-4000-8000-000000000001"}}]}`
		if err := os.WriteFile(f, []byte(mine), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := names(t, []string{"EMULATOR_FIXTURE=" + f}); len(got) != 1 || got[0] != "Only mine" {
			t.Errorf("access packages %v, want [Only mine]", got)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		cmd := exec.Command(bin, "-fixture", filepath.Join(t.TempDir(), "nope.json"), "-addr", "127.0.0.1:0")
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "nope.json") {
			t.Errorf("err %v, output %q: want a failure naming the file", err, out)
		}
	})
}

// start runs the emulator from an empty folder on a free port and returns
// its URL and token, read from what it prints; it is stopped at the end.
func start(t *testing.T, bin string, env []string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	vars := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vars[k] = v
		}
		if vars["EMULATOR_URL"] != "" && vars["EMULATOR_TOKEN"] != "" && vars["EMULATOR_TENANT_ID"] != "" {
			break
		}
	}
	if vars["EMULATOR_URL"] == "" || vars["EMULATOR_TOKEN"] == "" {
		t.Fatalf("the emulator printed %v before ending; stderr: %s", vars, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return vars["EMULATOR_URL"], vars["EMULATOR_TOKEN"]
}

func packageNames(t *testing.T, url, token string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1.0/identityGovernance/entitlementManagement/accessPackages", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET accessPackages: %s %s", resp.Status, body)
	}
	var page struct {
		Value []struct {
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(page.Value))
	for _, p := range page.Value {
		out = append(out, p.DisplayName)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
