package provider

import (
	"os"
	"path/filepath"
	"strings"
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
	size := 0
	err := filepath.Walk(logDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		size += len(b)
		for _, s := range []string{token, secret} {
			if strings.Contains(string(b), s) {
				i := strings.Index(string(b), s)
				t.Errorf("%s contains a secret (%s…): …%s…", path, s[:8], string(b)[max(0, i-300):i+40])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if size < 100000 {
		t.Fatalf("only %d bytes of trace logs: the test did not see the logs", size)
	}
	t.Logf("searched %d bytes of TF_LOG=trace logs", size)
}
