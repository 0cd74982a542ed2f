package provider

import (
	"context"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func ts(s string) *time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return &t
}

func exp(typ, end, dur string) expirationModel {
	v := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	return expirationModel{Type: v(typ), EndDateTime: v(end), Duration: v(dur)}
}

func TestExpirationEquivalent(t *testing.T) {
	start := ts("2026-01-01T00:00:00Z")
	for _, tc := range []struct {
		name string
		em   expirationModel
		g    graph.Schedule
		want bool
	}{
		{"no expiration", exp("noExpiration", "", ""), graph.Schedule{ExpirationType: "noExpiration"}, true},
		{"notSpecified reads as none", exp("noExpiration", "", ""), graph.Schedule{ExpirationType: "notSpecified"}, true},
		{"same end, other spelling", exp("afterDateTime", "2027-01-01T01:00:00+01:00", ""), graph.Schedule{ExpirationType: "afterDateTime", End: ts("2027-01-01T00:00:00Z")}, true},
		{"other end", exp("afterDateTime", "2027-01-02T00:00:00Z", ""), graph.Schedule{ExpirationType: "afterDateTime", End: ts("2027-01-01T00:00:00Z")}, false},
		{"duration as end date", exp("afterDuration", "", "P90D"), graph.Schedule{Start: start, ExpirationType: "afterDateTime", End: ts("2026-04-01T00:00:00Z")}, true},
		{"duration drifted", exp("afterDuration", "", "P90D"), graph.Schedule{Start: start, ExpirationType: "afterDateTime", End: ts("2026-05-01T00:00:00Z")}, false},
		{"duration kept as duration", exp("afterDuration", "", "PT12H"), graph.Schedule{Start: start, ExpirationType: "afterDuration", Duration: "PT12H"}, true},
		{"removed expiry", exp("afterDateTime", "2027-01-01T00:00:00Z", ""), graph.Schedule{ExpirationType: "noExpiration"}, false},
	} {
		if got := expirationEquivalent(tc.em, &tc.g); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMergeSchedule(t *testing.T) {
	ctx := context.Background()
	g := &graph.Schedule{Start: ts("2026-01-01T00:00:00Z"), ExpirationType: "afterDateTime", End: ts("2026-04-01T00:00:00Z")}
	// Unknown prior (create without a schedule, or import): Graph's values.
	got, diags := mergeSchedule(ctx, types.ObjectUnknown(scheduleAttrTypes), g)
	if diags.HasError() {
		t.Fatal(diags)
	}
	want, _ := types.ObjectValue(scheduleAttrTypes, map[string]attr.Value{
		"start_date_time": types.StringValue("2026-01-01T00:00:00Z"),
		"expiration":      expirationObject(types.StringValue("afterDateTime"), types.StringValue("2026-04-01T00:00:00Z"), types.StringNull()),
	})
	if !got.Equal(want) {
		t.Fatalf("from Graph: %v", got)
	}
	// The user's spelling survives while it means the same.
	prior, _ := types.ObjectValue(scheduleAttrTypes, map[string]attr.Value{
		"start_date_time": types.StringValue("2026-01-01T01:00:00+01:00"),
		"expiration":      expirationObject(types.StringValue("afterDuration"), types.StringNull(), types.StringValue("P90D")),
	})
	if got, _ = mergeSchedule(ctx, prior, g); !got.Equal(prior) {
		t.Fatalf("equivalent prior not kept: %v", got)
	}
	// Drift shows.
	g.End = ts("2026-03-01T00:00:00Z")
	if got, _ = mergeSchedule(ctx, prior, g); got.Equal(prior) {
		t.Fatal("drift hidden")
	}
}

// The defaults in the timeouts' descriptions read as durations (a regression:
// 30m0s was written as "3").
func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Minute: "30m", 5 * time.Minute: "5m", 2 * time.Hour: "2h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s", 10 * time.Minute: "10m"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
