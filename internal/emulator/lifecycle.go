package emulator

import (
	"container/heap"
	"time"
)

// The lifecycle engine moves requests through Graph's request states on the emulator's
// clock. It runs lazily, under the server lock, before every Graph request
// (advance), so that what a caller sees depends only on the clock and on
// what happened before: no background goroutine races the tests.
//
//	submitted ─(created-stage callout)─► pendingApproval ─approve─► (approved-stage callout)
//	  ─► scheduled (start in the future) ─► delivering ─► delivered | partiallyDelivered | deliveryFailed
//	  ─(granted/removed-stage callout, status WaitingForCallback)─► done
const (
	stepProcess  = "process"
	stepDeliver  = "deliver"
	stepComplete = "complete"
)

var statusFor = map[string]string{
	"submitted": "Accepted", "pendingApproval": "PendingApproval", "scheduled": "PendingNotBefore",
	"delivering": "Delivering", "delivered": "Delivered", "partiallyDelivered": "PartiallyDelivered",
	"deliveryFailed": "DeliveryFailed", "denied": "Denied", "canceled": "Canceled", "expired": "Expired",
}

func (r *request) setState(state string) {
	r.state = state
	r.status = statusFor[state]
}

func isAdd(r *request) bool { return r.requestType == "adminAdd" || r.requestType == "userAdd" }
func isRemove(r *request) bool {
	return r.requestType == "adminRemove" || r.requestType == "userRemove"
}
func isUser(r *request) bool {
	return r.requestType == "userAdd" || r.requestType == "userUpdate" || r.requestType == "userRemove"
}

// advance runs every step that is due at now, and expires assignments whose
// schedule has ended. It loops because one step can make another due.
func (s *Server) advance(now time.Time) {
	for {
		progressed := false
		for _, r := range s.st.open {
			switch {
			case !r.due.IsZero() && !r.due.After(now):
				at := r.due
				r.due = time.Time{}
				s.step(r, at)
				progressed = true
			case !r.callbackAt.IsZero() && !r.callbackAt.After(now):
				at := r.callbackAt
				r.callbackAt = time.Time{}
				s.callback(r, at, r.callbackWith, "", "Automatic callback (emulator behaviour)")
				progressed = true
			}
		}
		for s.st.expiries.Len() > 0 && !s.st.expiries[0].at.After(now) {
			it, _ := heap.Pop(&s.st.expiries).(expiryItem)
			s.expireBySchedule(it)
			progressed = true
		}
		if !progressed {
			return
		}
	}
}

func (s *Server) step(r *request, at time.Time) {
	switch r.next {
	case stepProcess:
		if st := s.stageFor(r, "assignmentRequestCreated"); st != nil {
			s.wait(r, st, at)
			return
		}
		s.afterCreatedStage(r, at)
	case stepDeliver:
		s.startDelivering(r, at)
	case stepComplete:
		s.completeDelivery(r, at)
	}
}

func (s *Server) stageFor(r *request, stage string) *stageSetting {
	p := s.st.policies[r.policyID]
	if p == nil {
		return nil
	}
	return p.stage(stage)
}

// wait leaves the request waiting for a custom-extension callback at a stage.
func (s *Server) wait(r *request, st *stageSetting, at time.Time) {
	c := &callout{id: newID(), customExtensionID: st.customExtensionID, externalCorrelationID: newID(),
		status: "waitingForCallback", stage: st.stage}
	r.callouts = append(r.callouts, c)
	r.status = "WaitingForCallback"
	r.waitingStage = st.stage
	if b := s.behaviourFor(r, false); b != nil && b.Callback != nil {
		r.callbackAt = at.Add(b.Callback.After.D)
		r.callbackWith = b.Callback.State
	}
}

// callback is resume: the custom extension answered for the waiting stage.
func (s *Server) callback(r *request, at time.Time, state, instanceID, detail string) {
	stage := r.waitingStage
	r.waitingStage = ""
	r.callbackAt = time.Time{}
	for _, c := range r.callouts {
		if c.status == "waitingForCallback" && (instanceID == "" || c.id == instanceID) {
			c.status = "callbackReceived"
			c.detail = detail
		}
	}
	if state != "" {
		r.setState(state)
		r.completed = tptr(at)
		s.close(r)
		return
	}
	switch stage {
	case "assignmentRequestCreated":
		r.status = statusFor[r.state]
		s.afterCreatedStage(r, at)
	case "assignmentRequestApproved":
		s.scheduleOrDeliver(r, at)
	default: // granted, removed: the request had already completed
		r.status = statusFor[r.state]
		s.close(r)
	}
}

func (s *Server) needsApproval(r *request) bool {
	p := s.st.policies[r.policyID]
	if p == nil || !isUser(r) {
		// Direct assignments by an administrator are not sent for approval.
		return false
	}
	switch {
	case isAdd(r):
		return p.approvalForAdd
	case r.requestType == "userUpdate":
		return p.approvalForUpdate
	}
	return false
}

func (s *Server) afterCreatedStage(r *request, at time.Time) {
	if s.needsApproval(r) {
		r.setState("pendingApproval")
		return
	}
	s.scheduleOrDeliver(r, at)
}

// approve is an approver's decision on a pending request.
func (s *Server) approve(r *request, at time.Time) {
	if st := s.stageFor(r, "assignmentRequestApproved"); st != nil {
		r.setState("submitted")
		s.wait(r, st, at)
		return
	}
	s.scheduleOrDeliver(r, at)
}

func (s *Server) scheduleOrDeliver(r *request, at time.Time) {
	if isAdd(r) && r.schedule.start != nil && r.schedule.start.After(at) {
		r.setState("scheduled")
		r.next, r.due = stepDeliver, *r.schedule.start
		return
	}
	s.startDelivering(r, at)
}

func (s *Server) startDelivering(r *request, at time.Time) {
	r.setState("delivering")
	if isAdd(r) {
		a := s.st.assignments[r.assignmentID]
		if a == nil {
			a = &assignment{id: firstNonEmpty(r.fixedAssignmentID, newID()), packageID: r.packageID, policyID: r.policyID, targetID: r.targetID,
				created: at, visibleAt: at.Add(s.lag), answers: r.answers}
			s.st.assignments[a.id] = a
			s.st.asgOrder = append(s.st.asgOrder, a.id)
			s.st.asgByPkg[a.packageID] = append(s.st.asgByPkg[a.packageID], a.id)
			s.st.asgByTarget[a.targetID] = append(s.st.asgByTarget[a.targetID], a.id)
			r.assignmentID = a.id
			a.schedule = s.effectiveSchedule(r.schedule, schedule{}, s.st.policies[r.policyID], at)
		}
		a.state, a.status = "delivering", "Delivering"
		s.materializeTarget(a.targetID)
	}
	delay := s.opts.DeliveryDelay
	if b := s.behaviourFor(r, false); b != nil && b.DeliveryDelay != nil {
		delay = b.DeliveryDelay.D
	}
	r.next, r.due = stepComplete, at.Add(delay)
}

// materializeTarget gives a subject known only by email a directory user, as
// Entra does when it invites an external user on delivery (the v1.0 create page's example for a user not yet in the directory).
func (s *Server) materializeTarget(subjectID string) {
	subj := s.st.subjects[subjectID]
	if subj == nil || subj.objectID != "" {
		return
	}
	u := s.userByMail(subj.email)
	if u == nil {
		u = &user{id: newID(), displayName: subj.email, mail: subj.email, userType: "Guest",
			userPrincipalName: guestUPN(subj.email)}
		s.st.users[u.id] = u
		s.st.userOrder = append(s.st.userOrder, u.id)
	}
	subj.objectID = u.id
	subj.displayName = u.displayName
	subj.principalName = u.userPrincipalName
	subj.subjectType = "user"
	delete(s.st.subjByMail, lower(subj.email))
	s.st.subjByObj[lower(u.id)] = subj
}

func guestUPN(mail string) string {
	out := []byte{}
	for i := 0; i < len(mail); i++ {
		if mail[i] == '@' {
			out = append(out, '_')
		} else {
			out = append(out, mail[i])
		}
	}
	return string(out) + "#EXT#@emulator.onmicrosoft.com"
}

func (s *Server) completeDelivery(r *request, at time.Time) {
	outcome := "delivered"
	if b := s.behaviourFor(r, true); b != nil && b.Delivery != "" && b.Delivery != "delivered" {
		b.used++
		outcome = b.Delivery
	}
	if outcome == "stuck" {
		return // stays delivering until a test or a reset ends it
	}
	a := s.st.assignments[r.assignmentID]
	switch {
	case isAdd(r):
		if a != nil {
			a.state, a.status = outcome, statusFor[outcome]
			if outcome == "delivered" {
				s.scheduleExpiry(a)
			}
		}
	case isRemove(r):
		if a != nil {
			outcome = "delivered"
			s.expire(a, at)
		}
	default: // update
		if a != nil {
			outcome = "delivered"
			a.schedule = s.effectiveSchedule(r.schedule, a.schedule, s.st.policies[a.policyID], at)
			if len(r.answers) > 0 {
				a.answers = mergeAnswers(a.answers, r.answers)
			}
			s.scheduleExpiry(a)
		}
	}
	r.setState(outcome)
	r.completed = tptr(at)
	if outcome == "delivered" {
		stage := "assignmentRequestGranted"
		if isRemove(r) {
			stage = "assignmentRequestRemoved"
		}
		if st := s.stageFor(r, stage); st != nil {
			s.wait(r, st, at)
			return
		}
	}
	s.close(r)
}

// close ends a request's lifecycle: it no longer blocks new requests for the
// same target and package.
func (s *Server) close(r *request) {
	delete(s.st.open, r.id)
	key := pairKey(r.packageID, r.targetID)
	if s.st.openByPair[key] == r {
		delete(s.st.openByPair, key)
	}
	r.next, r.due = "", time.Time{}
}

func (s *Server) reopen(r *request) {
	s.st.open[r.id] = r
	s.st.openByPair[pairKey(r.packageID, r.targetID)] = r
}

func (s *Server) expire(a *assignment, at time.Time) {
	a.state, a.status = "expired", "Expired"
	a.expired = tptr(at)
}

// effectiveSchedule is the schedule an assignment gets from a request. The
// start defaults to when delivery starts; an expiration after a duration is
// turned into an end date, and no expiration in the request takes the
// policy's. This is an [INF] choice among the shapes Graph documents for assignments: the
// provider must not depend on which of the equivalent forms Graph returns.
func (s *Server) effectiveSchedule(req, current schedule, p *policy, at time.Time) schedule {
	out := current
	if req.start != nil {
		out.start = req.start
	}
	if out.start == nil {
		out.start = tptr(at)
	}
	exp := req
	if exp.expType == "notSpecified" || exp.expType == "" {
		if current.expType != "" {
			return out
		}
		exp = schedule{expType: "noExpiration"}
		if p != nil {
			exp = p.expiration
		}
	}
	out.duration = nil
	switch exp.expType {
	case "afterDateTime":
		out.expType, out.end = "afterDateTime", exp.end
	case "afterDuration":
		d, err := parseEdmDuration(*exp.duration)
		out.expType, out.end = "afterDateTime", tptr(out.start.Add(d))
		if err != nil {
			out.expType, out.end = "noExpiration", nil
		}
	default:
		out.expType, out.end = "noExpiration", nil
	}
	return out
}

func (s *Server) scheduleExpiry(a *assignment) {
	if a.schedule.expType == "afterDateTime" && a.schedule.end != nil {
		heap.Push(&s.st.expiries, expiryItem{at: *a.schedule.end, id: a.id})
	}
}

// expireBySchedule ends an assignment whose schedule has run out, with the
// systemRemove request that Graph records for it.
func (s *Server) expireBySchedule(it expiryItem) {
	a := s.st.assignments[it.id]
	if a == nil || !a.live() || a.schedule.end == nil || !a.schedule.end.Equal(it.at) {
		return // a later update moved the end, or the assignment is already gone
	}
	if a.state != "delivered" {
		return
	}
	s.expire(a, it.at)
	r := &request{id: newID(), requestType: "systemRemove", created: it.at, completed: tptr(it.at),
		packageID: a.packageID, policyID: a.policyID, targetID: a.targetID, assignmentID: a.id,
		schedule: schedule{expType: "notSpecified"}, visibleAt: it.at}
	r.setState("delivered")
	s.addRequest(r)
}

func (s *Server) addRequest(r *request) {
	s.st.requests[r.id] = r
	s.st.reqOrder = append(s.st.reqOrder, r.id)
	s.st.reqByPkg[r.packageID] = append(s.st.reqByPkg[r.packageID], r.id)
}

func mergeAnswers(old, upd []map[string]any) []map[string]any {
	byQ := map[string]int{}
	out := append([]map[string]any{}, old...)
	for i, a := range out {
		byQ[lower(str(obj(a, "answeredQuestion"), "id"))] = i
	}
	for _, a := range upd {
		q := lower(str(obj(a, "answeredQuestion"), "id"))
		if i, ok := byQ[q]; ok {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	return out
}
