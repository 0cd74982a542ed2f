package emulator_test

import (
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
