package graph

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/microsoft/kiota-abstractions-go/serialization"

	"github.com/accessgov/terraform-provider-entitlement/internal/iso8601"
)

// Durations as Graph takes them. expirationPattern.duration is an
// Edm.Duration, which Graph reads with ODataLib: the value must match
// ^[^YM]*[DT].*$ (no year or month fields) and then parse as an XML Schema
// day-time duration (no week field, a fraction only on seconds). So Graph
// takes P90D, PT4H, P1DT12H, PT90M and PT0.5S, and refuses P1Y, P3M, P2W,
// P12W6D, PT1.5H, P and PT. The client never writes a duration through
// kiota's ISODuration, whose String() turns P90D into P12W6D.

var dayTimeDuration = regexp.MustCompile(`^P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$`)

// CheckDuration says whether Graph accepts a duration as an expiration, and
// if not, what to write instead. A zero or negative duration parses as an
// Edm.Duration, but it asks for access that ends as it starts (or before):
// it is refused too (our inference; Graph documents no lower bound).
func CheckDuration(s string) error {
	u := strings.ToUpper(strings.TrimSpace(s))
	if strings.HasPrefix(u, "-") {
		return fmt.Errorf("%s is a negative duration: the access would end before it starts; write a positive one, such as P90D", s)
	}
	if dayTimeDuration.MatchString(u) && u != "P" && !strings.HasSuffix(u, "T") {
		if d, ok := DurationLength(u); ok && d == 0 {
			return fmt.Errorf("%q is a zero duration: the access would end as it starts", s)
		}
		return nil
	}
	d, err := iso8601.Parse(s)
	if err != nil {
		if u == "P" || u == "PT" {
			return fmt.Errorf("%q is an empty duration: write the days or the time, such as P90D or PT8H", s)
		}
		return fmt.Errorf("%w; write days and time, such as P90D, PT8H or P1DT12H", err)
	}
	switch {
	case d.Years > 0 || d.Months > 0:
		days := d.Years*365 + d.Months*30 + d.Weeks*7 + d.Days
		return fmt.Errorf("%s has years or months, which Graph does not accept in a duration: a month has no fixed number of days, so write the days you mean, such as P%dD", s, days)
	case d.Weeks > 0:
		return fmt.Errorf("%s has weeks, which Graph does not accept in a duration: write %s", s, FormatDuration(time.Duration(d.Weeks*7+d.Days)*24*time.Hour+d.Clock))
	case d.IsZero():
		return fmt.Errorf("%q is an empty duration: write the days or the time, such as P90D or PT8H", s)
	}
	return fmt.Errorf("%s has a fraction of an hour or a minute; Graph accepts a fraction only on seconds: write %s", s, FormatDuration(d.Clock+time.Duration(d.Days)*24*time.Hour))
}

// FormatDuration writes a duration in the days-and-time form Graph accepts:
// whole days, then hours, minutes and seconds (with a fraction only on
// seconds). Zero is PT0S.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("P")
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dD", days)
		d %= 24 * time.Hour
	}
	if d == 0 {
		return b.String()
	}
	b.WriteString("T")
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
		d %= time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
		d %= time.Minute
	}
	if d > 0 {
		b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S")
	}
	return b.String()
}

// DurationLength is the length of a day-time duration (days of 24 hours).
func DurationLength(s string) (time.Duration, bool) {
	d, err := iso8601.Parse(s)
	if err != nil || d.Years > 0 || d.Months > 0 {
		return 0, false
	}
	return time.Duration(d.Weeks*7+d.Days)*24*time.Hour + d.Clock, true
}

// durationFromSDK turns what kiota parsed from Graph's answer back into the
// days-and-time form, whatever form Graph wrote it in.
func durationFromSDK(d *serialization.ISODuration) string {
	days := d.GetYears()*365 + d.GetWeeks()*7 + d.GetDays()
	total := time.Duration(days)*24*time.Hour + time.Duration(d.GetHours())*time.Hour +
		time.Duration(d.GetMinutes())*time.Minute + time.Duration(d.GetSeconds())*time.Second +
		time.Duration(d.GetMilliSeconds())*time.Millisecond
	return FormatDuration(total)
}
