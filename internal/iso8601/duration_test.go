package iso8601

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	base := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"P90D", base.AddDate(0, 0, 90)},
		{"p1y", base.AddDate(1, 0, 0)},
		{"P1M", base.AddDate(0, 1, 0)}, // calendar month: 31 Jan + 1 month normalises as Go's AddDate does
		{"P2W", base.AddDate(0, 0, 14)},
		{"PT12H", base.Add(12 * time.Hour)},
		{"PT1.5S", base.Add(1500 * time.Millisecond)},
		{"P1DT2H30M", base.AddDate(0, 0, 1).Add(150 * time.Minute)},
		{"P1Y2M10DT2H30M15S", base.AddDate(1, 2, 10).Add(2*time.Hour + 30*time.Minute + 15*time.Second)},
	} {
		d, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := d.AddTo(base); !got.Equal(tc.want) {
			t.Errorf("Parse(%q).AddTo = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "90D", "P90", "P1.5D", "PT1D", "P1H", "P-1D", "PTT1H", "P1DT", "P99999999D", "P1D2", "days"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if d, _ := Parse("PT0S"); !d.IsZero() {
		t.Error("PT0S is not zero")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"P90D", "PT12H", "P1Y2M10DT2H30M15S", "P", "PT1.5S", "P-1D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err == nil {
			_ = d.AddTo(time.Unix(0, 0)) // must not panic
		}
	})
}
