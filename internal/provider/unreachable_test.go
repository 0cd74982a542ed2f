package provider

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// With nothing listening where Graph should be, a plan fails in seconds
// and says that Graph was not reached (so nothing was sent), rather than
// passing with its checks skipped, or retrying until the 30-minute timeout
// and warning that a request "may be open in Graph". An error, not a
// warning: the plan's checks did not run, and nothing could be applied.
func TestAccUnreachableGraphFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	must(t, ln.Close())
	p := fmt.Sprintf("provider \"entitlement\" {\n  graph_url    = \"http://%s\"\n  access_token = \"t\"\n}\n", addr)
	ds := p + fmt.Sprintf("data \"entitlement_access_package_assignments\" \"all\" {\n  access_package_id = %q\n}\n", pkgSales)
	var start time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: ds, ExpectError: errRE(`Graph cannot be reached.*Graph was not reached, so nothing was sent.*connection refused.*after 3 attempts`)},
			{
				PreConfig:   func() { start = time.Now() },
				Config:      assignmentConfig(p, polDirect, uAlice, ""),
				ExpectError: errRE(`Graph cannot be reached.*Graph was not reached, so nothing was sent`),
			},
		},
	})
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the plan of an assignment against an unreachable Graph took %s to fail", took)
	}
}

// A data source's read is bounded by its read timeout: a Graph that does
// not answer fails the plan instead of hanging it.
func TestAccDataSourceReadTimeout(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	must(t, srv.SetFaults([]emulator.Fault{{Route: "GET /assignments", Latency: emulator.Duration{D: time.Minute}}}))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      p + fmt.Sprintf("data \"entitlement_access_package_assignments\" \"all\" {\n  access_package_id = %q\n  timeouts = { read = \"2s\" }\n}\n", pkgSales),
			ExpectError: errRE(`(?s)context deadline exceeded`),
		}},
	})
}
