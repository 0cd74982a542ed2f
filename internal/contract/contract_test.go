package contract

import (
	"strings"
	"testing"
)

func mustFor(t *testing.T, cloud string) *Contract {
	t.Helper()
	c, err := For(cloud)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckFindsWhatGraphDoesNotHave(t *testing.T) {
	prod := mustFor(t, "Prod")
	good := map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#x", "id": "r1", "requestType": "adminAdd", "state": "delivered",
		"status": "Delivered", "createdDateTime": "2026-11-29T10:00:00.123Z", "completedDateTime": nil, "justification": "j",
		"schedule": map[string]any{"startDateTime": "2026-11-29T10:00:00Z", "expiration": map[string]any{"type": "afterDuration", "duration": "P90D", "endDateTime": nil}},
		"answers": []any{map[string]any{"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": "EMEA", "displayValue": "Europe",
			"answeredQuestion": map[string]any{"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": "q1"}}},
		"assignment": map[string]any{"id": "a1", "state": "delivered", "target": map[string]any{"objectId": "u1", "subjectType": "user"}},
	}
	if got := prod.Check("accessPackageAssignmentRequest", good, Response); len(got) != 0 {
		t.Fatalf("a valid request body: %v", got)
	}
	for name, tc := range map[string]struct {
		typ  string
		body map[string]any
		dir  Direction
		want string
	}{
		"unknown property":        {"accessPackageAssignmentRequest", map[string]any{"requestState": "delivered"}, Response, "has no property requestState"},
		"unknown nested property": {"accessPackageAssignmentRequest", map[string]any{"assignment": map[string]any{"targetId": "u1"}}, Response, "accessPackageAssignment has no property targetId"},
		"enum member":             {"accessPackageAssignmentRequest", map[string]any{"state": "removed"}, Response, `"removed" is not a member`},
		"enum case in a response": {"accessPackageAssignmentRequest", map[string]any{"state": "Delivered"}, Response, `"Delivered" is not a member`},
		"primitive type":          {"accessPackageAssignmentRequest", map[string]any{"createdDateTime": 12}, Response, "want an RFC 3339"},
		"week duration":           {"expirationPattern", map[string]any{"duration": "P12W6D"}, Request, "want an Edm.Duration"},
		"derived type":            {"accessPackageAssignmentRequest", map[string]any{"answers": []any{map[string]any{"@odata.type": "#microsoft.graph.user"}}}, Request, "is not accessPackageAnswer"},
		"collection":              {"accessPackageAssignmentRequest", map[string]any{"answers": map[string]any{}}, Request, "want a collection"},
	} {
		got := strings.Join(prod.Check(tc.typ, tc.body, tc.dir), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
	// The documented exceptions pass in requests only; enums in any case too.
	req := map[string]any{"requestType": "AdminAdd", "assignment": map[string]any{"targetId": "u1", "assignmentPolicyId": "p1", "accessPackageId": "a1"}}
	if got := prod.Check("accessPackageAssignmentRequest", req, Request); len(got) != 0 {
		t.Errorf("the create page's adminAdd body: %v", got)
	}
}

func TestCloudsDiffer(t *testing.T) {
	body := map[string]any{"justification": "j"}
	if got := mustFor(t, "Prod").Check("accessPackageAssignmentRequest", body, Request); len(got) != 0 {
		t.Errorf("global: %v", got)
	}
	for _, cloud := range []string{"Fairfax", "Mooncake"} {
		if got := mustFor(t, cloud).Check("accessPackageAssignmentRequest", body, Request); len(got) != 1 {
			t.Errorf("%s accepted a justification: %v", cloud, got)
		}
		if got := mustFor(t, cloud).CheckAction("accessPackageAssignmentRequest", "resume", map[string]any{}); len(got) != 1 {
			t.Errorf("%s has resume: %v", cloud, got)
		}
	}
	resume := map[string]any{"source": "s", "type": "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated",
		"data": map[string]any{"@odata.type": "#microsoft.graph.accessPackageAssignmentRequestCallbackData", "stage": "assignmentRequestCreated", "customExtensionStageInstanceId": "x"}}
	if got := mustFor(t, "Prod").CheckAction("accessPackageAssignmentRequest", "resume", resume); len(got) != 0 {
		t.Errorf("resume: %v", got)
	}
}
