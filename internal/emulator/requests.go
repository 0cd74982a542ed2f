package emulator

import (
	"regexp"
	"strings"
	"time"
)

// Top-level properties of accessPackageAssignmentRequest in v1.0 (Microsoft's v1.0 metadata).
// Graph rejects others; "justification" exists only in the global cloud.
var requestProperties = map[string]bool{
	"id": true, "requesttype": true, "state": true, "status": true, "createddatetime": true, "completeddatetime": true,
	"schedule": true, "justification": true, "answers": true, "customextensioncalloutinstances": true,
	"assignment": true, "accesspackage": true, "requestor": true,
	// The v1.0 create page's examples 4 and 5 send the assignment as a
	// top-level "accessPackageAssignment" (the beta name) and Graph answers
	// 201: it is read as "assignment". Microsoft's metadata does not list it.
	"accesspackageassignment": true,
}

const reprocessWindow = 14 * 24 * time.Hour

func (s *Server) global() bool { return s.opts.Cloud == CloudGlobal }

// postAssignmentRequest is POST /assignmentRequests.
func (s *Server) postAssignmentRequest(c *call) (*response, *graphError) {
	body, gerr := decodeJSON(c.body)
	if gerr != nil {
		return nil, gerr
	}
	for k := range body {
		lk := lower(k)
		if strings.HasPrefix(lk, "@odata.") {
			continue
		}
		if !requestProperties[lk] || (lk == "justification" && !s.global()) {
			return nil, badRequest("The property '%s' does not exist on type 'microsoft.graph.accessPackageAssignmentRequest'. Make sure to only use property names that are defined by the type.", k)
		}
	}
	rawType := findKey(body, "requestType")
	if rawType == nil {
		return nil, badRequest("The property 'requestType' is required.")
	}
	rt, gerr := normEnum(rawType, requestTypes, "accessPackageRequestType")
	if gerr != nil {
		return nil, gerr
	}
	sch, gerr := parseSchedule(obj(body, "schedule"))
	if gerr != nil {
		return nil, gerr
	}
	var just *string
	if j := str(body, "justification"); j != "" {
		just = &j
	}
	asg := obj(body, "assignment")
	if legacy := obj(body, "accessPackageAssignment"); legacy != nil {
		if asg != nil {
			return nil, badRequest("The request has both 'assignment' and 'accessPackageAssignment'; send one.")
		}
		asg = legacy
	}
	if asg == nil {
		return nil, invalidRequest("The property 'assignment' is required for a %s request.", rt)
	}
	rawAnswers, _ := findKey(body, "answers").([]any)

	r := &request{id: firstNonEmpty(c.fixedRequestID, newID()), requestType: rt, created: s.now(), justification: just, schedule: sch, fixedAssignmentID: c.fixedAssignmentID}
	r.visibleAt = r.created.Add(s.lag)
	if gerr := normaliseSchedule(r); gerr != nil {
		return nil, gerr
	}
	if !isUser(r) {
		// Direct requests need a role that assigns in the package's catalog
		// (or the application permission): decided before anything about
		// the package or the target is told.
		if gerr := s.mayAssign(c.identity, s.catalogOfRequestBody(rt, asg), "an "+rt+" request"); gerr != nil {
			return nil, gerr
		}
	}
	switch rt {
	case "adminAdd", "userAdd":
		gerr = s.prepareAdd(c, r, asg)
	case "adminUpdate", "userUpdate", "adminRemove", "userRemove":
		gerr = s.prepareChange(c, r, asg)
	default:
		gerr = invalidRequest("A request of type '%s' cannot be created by a client.", rt)
	}
	if gerr != nil {
		return nil, gerr
	}
	p := s.st.policies[r.policyID]
	if isUser(r) {
		if gerr := s.checkUserPolicy(r, p, c.identity); gerr != nil {
			return nil, gerr
		}
	}
	if !isRemove(r) {
		answers, gerr := s.validateAnswers(r, p, rawAnswers)
		if gerr != nil {
			return nil, gerr
		}
		r.answers = answers
	} else if len(rawAnswers) > 0 {
		return nil, invalidRequest("A %s request takes no answers.", rt)
	}
	if open := s.st.openByPair[pairKey(r.packageID, r.targetID)]; open != nil && !s.opts.AcceptDuplicates {
		return nil, existingOpen(open)
	}
	r.callerID = s.subjectForCaller(c.identity).id
	r.requestorID = r.callerID
	if !isUser(r) {
		r.requestorID = r.targetID
	}
	r.setState("submitted")
	r.next, r.due = stepProcess, r.created.Add(s.opts.ProcessingDelay)
	s.addRequest(r)
	s.reopen(r)

	out := s.renderRequest(r, nil)
	out["createdDateTime"] = nil // Graph answers the create with createdDateTime null (the create page's response examples).
	out["@odata.context"] = contextURL(c, "identityGovernance/entitlementManagement/assignmentRequests/$entity")
	return &response{status: 201, body: out, headers: map[string]string{
		"Location": c.base + "/v1.0/identityGovernance/entitlementManagement/assignmentRequests/" + r.id}}, nil
}

// catalogOfRequestBody is the catalog a new request's body names: its
// package's, or the assignment's it changes ("" when it names none that
// exists: prepareAdd and prepareChange then say what is wrong).
func (s *Server) catalogOfRequestBody(rt string, asg map[string]any) string {
	switch rt {
	case "adminAdd", "userAdd":
		return s.catalogOfPackage(firstNonEmpty(str(asg, "accessPackageId"), str(obj(asg, "accessPackage"), "id")))
	}
	if a := s.st.assignments[lower(str(asg, "id"))]; a != nil {
		return s.catalogOfPackage(a.packageID)
	}
	return ""
}

// prepareAdd resolves the package, policy and target of an add request, in
// the flat (targetId, assignmentPolicyId, accessPackageId) or nested
// (target, assignmentPolicy, accessPackage) forms (the v1.0 create page's examples send them there).
func (s *Server) prepareAdd(c *call, r *request, asg map[string]any) *graphError {
	pkgID := firstNonEmpty(str(asg, "accessPackageId"), str(obj(asg, "accessPackage"), "id"))
	polID := firstNonEmpty(str(asg, "assignmentPolicyId"), str(obj(asg, "assignmentPolicy"), "id"))
	tgt := obj(asg, "target")
	targetObj := firstNonEmpty(str(asg, "targetId"), str(tgt, "objectId"))
	targetMail := str(tgt, "email")
	if pkgID == "" {
		return invalidRequest("assignment.accessPackageId is required for a %s request.", r.requestType)
	}
	if !isGUID(pkgID) {
		return badRequest("The access package id '%s' is not a valid GUID.", pkgID)
	}
	pkg := s.st.packages[lower(pkgID)]
	if pkg == nil {
		return notFound("accessPackage", pkgID)
	}
	r.packageID = pkg.id
	if r.requestType == "userAdd" {
		if c.identity.Kind != "delegated" {
			return errf(403, "Authorization_RequestDenied", "A userAdd request must be made by a signed-in user (delegated token); an application cannot request access for itself.")
		}
		if targetObj == "" && targetMail == "" {
			targetObj = c.identity.ObjectID
		}
		if polID == "" {
			p := s.pickUserPolicy(pkg.id, targetObj)
			if p == nil {
				return invalidRequest("No assignment policy of access package %s lets this user request it.", pkg.id)
			}
			polID = p.id
		}
	}
	if polID == "" {
		return invalidRequest("assignment.assignmentPolicyId is required for a %s request.", r.requestType)
	}
	p := s.st.policies[lower(polID)]
	if p == nil || !isGUID(polID) {
		return invalidRequest("The assignment policy '%s' was not found.", polID)
	}
	if p.packageID != pkg.id {
		return invalidRequest("The assignment policy %s does not belong to access package %s.", p.id, pkg.id)
	}
	if p.automatic {
		return invalidRequest("The assignment policy %s assigns access automatically and cannot be requested.", p.id)
	}
	r.policyID = p.id
	var subj *subject
	switch {
	case targetObj != "":
		if !isGUID(targetObj) {
			return invalidRequest("The target id '%s' is not a valid GUID.", targetObj)
		}
		u := s.st.users[lower(targetObj)]
		if u == nil {
			return invalidRequest("The target user '%s' does not exist in the directory.", targetObj)
		}
		subj = s.subjectForUser(u)
	case targetMail != "":
		if !strings.Contains(targetMail, "@") {
			return invalidRequest("The target email '%s' is not an email address.", targetMail)
		}
		if u := s.userByMail(targetMail); u != nil {
			subj = s.subjectForUser(u)
		} else {
			subj = s.subjectForMail(targetMail, str(tgt, "displayName"))
		}
	default:
		return invalidRequest("assignment.targetId (or assignment.target with objectId or email) is required for a %s request.", r.requestType)
	}
	r.targetID = subj.id
	if gerr := s.incompatibility(pkg, subj); gerr != nil {
		return gerr
	}
	if s.opts.AcceptDuplicates {
		return nil
	}
	if open := s.st.openByPair[pairKey(r.packageID, r.targetID)]; open != nil {
		return existingOpen(open)
	}
	for _, aid := range s.st.asgByTarget[subj.id] {
		a := s.st.assignments[aid]
		if a.live() && a.packageID == pkg.id && a.policyID == p.id {
			return errf(400, "ExistingAssignment", "The target already has assignment %s (state %s) in access package %s under policy %s.", a.id, a.state, pkg.id, p.id)
		}
	}
	return nil
}

// prepareChange resolves the existing assignment of an update or remove request.
func (s *Server) prepareChange(c *call, r *request, asg map[string]any) *graphError {
	id := str(asg, "id")
	if id == "" {
		return invalidRequest("assignment.id is required for a %s request.", r.requestType)
	}
	if !isGUID(id) {
		return badRequest("The assignment id '%s' is not a valid GUID.", id)
	}
	a := s.st.assignments[lower(id)]
	if a == nil || !a.live() {
		return notFound("accessPackageAssignment", id)
	}
	if isUser(r) {
		if c.identity.Kind != "delegated" {
			return errf(403, "Authorization_RequestDenied", "A %s request must be made by a signed-in user (delegated token).", r.requestType)
		}
		if subj := s.st.subjects[a.targetID]; subj == nil || !strings.EqualFold(subj.objectID, c.identity.ObjectID) {
			return errf(403, "Authorization_RequestDenied", "Users can only %s their own assignments.", strings.TrimPrefix(r.requestType, "user"))
		}
	}
	r.packageID, r.policyID, r.targetID, r.assignmentID = a.packageID, a.policyID, a.targetID, a.id
	return nil
}

func existingOpen(open *request) *graphError {
	return errf(400, "ExistingOpenRequest", "There is already an open request (%s, state %s) for this target and access package.", open.id, open.state)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// pickUserPolicy finds the policy of a package that lets a user request it,
// as Graph does for a userAdd without assignmentPolicyId (the create page's userAdd example without a policy).
func (s *Server) pickUserPolicy(pkgID, userID string) *policy {
	for _, id := range s.st.polOrder {
		p := s.st.policies[id]
		if p.packageID == pkgID && !p.automatic && boolean(obj(p.body, "requestorSettings"), "enableTargetsToSelfAddAccess") && s.inScope(p, userID) {
			return p
		}
	}
	return nil
}

func (s *Server) inScope(p *policy, userID string) bool {
	switch p.allowedTargetScope {
	case "allMemberUsers", "allDirectoryUsers":
		return true
	case "specificDirectoryUsers":
		targets, _ := p.body["specificAllowedTargets"].([]any)
		for _, t := range targets {
			tm, _ := t.(map[string]any)
			if strings.EqualFold(str(tm, "userId"), userID) {
				return true
			}
		}
	}
	return false
}

// checkUserPolicy applies the policy's rules to requests users make (the v1.0 create page: what each request type needs).
func (s *Server) checkUserPolicy(r *request, p *policy, caller Identity) *graphError {
	subj := s.st.subjects[r.targetID]
	if r.requestType == "userAdd" && subj != nil && !strings.EqualFold(subj.objectID, caller.ObjectID) {
		// On behalf of someone else: the policy must allow it, and the
		// requestor must be the target's manager (the v1.0 create page documents a request on behalf of a direct report).
		if !boolean(obj(p.body, "requestorSettings"), "enableOnBehalfRequestorsToAddAccess") {
			return errf(403, "Authorization_RequestDenied", "The policy %s does not let requestors ask on behalf of others.", p.id)
		}
		u := s.st.users[lower(subj.objectID)]
		if u == nil || !strings.EqualFold(str(obj(u.extra, "manager"), "id"), caller.ObjectID) {
			return errf(403, "Authorization_RequestDenied", "Only the manager of %s can request access on their behalf.", subj.objectID)
		}
	}
	if r.requestType == "userAdd" && (subj == nil || !s.inScope(p, subj.objectID)) {
		return errf(403, "Authorization_RequestDenied", "You don't meet policy requirements to request this entitlement: the target is outside the policy's allowed targets.")
	}
	if p.justificationRequired && r.requestType != "userRemove" && (r.justification == nil || strings.TrimSpace(*r.justification) == "") {
		return invalidRequest("The policy %s requires a justification.", p.id)
	}
	if (r.schedule.start != nil || r.schedule.expType != "notSpecified") && !p.allowCustomSchedule && r.requestType != "userRemove" {
		return invalidRequest("The policy %s does not allow requestors to choose a custom schedule.", p.id)
	}
	return nil
}

// validateAnswers checks answers against the policy's questions (the question types of the v1.0 metadata)
// and returns them in Graph's echoed form.
func (s *Server) validateAnswers(r *request, p *policy, raw []any) ([]map[string]any, *graphError) {
	var existing []map[string]any
	if a := s.st.assignments[r.assignmentID]; a != nil && !isAdd(r) {
		existing = a.answers
	}
	answered := map[string]bool{}
	for _, a := range existing {
		answered[lower(str(obj(a, "answeredQuestion"), "id"))] = true
	}
	out := []map[string]any{}
	count := map[string]int{}
	for i, x := range raw {
		am, ok := x.(map[string]any)
		if !ok {
			return nil, badRequest("answers[%d] must be an object.", i)
		}
		if t := str(am, "@odata.type"); t != "" && !strings.EqualFold(t, "#microsoft.graph.accessPackageAnswerString") {
			return nil, badRequest("answers[%d]: '%s' is not a v1.0 answer type; use #microsoft.graph.accessPackageAnswerString.", i, t)
		}
		qid := str(obj(am, "answeredQuestion"), "id")
		if qid == "" {
			return nil, invalidRequest("answers[%d].answeredQuestion.id is required.", i)
		}
		q := p.question(qid)
		if q == nil {
			return nil, invalidRequest("answers[%d]: question '%s' does not belong to assignment policy %s.", i, qid, p.id)
		}
		val, ok := findKey(am, "value").(string)
		if !ok {
			return nil, invalidRequest("answers[%d].value must be a string.", i)
		}
		count[q.id]++
		if q.isChoice() {
			okChoice := false
			for _, ch := range q.choices {
				okChoice = okChoice || ch == val
			}
			if !okChoice {
				return nil, invalidRequest("answers[%d]: '%s' is not one of the choices of question %s.", i, val, q.id)
			}
			if count[q.id] > 1 && !q.multiSelect {
				return nil, invalidRequest("Question %s allows a single choice.", q.id)
			}
		} else {
			if count[q.id] > 1 {
				return nil, invalidRequest("Question %s is answered more than once.", q.id)
			}
			if q.regex != "" && !regexp.MustCompile(`^(?:`+q.regex+`)$`).MatchString(val) {
				return nil, invalidRequest("answers[%d]: the answer to question %s does not match its pattern '%s'.", i, q.id, q.regex)
			}
		}
		if isUser(r) && !isAdd(r) && answered[q.id] && !q.editable {
			return nil, invalidRequest("The answer to question %s cannot be changed after the request.", q.id)
		}
		disp := findKey(am, "displayValue")
		if d, _ := disp.(string); d == "" && q.isChoice() && q.choiceText[val] != "" {
			// A choice answer shows the choice's text to requestors and
			// approvers: [INF] Graph fills displayValue from it when the
			// caller sends none.
			disp = q.choiceText[val]
		}
		out = append(out, map[string]any{
			"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": val, "displayValue": disp,
			"answeredQuestion": map[string]any{"@odata.type": q.odataType, "id": q.id},
		})
	}
	for _, q := range p.questions {
		if q.required && count[q.id] == 0 && !answered[q.id] {
			return nil, invalidRequest("The required question %s of assignment policy %s is not answered.", q.id, p.id)
		}
	}
	return out, nil
}

// ---- subjects --------------------------------------------------------------------

func (s *Server) subjectForUser(u *user) *subject {
	if sj := s.st.subjByObj[lower(u.id)]; sj != nil {
		return sj
	}
	sj := &subject{id: newID(), objectID: u.id, displayName: u.displayName, email: u.mail,
		principalName: u.userPrincipalName, subjectType: "user"}
	s.st.subjects[sj.id] = sj
	s.st.subjByObj[lower(u.id)] = sj
	return sj
}

func (s *Server) subjectForMail(mail, name string) *subject {
	if sj := s.st.subjByMail[lower(mail)]; sj != nil {
		return sj
	}
	sj := &subject{id: newID(), email: mail, displayName: name, subjectType: "user"}
	s.st.subjects[sj.id] = sj
	s.st.subjByMail[lower(mail)] = sj
	return sj
}

func (s *Server) subjectForCaller(id Identity) *subject {
	if u := s.st.users[lower(id.ObjectID)]; u != nil {
		return s.subjectForUser(u)
	}
	if sj := s.st.subjByObj[lower(id.ObjectID)]; sj != nil {
		return sj
	}
	sj := &subject{id: newID(), objectID: id.ObjectID, displayName: id.DisplayName, subjectType: "servicePrincipal"}
	s.st.subjects[sj.id] = sj
	s.st.subjByObj[lower(id.ObjectID)] = sj
	return sj
}

// ---- rendering ---------------------------------------------------------------------

func contextURL(c *call, what string) string {
	return c.base + "/v1.0/$metadata#" + what
}

func (s *Server) renderSubject(sj *subject) map[string]any {
	m := map[string]any{
		"id": sj.id, "objectId": nilIfEmpty(sj.objectID), "displayName": nilIfEmpty(sj.displayName),
		"email": nilIfEmpty(sj.email), "principalName": nilIfEmpty(sj.principalName),
		"onPremisesSecurityIdentifier": nil, "subjectType": sj.subjectType,
	}
	if s.global() {
		m["subjectLifecycle"] = "notDefined"
	}
	return m
}

func renderCallouts(cs []*callout) []any {
	out := []any{}
	for _, c := range cs {
		out = append(out, map[string]any{"id": c.id, "customExtensionId": c.customExtensionID, "detail": nilIfEmpty(c.detail),
			"externalCorrelationId": c.externalCorrelationID, "status": c.status})
	}
	return out
}

func (s *Server) renderRequest(r *request, expand []expandItem) map[string]any {
	answers := []any{}
	for _, a := range r.answers {
		answers = append(answers, a)
	}
	m := map[string]any{
		"id": r.id, "requestType": r.requestType, "state": r.state, "status": r.status,
		"createdDateTime": fmtTime(&r.created), "completedDateTime": fmtTime(r.completed),
		"schedule": renderSchedule(r.schedule), "answers": answers,
		"customExtensionCalloutInstances": renderCallouts(r.callouts),
	}
	if s.global() {
		m["justification"] = nil
		if r.justification != nil {
			m["justification"] = *r.justification
		}
	}
	for _, e := range expand {
		switch lower(e.name) {
		case "accesspackage":
			m["accessPackage"] = applySelect(renderPackage(s.st.packages[r.packageID]), e.sel, nil)
		case "assignment":
			if a := s.st.assignments[r.assignmentID]; a != nil {
				m["assignment"] = applySelect(s.renderAssignment(a, e.expand), e.sel, e.expand)
			} else {
				m["assignment"] = nil
			}
		case "requestor":
			if sj := s.st.subjects[r.requestorID]; sj != nil {
				m["requestor"] = applySelect(s.renderSubject(sj), e.sel, nil)
			} else {
				m["requestor"] = nil
			}
		}
	}
	return m
}

func (s *Server) renderAssignment(a *assignment, expand []expandItem) map[string]any {
	m := map[string]any{
		"id": a.id, "state": a.state, "status": a.status, "schedule": renderSchedule(a.schedule),
		"expiredDateTime": fmtTime(a.expired), "customExtensionCalloutInstances": []any{},
	}
	for _, e := range expand {
		switch lower(e.name) {
		case "target":
			m["target"] = applySelect(s.renderSubject(s.st.subjects[a.targetID]), e.sel, nil)
		case "accesspackage":
			m["accessPackage"] = applySelect(renderPackage(s.st.packages[a.packageID]), e.sel, nil)
		case "assignmentpolicy":
			if p := s.st.policies[a.policyID]; p != nil {
				m["assignmentPolicy"] = applySelect(s.renderPolicy(p), e.sel, nil)
			} else {
				// The policy was deleted after the assignment ended: its
				// reference alone ([INF]: Graph's answer here is not documented).
				m["assignmentPolicy"] = map[string]any{"id": a.policyID}
			}
		}
	}
	return m
}

// normaliseSchedule applies to a new request's schedule what Graph does and
// checks what it cannot be.
func normaliseSchedule(r *request) *graphError {
	// Graph replaces a start in the past with the time it processed the
	// request, in its answer, on the request and so on the assignment (the
	// v1.0 create page's example with a past start: sent 2023-05-23, answered
	// with the processing time).
	if r.schedule.start != nil && r.schedule.start.Before(r.created) {
		r.schedule.start = tptr(r.created)
	}
	if r.schedule.expType == "afterDateTime" && r.schedule.end != nil {
		// [INF] Graph documents no such check: an end that is not after the
		// start (so also an end in the past) would grant nothing, and the
		// emulator refuses it rather than invent an assignment that expires
		// as it starts.
		start := r.created
		if r.schedule.start != nil {
			start = *r.schedule.start
		}
		if !r.schedule.end.After(start) {
			return invalidRequest("The expiration %s is not after the start %s.", fmtTime(r.schedule.end), start.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
