package emulator_test

import (
	"strings"
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// The shipped fixture (examples/emulator/fixture.json) holds what the
// examples need: an assignment made by hand (with the id the import examples
// name), people without one, a failed delivery and a request waiting for its
// custom extension's callback, each with the id the examples name.
func TestShippedFixture(t *testing.T) {
	f, err := emulator.LoadFixture("../../examples/emulator/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.New(emulator.Options{Fixture: f})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range srv.Requests() {
		states[r.ID] = r.State + "/" + r.Status
	}
	for id, want := range map[string]string{
		"1c9d7e3a-5b2f-4d86-a041-7e3b9c2d6f18": "delivered/Delivered",
		"3d1f6c2e-8b4a-4f0e-9a57-2c6e1b9d4f83": "deliveryFailed/DeliveryFailed",
		"7a6ab703-0780-4b37-8445-81f679b2d75c": "submitted/WaitingForCallback",
	} {
		if states[id] != want {
			t.Errorf("request %s is %q, want %q (all: %v)", id, states[id], want, states)
		}
	}
	a, ok := srv.Assignment("0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f")
	if !ok || a.State != "delivered" || a.TargetObjectID != "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e04" {
		t.Errorf("Dmitri's assignment: %+v, %v", a, ok)
	}
	holders := map[string]bool{}
	for _, a := range srv.Assignments() {
		holders[a.TargetObjectID] = true
	}
	for _, u := range []string{"5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01", "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e02", "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e03"} {
		if holders[u] {
			t.Errorf("%s holds an assignment: the examples create one for them", u)
		}
	}
	// Reset loads it again, with the same ids and states.
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Assignment("0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f"); !ok {
		t.Error("after a reset, Dmitri's assignment has another id")
	}
	n := 0
	for _, r := range srv.Requests() {
		if r.State == "deliveryFailed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("after a reset, %d failed deliveries, want 1", n)
	}
}

// A fixture's fixed ids must be GUIDs and unused.
func TestFixtureFixedIDsChecked(t *testing.T) {
	base := func() *emulator.Fixture {
		return &emulator.Fixture{
			Users:          []map[string]any{{"id": "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01", "displayName": "Alice", "userPrincipalName": "alice@contoso.test"}},
			Catalogs:       []map[string]any{{"id": "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d701", "displayName": "Sales"}},
			AccessPackages: []map[string]any{{"id": "a914b616-e04e-476b-aa37-91038f0b165b", "displayName": "CRM", "catalog": map[string]any{"id": "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d701"}}},
			AssignmentPolicies: []map[string]any{{"id": "2264bf65-76ba-417b-a27d-54d291f0cbc8", "displayName": "Direct",
				"accessPackage": map[string]any{"id": "a914b616-e04e-476b-aa37-91038f0b165b"}, "allowedTargetScope": "notSpecified", "expiration": map[string]any{"type": "noExpiration"}}},
		}
	}
	add := func(id, asg string) map[string]any {
		a := map[string]any{"targetId": "5f0e8d1c-3b6a-4d2e-9c71-1a2b3c4d5e01", "assignmentPolicyId": "2264bf65-76ba-417b-a27d-54d291f0cbc8", "accessPackageId": "a914b616-e04e-476b-aa37-91038f0b165b"}
		if asg != "" {
			a["id"] = asg
		}
		r := map[string]any{"requestType": "adminAdd", "assignment": a}
		if id != "" {
			r["id"] = id
		}
		return r
	}
	for want, reqs := range map[string][]map[string]any{
		`the id "not-a-guid" is not a GUID`: {add("not-a-guid", "")},
		`the id "nope" is not a GUID`:       {add("", "nope")},
		"the id 1c9d7e3a-5b2f-4d86-a041-7e3b9c2d6f18 is taken": {add("1c9d7e3a-5b2f-4d86-a041-7e3b9c2d6f18", "0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f"),
			{"id": "1c9d7e3a-5b2f-4d86-a041-7e3b9c2d6f18", "requestType": "adminRemove", "assignment": map[string]any{"id": "0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f"}}},
	} {
		f := base()
		f.AssignmentRequests = reqs
		if _, err := emulator.New(emulator.Options{Fixture: f}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error with %q, got %v", want, err)
		}
	}
	// An adminRemove names the assignment it removes: its assignment.id is kept.
	f := base()
	f.AssignmentRequests = []map[string]any{add("", "0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f"),
		{"requestType": "adminRemove", "assignment": map[string]any{"id": "0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f"}}}
	srv, err := emulator.New(emulator.Options{Fixture: f})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := srv.Assignment("0e3f4c1a-6a6b-4d7e-9f10-3c2b1a0d9e8f"); !ok || a.State != "expired" {
		t.Fatalf("the removed assignment: %+v, %v", a, ok)
	}
}
