// Package iso8601 parses the ISO 8601 durations that Microsoft Graph uses in
// entitlement-management schedules (for example "P90D" or "PT12H").
//
// It is shared by the emulator, which adds durations to dates the way Graph
// does, and by the provider, which validates them at plan time.
package iso8601

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a parsed ISO 8601 duration. Years, months and days are kept
// apart from the clock part because they are calendar units: P1M added to
// 31 January is not the same number of hours as P1M added to 1 June.
type Duration struct {
	Years, Months, Weeks, Days int
	Clock                      time.Duration
}

// Parse reads an ISO 8601 duration such as "P1Y2M10DT2H30M" or "P2W".
// Negative durations and fractional calendar units are rejected: Graph's
// schedules never use them.
func Parse(s string) (Duration, error) {
	var d Duration
	if len(s) < 2 || (s[0] != 'P' && s[0] != 'p') {
		return d, fmt.Errorf("%q is not an ISO 8601 duration: it must start with P, as in P90D or PT12H", s)
	}
	rest := strings.ToUpper(s[1:])
	inTime := false
	seen := false
	for len(rest) > 0 {
		if rest[0] == 'T' {
			if inTime {
				return d, fmt.Errorf("%q is not an ISO 8601 duration: T appears twice", s)
			}
			inTime = true
			rest = rest[1:]
			if len(rest) == 0 {
				return d, fmt.Errorf("%q is not an ISO 8601 duration: nothing follows T", s)
			}
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return d, fmt.Errorf("%q is not an ISO 8601 duration: expected a number followed by a unit", s)
		}
		num, unit := rest[:i], rest[i]
		rest = rest[i+1:]
		seen = true
		if inTime {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f > 1e9 {
				return d, fmt.Errorf("%q is not an ISO 8601 duration: bad number %q", s, num)
			}
			var per time.Duration
			switch unit {
			case 'H':
				per = time.Hour
			case 'M':
				per = time.Minute
			case 'S':
				per = time.Second
			default:
				return d, fmt.Errorf("%q is not an ISO 8601 duration: unit %q is not allowed after T", s, unit)
			}
			// A time.Duration holds about 292 years; past that the
			// conversion would wrap around.
			if f*float64(per) >= float64(math.MaxInt64-d.Clock) {
				return d, fmt.Errorf("%q is not a duration this provider can hold: its time part is longer than 290 years", s)
			}
			d.Clock += time.Duration(f * float64(per))
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n > 100000 {
			return d, fmt.Errorf("%q is not an ISO 8601 duration: bad number %q (date parts must be whole numbers)", s, num)
		}
		switch unit {
		case 'Y':
			d.Years += n
		case 'M':
			d.Months += n
		case 'W':
			d.Weeks += n
		case 'D':
			d.Days += n
		default:
			return d, fmt.Errorf("%q is not an ISO 8601 duration: unit %q is not allowed before T", s, unit)
		}
	}
	if !seen {
		return d, fmt.Errorf("%q is not an ISO 8601 duration: it has no parts", s)
	}
	return d, nil
}

// AddTo returns t moved forward by the duration, calendar parts first.
func (d Duration) AddTo(t time.Time) time.Time {
	return t.AddDate(d.Years, d.Months, d.Weeks*7+d.Days).Add(d.Clock)
}

// IsZero reports whether the duration adds nothing.
func (d Duration) IsZero() bool {
	return d.Years == 0 && d.Months == 0 && d.Weeks == 0 && d.Days == 0 && d.Clock == 0
}
