package graph_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// A Graph that cannot be reached (nothing listens: the connection is
// refused) fails in seconds with a message that says nothing was sent,
// even for a write under a long deadline.
func TestUnreachableGraphFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := graph.New(graph.Config{BaseURL: "http://" + addr + "/v1.0", StaticToken: "t",
		Retry: graph.RetryPolicy{BaseDelay: 50 * time.Millisecond, MaxDelay: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	_, err = c.AddAssignment(ctx, graph.AddInput{AccessPackageID: "p", PolicyID: "q", TargetObjectID: "u"}, graph.DefaultPoll)
	if !graph.IsNotReached(err) || graph.IsAmbiguous(err) || !strings.Contains(err.Error(), "Graph was not reached, so nothing was sent") {
		t.Fatalf("err = %v", err)
	}
	// A few attempts, not retries until the 30-minute deadline.
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Attempts != 3 {
		t.Fatalf("attempts: %+v", ge)
	}
	if _, err := c.GetAssignment(ctx, "a"); !graph.IsNotReached(err) {
		t.Fatalf("read: %v", err)
	}
}

// An https URL pointed at a server that speaks plain http can never work:
// the first call fails at once (one attempt, no backoff) and says what to
// fix, and so does the token check the provider makes when it is configured.
func TestSchemeMismatchFailsAtOnce(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) }))
	defer hs.Close()
	c, err := graph.New(graph.Config{BaseURL: strings.Replace(hs.URL, "http://", "https://", 1) + "/v1.0", StaticToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	_, err = c.GetAssignment(ctx, "a")
	var ge *graph.Error
	if !errors.As(err, &ge) || !ge.Permanent || !ge.NotSent || ge.Attempts != 1 || !strings.Contains(err.Error(), "plain http, not TLS") {
		t.Fatalf("err = %v (%+v)", err, ge)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %s", took)
	}
	if err := c.CheckToken(ctx); !graph.IsPermanent(err) {
		t.Fatalf("CheckToken: %v", err)
	}
}
