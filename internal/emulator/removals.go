package emulator

import (
	"fmt"
	"net/http"
)

// Removals made outside any API caller: an administrator in the portal, an
// access review's decision, the person giving up their own access, a user
// deleted from the directory. Graph records each with an assignment request
// — Microsoft's request resource page: Entra "creates access package
// assignment requests automatically for tracking access removal" — so the
// emulator does too, of the type each would have.
//
// Which type Entra gives each of these is not published removal by removal:
//   - a portal administrator's removal is adminRemove, as the portal makes
//     the same request an API caller makes (documented request type);
//   - an access review's denial, and a user deleted from the directory, are
//     systemRemove: removals the service makes itself ([INF]: the request
//     type enum documents systemRemove, not which removals use it);
//   - a person's own removal is userRemove (documented request type).

// Removal kinds for RemoveAssignment.
const (
	RemovedByAdmin        = "admin"        // an administrator in the portal: adminRemove
	RemovedByAccessReview = "accessReview" // an access review denied it: systemRemove [INF]
	RemovedByUser         = "user"         // the person gave it up: userRemove
)

// RemoveAssignment ends a live assignment outside any API caller, recording
// the request Graph records for that kind of removal.
func (s *Server) RemoveAssignment(id, by string) error {
	typ := map[string]string{RemovedByAdmin: "adminRemove", RemovedByAccessReview: "systemRemove", RemovedByUser: "userRemove"}[by]
	if typ == "" {
		return fmt.Errorf("removal by %q: use %s, %s or %s", by, RemovedByAdmin, RemovedByAccessReview, RemovedByUser)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.assignments[lower(id)]
	if a == nil {
		return fmt.Errorf("no assignment %s", id)
	}
	if !a.live() {
		return fmt.Errorf("assignment %s has already ended", id)
	}
	s.removeOutOfBand(a, typ)
	return nil
}

// removeOutOfBand ends a and records the completed request of type typ.
func (s *Server) removeOutOfBand(a *assignment, typ string) {
	now := s.now()
	s.expire(a, now)
	r := &request{id: newID(), requestType: typ, created: now, completed: tptr(now),
		packageID: a.packageID, policyID: a.policyID, targetID: a.targetID, requestorID: a.targetID, assignmentID: a.id,
		schedule: schedule{expType: "notSpecified"}, visibleAt: now}
	r.setState("delivered")
	s.addRequest(r)
}

// DeleteUser deletes a user from the directory. Their live assignments end
// with a systemRemove request each ([INF]: Microsoft documents that Entra
// removes the access of a deleted user, not the request it records).
func (s *Server) DeleteUser(objectID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[lower(objectID)]
	if u == nil {
		return fmt.Errorf("no user %s", objectID)
	}
	delete(s.st.users, u.id)
	order := s.st.userOrder[:0]
	for _, id := range s.st.userOrder {
		if id != u.id {
			order = append(order, id)
		}
	}
	s.st.userOrder = order
	if subj := s.st.subjByObj[lower(objectID)]; subj != nil {
		for _, id := range s.st.asgByTarget[subj.id] {
			if a := s.st.assignments[id]; a != nil && a.live() {
				s.removeOutOfBand(a, "systemRemove")
			}
		}
	}
	return nil
}

// DeletePolicy deletes an assignment policy that no live assignment uses,
// as an administrator would once its assignments are gone. Graph refuses to
// delete an access package that still has assignments (documented); that it
// refuses a policy likewise is [INF].
func (s *Server) DeletePolicy(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.policies[lower(id)]
	if p == nil {
		return fmt.Errorf("no assignment policy %s", id)
	}
	for _, aid := range s.st.asgByPkg[p.packageID] {
		if a := s.st.assignments[aid]; a != nil && a.live() && a.policyID == p.id {
			return fmt.Errorf("assignment policy %s still has live assignment %s", id, a.id)
		}
	}
	delete(s.st.policies, p.id)
	order := s.st.polOrder[:0]
	for _, pid := range s.st.polOrder {
		if pid != p.id {
			order = append(order, pid)
		}
	}
	s.st.polOrder = order
	return nil
}

// The HTTP side: POST /_emulator/assignments/{id}/remove {"by": "accessReview"},
// DELETE /_emulator/users/{id} and DELETE /_emulator/policies/{id}.
func (s *Server) postRemoval(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By string `json:"by"`
	}
	if decodeControl(w, r, &body) {
		done(w, 400, s.RemoveAssignment(r.PathValue("id"), body.By))
	}
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	done(w, 404, s.DeleteUser(r.PathValue("id")))
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	done(w, 400, s.DeletePolicy(r.PathValue("id")))
}
