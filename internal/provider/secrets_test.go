package provider

import (
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// A whole create / refresh / destroy at TF_LOG=trace, Terraform's and the
// provider's logs (and the test harness's) searched for the bearer token and
// a client secret: neither may appear.
func TestAccSecretsNotLogged(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	const token, secret = "tok-4f1c2b7e9d0a-never-log-me", "sec-8e2d5a1b7c3f-never-log-me"
	srv, url := startEmulator(t, emulator.Options{Token: token})
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "trace")
	t.Setenv("TF_ACC_LOG_PATH", filepath.Join(logDir, "terraform.log"))
	// As a pipeline passes them: the token through a sensitive variable, the
	// client secret through the azuread provider's environment variable.
	t.Setenv("TF_VAR_graph_token", token)
	t.Setenv("ARM_CLIENT_SECRET", secret)
	t.Setenv("ARM_TENANT_ID", "46184453-e63b-4f20-86c2-c557ed5d5df9")
	t.Setenv("ARM_CLIENT_ID", "46184453-e63b-4f20-86c2-c557ed5d5df9")
	p := `
variable "graph_token" {
  type      = string
  sensitive = true
}
provider "entitlement" {
  graph_url    = "` + url + `"
  access_token = var.graph_token
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps:                    []resource.TestStep{{Config: assignmentConfig(p, polDirect, uAlice, "")}},
	})
	size := searchLogs(t, logDir, map[string]string{"bearer token": token, "client secret": secret}, false)
	t.Logf("searched %d bytes of TF_LOG=trace logs", size)
	// The trace of every Graph call is there: one DEBUG line per call with
	// its method, path, status, attempt and both request ids, and a TRACE
	// line with its bodies.
	logs, err := os.ReadFile(filepath.Join(logDir, "terraform.log"))
	must(t, err)
	var calls, posts, bodies, adds int // posts: the adminAdd and, at destroy, the adminRemove
	for _, line := range strings.Split(string(logs), "\n") {
		switch {
		case strings.Contains(line, "[DEBUG]") && strings.Contains(line, "graph call:"):
			calls++
			for _, f := range []string{"graph_method=", "graph_path=", "graph_status=", "graph_attempt=", "graph_duration_ms=", "graph_request_id=", "graph_client_request_id="} {
				if !strings.Contains(line, f) {
					t.Fatalf("a graph call line has no %s: %s", f, line)
				}
			}
			if strings.Contains(line, "graph_method=POST") && strings.Contains(line, "graph_status=201") {
				posts++
			}
		case strings.Contains(line, "[TRACE]") && strings.Contains(line, "graph call bodies:") && strings.Contains(line, "Authorization: Bearer ***"):
			bodies++
			// The request body, gzipped on the wire, reads as JSON.
			if strings.Contains(line, `graph_request_body="{\"assignment\"`) && strings.Contains(line, `\"requestType\":\"adminAdd\"`) {
				adds++
			}
		}
	}
	if calls < 3 || posts != 2 || bodies < calls || adds != 1 {
		t.Fatalf("%d graph call lines (%d POSTs answered 201), %d body lines with the token masked, %d with the adminAdd's body", calls, posts, bodies, adds)
	}
	t.Logf("%d graph call lines, %d with bodies", calls, bodies)
}

// Three credentials, one per step (a password-protected
// certificate, a client secret, a GitHub Actions OIDC token) at
// TF_LOG=trace: the logs hold no secret, no password, no request token, no
// token the emulator issued, and nothing shaped like a JWT at all (which
// covers the client assertions that MSAL signs and never shows us).
func TestAccSecretsNotLogged_credentials(t *testing.T) {
	w := newAuthWorld(t)
	const ghToken = "gh-request-token-never-log-Zp4"
	path, err := w.srv.AddCIJob(emulator.CIJob{Kind: "github", RequestToken: ghToken, Subject: ghSubject})
	if err != nil {
		t.Fatal(err)
	}
	pfx := base64.StdEncoding.EncodeToString(w.cert.pfx)
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "trace")
	t.Setenv("TF_ACC_LOG_PATH", filepath.Join(logDir, "terraform.log"))
	t.Setenv("TF_VAR_pfx", pfx)
	t.Setenv("TF_VAR_pfx_password", certPass)
	t.Setenv("TF_VAR_secret", testSecret)
	t.Setenv("ARM_OIDC_REQUEST_TOKEN", ghToken)
	// One provider block per step: aliases would share the in-process
	// provider server, which Terraform never does (one plugin per alias).
	vars := `
variable "pfx" {
  type      = string
  sensitive = true
}
variable "pfx_password" {
  type      = string
  sensitive = true
}
variable "secret" {
  type      = string
  sensitive = true
}
`
	step := func(settings, target string) resource.TestStep {
		return resource.TestStep{Config: vars + w.provider(settings) + fmt.Sprintf(`
resource "entitlement_access_package_assignment" "test" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_id     = %q
}
`, pkgSales, polDirect, target)}
	}
	ids := fmt.Sprintf("tenant_id = %q\n", emulator.DefaultTenantID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(ids+fmt.Sprintf("client_id = %q\nclient_certificate = var.pfx\nclient_certificate_password = var.pfx_password", appCert), uAlice),
			step(ids+fmt.Sprintf("client_id = %q\nclient_secret = var.secret", appSecret), uBob),
			step(ids+fmt.Sprintf("client_id = %q\nuse_oidc = true\noidc_request_url = %q", appFed, w.root+path), uCarol),
		},
	})
	if c := w.srv.AuthCounts(); c["token client_certificate"] == 0 || c["token client_secret"] == 0 || c["token federated"] == 0 {
		t.Fatalf("not every credential was used: %v", c)
	}
	secrets := map[string]string{"client secret": testSecret, "certificate password": certPass, "certificate": pfx[:64], "GitHub request token": ghToken}
	for i, tok := range w.srv.IssuedTokens() {
		secrets[fmt.Sprintf("issued token %d", i)] = tok
	}
	if len(secrets) < 4+4 {
		t.Fatalf("only %d secrets to look for: the emulator issued too few tokens", len(secrets))
	}
	size := searchLogs(t, logDir, secrets, true)
	// The azidentity events are in the logs (routed), so the search covered them.
	logs, err := os.ReadFile(filepath.Join(logDir, "terraform.log"))
	must(t, err)
	if !strings.Contains(string(logs), "acquired a token") {
		t.Error("no azidentity event in the logs: they are not routed into tflog")
	}
	t.Logf("searched %d bytes of TF_LOG=trace logs for %d secrets", size, len(secrets))
}

// searchLogs reads every log file under dir and fails the test for each
// secret found (and, with jwts, anything shaped like a JWT). It returns how
// many bytes it read, and fails when there are too few to have been the
// logs of a run.
func searchLogs(t *testing.T, dir string, secrets map[string]string, jwts bool) int {
	t.Helper()
	size := 0
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		size += len(b)
		for name, s := range secrets {
			if i := strings.Index(string(b), s); i >= 0 {
				t.Errorf("%s contains the %s: …%s…", path, name, string(b)[max(0, i-200):i+20])
			}
		}
		if m := jwtPattern.FindString(string(b)); jwts && m != "" {
			t.Errorf("%s contains something shaped like a JWT: %.40s…", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if size < 100000 {
		t.Fatalf("only %d bytes of trace logs: the test did not see the logs", size)
	}
	return size
}

// URLs that would carry the token elsewhere are refused at plan time, before
// anything is sent: a loopback listener that the forbidden forms point at
// (with a password, a query, a fragment, a path) receives no connection, a
// host name that only starts with "127." is refused without being looked
// up, and the password appears in no log at TF_LOG=trace.
func TestAccSecretsNoTokenLeavesThroughGraphURL(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	const token, password = "tok-9a7b3c-never-leaves", "pa55-6d2e-never-log-me"
	var connections atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connections.Add(1)
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "trace")
	t.Setenv("TF_ACC_LOG_PATH", filepath.Join(logDir, "terraform.log"))
	t.Setenv("ENTITLEMENT_GRAPH_URL", "")
	// As a pipeline passes them: sensitive variables from the environment.
	t.Setenv("TF_VAR_graph_token", token)
	p := `
variable "graph_url" {
  type      = string
  sensitive = true
}
variable "graph_token" {
  type      = string
  sensitive = true
}
provider "entitlement" {
  graph_url    = var.graph_url
  access_token = var.graph_token
}
`
	var steps []resource.TestStep
	for _, tc := range []struct{ url, msg string }{
		{"http://user:" + password + "@" + addr, "user name or password"},
		{"http://" + addr + "/?x=1", "query or a fragment"},
		{"http://" + addr + "/#frag", "query or a fragment"},
		{"http://" + addr + "/v2", "has a path"},
		{"http://127.attacker.example.com:" + strings.Split(addr, ":")[1], "not a loopback address"},
		{"", "it is empty"},
	} {
		url := tc.url
		steps = append(steps, resource.TestStep{PreConfig: func() { t.Setenv("TF_VAR_graph_url", url) },
			Config: assignmentConfig(p, polDirect, uAlice, ""), PlanOnly: true,
			ExpectError: errRE(`(?s)Invalid graph_url.*` + tc.msg)})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
	if n := connections.Load(); n != 0 {
		t.Fatalf("the listener received %d connections", n)
	}
	searchLogs(t, logDir, map[string]string{"password in graph_url": password, "bearer token": token}, false)
}
