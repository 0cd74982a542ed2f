package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

func TestProfileSet(t *testing.T) {
	if os.Getenv("PROFILE_SET") == "" {
		t.Skip()
	}
	f := accFixture()
	var users []string
	for i := 0; i < 5000; i++ {
		id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i+1)
		users = append(users, id)
		f.Users = append(f.Users, map[string]any{"id": id, "displayName": "U", "userPrincipalName": fmt.Sprintf("u%d@t.test", i)})
	}
	srv, url := startEmulator(t, emulator.Options{Fixture: f, DeliveryDelay: time.Millisecond})
	r := newExampleRun(t, srv, url)
	vars, _ := json.Marshal(map[string]any{"users": users})
	must(t, os.WriteFile(filepath.Join(r.dir, "terraform.tfvars.json"), vars, 0o644))
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(fmt.Sprintf(`
variable "users" { type = list(string) }
resource "entitlement_access_package_assignments" "all" {
  access_package_id    = %q
  assignment_policy_id = %q
  target_object_ids    = var.users
}
`, pkgSales, polDirect)), 0o644))
	r.tf(0, "init")
	start := time.Now()
	r.tf(0, "apply", "-auto-approve")
	t.Logf("apply %s", time.Since(start))
	start = time.Now()
	r.tf(0, "plan", "-refresh-only")
	t.Logf("refresh %s", time.Since(start))
	start = time.Now()
	r.tf(0, "plan", "-refresh=false")
	t.Logf("plan %s", time.Since(start))
}
