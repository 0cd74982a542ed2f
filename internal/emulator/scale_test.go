package emulator_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// scaleFixture is the test fixture plus n users, each with an assignment to package A.
func scaleFixture(n int) *emulator.Fixture {
	f := testFixture()
	f.Users = nil
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("77777777-7777-4777-8777-%012d", i)
		f.Users = append(f.Users, map[string]any{"id": id, "displayName": fmt.Sprintf("User %d", i), "userPrincipalName": fmt.Sprintf("u%d@scale.test", i)})
		f.AssignmentRequests = append(f.AssignmentRequests, map[string]any{"requestType": "adminAdd",
			"assignment": map[string]any{"targetId": id, "assignmentPolicyId": polDirect, "accessPackageId": pkgA}})
	}
	return f
}

func newBenchServer(b *testing.B, srv *emulator.Server) *httptest.Server {
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	return hs
}

func benchGet(b *testing.B, hs *httptest.Server, token, path string) {
	u := hs.URL + strings.ReplaceAll(path, " ", "%20")
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hs.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d", path, resp.StatusCode)
	}
}

func TestServesTenThousandAssignments(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 assignments")
	}
	srv := emulator.MustNew(emulator.Options{Fixture: scaleFixture(10000)})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := clientFor(t, hs.URL, srv.Token())
	all, err := c.ListAssignments(ctx(t), graph.AssignmentFilter{AccessPackageID: pkgA, State: "delivered"})
	if err != nil || len(all) != 10000 {
		t.Fatalf("listed %d, %v", len(all), err)
	}
	if pages := srv.Count("GET /assignments"); pages != 100 {
		t.Fatalf("%d pages for 10,000 at the default page size of 100", pages)
	}
	seen := map[string]bool{}
	for _, a := range all {
		if seen[a.ID] || a.Target == nil || a.Target.ObjectID == "" {
			t.Fatalf("duplicate or targetless assignment in the pages: %+v", a)
		}
		seen[a.ID] = true
	}
	one, err := c.ListAssignments(ctx(t), graph.AssignmentFilter{AccessPackageID: pkgA, TargetObjectID: "77777777-7777-4777-8777-000000004242"})
	if err != nil || len(one) != 1 || one[0].Target.DisplayName != "User 4242" {
		t.Fatalf("filtered lookup: %v %v", one, err)
	}
	_ = url.Values{}
}
