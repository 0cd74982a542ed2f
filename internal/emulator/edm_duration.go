package emulator

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Edm.Duration as Graph reads it. Graph services deserialise with ODataLib,
// whose EdmValueParser.ParseDuration first requires the value to match
// ^[^YM]*[DT].*$ (no year or month fields before the first D or T) and then
// parses it with .NET's XmlConvert.ToTimeSpan: an optional sign, P, then
// days, and after T hours, minutes and seconds, each an integer but for a
// fraction on the seconds; at least one field, and T followed by at least
// one. Weeks are not part of that grammar. This is written from ODataLib's
// rules, independently of the provider's own check.

var edmDayTime = regexp.MustCompile(`^[^YM]*[DT].*$`)

// xsdDuration is XmlConvert.ToTimeSpan's grammar, restricted by edmDayTime
// to days and time.
var xsdDuration = regexp.MustCompile(`^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$`)

// maxTimeSpan is .NET's TimeSpan.MaxValue, about 10,675,199 days.
const maxTimeSpan = time.Duration(1<<63 - 1)

// parseEdmDuration reads an Edm.Duration as Graph does.
func parseEdmDuration(s string) (time.Duration, error) {
	if !edmDayTime.MatchString(s) {
		return 0, fmt.Errorf("a duration may not have year or month fields")
	}
	m := xsdDuration.FindStringSubmatch(s)
	if m == nil || strings.HasSuffix(s, "T") || s == "P" || s == "-P" {
		return 0, fmt.Errorf("not a day-time duration")
	}
	if m[2] != "" || m[3] != "" {
		return 0, fmt.Errorf("a duration may not have year or month fields")
	}
	var total time.Duration
	for _, f := range []struct {
		v    string
		unit time.Duration
	}{{m[4], 24 * time.Hour}, {m[5], time.Hour}, {m[6], time.Minute}, {m[7], time.Second}} {
		if f.v == "" {
			continue
		}
		n, err := strconv.ParseInt(f.v, 10, 64)
		if err != nil || n > int64(maxTimeSpan/f.unit) {
			return 0, fmt.Errorf("out of range")
		}
		total += time.Duration(n) * f.unit
		if total < 0 {
			return 0, fmt.Errorf("out of range")
		}
	}
	if m[8] != "" {
		frac, err := strconv.ParseFloat("0."+m[8], 64)
		if err != nil {
			return 0, err
		}
		total += time.Duration(frac * float64(time.Second))
	}
	if m[1] == "-" {
		total = -total
	}
	return total, nil
}

// invalidDuration is Graph's answer to a duration it cannot read: ODataLib's
// message; the code is [INF] (a generic BadRequest).
func invalidDuration(s string) *graphError {
	return badRequest("Cannot convert the literal '%s' to the expected type 'Edm.Duration'.", s)
}
