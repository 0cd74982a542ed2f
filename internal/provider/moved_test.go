package provider

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The reprocess and resume resources were named entitlement_assignment_request_*
// before the first release. A moved block carries their state to the new
// names without running the action again (Terraform 1.8 and later).
func TestAccMovedFromEarlierNames(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	srv, url := startEmulator(t, emulator.Options{Fixture: accFixture()})
	id := failedRequest(t, srv, uAlice, "deliveryFailed", 1)
	r := newExampleRun(t, srv, url)
	attrs := map[string]any{"id": id, "request_id": id, "triggers": nil, "wait_for_completion": true, "reprocessed": true,
		"state": "delivered", "status": "Delivered", "completed_date_time": "2026-01-01T00:00:00Z", "timeouts": nil}
	state := map[string]any{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "2b1c7e0e-0000-4000-8000-000000000001", "outputs": map[string]any{},
		"resources": []any{map[string]any{"mode": "managed", "type": "entitlement_assignment_request_reprocess", "name": "retry",
			"provider": `provider["` + providerAddress + `"]`, "instances": []any{map[string]any{"schema_version": 0, "attributes": attrs}}}}}
	b, err := json.Marshal(state)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(r.dir, "terraform.tfstate"), b, 0o644))
	cfg := `resource "entitlement_access_package_assignment_request_reprocess" "retry" {
  request_id = "` + id + `"
}

moved {
  from = entitlement_assignment_request_reprocess.retry
  to   = entitlement_access_package_assignment_request_reprocess.retry
}
`
	must(t, os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(cfg), 0o644))
	r.tf(0, "init", "-input=false")
	out := r.tf(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "has moved to entitlement_access_package_assignment_request_reprocess.retry") || !strings.Contains(out, "0 to add, 0 to change, 0 to destroy") {
		t.Fatalf("the apply did not only move the state:\n%s", out)
	}
	if n := srv.Count(reprocessURL); n != 0 {
		t.Fatalf("moving the state reprocessed the request %d times", n)
	}
	if list := r.tf(0, "state", "list"); strings.TrimSpace(list) != "entitlement_access_package_assignment_request_reprocess.retry" {
		t.Fatalf("state list: %s", list)
	}
	r.tf(0, "plan", "-input=false", "-detailed-exitcode")
}
