package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckDuration(t *testing.T) {
	for _, ok := range []string{"P90D", "PT4H", "P1DT12H", "PT90M", "PT0.5S", "P365D", "p30d"} {
		if err := CheckDuration(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for in, hint := range map[string]string{
		"P1Y": "P365D", "P3M": "P90D", "P2W": "write P14D", "P12W6D": "write P90D", "PT1.5H": "write PT1H30M",
		"P": "empty duration", "PT": "empty duration", "90D": "must start with P", "P1.5D": "whole numbers",
		"P0D": "zero duration", "PT0S": "zero duration", "P0DT0H0M0S": "zero duration", "-P1D": "negative duration", "-PT1H": "negative duration",
	} {
		err := CheckDuration(in)
		if err == nil || !strings.Contains(err.Error(), hint) {
			t.Errorf("%s: %v, want a message with %q", in, err, hint)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * 24 * time.Hour: "P90D", 36 * time.Hour: "P1DT12H", 90 * time.Minute: "PT1H30M", 1500 * time.Millisecond: "PT1.5S", 0: "PT0S",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}

// P90D goes on the wire as P90D, not as kiota's P12W6D.
func TestDurationOnTheWire(t *testing.T) {
	var body string
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){func(r *http.Request) (*http.Response, error) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return nil, err
			}
			if raw, err = io.ReadAll(zr); err != nil {
				return nil, err
			}
		}
		body = string(raw)
		return answer(201, requestJSON)(r)
	}}}
	c := testClient(t, ft)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := c.SubmitAdd(context.Background(), AddInput{AccessPackageID: "p", PolicyID: "q", TargetObjectID: "u",
		Schedule: &Schedule{Start: &start, ExpirationType: "afterDuration", Duration: "P90D"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, `"duration":"P90D"`) || strings.Contains(body, "W") {
		t.Fatalf("body sent: %s", body)
	}
}

// Graph may answer a duration in another form of the same length: it matches.
func TestExpirationMatchesEquivalentDurations(t *testing.T) {
	want := &Schedule{ExpirationType: "afterDuration", Duration: "P90D"}
	for _, got := range []string{"P90D", "PT2160H", "P12W6D"} {
		if !ExpirationMatches(want, &Schedule{ExpirationType: "afterDuration", Duration: got}) {
			t.Errorf("%s does not match P90D", got)
		}
	}
	if ExpirationMatches(want, &Schedule{ExpirationType: "afterDuration", Duration: "P91D"}) {
		t.Error("P91D matches P90D")
	}
}

// Request bodies go as plain JSON: gzip would cost a writer of over a
// megabyte per request for a body of a few hundred bytes.
func TestRequestBodiesAreNotCompressed(t *testing.T) {
	var encoding, body string
	ft := &fakeTransport{answers: []func(*http.Request) (*http.Response, error){func(r *http.Request) (*http.Response, error) {
		encoding = r.Header.Get("Content-Encoding")
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		body = string(raw)
		return answer(201, requestJSON)(r)
	}}}
	c := testClient(t, ft)
	if _, err := c.SubmitAdd(context.Background(), AddInput{AccessPackageID: "p", PolicyID: "q", TargetObjectID: "u"}); err != nil {
		t.Fatal(err)
	}
	if encoding != "" || !strings.HasPrefix(body, "{") {
		t.Fatalf("Content-Encoding %q, body %q", encoding, body)
	}
}
