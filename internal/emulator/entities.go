package emulator

import (
	"regexp"
	"strings"
	"time"
)

// Graph's enums are read case-insensitively and written in camelCase.
var (
	requestTypes = []string{"notSpecified", "userAdd", "userUpdate", "userRemove", "adminAdd", "adminUpdate", "adminRemove",
		"systemAdd", "systemUpdate", "systemRemove", "onBehalfAdd", "unknownFutureValue"}
	requestStates = []string{"submitted", "pendingApproval", "delivering", "delivered", "deliveryFailed", "denied", "scheduled",
		"canceled", "partiallyDelivered", "unknownFutureValue"}
	assignmentStates = []string{"delivering", "partiallyDelivered", "delivered", "expired", "deliveryFailed", "unknownFutureValue"}
	expirationTypes  = []string{"notSpecified", "noExpiration", "afterDateTime", "afterDuration"}
	targetScopes     = []string{"notSpecified", "specificDirectoryUsers", "specificConnectedOrganizationUsers", "specificDirectoryServicePrincipals", "allMemberUsers", "allDirectoryUsers", "allDirectoryServicePrincipals", "allConfiguredConnectedOrganizationUsers", "allExternalUsers", "allDirectoryAgentIdentities", "unknownFutureValue"}
	calloutStages    = []string{"assignmentRequestCreated", "assignmentRequestApproved", "assignmentRequestGranted", "assignmentRequestRemoved", "assignmentFourteenDaysBeforeExpiration", "assignmentOneDayBeforeExpiration", "unknownFutureValue"}
	catalogTypes     = []string{"userManaged", "serviceDefault", "serviceManaged", "unknownFutureValue"}
	catalogStates    = []string{"unpublished", "published", "unknownFutureValue"}
)

func normEnum(v any, allowed []string, what string) (string, *graphError) {
	s, ok := v.(string)
	if !ok {
		return "", badRequest("Cannot convert the literal '%v' to the expected type 'microsoft.graph.%s'.", v, what)
	}
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a, nil
		}
	}
	return "", badRequest("Requested value '%s' was not found in 'microsoft.graph.%s'.", s, what)
}

func str(m map[string]any, key string) string {
	if m == nil {
		return ""
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

func obj(m map[string]any, key string) map[string]any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			if o, ok := v.(map[string]any); ok {
				return o
			}
		}
	}
	return nil
}

func boolean(m map[string]any, key string) bool {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			b, _ := v.(bool)
			return b
		}
	}
	return false
}

func has(m map[string]any, key string) bool {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v != nil
		}
	}
	return false
}

// takeID returns the id a caller fixed in a create body (fixtures use it), or a new one.
func takeID(body map[string]any, exists func(string) bool) (string, *graphError) {
	id := str(body, "id")
	if id == "" {
		return newID(), nil
	}
	if !isGUID(id) {
		return "", badRequest("The id '%s' is not a valid GUID.", id)
	}
	if exists(lower(id)) {
		return "", badRequest("Another object with the same value for property id already exists.")
	}
	return lower(id), nil
}

func withoutKeys(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		drop := strings.HasPrefix(k, "@odata.")
		for _, d := range keys {
			if strings.EqualFold(k, d) {
				drop = true
			}
		}
		if !drop {
			out[k] = v
		}
	}
	return out
}

func fmtTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func tptr(t time.Time) *time.Time { return &t }

// ---- users -----------------------------------------------------------------

func (s *Server) createUser(body map[string]any) (*user, *graphError) {
	id, gerr := takeID(body, func(id string) bool { return s.st.users[id] != nil })
	if gerr != nil {
		return nil, gerr
	}
	u := &user{id: id, displayName: str(body, "displayName"), userPrincipalName: str(body, "userPrincipalName"),
		mail: str(body, "mail"), userType: str(body, "userType"),
		extra: withoutKeys(body, "id", "displayName", "userPrincipalName", "mail", "userType", "passwordProfile")}
	if u.displayName == "" || u.userPrincipalName == "" {
		return nil, badRequest("Invalid object identifier: the properties displayName and userPrincipalName are required.")
	}
	if u.userType == "" {
		u.userType = "Member"
	}
	for _, o := range s.st.users {
		if strings.EqualFold(o.userPrincipalName, u.userPrincipalName) {
			return nil, badRequest("Another object with the same value for property userPrincipalName already exists.")
		}
	}
	s.st.users[u.id] = u
	s.st.userOrder = append(s.st.userOrder, u.id)
	return u, nil
}

func (s *Server) userByMail(mail string) *user {
	for _, u := range s.st.users {
		if strings.EqualFold(u.mail, mail) || strings.EqualFold(u.userPrincipalName, mail) {
			return u
		}
	}
	return nil
}

func renderUser(u *user) map[string]any {
	m := map[string]any{}
	for k, v := range u.extra {
		m[k] = v
	}
	m["id"] = u.id
	m["displayName"] = u.displayName
	m["userPrincipalName"] = u.userPrincipalName
	m["mail"] = nilIfEmpty(u.mail)
	m["userType"] = u.userType
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ---- catalogs and access packages -------------------------------------------

func (s *Server) createCatalog(body map[string]any) (*catalog, *graphError) {
	id, gerr := takeID(body, func(id string) bool { return s.st.catalogs[id] != nil })
	if gerr != nil {
		return nil, gerr
	}
	if str(body, "displayName") == "" {
		return nil, badRequest("The property 'displayName' is required.")
	}
	b := withoutKeys(body, "id", "accessPackages", "createdDateTime", "modifiedDateTime")
	for key, allowed := range map[string][]string{"catalogType": catalogTypes, "state": catalogStates} {
		if v, ok := b[key]; ok && v != nil {
			e, gerr := normEnum(v, allowed, "accessPackageCatalog"+strings.ToUpper(key[:1])+key[1:])
			if gerr != nil {
				return nil, gerr
			}
			b[key] = e
		}
	}
	setDefault(b, "catalogType", "userManaged")
	setDefault(b, "state", "published")
	setDefault(b, "isExternallyVisible", false)
	setDefault(b, "description", nil)
	c := &catalog{id: id, body: b, created: s.now()}
	s.st.catalogs[id] = c
	s.st.catOrder = append(s.st.catOrder, id)
	return c, nil
}

func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// renderSeeded renders an object stored as its create body: a copy of the
// body with the id and timestamps Graph adds.
func renderSeeded(body map[string]any, id string, created time.Time) map[string]any {
	m := make(map[string]any, len(body)+3)
	for k, v := range body {
		m[k] = v
	}
	m["id"] = id
	m["createdDateTime"] = fmtTime(&created)
	m["modifiedDateTime"] = fmtTime(&created)
	return m
}

func renderCatalog(c *catalog) map[string]any { return renderSeeded(c.body, c.id, c.created) }

func (s *Server) createPackage(body map[string]any) (*accessPackage, *graphError) {
	id, gerr := takeID(body, func(id string) bool { return s.st.packages[id] != nil })
	if gerr != nil {
		return nil, gerr
	}
	if str(body, "displayName") == "" {
		return nil, badRequest("The property 'displayName' is required.")
	}
	catID := lower(str(obj(body, "catalog"), "id"))
	if catID == "" {
		return nil, badRequest("The access package must reference a catalog: 'catalog': {'id': '...'}.")
	}
	if s.st.catalogs[catID] == nil {
		return nil, notFound("accessPackageCatalog", catID)
	}
	b := withoutKeys(body, "id", "catalog", "assignmentPolicies", "createdDateTime", "modifiedDateTime",
		"resourceRoleScopes", "incompatibleAccessPackages", "accessPackagesIncompatibleWith", "incompatibleGroups")
	setDefault(b, "isHidden", false)
	setDefault(b, "description", nil)
	p := &accessPackage{id: id, catalogID: catID, body: b, created: s.now()}
	s.st.packages[id] = p
	s.st.pkgOrder = append(s.st.pkgOrder, id)
	return p, nil
}

func renderPackage(p *accessPackage) map[string]any { return renderSeeded(p.body, p.id, p.created) }

// ---- assignment policies ------------------------------------------------------

func (s *Server) createPolicy(body map[string]any) (*policy, *graphError) {
	id, gerr := takeID(body, func(id string) bool { return s.st.policies[id] != nil })
	if gerr != nil {
		return nil, gerr
	}
	pkgID := lower(str(obj(body, "accessPackage"), "id"))
	if pkgID == "" {
		return nil, badRequest("The assignment policy must reference an access package: 'accessPackage': {'id': '...'}.")
	}
	pkg := s.st.packages[pkgID]
	if pkg == nil {
		return nil, notFound("accessPackage", pkgID)
	}
	p := &policy{id: id, packageID: pkgID, catalogID: pkg.catalogID, created: s.now()}
	b := withoutKeys(body, "id", "accessPackage", "catalog", "questions", "customExtensionStageSettings", "createdDateTime", "modifiedDateTime")
	if !s.global() {
		if has(b, "notificationSettings") {
			return nil, badRequest("The property 'notificationSettings' does not exist on type 'microsoft.graph.accessPackageAssignmentPolicy'. Make sure to only use property names that are defined by the type.")
		}
	}
	p.allowedTargetScope = "notSpecified"
	if v, ok := b["allowedTargetScope"]; ok && v != nil {
		e, gerr := normEnum(v, targetScopes, "allowedTargetScope")
		if gerr != nil {
			return nil, gerr
		}
		p.allowedTargetScope = e
	}
	b["allowedTargetScope"] = p.allowedTargetScope
	setDefault(b, "specificAllowedTargets", []any{})
	setDefault(b, "displayName", nil)
	setDefault(b, "description", nil)

	p.expiration = schedule{expType: "noExpiration"}
	if e := obj(b, "expiration"); e != nil {
		sch, gerr := parseExpiration(e)
		if gerr != nil {
			return nil, gerr
		}
		p.expiration = sch
		b["expiration"] = renderExpiration(sch)
	} else {
		b["expiration"] = renderExpiration(p.expiration)
	}
	rs := obj(b, "requestorSettings")
	p.allowCustomSchedule = boolean(rs, "allowCustomAssignmentSchedule")
	ras := obj(b, "requestApprovalSettings")
	p.approvalForAdd = boolean(ras, "isApprovalRequiredForAdd")
	p.approvalForUpdate = boolean(ras, "isApprovalRequiredForUpdate")
	p.justificationRequired = boolean(ras, "isRequestorJustificationRequired")
	if ras != nil {
		setDefault(ras, "stages", []any{})
	}
	p.automatic = has(b, "automaticRequestSettings")

	if qs, ok := findKey(body, "questions").([]any); ok {
		for i, raw := range qs {
			qm, ok := raw.(map[string]any)
			if !ok {
				return nil, badRequest("questions[%d] must be an object.", i)
			}
			q, gerr := parseQuestion(qm)
			if gerr != nil {
				return nil, gerr
			}
			p.questions = append(p.questions, q)
		}
	}
	if ss, ok := findKey(body, "customExtensionStageSettings").([]any); ok {
		for i, raw := range ss {
			sm, ok := raw.(map[string]any)
			if !ok {
				return nil, badRequest("customExtensionStageSettings[%d] must be an object.", i)
			}
			stage, gerr := normEnum(findKey(sm, "stage"), calloutStages, "accessPackageCustomExtensionStage")
			if gerr != nil {
				return nil, gerr
			}
			ext := str(obj(sm, "customExtension"), "id")
			if ext == "" {
				return nil, badRequest("customExtensionStageSettings[%d].customExtension.id is required.", i)
			}
			sid := str(sm, "id")
			if sid == "" {
				sid = newID()
			}
			p.stages = append(p.stages, &stageSetting{id: sid, stage: stage, customExtensionID: ext,
				body: map[string]any{"id": sid, "stage": stage, "customExtension": map[string]any{
					"@odata.type": "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension", "id": ext}}})
		}
	}
	p.body = b
	s.st.policies[id] = p
	s.st.polOrder = append(s.st.polOrder, id)
	return p, nil
}

func findKey(m map[string]any, key string) any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func parseQuestion(qm map[string]any) (*question, *graphError) {
	q := &question{odataType: str(qm, "@odata.type"), required: boolean(qm, "isRequired"), editable: boolean(qm, "isAnswerEditable")}
	switch {
	case strings.EqualFold(q.odataType, "#microsoft.graph.accessPackageTextInputQuestion"):
		q.odataType = "#microsoft.graph.accessPackageTextInputQuestion"
		q.regex = str(qm, "regexPattern")
		if q.regex != "" {
			if _, err := regexp.Compile(q.regex); err != nil {
				return nil, badRequest("The regexPattern '%s' is not a valid regular expression.", q.regex)
			}
		}
	case strings.EqualFold(q.odataType, "#microsoft.graph.accessPackageMultipleChoiceQuestion"):
		q.odataType = "#microsoft.graph.accessPackageMultipleChoiceQuestion"
		q.multiSelect = boolean(qm, "isMultipleSelectionAllowed")
		if cs, ok := findKey(qm, "choices").([]any); ok {
			for _, c := range cs {
				if cm, ok := c.(map[string]any); ok {
					q.choices = append(q.choices, str(cm, "actualValue"))
					if q.choiceText == nil {
						q.choiceText = map[string]string{}
					}
					q.choiceText[str(cm, "actualValue")] = str(cm, "text")
				}
			}
		}
		if len(q.choices) == 0 {
			return nil, badRequest("A multiple choice question needs at least one choice with an actualValue.")
		}
	default:
		return nil, badRequest("A question needs '@odata.type' #microsoft.graph.accessPackageTextInputQuestion or #microsoft.graph.accessPackageMultipleChoiceQuestion.")
	}
	if str(qm, "text") == "" {
		return nil, badRequest("The property 'text' is required on a question.")
	}
	q.id = lower(str(qm, "id"))
	if q.id == "" {
		q.id = newID()
	}
	q.body = withoutKeys(qm, "id")
	q.body["@odata.type"] = q.odataType
	q.body["id"] = q.id
	setDefault(q.body, "isRequired", false)
	setDefault(q.body, "isAnswerEditable", false)
	setDefault(q.body, "sequence", 0)
	setDefault(q.body, "localizations", []any{})
	return q, nil
}

func (s *Server) renderPolicy(p *policy) map[string]any { return renderSeeded(p.body, p.id, p.created) }

// ---- schedules ------------------------------------------------------------------

func parseTimeField(m map[string]any, key string) (*time.Time, *graphError) {
	v := findKey(m, key)
	if v == nil {
		return nil, nil
	}
	sv, ok := v.(string)
	if !ok {
		return nil, badRequest("The property '%s' must be a DateTimeOffset string.", key)
	}
	t, err := time.Parse(time.RFC3339Nano, sv)
	if err != nil {
		return nil, badRequest("Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", sv)
	}
	t = t.UTC()
	return &t, nil
}

func parseExpiration(e map[string]any) (schedule, *graphError) {
	var sch schedule
	sch.expType = "notSpecified"
	if v := findKey(e, "type"); v != nil {
		t, gerr := normEnum(v, expirationTypes, "expirationPatternType")
		if gerr != nil {
			return sch, gerr
		}
		sch.expType = t
	}
	end, gerr := parseTimeField(e, "endDateTime")
	if gerr != nil {
		return sch, gerr
	}
	sch.end = end
	if d := str(e, "duration"); d != "" {
		length, err := parseEdmDuration(d)
		if err != nil {
			return sch, invalidDuration(d)
		}
		if length <= 0 {
			// [INF] Graph documents no lower bound, and ODataLib reads P0D,
			// PT0S and -P1D as durations; but an assignment that ends as it
			// starts (or before) grants nothing, and the emulator refuses
			// the same schedule written as an end date (normaliseSchedule).
			return sch, invalidRequest("The expiration duration %s is not positive: access would end as it starts.", d)
		}
		sch.duration = &d
	}
	switch sch.expType {
	case "afterDateTime":
		if sch.end == nil {
			return sch, invalidRequest("An expiration of type afterDateTime requires endDateTime.")
		}
	case "afterDuration":
		if sch.duration == nil {
			return sch, invalidRequest("An expiration of type afterDuration requires duration.")
		}
		if sch.end != nil {
			return sch, invalidRequest("An expiration of type afterDuration must not also set endDateTime.")
		}
	}
	return sch, nil
}

func parseSchedule(m map[string]any) (schedule, *graphError) {
	sch := schedule{expType: "notSpecified"}
	if m == nil {
		return sch, nil
	}
	start, gerr := parseTimeField(m, "startDateTime")
	if gerr != nil {
		return sch, gerr
	}
	if e := obj(m, "expiration"); e != nil {
		exp, gerr := parseExpiration(e)
		if gerr != nil {
			return sch, gerr
		}
		sch = exp
	}
	sch.start = start
	return sch, nil
}

func renderExpiration(s schedule) map[string]any {
	t := s.expType
	if t == "" {
		t = "notSpecified"
	}
	var d any
	if s.duration != nil {
		d = *s.duration
	}
	return map[string]any{"endDateTime": fmtTime(s.end), "duration": d, "type": t}
}

func renderSchedule(s schedule) map[string]any {
	return map[string]any{"startDateTime": fmtTime(s.start), "recurrence": nil, "expiration": renderExpiration(s)}
}
