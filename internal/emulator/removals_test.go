package emulator_test

import (
	"testing"
	"time"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// Removals outside any API caller end the assignment with the request Graph
// records for each kind: adminRemove for a portal administrator,
// systemRemove for an access review and for a deleted user, userRemove for
// the person's own removal; each is listed with the package's requests and
// carries the assignment.
func TestOutOfBandRemovals(t *testing.T) {
	for by, typ := range map[string]string{emulator.RemovedByAdmin: "adminRemove", emulator.RemovedByAccessReview: "systemRemove", emulator.RemovedByUser: "userRemove", "deleted user": "systemRemove"} {
		t.Run(by, func(t *testing.T) {
			srv, err := emulator.New(emulator.Options{Fixture: testFixture()})
			must(t, err)
			id, err := srv.AddAssignment(pkgA, polDirect, alice, nil)
			must(t, err)
			var asg string
			for deadline := time.Now().Add(5 * time.Second); asg == ""; {
				for _, a := range srv.Assignments() {
					if a.TargetObjectID == alice && a.State == "delivered" {
						asg = a.ID
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("request %s made no delivered assignment", id)
				}
			}
			if by == "deleted user" {
				must(t, srv.DeleteUser(alice))
			} else {
				must(t, srv.RemoveAssignment(asg, by))
			}
			a, _ := srv.Assignment(asg)
			if a.State != "expired" || a.Expired == nil {
				t.Fatalf("assignment after the removal: %+v", a)
			}
			var found bool
			for _, r := range srv.Requests() {
				if r.RequestType == typ && r.AssignmentID == asg && r.State == "delivered" && r.Completed != nil {
					found = true
				}
			}
			if !found {
				t.Fatalf("no delivered %s request for assignment %s: %+v", typ, asg, srv.Requests())
			}
			if err := srv.RemoveAssignment(asg, emulator.RemovedByAdmin); err == nil {
				t.Fatal("an ended assignment was removed again")
			}
		})
	}
	srv, err := emulator.New(emulator.Options{Fixture: testFixture()})
	must(t, err)
	if err := srv.RemoveAssignment("00000000-0000-4000-8000-000000000000", "portal"); err == nil {
		t.Fatal("an unknown kind of removal was accepted")
	}
}
