package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Durations as Graph takes them: P90D goes on the wire as P90D (the emulator,
// like Graph, refuses kiota's P12W6D), and what Graph cannot read is refused
// at plan time with what to write instead.
func TestAccAccessPackageAssignment_durations(t *testing.T) {
	srv, p := testEmulator(t, emulator.Options{})
	dur := func(d string) string {
		return fmt.Sprintf("  schedule = { expiration = { type = \"afterDuration\", duration = %q } }", d)
	}
	steps := []resource.TestStep{}
	for bad, msg := range map[string]string{
		"P1Y":    `(?s)years or months.*P365D`,
		"P3M":    `(?s)years or months.*P90D`,
		"P2W":    `(?s)weeks.*write P14D`,
		"PT1.5H": `(?s)fraction only on seconds.*write PT1H30M`,
		"P":      `(?s)empty duration`,
		"P0D":    `(?s)zero duration`,
	} {
		steps = append(steps, resource.TestStep{Config: assignmentConfig(p, polDirect, uAlice, dur(bad)), PlanOnly: true, ExpectError: errRE(msg)})
	}
	steps = append(steps, resource.TestStep{
		Config: assignmentConfig(p, polDirect, uAlice, dur("P90D")),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(res, tfjsonpath.New("schedule").AtMapKey("expiration").AtMapKey("duration"), knownvalue.StringExact("P90D")),
			expectRequest(srv, "adminAdd", uAlice, func(r emulator.RequestView) error {
				if r.Duration != "P90D" {
					return fmt.Errorf("Graph received duration %q, want P90D", r.Duration)
				}
				return nil
			}),
		},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroyed(srv, uAlice),
		Steps:                    steps,
	})
}
