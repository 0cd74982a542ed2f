package provider

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/accessgov/terraform-provider-entitlement/internal/contract"
	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the
// Terraform CLI that terraform-plugin-testing drives.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"entitlement": providerserver.NewProtocol6WithError(New("test")()),
}

// Fixed ids of the acceptance-test fixture.
const (
	uAlice    = "aaaaaaaa-0000-4000-8000-000000000001"
	uBob      = "aaaaaaaa-0000-4000-8000-000000000002"
	uCarol    = "aaaaaaaa-0000-4000-8000-000000000003"
	catTest   = "cccccccc-0000-4000-8000-000000000001"
	pkgSales  = "bbbbbbbb-0000-4000-8000-00000000000a"
	polDirect = "dddddddd-0000-4000-8000-000000000001" // direct assignment on pkgSales
	polQuiz   = "dddddddd-0000-4000-8000-000000000002" // direct, with questions, on pkgSales
	polHook   = "dddddddd-0000-4000-8000-000000000003" // direct, custom extension at assignmentRequestCreated
	qRegion   = "eeeeeeee-0000-4000-8000-000000000001"
	qCost     = "eeeeeeee-0000-4000-8000-000000000002"

	// For requests made as a user.
	uManager    = "aaaaaaaa-0000-4000-8000-000000000004" // Bob's manager
	pkgData     = "bbbbbbbb-0000-4000-8000-00000000000d"
	polSelf     = "dddddddd-0000-4000-8000-000000000011" // self-service: approval, justification, a required question, no custom schedule
	polSelfAuto = "dddddddd-0000-4000-8000-000000000012" // self-service, no approval
	qTeam       = "eeeeeeee-0000-4000-8000-000000000011"
)

func accFixture() *emulator.Fixture {
	user := func(id, name string) map[string]any {
		return map[string]any{"id": id, "displayName": name, "userPrincipalName": strings.ToLower(name) + "@contoso.test", "mail": strings.ToLower(name) + "@contoso.test"}
	}
	return &emulator.Fixture{
		Users: []map[string]any{user(uAlice, "Alice"), user(uCarol, "Carol"), user(uManager, "Manager"),
			// The manager relation lets Bob's manager request for him (the v1.0 create page documents a request on behalf of a direct report).
			func() map[string]any { b := user(uBob, "Bob"); b["manager"] = map[string]any{"id": uManager}; return b }()},
		Catalogs: []map[string]any{{"id": catTest, "displayName": "Test"}},
		AccessPackages: []map[string]any{{"id": pkgSales, "displayName": "Sales", "catalog": map[string]any{"id": catTest}},
			{"id": pkgData, "displayName": "Data", "catalog": map[string]any{"id": catTest}}},
		AssignmentPolicies: []map[string]any{
			{"id": polDirect, "displayName": "Direct", "accessPackage": map[string]any{"id": pkgSales}},
			// A default expiration that Graph applies when the request has no
			// schedule: the recorded schedule must not drift from it (regression).
			{"id": polQuiz, "displayName": "Direct with questions", "accessPackage": map[string]any{"id": pkgSales},
				"expiration": map[string]any{"type": "afterDuration", "duration": "P365D"}, "questions": []any{
					map[string]any{"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": qRegion, "text": "Region?", "isRequired": true,
						"choices": []any{map[string]any{"actualValue": "EMEA"}, map[string]any{"actualValue": "AMER"}}},
					map[string]any{"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": qCost, "text": "Cost centre", "regexPattern": "CC-[0-9]{4}"},
				}},
			{"id": polSelf, "displayName": "Employees ask", "accessPackage": map[string]any{"id": pkgData}, "allowedTargetScope": "allMemberUsers",
				"requestorSettings":       map[string]any{"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfRemoveAccess": true, "enableOnBehalfRequestorsToAddAccess": true, "allowCustomAssignmentSchedule": false},
				"requestApprovalSettings": map[string]any{"isApprovalRequiredForAdd": true, "isRequestorJustificationRequired": true, "stages": []any{}},
				"questions": []any{map[string]any{"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": qTeam, "text": "Team?", "isRequired": true,
					"choices": []any{map[string]any{"actualValue": "analytics"}, map[string]any{"actualValue": "finance"}}}}},
			{"id": polSelfAuto, "displayName": "Employees, no approval", "accessPackage": map[string]any{"id": pkgData}, "allowedTargetScope": "allMemberUsers",
				"requestorSettings": map[string]any{"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfRemoveAccess": true, "allowCustomAssignmentSchedule": true}},
			{"id": polHook, "displayName": "Hooked", "accessPackage": map[string]any{"id": pkgSales},
				"customExtensionStageSettings": []any{map[string]any{"stage": "assignmentRequestCreated", "customExtension": map[string]any{"id": "ffffffff-0000-4000-8000-000000000001"}}}},
		},
	}
}

// startEmulator starts an emulator for one test and returns it with its root URL.
func startEmulator(t *testing.T, opts emulator.Options) (*emulator.Server, string) {
	t.Helper()
	if opts.Fixture == nil {
		opts.Fixture = accFixture()
	}
	srv, err := emulator.New(observed(opts))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

// testEmulator starts an emulator for one test and returns it with the HCL
// provider block that points at it, authenticated as the least-privileged
// identity the docs recommend (leastPrivilegeToken): the acceptance tests of
// the assignment resources pass with no more than that. A test that needs
// more asks for it with testEmulatorAs.
func testEmulator(t *testing.T, opts emulator.Options) (*emulator.Server, string) {
	t.Helper()
	srv, url := startEmulator(t, opts)
	return srv, providerBlock(url, leastPrivilegeToken(t, srv))
}

// testEmulatorAs is testEmulator with the emulator's own token, which holds
// EntitlementManagement.ReadWrite.All (every catalog), for the tests that
// need it: listings across packages, and setups no role covers.
func testEmulatorAs(t *testing.T, opts emulator.Options) (*emulator.Server, string) {
	t.Helper()
	srv, url := startEmulator(t, opts)
	return srv, providerBlock(url, srv.Token())
}

func providerBlock(url, token string) string {
	return fmt.Sprintf(`
provider "entitlement" {
  graph_url    = %q
  access_token = %q
}
`, url, token)
}

// leastPrivilegeToken registers an application that holds only the role
// Access package assignment manager on every catalog of the emulator, and
// no application permission — the least-privileged setup the docs
// recommend — and returns its token.
func leastPrivilegeToken(t testing.TB, srv *emulator.Server) string {
	t.Helper()
	roles := map[string][]string{}
	for _, c := range srv.CatalogIDs() {
		roles[c] = []string{emulator.RoleAssignmentManager}
	}
	const token = "least-privilege-application"
	must(t, srv.AddToken(token, emulator.Identity{Kind: "application", ObjectID: "7e57ab1e-0000-4000-8000-0000000000f1",
		DisplayName: "Terraform (Access package assignment manager)", CatalogRoles: roles, Permissions: []string{}}))
	return token
}

// liveAssignments counts the target's live assignments in the package.
func liveAssignments(srv *emulator.Server, pkg, target string) []emulator.AssignmentView {
	var out []emulator.AssignmentView
	for _, a := range srv.Assignments() {
		if strings.EqualFold(a.AccessPackageID, pkg) && strings.EqualFold(a.TargetObjectID, target) && a.State != "expired" {
			out = append(out, a)
		}
	}
	return out
}

// requestsOf returns the requests of a type for a target.
func requestsOf(srv *emulator.Server, typ, target string) []emulator.RequestView {
	var out []emulator.RequestView
	for _, r := range srv.Requests() {
		if r.RequestType == typ && (target == "" || strings.EqualFold(r.TargetObjectID, target)) {
			out = append(out, r)
		}
	}
	return out
}

// TestMain lets the test binary stand in for the Azure CLI: the CLI test
// puts a link named "az" to it on PATH, and azidentity runs it.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "az" {
		os.Exit(fakeAz(os.Args[1:]))
	}
	code := m.Run()
	if code == 0 && !contractHolds() {
		code = 1
	}
	os.Exit(code)
}

// graphContract checks every body that the emulators of this package's tests
// answer, and every body the provider sends them, against Microsoft's v1.0
// metadata of the emulator's cloud.
var graphContract = contract.NewRecorder()

// observed adds the contract check to an emulator's options.
func observed(opts emulator.Options) emulator.Options {
	next := opts.Observe
	opts.Observe = func(x emulator.Exchange) {
		graphContract.Observe(x.Method, x.Route, x.Status, x.Request, x.Response, x.Cloud)
		graphContract.ObserveQuery(x.Method, x.Route, x.Query, x.Cloud)
		if next != nil {
			next(x)
		}
	}
	return opts
}

// contractHolds reports the contract check after the acceptance suite: any
// body with a property, type or enum value Graph does not have fails the run.
func contractHolds() bool {
	if graphContract.Checked() == 0 {
		return true // no acceptance test ran (TF_ACC unset, or a -run that picked none)
	}
	fmt.Println("contract: " + graphContract.Summary())
	if os.Getenv("ENTITLEMENT_PRINT_QUERIES") != "" {
		for _, q := range graphContract.Queries() {
			fmt.Println("query: " + q)
		}
	}
	problems := graphContract.Problems()
	for _, p := range problems {
		fmt.Println("contract: " + p)
	}
	if len(problems) > 0 {
		fmt.Printf("FAIL: %d kinds of body or query depart from Microsoft's v1.0 metadata and pages\n", len(problems))
		return false
	}
	return true
}

// must fails the test on a setup error: a setup call the emulator refused
// would otherwise let a test pass without the condition it claims to test.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after timeout: a wait
// on an observable condition, never a fixed sleep.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
