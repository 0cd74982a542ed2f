package emulator

import (
	"testing"
	"time"
)

func TestParseEdmDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"P90D": 90 * 24 * time.Hour, "PT4H": 4 * time.Hour, "P1DT12H": 36 * time.Hour, "PT90M": 90 * time.Minute,
		"PT0.5S": 500 * time.Millisecond, "P0D": 0, "-P1D": -24 * time.Hour,
	} {
		if got, err := parseEdmDuration(in); err != nil || got != want {
			t.Errorf("%s: %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"P12W6D", "P1Y", "P3M", "PT1.5H", "P", "PT", "P1DT", "p90d", "P99999999999D", "90D", ""} {
		if got, err := parseEdmDuration(bad); err == nil {
			t.Errorf("%s read as %v", bad, got)
		}
	}
}
