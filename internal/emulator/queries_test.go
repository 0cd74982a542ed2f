package emulator_test

import (
	"testing"

	"github.com/accessgov/terraform-provider-entitlement/internal/emulator"
)

// OData as Graph has it: /$count honours $filter, $expand=* expands every
// navigation one level, and an unknown enum value in $filter is a 400.
func TestCountExpandStarAndEnumFilters(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.submitAndSettle(addDirect(alice))
	e.submitAndSettle(addDirect(bob))
	count := func(path string) string {
		st, _, m := e.raw("GET", path, e.srv.Token(), nil, nil)
		if st != 200 {
			t.Fatalf("%s: %d %v", path, st, m)
		}
		return m["text"].(string)
	}
	if n := count(em + "/assignments/$count"); n != "2" {
		t.Errorf("all assignments: %s", n)
	}
	if n := count(em + "/assignments/$count?$filter=target/objectId eq '" + alice + "'"); n != "1" {
		t.Errorf("$count with $filter counted %s, want 1", n)
	}
	if n := count(em + "/assignmentRequests/$count?$filter=state eq 'denied'"); n != "0" {
		t.Errorf("requests $count with $filter counted %s, want 0", n)
	}
	st, _, m := e.raw("GET", em+"/assignments?$expand=*", e.srv.Token(), nil, nil)
	if st != 200 {
		t.Fatalf("$expand=*: %d %v", st, m)
	}
	first := m["value"].([]any)[0].(map[string]any)
	for _, nav := range []string{"target", "accessPackage", "assignmentPolicy"} {
		if _, ok := first[nav].(map[string]any); !ok {
			t.Errorf("$expand=* did not expand %s: %v", nav, first)
		}
	}
	for _, path := range []string{em + "/assignments?$filter=state eq 'removed'", em + "/assignmentRequests?$filter=state eq 'adminDelete'"} {
		if st, _, m := e.raw("GET", path, e.srv.Token(), nil, nil); st != 400 {
			t.Errorf("%s: %d %v, want 400", path, st, m)
		}
	}
	if st, _, m := e.raw("GET", em+"/assignments?$filter=state eq 'Delivered'", e.srv.Token(), nil, nil); st != 200 || len(m["value"].([]any)) != 2 {
		t.Errorf("an enum value in another case: %d %v", st, m)
	}
}

// A choice answer sent without a display value gets the choice's text.
func TestChoiceAnswersGetTheirDisplayValue(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	body := map[string]any{"requestType": "adminAdd",
		"assignment": map[string]any{"targetId": alice, "assignmentPolicyId": polAsk, "accessPackageId": pkgB},
		"answers": []any{map[string]any{"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": "AMER",
			"answeredQuestion": map[string]any{"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": qRegion}}}}
	st, _, m := e.raw("POST", em+"/assignmentRequests", e.srv.Token(), body, nil)
	if st != 201 {
		t.Fatalf("%d %v", st, m)
	}
	answers, _ := m["answers"].([]any)
	if len(answers) != 1 || answers[0].(map[string]any)["displayValue"] != "Americas" {
		t.Fatalf("answers: %v", m["answers"])
	}
}
