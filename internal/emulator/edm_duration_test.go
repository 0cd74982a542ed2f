package emulator_test

import (
	"fmt"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Graph reads expirationPattern.duration as an Edm.Duration: days and time
// only. What it cannot read is a 400, as from Graph.
func TestDurationsAsGraphReadsThem(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	post := func(target, dur string) (int, map[string]any) {
		body := map[string]any{"requestType": "adminAdd",
			"assignment": map[string]any{"targetId": target, "assignmentPolicyId": polDirect, "accessPackageId": pkgA},
			"schedule":   map[string]any{"startDateTime": "2030-01-01T00:00:00Z", "expiration": map[string]any{"type": "afterDuration", "duration": dur}}}
		st, _, m := e.raw("POST", em+"/assignmentRequests", e.srv.Token(), body, nil)
		return st, m
	}
	users := []string{alice, bob, carol}
	for i, ok := range []string{"P90D", "PT4H", "P1DT12H"} {
		if st, m := post(users[i], ok); st != 201 {
			t.Errorf("%s: %d %v", ok, st, m)
		}
	}
	for _, bad := range []string{"P12W6D", "P2W", "P1Y", "P3M", "PT1.5H", "P", "PT", "p90d", "P1M2D"} {
		st, m := post(alice, bad)
		errObj, _ := m["error"].(map[string]any)
		if st != 400 || errObj["message"] != fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.Duration'.", bad) {
			t.Errorf("%s: %d %v", bad, st, m)
		}
	}
}
